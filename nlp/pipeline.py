"""`parallax process`: run the registered language stages over every document that is behind.

A document is behind when it has no analysis, its text changed since (content hash), or a stage's
VERSION changed. The analysis records every stage's version (`langid=1;normalize=1;…`); when only
some versions changed, only those stages and the ones that depend on them run again, and the other
fields are kept as they were. Each document's analysis is written in its own transaction, so a crash
loses at most the document in flight and a second run finds nothing to do.

The stages are the components registered in nlp.components (nlp.registry says how a stage is
declared); the runner here orders them by their dependencies, feeds them batches, times each one,
and saves each document's fields with the versions of the stages that produced them. The stages
that are pure functions of the text (language id, segmentation, entities) can run in worker
processes for a large backlog (`nlp.workers`); the ones that use the store (translation cache,
near-duplicate signatures) and the saving stay in this process.

A stage that fails on a document does not stop the others: the document is saved with what the
other stages found, the error is recorded in its analysis details (`stage_errors`) and logged, and
that stage's version is left out of the analysis version, so the next run tries it (and the stages
that depend on it) again.
"""

from __future__ import annotations

import logging
import os
import time
from collections import Counter
from dataclasses import dataclass, field

from nlp.analyses import Analyses
from nlp.components import STAGES, Resources
from nlp.registry import Registry, Stage
from parallax.errors import StoreError

log = logging.getLogger(__name__)

RUNNABLE = tuple(s.name for s in STAGES.ordered() if s.runs)
POOL_MIN_DOCUMENTS = 400


def pipeline_version() -> str:
    return STAGES.version()


def stages_to_run(old_version: str | None, content_changed: bool) -> set[str]:
    """The stages that must run for a document analysed at `old_version` (None: never analysed)."""
    return STAGES.behind(old_version, content_changed)


@dataclass
class ProcessReport:
    processed: int = 0
    skipped: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)  # documents each stage ran on
    pipelines: dict[str, str] = field(default_factory=dict)  # which engine each stage used
    failed: dict[str, int] = field(default_factory=dict)  # documents each stage failed on
    translated: int = 0
    untranslated: int = 0
    sentences_translated: int = 0
    sentences_from_cache: int = 0

    _TALLIES = ("translated", "untranslated", "sentences_translated", "sentences_from_cache")

    def add_time(self, stage: str, seconds: float, count: int = 0) -> None:
        self.seconds[stage] = self.seconds.get(stage, 0.0) + seconds
        self.counts[stage] = self.counts.get(stage, 0) + count

    def add(self, tally: Counter) -> None:
        """A stage's counts of what it did (translated, sentences from the cache, …)."""
        for key, n in tally.items():
            if key not in self._TALLIES:
                raise ValueError(f"a stage counted {key!r}; a report counts {', '.join(self._TALLIES)}")
            setattr(self, key, getattr(self, key) + n)

    def merge(self, part: "ProcessReport") -> None:
        """What a worker process reports back for its slice."""
        for stage, seconds in part.seconds.items():
            self.add_time(stage, seconds, part.counts.get(stage, 0))
        for stage, n in part.failed.items():
            self.failed[stage] = self.failed.get(stage, 0) + n
        self.pipelines.update(part.pipelines)
        self.add(Counter({key: getattr(part, key) for key in self._TALLIES}))


@dataclass
class Work:
    """One document on its way through the stages: the stages due on it, its analysis fields (as
    stored, updated in place by each stage) and the stages that failed on it (name: why)."""

    doc: object  # index.store.StoredDocument
    todo: set[str]
    fields: dict
    failed: dict[str, str] = field(default_factory=dict)


