"""Stores for the benchmarks: a fresh one for the measured pipeline, cached ones for the search tiers.

The measured run goes through the project's own stages on a fresh store in a temporary directory
(`Store.upsert_document` → `nlp.pipeline.process` → `SqliteBackend.sync`). The search tiers (10k,
100k, 1M documents) need an indexed store of that size; building one costs minutes (hours at 1M), so
each is built once and cached under `benchmarks/corpus/`, named for the corpus, the size, the
pipeline's version and the store's migrations. A bigger tier starts from a copy of the biggest
smaller one and lets the incremental stages add the rest, which is how a real installation grows.
The analysis of a tier runs `nlp.pipeline.analyse` in one process per core; the measured pipeline
run stays single-process, as `parallax process` is. Tiers are indexed by `NewDocumentsFirstBackend`
(below): the library's own `SqliteBackend.sync` is quadratic in the index size and would take hours
at 100k documents; its real figure is measured in the pipeline section.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import shutil
import time
from pathlib import Path
from typing import Callable, Iterable

from benchmarks.corpus import SOURCES, Corpus, CorpusDocument
from index.document import Document
from index.sqlite import SqliteBackend
from index.store import MIGRATIONS, Store


class NewDocumentsFirstBackend(SqliteBackend):
    """`SqliteBackend` with one change, to measure a proposed fix: a document that has no index
    entry yet has nothing to delete, so its FTS5 delete is skipped.

    `SqliteBackend._delete` runs `DELETE FROM doc_fts WHERE doc_id = ?` before every insert;
    `doc_id` is an UNINDEXED column, so each delete scans the whole FTS5 table and indexing N new
    documents costs O(N^2). Everything else (what is written, in which transaction) is the
    library's own `_write`.
    """

    def _delete(self, doc_id: str) -> None:
        known = self.conn.execute("SELECT 1 FROM index_state WHERE doc_id = ?", (doc_id,)).fetchone()
        if known is not None:
            super()._delete(doc_id)


def to_document(doc: CorpusDocument) -> Document:
    return Document(url=doc.url, source_id=doc.source_id, title=doc.title, body=doc.body,
                    published_at=doc.published_at, declared_lang=doc.lang, kind=doc.kind,
                    country=doc.country, encoding="utf-8")


def open_store(path: Path) -> Store:
    store = Store(path)
    for source in SOURCES:
        store.upsert_source(source)
    return store


def ingest(store: Store, docs: Iterable[CorpusDocument]) -> tuple[int, float]:
    started, count = time.perf_counter(), 0
    for doc in docs:
        store.upsert_document(to_document(doc))
        count += 1
    return count, time.perf_counter() - started


def store_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*") if p.is_file())


def fts_size(store: Store) -> int | None:
    """Bytes in the FTS5 index's shadow tables (dbstat is compiled into Debian's SQLite)."""
    try:
        row = store.conn.execute(
            "SELECT SUM(pgsize) FROM dbstat WHERE name LIKE 'doc_fts%' OR name LIKE 'doc_entities%' "
            "OR name LIKE 'index_state%' OR name LIKE 'sqlite_autoindex_index_state%'").fetchone()
        return row[0]
    except Exception:  # dbstat missing in this SQLite build: the size is reported as unknown
        return None


# -- the parallel analysis used for cached tiers --------------------------------------------------

def _analyse_batch(docs):
    """The fields search needs (language, script, segmented text), computed by the pipeline's own
    stage functions. Cached search tiers skip entities, translation and clustering: at 100k+
    documents those would take the default run past its time budget, and search latency is what
    the tiers measure (entity facets and cluster collapsing then have little to do: say so in
    results)."""
    from nlp import langid, segment

    out = []
    for d in docs:
        lang = langid.detect(d.title + "\n" + "\n".join(d.paragraphs[:3])) or d.declared_lang
        out.append((d.id, d.content_hash, {
            "lang": lang, "script": langid.script(d.title + d.body) if lang == "zh" else None,
            "title_seg": segment.index_text(d.title), "body_seg": segment.index_text(d.body),
        }))
    return out


def analyse_parallel(store: Store, workers: int, batch: int = 200) -> tuple[int, float]:
    """Bring every behind document's analysis up to date using `workers` processes."""
    from nlp import segment
    from nlp.pipeline import behind_condition, pipeline_version

    segment.tokenizer()  # load the dictionary once, before forking
    version = pipeline_version()
    where, args = behind_condition(version)
    started, count = time.perf_counter(), 0
    docs = list(store.iter_documents(where, args, batch=2000))
    chunks = [docs[i:i + batch] for i in range(0, len(docs), batch)]
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(workers) as pool:
        for results in pool.imap(_analyse_batch, chunks):
            for doc_id, digest, fields in results:
                store.save_analysis(doc_id, digest, version, **fields)
                count += 1
    return count, time.perf_counter() - started


def tier_key() -> str:
    from nlp.pipeline import pipeline_version

    text = pipeline_version() + "|" + ",".join(name for name, _ in MIGRATIONS)
    return hashlib.sha1(text.encode()).hexdigest()[:8]


def tier_store(corpus: Corpus, n: int, say: Callable[[str], None], rebuild: bool = False) -> tuple[Path, dict]:
    """The path of an indexed store of the corpus's first n documents, and how it was built."""
    key = tier_key()
    stem = f"tier-{corpus.path.stem}-{key}"
    path = corpus.path.parent / f"{stem}-n{n}.sqlite"
    info_path = path.with_suffix(".json")
    if path.exists() and info_path.exists() and not rebuild:
        info = json.loads(info_path.read_text())
        return path, {**info, "cached": True}
    for stale in corpus.path.parent.glob(path.name + "*"):
        stale.unlink()
    smaller = sorted((int(p.stem.rsplit("-n", 1)[1]), p)
                     for p in corpus.path.parent.glob(f"{stem}-n*.sqlite")
                     if p.with_suffix(".json").exists() and int(p.stem.rsplit("-n", 1)[1]) < n)
    start = 0
    if smaller and not rebuild:
        start, base = smaller[-1]
        shutil.copyfile(base, path)
        say(f"  tier {n:,}: starting from the cached {start:,}-document store")
    corpus.ensure(n)
    workers = max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)
    with open_store(path) as store:
        say(f"  tier {n:,}: storing documents {start:,}..{n:,}")
        stored, ingest_s = ingest(store, corpus.documents(n - start, start))
        say(f"  tier {n:,}: analysing {stored:,} documents in {workers} processes")
        analysed, analyse_s = analyse_parallel(store, workers)
        say(f"  tier {n:,}: indexing")
        started = time.perf_counter()
        counts = NewDocumentsFirstBackend(store).sync()
        sync_s = time.perf_counter() - started
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        fts = fts_size(store)
    info = {
        "documents": n, "added": stored, "started_from": start, "workers": workers,
        "ingest_docs_per_s": stored / ingest_s if ingest_s else None,
        "analyse_docs_per_s": analysed / analyse_s if analyse_s else None,
        "index_docs_per_s": counts["indexed"] / sync_s if sync_s else None,
        "indexed_with": "NewDocumentsFirstBackend (SqliteBackend with the proposed _delete fix)",
        "index_seconds": sync_s, "indexed": counts["indexed"],
        "file_bytes": store_size(path), "index_bytes": fts,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    info_path.write_text(json.dumps(info, indent=2))
    return path, {**info, "cached": False}
