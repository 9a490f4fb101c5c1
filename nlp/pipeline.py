"""`parallax process`: run the language stages over every document that is behind.

A document is behind when it has no analysis, its text changed since (content hash), or the
pipeline's version changed (a stage's VERSION was bumped). Each document's analysis is written in
its own transaction, so a crash loses at most the batch in flight and a second run finds nothing
to do.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from nlp import langid, normalize, segment

log = logging.getLogger(__name__)

STAGES = {"langid": langid, "normalize": normalize, "segment": segment}


def pipeline_version() -> str:
    return ";".join(f"{name}={module.VERSION}" for name, module in STAGES.items())


@dataclass
class ProcessReport:
    processed: int = 0
    skipped: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    pipelines: dict[str, str] = field(default_factory=dict)  # which engine each stage used

    def add_time(self, stage: str, seconds: float) -> None:
        self.seconds[stage] = self.seconds.get(stage, 0.0) + seconds


def behind_condition(version: str) -> tuple[str, tuple]:
    return (
        "d.status != 'extract_failed' AND (a.doc_id IS NULL OR a.content_hash != d.content_hash "
        "OR a.version != ?)",
        (version,),
    )


def process(store, settings, progress=None, batch: int = 200) -> ProcessReport:
    version = pipeline_version()
    where, args = behind_condition(version)
    report = ProcessReport(pipelines={"segment": "jieba + domain dictionary", "langid": "lingua"})
    total = store.count_documents(where, args)
    if progress:
        progress.start("process", total)
    while True:
        docs = list(_take(store.iter_documents(where, args, batch=batch), batch))
        if not docs:
            break
        for doc in docs:
            fields = analyse(doc, report)
            store.save_analysis(doc.id, doc.content_hash, version, **fields)
            report.processed += 1
        if progress:
            progress.advance(len(docs))
    if progress:
        progress.finish()
    return report


def _take(iterator, n):
    for i, item in enumerate(iterator):
        if i >= n:
            return
        yield item


def analyse(doc, report: ProcessReport) -> dict:
    started = time.perf_counter()
    paragraphs = doc.paragraphs
    lang = langid.detect(doc.title + "\n" + "\n".join(paragraphs[:3])) or doc.declared_lang
    para_langs = langid.paragraph_languages(paragraphs)
    script = langid.script(doc.title + doc.body) if lang == "zh" else None
    report.add_time("langid", time.perf_counter() - started)

    started = time.perf_counter()
    title_seg = segment.index_text(doc.title)
    body_seg = segment.index_text(doc.body)
    report.add_time("segment", time.perf_counter() - started)
    return {
        "lang": lang,
        "script": script,
        "title_seg": title_seg,
        "body_seg": body_seg,
        "details": {"paragraph_langs": para_langs},
    }