def behind_condition(version: str, retranslate: bool = False, scope: str | None = None,
                     terms_form: str | None = None) -> tuple[str, tuple]:
    """The SQL condition (on documents `d` and their analyses `a`) of the documents a stage is due
    on, and its arguments; with `terms_form`, also those whose terms are of another form (see
    `nlp.components.lexicon_changed`)."""
    where = ("d.status != 'extract_failed' AND (a.doc_id IS NULL OR a.content_hash != d.content_hash "
             "OR a.version != ?")
    args: tuple = (version,)
    if terms_form is not None:
        where += " OR a.terms_table IS NOT ?"
        args += (terms_form,)
    if retranslate:
        where += " OR (a.title_tr IS NULL AND a.lang IN ('en', 'zh'))"
    if retranslate and scope == "full":
        # Translated earlier with a smaller scope (titles and leads): the rest now, from the cache
        # for the sentences already done.
        where += (" OR (a.lang IN ('en', 'zh') AND "
                  "COALESCE(json_extract(a.details, '$.translation_scope'), '') != 'full')")
    return where + ")", args


# -- running stages on a batch ------------------------------------------------------------------

def run_stages(resources: Resources, stages: list[Stage], works: list[Work], report: ProcessReport) -> None:
    """Each stage in turn over the work items it is due on, timed; fields updated in place.

    A stage is not run on a document where a stage it depends on failed (it is recorded as not
    run, to be run again with it)."""
    for stage in stages:
        items = []
        for w in works:
            if stage.name not in w.todo:
                continue
            broken = next((d for d in stage.depends_on if d in w.failed), None)
            if broken:
                w.failed[stage.name] = f"not run: {broken} failed"
                continue
            items.append(w)
        started = time.perf_counter()
        ran = _run_isolated(stage, resources, items, report)
        report.add_time(stage.name, time.perf_counter() - started, ran)
        description = stage.description(resources)
        if description is not None:
            report.pipelines[stage.name] = description


def _run_isolated(stage: Stage, resources: Resources, items: list[Work], report: ProcessReport) -> int:
    """The stage over the batch; when it raises, over each document alone, so that a document it
    fails on is recorded (its fields as before the stage) and the others keep their results.
    A store that cannot be written is not a document's fault: that stops the run."""
    if not items:
        return 0
    before = [(dict(w.fields), dict(w.fields["details"])) for w in items]
    tally: Counter = Counter()
    try:
        ran = stage.documents(resources, items, tally)
        report.add(tally)
        return len(items) if ran is None else ran
    except StoreError:
        raise
    except Exception:  # noqa: BLE001 - one of the documents: each is run alone below to find it
        log.debug("stage %s failed on a batch of %d; running its documents one by one",
                     stage.name, len(items), exc_info=True)
    for w, (fields, details) in zip(items, before):
        w.fields = {**fields, "details": dict(details)}
    ran = 0
    for w, (fields, details) in zip(items, before):
        tally = Counter()
        try:
            n = stage.documents(resources, [w], tally)
        except StoreError:
            raise
        except Exception as exc:
            w.fields = {**fields, "details": dict(details)}
            w.failed[stage.name] = f"{type(exc).__name__}: {exc}"[:500]
            report.failed[stage.name] = report.failed.get(stage.name, 0) + 1
            continue
        report.add(tally)
        ran += 1 if n is None else n
    return ran


# -- the runner ---------------------------------------------------------------------------------

