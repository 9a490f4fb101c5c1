"""Stores for the benchmarks: a fresh one for the measured pipeline, cached ones for the search tiers.

The measured run goes through the project's own stages on a fresh store in a temporary directory
(`Store.upsert_document` → `nlp.pipeline.process` → `TantivyBackend.sync`). The search tiers (10k,
100k, 1M documents) need an indexed data directory of that size (store + tantivy index); building
one costs minutes (most of an hour at 1M on two shared cores), so each is built once and cached
under `benchmarks/corpus/`, named for the corpus, the size, the pipeline's version and the store's
migrations. A bigger tier starts from a copy of the biggest smaller one and lets the incremental
stages add the rest, which is how a real installation grows. The analysis of a tier runs the
pipeline's stage functions in one process per core; the near-duplicate clusters are the corpus's
own (each republished copy with its original), so collapsing has real work; the index is filled by
the library's own `TantivyBackend.sync`, whose rate is reported.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import multiprocessing
import os
import shutil
import time
from pathlib import Path
from typing import Callable, Iterable

from benchmarks.corpus import SOURCES, Corpus, CorpusDocument
from index.document import Document, document_id
from index.migrations import MIGRATIONS, RENAMED
from index.store import Store
from index.tantivy_schema import SCHEMA_VERSION


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


def index_size(data_dir: Path) -> int:
    """Bytes of the tantivy index directory (every generation in it)."""
    root = Path(data_dir) / "index"
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file()) if root.exists() else 0


def settings_for(data_dir: Path):
    from parallax.settings import load_settings

    return load_settings(env={}, overrides={"data_dir": str(data_dir)})


def assign_clusters(store: Store, corpus: Corpus, n: int) -> int:
    """Put each republished copy in one cluster with its original (following chains of copies),
    as the near-duplicate stage would: a document whose cluster changes gets a new `processed_at`,
    so the next sync re-indexes it. Returns how many documents are in clusters."""
    from nlp.analyses import Analyses

    root: dict[int, int] = {}
    rows = []
    for doc in corpus.documents(n, 0):
        if doc.duplicate_of is not None:
            root[doc.i] = root.get(doc.duplicate_of, doc.duplicate_of)
            rows.append((f"bench-{root[doc.i]}", document_id(doc.url)))
    origins = set(root.values())
    rows += [(f"bench-{d.i}", document_id(d.url)) for d in corpus.documents(n, 0) if d.i in origins]
    Analyses(store).assign_clusters(rows)
    return len(rows)


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
    from nlp.analyses import Analyses
    from nlp.pipeline import behind_condition, pipeline_version

    segment.tokenizer()  # load the dictionary once, before forking
    version = pipeline_version()
    where, args = behind_condition(version)
    started, count = time.perf_counter(), 0
    documents = store.iter_documents(where, args, batch=2000)
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(workers) as pool:
        # A window of documents at a time, so a 1M-document tier never sits in memory at once.
        while docs := list(itertools.islice(documents, 20 * batch)):
            chunks = [docs[i:i + batch] for i in range(0, len(docs), batch)]
            for results in pool.imap(_analyse_batch, chunks):
                for doc_id, digest, fields in results:
                    Analyses(store).save(doc_id, digest, version, **fields)
                    count += 1
    return count, time.perf_counter() - started


def tier_key() -> str:
    from nlp.pipeline import pipeline_version

    # The schema by the names its migrations first shipped under (`RENAMED`), so tier stores built
    # before the renumbering (their bookkeeping is renamed on open) are still found.
    shipped = {new: old for old, new in RENAMED.items()}
    names = ",".join(shipped.get(name, name) for name, _ in MIGRATIONS)
    text = pipeline_version() + "|" + names + f"|tantivy{SCHEMA_VERSION}"
    return hashlib.sha1(text.encode()).hexdigest()[:8]


def tier_store(corpus: Corpus, n: int, say: Callable[[str], None], rebuild: bool = False) -> tuple[Path, dict]:
    """The data directory (store + index) of the corpus's first n documents, and how it was built."""
    key = tier_key()
    stem = f"tier-{corpus.path.stem}-{key}"
    path = corpus.path.parent / f"{stem}-n{n}"
    info_path = path.with_suffix(".json")
    if path.exists() and info_path.exists() and not rebuild:
        info = json.loads(info_path.read_text())
        return path, {**info, "cached": True}
    shutil.rmtree(path, ignore_errors=True)
    info_path.unlink(missing_ok=True)
    smaller = sorted((int(p.name.rsplit("-n", 1)[1]), p)
                     for p in corpus.path.parent.glob(f"{stem}-n*") if p.is_dir()
                     and p.with_suffix(".json").exists() and int(p.name.rsplit("-n", 1)[1]) < n)
    start = 0
    if smaller and not rebuild:
        start, base = smaller[-1]
        shutil.copytree(base, path)
        say(f"  tier {n:,}: starting from the cached {start:,}-document data directory")
    path.mkdir(parents=True, exist_ok=True)
    corpus.ensure(n)
    workers = max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)
    settings = settings_for(path)
    with open_store(settings.store_path) as store:
        say(f"  tier {n:,}: storing documents {start:,}..{n:,}")
        stored, ingest_s = ingest(store, corpus.documents(n - start, start))
        say(f"  tier {n:,}: analysing {stored:,} documents in {workers} processes")
        analysed, analyse_s = analyse_parallel(store, workers)
        clustered = assign_clusters(store, corpus, n)
        say(f"  tier {n:,}: indexing ({clustered:,} documents in near-duplicate clusters)")
        from index.tantivy import TantivyBackend

        backend = TantivyBackend(settings, store)
        started = time.perf_counter()
        counts = backend.sync()
        sync_s = time.perf_counter() - started
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    info = {
        "documents": n, "added": stored, "started_from": start, "workers": workers,
        "ingest_docs_per_s": stored / ingest_s if ingest_s else None,
        "analyse_docs_per_s": analysed / analyse_s if analyse_s else None,
        "index_docs_per_s": counts["indexed"] / sync_s if sync_s else None,
        "indexed_with": "TantivyBackend.sync", "in_clusters": clustered,
        "index_seconds": sync_s, "indexed": counts["indexed"],
        "file_bytes": store_size(settings.store_path), "index_bytes": index_size(path),
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    info_path.write_text(json.dumps(info, indent=2))
    return path, {**info, "cached": False}


def raw_index_seconds(store: Store, directory: Path) -> tuple[int, float]:
    """Raw tantivy indexing the same documents: tantivy `Document`s built beforehand (untimed),
    then added to a fresh index with the backend's writer settings and committed once."""
    import tantivy

    from index.holdings import Holdings
    from index.tantivy import WRITER_HEAP
    from index.tantivy_schema import build_schema, register, to_document

    docs = [to_document(row) for row in Holdings(store).behind(0, 0, 10 ** 9)]
    directory.mkdir(parents=True, exist_ok=True)
    index = tantivy.Index(build_schema(), path=str(directory), reuse=False)
    register(index)
    writer = index.writer(heap_size=WRITER_HEAP, num_threads=2)
    started = time.perf_counter()
    for doc in docs:
        writer.add_document(doc)
    writer.commit()
    writer.wait_merging_threads()
    return len(docs), time.perf_counter() - started
