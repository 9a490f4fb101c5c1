"""`parallax process`: run the language stages over every document that is behind.

A document is behind when it has no analysis, its text changed since (content hash), or a stage's
VERSION changed. The analysis records every stage's version (`langid=1;normalize=1;…`); when only
some versions changed, only those stages and the ones that depend on them run again, and the other
fields are kept as they were. Each document's analysis is written in its own transaction, so a crash
loses at most the document in flight and a second run finds nothing to do.

Stages: langid (document and paragraph language, Chinese script) → normalize (the matching form) →
segment (index text) → entities (linked to the gazetteer) → translate (when enabled and a model is
on this machine) → dedup (near-duplicate clusters).
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field

from nlp import dedup, entities, gazetteer, langid, models, normalize, segment, translate

log = logging.getLogger(__name__)

STAGES = {"langid": langid, "normalize": normalize, "segment": segment, "gazetteer": gazetteer,
          "entities": entities, "translate": translate, "dedup": dedup}
# What a stage's output feeds: re-running a stage re-runs these too.
DEPENDENTS = {
    "langid": {"entities", "translate"},
    "normalize": {"segment", "entities", "dedup"},
    "gazetteer": {"entities"},
}
RUNNABLE = ("langid", "segment", "entities", "translate", "dedup")


def pipeline_version() -> str:
    return ";".join(f"{name}={module.VERSION}" for name, module in STAGES.items())


def parse_version(version: str | None) -> dict[str, str]:
    out = {}
    for part in (version or "").split(";"):
        name, _, value = part.partition("=")
        if name and value:
            out[name] = value
    return out


def stages_to_run(old_version: str | None, content_changed: bool) -> set[str]:
    """The stages that must run for a document analysed at `old_version` (None: never analysed)."""
    if old_version is None or content_changed:
        return set(RUNNABLE)
    old = parse_version(old_version)
    changed = {name for name, module in STAGES.items() if old.get(name) != module.VERSION}
    todo = set(changed)
    frontier = list(changed)
    while frontier:
        for dependent in DEPENDENTS.get(frontier.pop(), ()):
            if dependent not in todo:
                todo.add(dependent)
                frontier.append(dependent)
    return todo & set(RUNNABLE)


@dataclass
class ProcessReport:
    processed: int = 0
    skipped: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)  # documents each stage ran on
    pipelines: dict[str, str] = field(default_factory=dict)  # which engine each stage used
    translated: int = 0
    untranslated: int = 0
    sentences_translated: int = 0
    sentences_from_cache: int = 0

    def add_time(self, stage: str, seconds: float, count: int = 0) -> None:
        self.seconds[stage] = self.seconds.get(stage, 0.0) + seconds
        self.counts[stage] = self.counts.get(stage, 0) + count


def behind_condition(version: str, retranslate: bool = False, scope: str | None = None) -> tuple[str, tuple]:
    where = ("d.status != 'extract_failed' AND (a.doc_id IS NULL OR a.content_hash != d.content_hash "
             "OR a.version != ?")
    if retranslate:
        where += " OR (a.title_tr IS NULL AND a.lang IN ('en', 'zh'))"
    if retranslate and scope == "full":
        # Translated earlier with a smaller scope (titles and leads): the rest now, from the cache
        # for the sentences already done.
        where += (" OR (a.lang IN ('en', 'zh') AND "
                  "COALESCE(json_extract(a.details, '$.translation_scope'), '') != 'full')")
    return where + ")", (version,)


class Processor:
    """The loaded stages; build once, feed batches of stored documents."""

    def __init__(self, store, settings, translate_now: bool | None = None, scope: str | None = None):
        self.store = store
        self.settings = settings
        self.translate_now = settings.nlp.translate if translate_now is None else translate_now
        self.scope = scope  # None: nlp.translate_scope
        self.tagger = entities.EntityTagger(settings.nlp)
        self.translator = translate.Translator(settings.nlp, store, models.models_root(settings))
        self.clusterer = dedup.Clusterer(store, settings.nlp.duplicate_threshold)

    def run_batch(self, docs: list, report: ProcessReport, force_translate: bool = False) -> None:
        version = pipeline_version()
        details = self._details([d.id for d in docs])
        plans = []
        for doc in docs:
            stored = details.get(doc.id, {})
            changed = stored.get("content_hash") not in (None, doc.content_hash)
            plans.append((doc, stages_to_run(doc.analysis_version, changed), self._current(doc, stored)))
        if force_translate:
            for doc, todo, fields in plans:
                if fields.get("title_tr") is None or (
                        self.scope == "full" and fields["details"].get("translation_scope") != "full"):
                    todo.add("translate")

        started = time.perf_counter()
        ran = 0
        for doc, todo, fields in plans:
            if "langid" in todo:
                ran += 1
                lang = langid.detect(doc.title + "\n" + "\n".join(doc.paragraphs[:3])) or doc.declared_lang
                fields["lang"] = lang
                fields["script"] = langid.script(doc.title + doc.body) if lang == "zh" else None
                fields["details"]["paragraph_langs"] = langid.paragraph_languages(doc.paragraphs)
        report.add_time("langid", time.perf_counter() - started, ran)

        started = time.perf_counter()
        ran = 0
        for doc, todo, fields in plans:
            if "segment" in todo:
                ran += 1
                fields["title_seg"] = segment.index_text(doc.title)
                fields["body_seg"] = segment.index_text(doc.body)
        report.add_time("segment", time.perf_counter() - started, ran)

        started = time.perf_counter()
        ran = 0
        for lang in ("en", "zh"):
            group = [(doc, fields) for doc, todo, fields in plans
                     if "entities" in todo and (fields["lang"] == "zh") == (lang == "zh")]
            if not group:
                continue
            ran += len(group)
            titles = self.tagger.tag_many([d.title for d, _ in group], lang)
            bodies = self.tagger.tag_many([d.body for d, _ in group], lang)
            for (doc, fields), t, b in zip(group, titles, bodies):
                fields["entities"] = ([{**m, "field": "title"} for m in t] +
                                      [{**m, "field": "body"} for m in b])
                fields["details"]["entities"] = {
                    "pipeline": self.tagger.pipeline(lang).description,
                    "offsets": "characters of the original title or body, as each entity's 'field' says"}
        report.add_time("entities", time.perf_counter() - started, ran)
        report.pipelines["entities"] = "; ".join(f"{k}: {v}" for k, v in self.tagger.describe().items())

        started = time.perf_counter()
        ran = 0
        for doc, todo, fields in plans:
            if "translate" not in todo:
                continue
            if not (self.translate_now or force_translate):
                fields["details"]["translation"] = "untranslated: translation is off (nlp.translate)"
                fields["details"].pop("translation_scope", None)
                fields.update(title_tr=None, body_tr=None, translation_model=None)
                report.untranslated += 1
                continue
            ran += 1
            # A document once translated in full stays so when its text changes.
            scope = self.scope or ("full" if fields["details"].get("translation_scope") == "full"
                                   else self.settings.nlp.translate_scope)
            result = self.translator.translate_document(doc.title, doc.paragraphs, fields["lang"], scope)
            fields.update(title_tr=result.title, body_tr=result.body, translation_model=result.model)
            fields["details"]["translation"] = f"{result.note} ({scope})" if result.model else result.note
            if result.model:
                fields["details"]["translation_scope"] = scope
                fields["details"]["translation_engine"] = self.translator.engines[result.model].kind
            else:
                fields["details"].pop("translation_scope", None)
            report.sentences_translated += result.sentences
            report.sentences_from_cache += result.from_cache
            if result.model:
                report.translated += 1
            else:
                report.untranslated += 1
        report.add_time("translate", time.perf_counter() - started, ran)
        report.pipelines["translate"] = (self.translator.describe() if (self.translate_now or force_translate)
                                         else "off (nlp.translate = false)")

        started = time.perf_counter()
        ran = 0
        for doc, todo, fields in plans:
            if "dedup" in todo:
                ran += 1
                text = doc.body if len(dedup.matching_text(doc.body)) >= 200 else doc.title + "\n" + doc.body
                cluster, sim = self.clusterer.assign(doc.id, text)
                fields["cluster_id"] = cluster
                fields["details"]["duplicate_of_cluster"] = round(sim, 3) if sim else None
        report.add_time("dedup", time.perf_counter() - started, ran)

        for doc, todo, fields in plans:
            fields["details"]["content_hash"] = doc.content_hash
            fields["details"]["stages_run"] = sorted(todo)
            self.store.save_analysis(doc.id, doc.content_hash, version, **fields)
            report.processed += 1

    def _details(self, ids: list[str]) -> dict[str, dict]:
        out = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            for row in self.store.conn.execute(
                    f"SELECT doc_id, content_hash, details FROM analyses WHERE doc_id IN "
                    f"({','.join('?' * len(chunk))})", chunk):
                out[row[0]] = {"content_hash": row[1], "details": json.loads(row[2] or "{}")}
        return out

    @staticmethod
    def _current(doc, stored: dict) -> dict:
        """The analysis fields as stored, to keep where a stage does not run again."""
        return {
            "lang": doc.lang, "script": doc.script, "title_seg": doc.title_seg, "body_seg": doc.body_seg,
            "entities": list(doc.entities), "title_tr": doc.title_tr, "body_tr": doc.body_tr,
            "translation_model": doc.translation_model, "cluster_id": doc.cluster_id,
            "details": dict(stored.get("details", {})),
        }


def process(store, settings, progress=None, batch: int = 64, translate_now: bool | None = None,
            fill_translations: bool = False, scope: str | None = None) -> ProcessReport:
    """Bring every document's analysis up to date; `fill_translations` also translates those left
    untranslated earlier (`parallax process --translate`), and with `scope="full"` the whole text
    of those translated only in part (`--translate --scope full`)."""
    version = pipeline_version()
    where, args = behind_condition(version, retranslate=fill_translations, scope=scope)
    processor = Processor(store, settings, True if fill_translations else translate_now, scope)
    report = ProcessReport(pipelines={"langid": "lingua + Han-share rule", "normalize": "OpenCC t2s per character",
                                      "segment": "jieba + domain dictionary",
                                      "dedup": f"MinHash {dedup.PERMUTATIONS} / LSH {dedup.BANDS} bands"})
    total = store.count_documents(where, args)
    if progress:
        progress.start("process", total)
    pending: list = []
    for doc in store.iter_documents(where, args, batch=batch):
        pending.append(doc)
        if len(pending) >= batch:
            processor.run_batch(pending, report, force_translate=fill_translations)
            if progress:
                progress.advance(len(pending))
            pending = []
    if pending:
        processor.run_batch(pending, report, force_translate=fill_translations)
        if progress:
            progress.advance(len(pending))
    if progress:
        progress.finish()
    report.skipped = store.count_documents() - report.processed
    return report
