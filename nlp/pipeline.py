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
import os
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

    def __init__(self, store, settings, translate_now: bool | None = None, scope: str | None = None,
                 workers: int = 1):
        """`workers` > 1 runs language id, segmentation and entities in that many processes (the
        stages that write the store stay here); start them with `start_workers`."""
        self.workers = max(1, workers)
        self.pool = None
        self.store = store
        self.settings = settings
        self.translate_now = settings.nlp.translate if translate_now is None else translate_now
        self.scope = scope  # None: nlp.translate_scope
        self.tagger = entities.EntityTagger(settings.nlp)
        self.translator = translate.Translator(settings.nlp, store, models.models_root(settings))
        self.clusterer = dedup.Clusterer(store, settings.nlp.duplicate_threshold)

    def start_workers(self) -> None:
        if self.workers > 1 and self.pool is None:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            # A worker that dies (out of memory, a model that fails to load) breaks the executor
            # with an error instead of being restarted forever, and the work falls back to this process.
            self.pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                            initializer=_start_worker, initargs=(self.settings.nlp,))

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None

    def _workers_failed(self, exc: Exception) -> None:
        log.warning("worker processes for language id, segmentation and entities failed (%s: %s); "
                    "analysing the rest in this process", type(exc).__name__, exc)
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.pool = None

    def run_batch(self, docs: list, report: ProcessReport, force_translate: bool = False) -> None:
        plans = self.plan(docs, force_translate)
        if self.pool is not None:
            from concurrent.futures.process import BrokenProcessPool

            try:
                plans = self._analyse_in_workers(plans, report)
                self.finish(plans, report, force_translate)
                return
            except BrokenProcessPool as exc:
                self._workers_failed(exc)
        analyse_plans(self.tagger, plans, report)
        self.finish(plans, report, force_translate)

    def run_window(self, docs: list, report: ProcessReport, force_translate: bool = False,
                   slice_size: int = 32, advance=None) -> None:
        """Many documents through the worker processes, slice by slice: while the workers analyse
        the next slices, this process translates, clusters and saves the ones that are done."""
        from concurrent.futures.process import BrokenProcessPool

        plans = self.plan(docs, force_translate)
        slices = [plans[i:i + slice_size] for i in range(0, len(plans), slice_size)]
        finished = 0
        try:
            for done, part in self.pool.map(_analyse_in_worker, slices):
                _merge(report, part)
                self.finish(done, report, force_translate)
                finished += 1
                if advance:
                    advance(len(done))
        except BrokenProcessPool as exc:
            self._workers_failed(exc)
            for plans_left in slices[finished:]:
                analyse_plans(self.tagger, plans_left, report)
                self.finish(plans_left, report, force_translate)
                if advance:
                    advance(len(plans_left))

    def plan(self, docs: list, force_translate: bool = False) -> list:
        """(document, stages to run, fields as stored) for each document."""
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
        return plans

    def _analyse_in_workers(self, plans: list, report: ProcessReport) -> list:
        """The CPU-bound stages of a batch spread over the worker processes, in slices."""
        size = max(1, -(-len(plans) // self.workers))
        slices = [plans[i:i + size] for i in range(0, len(plans), size)]
        out = []
        for done, part in self.pool.map(_analyse_in_worker, slices):
            out.extend(done)
            _merge(report, part)
        return out

    def finish(self, plans: list, report: ProcessReport, force_translate: bool = False) -> None:
        """Translation, near-duplicates and saving: the stages that use the store, in this process."""
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

        version = pipeline_version()
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


def analyse_plans(tagger, plans: list, report: ProcessReport) -> None:
    """Language id, segmentation and entities for the planned documents (fields updated in place):
    pure functions of the text, so they can run in any process."""
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
        tagged = tagger.tag_many([d.title for d, _ in group] + [d.body for d, _ in group], lang)
        titles, bodies = tagged[:len(group)], tagged[len(group):]
        for (doc, fields), t, b in zip(group, titles, bodies):
            fields["entities"] = ([{**m, "field": "title"} for m in t] +
                                  [{**m, "field": "body"} for m in b])
            fields["details"]["entities"] = {
                "pipeline": tagger.pipeline(lang).description,
                "offsets": "characters of the original title or body, as each entity's 'field' says"}
    report.add_time("entities", time.perf_counter() - started, ran)
    report.pipelines["entities"] = "; ".join(f"{k}: {v}" for k, v in tagger.describe().items())


_WORKER: dict = {}


def _start_worker(nlp_settings) -> None:
    _WORKER["tagger"] = entities.EntityTagger(nlp_settings)


def _analyse_in_worker(plans: list):
    part = _TimedReport()
    analyse_plans(_WORKER["tagger"], plans, part)
    return plans, part


def _merge(report: ProcessReport, part: "_TimedReport") -> None:
    for stage, (seconds, count) in part.seconds.items():
        report.add_time(stage, seconds, count)
    report.pipelines.update(part.pipelines)


class _TimedReport(ProcessReport):
    """What a worker reports back: seconds and counts per stage, and the engines used."""

    def add_time(self, stage: str, seconds: float, count: int = 0) -> None:
        old_s, old_n = self.seconds.get(stage, (0.0, 0))
        self.seconds[stage] = (old_s + seconds, old_n + count)


POOL_MIN_DOCUMENTS = 400


def _run(processor: Processor, docs: list, report: ProcessReport, force_translate: bool, advance) -> None:
    if processor.pool is None:
        processor.run_batch(docs, report, force_translate=force_translate)
        if advance:
            advance(len(docs))
    else:
        processor.run_window(docs, report, force_translate=force_translate, advance=advance)


def process(store, settings, progress=None, batch: int = 64, translate_now: bool | None = None,
            fill_translations: bool = False, scope: str | None = None) -> ProcessReport:
    """Bring every document's analysis up to date; `fill_translations` also translates those left
    untranslated earlier (`parallax process --translate`), and with `scope="full"` the whole text
    of those translated only in part (`--translate --scope full`)."""
    version = pipeline_version()
    where, args = behind_condition(version, retranslate=fill_translations, scope=scope)
    total = store.count_documents(where, args)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    workers = settings.nlp.workers or cores
    # Starting a worker loads every model again (a few seconds): only worth it for a larger backlog.
    if total < max(1, POOL_MIN_DOCUMENTS):
        workers = 1
    processor = Processor(store, settings, True if fill_translations else translate_now, scope, workers=workers)
    report = ProcessReport(pipelines={"langid": "lingua + Han-share rule", "normalize": "OpenCC t2s per character",
                                      "segment": "rjieba + domain dictionary",
                                      "dedup": f"MinHash {dedup.PERMUTATIONS} / LSH {dedup.BANDS} bands"})
    if workers > 1:
        report.pipelines["workers"] = f"{workers} processes for langid, segment and entities"
    if progress:
        progress.start("process", total)
    advance = progress.advance if progress else None
    window = batch * workers * 4 if workers > 1 else batch
    processor.start_workers()
    try:
        pending: list = []
        for doc in store.iter_documents(where, args, batch=batch):
            pending.append(doc)
            if len(pending) >= window:
                _run(processor, pending, report, fill_translations, advance)
                pending = []
        if pending:
            _run(processor, pending, report, fill_translations, advance)
    finally:
        processor.close()
    if progress:
        progress.finish()
    report.skipped = store.count_documents() - report.processed
    return report