class Runner:
    """The registry's stages, loaded once; feed it batches of stored documents."""

    def __init__(self, store, settings, translate_now: bool | None = None, scope: str | None = None,
                 workers: int = 1, force_translate: bool = False, registry: Registry = STAGES):
        """`workers` > 1 runs the stages that are pure functions of the text (and depend only on
        such stages) in that many processes; start them with `start_workers`. Worker processes
        run the stages of nlp.components.STAGES."""
        self.store = store
        self.settings = settings
        self.registry = registry
        self.analyses = Analyses(store)
        self.resources = Resources(settings, store, translate_now=translate_now,
                                   force_translate=force_translate, scope=scope)
        stages = [s for s in registry.ordered() if s.runs]
        portable: set[str] = set()
        for s in stages:
            if s.in_workers and all(d in portable or not registry.get(d).runs for d in registry.upstream(s.name)):
                portable.add(s.name)
        self.worker_stages = [s for s in stages if s.name in portable]
        self.here_stages = [s for s in stages if s.name not in portable]
        # Everything the stages load, now: a model or an entity list that cannot be read fails at
        # start rather than on the first document.
        self.resources.load(*(need for s in stages for need in s.needs))
        self.workers = max(1, workers) if self.worker_stages else 1
        self.pool = None

    def _worker_stage_names(self) -> str:
        names = [s.name for s in self.worker_stages]
        return ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]

    def describe_workers(self) -> str:
        return f"{self.workers} processes for {self._worker_stage_names()}"

    def start_workers(self) -> None:
        if self.workers > 1 and self.pool is None:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            # A worker that dies (out of memory, a model that fails to load) breaks the executor
            # with an error instead of being restarted forever, and the work falls back to this process.
            self.pool = ProcessPoolExecutor(
                self.workers, mp_context=multiprocessing.get_context("spawn"), initializer=_start_worker,
                initargs=(self.settings, [s.name for s in self.worker_stages]))

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None

    def _workers_failed(self, exc: Exception) -> None:
        log.warning("worker processes for %s failed (%s: %s); analysing the rest in this process",
                    self._worker_stage_names(), type(exc).__name__, exc)
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.pool = None

    def run_batch(self, docs: list, report: ProcessReport) -> None:
        works = self.plan(docs)
        if self.pool is not None:
            from concurrent.futures.process import BrokenProcessPool

            try:
                works = self._analyse_in_workers(works, report)
                self.finish(works, report)
                return
            except BrokenProcessPool as exc:
                self._workers_failed(exc)
        run_stages(self.resources, self.worker_stages, works, report)
        self.finish(works, report)

    def run_window(self, docs: list, report: ProcessReport, slice_size: int = 32, advance=None) -> None:
        """Many documents through the worker processes, slice by slice: while the workers analyse
        the next slices, this process translates, clusters and saves the ones that are done."""
        from concurrent.futures.process import BrokenProcessPool

        works = self.plan(docs)
        slices = [works[i:i + slice_size] for i in range(0, len(works), slice_size)]
        finished = 0
        try:
            for done, part in self.pool.map(_analyse_in_worker, slices):
                report.merge(part)
                self.finish(done, report)
                finished += 1
                if advance:
                    advance(len(done))
        except BrokenProcessPool as exc:
            self._workers_failed(exc)
            for left in slices[finished:]:
                run_stages(self.resources, self.worker_stages, left, report)
                self.finish(left, report)
                if advance:
                    advance(len(left))

    def plan(self, docs: list) -> list[Work]:
        """Each document with the stages due on it and its fields as stored."""
        stored = self.analyses.stored([d.id for d in docs])
        works = []
        for doc in docs:
            previous = stored.get(doc.id, {})
            changed = previous.get("content_hash") not in (None, doc.content_hash)
            works.append(Work(doc, self.registry.behind(doc.analysis_version, changed), _current(doc, previous)))
        wanted = [s for s in self.registry.ordered() if s.also_when is not None]
        for w in works:
            extra = {s.name for s in wanted if s.name not in w.todo and s.also_when(self.resources, w)}
            if extra:
                w.todo |= self.registry.dependents(extra) & self.registry.runnable()
        return works

    def _analyse_in_workers(self, works: list[Work], report: ProcessReport) -> list[Work]:
        """The worker stages of a batch spread over the worker processes, in slices."""
        size = max(1, -(-len(works) // self.workers))
        slices = [works[i:i + size] for i in range(0, len(works), size)]
        out = []
        for done, part in self.pool.map(_analyse_in_worker, slices):
            out.extend(done)
            report.merge(part)
        return out

    def finish(self, works: list[Work], report: ProcessReport) -> None:
        """The stages that use the store (in this process), then each document saved."""
        run_stages(self.resources, self.here_stages, works, report)
        self.save(works, report)

    def save(self, works: list[Work], report: ProcessReport) -> None:
        version = self.registry.version()
        for w in works:
            details = w.fields["details"]
            details["content_hash"] = w.doc.content_hash
            details["stages_run"] = sorted(w.todo)
            if w.failed:
                details["stage_errors"] = dict(w.failed)
                for stage, why in w.failed.items():
                    if not why.startswith("not run:"):
                        log.warning("stage %s failed on document %s (%s); its other results are saved and "
                                    "the next `parallax process` tries it again", stage, w.doc.id, why)
            else:
                details.pop("stage_errors", None)
            done_at = self.registry.version(leave_out=set(w.failed)) if w.failed else version
            self.analyses.save(w.doc.id, w.doc.content_hash, done_at, **w.fields)
            report.processed += 1


def _current(doc, stored: dict) -> dict:
    """The analysis fields as stored, to keep where a stage does not run again. The index terms
    of an older text lose their form: should the stage fail on the new text, the index works the
    terms out itself instead of indexing the old text's."""
    same_text = stored.get("content_hash") == doc.content_hash
    return {
        "lang": doc.lang, "script": doc.script, "title_seg": doc.title_seg, "body_seg": doc.body_seg,
        "entities": list(doc.entities), "title_tr": doc.title_tr, "body_tr": doc.body_tr,
        "translation_model": doc.translation_model, "cluster_id": doc.cluster_id,
        "terms_table": stored.get("terms_table") if same_text else None,
        "details": dict(stored.get("details", {})),
    }


# -- worker processes ---------------------------------------------------------------------------

_WORKER: dict = {}


def _start_worker(settings, stage_names: list[str]) -> None:
    stages = [STAGES.get(name) for name in stage_names]
    resources = Resources(settings)
    resources.load(*(need for s in stages for need in s.needs))
    _WORKER.update(resources=resources, stages=stages)


def _analyse_in_worker(works: list[Work]):
    part = ProcessReport()
    run_stages(_WORKER["resources"], _WORKER["stages"], works, part)
    return works, part


# -- the whole backlog --------------------------------------------------------------------------

def _run(runner: Runner, docs: list, report: ProcessReport, advance) -> None:
    if runner.pool is None:
        runner.run_batch(docs, report)
        if advance:
            advance(len(docs))
    else:
        runner.run_window(docs, report, advance=advance)


def process(store, settings, progress=None, batch: int = 64, translate_now: bool | None = None,
            fill_translations: bool = False, scope: str | None = None) -> ProcessReport:
    """Bring every document's analysis up to date; `fill_translations` also translates those left
    untranslated earlier (`parallax process --translate`), and with `scope="full"` the whole text
    of those translated only in part (`--translate --scope full`)."""
    from nlp import terms
    from nlp.phrases import table_for

    version = pipeline_version()
    where, args = behind_condition(version, retranslate=fill_translations, scope=scope,
                                   terms_form=terms.fingerprint(table_for(settings.nlp.entities_file or "")))
    total = store.count_documents(where, args)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    workers = settings.nlp.workers or cores
    # Starting a worker loads every model again (a few seconds): only worth it for a larger backlog.
    if total < max(1, POOL_MIN_DOCUMENTS):
        workers = 1
    runner = Runner(store, settings, True if fill_translations else translate_now, scope, workers=workers,
                    force_translate=fill_translations)
    report = ProcessReport()
    for stage in runner.registry.ordered():
        description = stage.description(runner.resources)
        if description is not None:
            report.pipelines[stage.name] = description
    if runner.workers > 1:
        report.pipelines["workers"] = runner.describe_workers()
    if progress:
        progress.start("process", total)
    advance = progress.advance if progress else None
    window = batch * runner.workers * 4 if runner.workers > 1 else batch
    runner.start_workers()
    try:
        pending: list = []
        for doc in store.iter_documents(where, args, batch=batch):
            pending.append(doc)
            if len(pending) >= window:
                _run(runner, pending, report, advance)
                pending = []
        if pending:
            _run(runner, pending, report, advance)
    finally:
        runner.close()
    if progress:
        progress.finish()
    report.skipped = store.count_documents() - report.processed
    return report
