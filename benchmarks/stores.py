"""Stores for the benchmarks: a fresh one for the measured pipeline, cached ones for the search tiers.

The measured run goes through the project's own stages on a fresh store in a temporary directory
(`Store.upsert_document` → `nlp.pipeline.process` → `TantivyBackend.sync`). The search tiers (10k,
100k, 1M documents) need an indexed data directory of that size (store + tantivy index); building
one costs minutes (see the README's Performance note on the 1M build), so each is built once and
cached under `benchmarks/corpus/`, named for the corpus, the size, the pipeline's version and the
store's migrations (not the index schema: a cached tier's index is brought up to date by the
sync). A bigger tier starts from a copy of the biggest smaller store and adds the rest, which is
how a real installation grows. Documents go in with their segmentation in bulk (`add_analysed`:
the store's own rows, the segmentation in one process per core); the near-duplicate clusters are
the corpus's own (each republished copy with its original), so collapsing has real work; the index
is built by the library's own `TantivyBackend.rebuild` (a cached tier's is kept up to date by
`TantivyBackend.sync`), whose rate is reported.
"""

from __future__ import annotations

import collections
import hashlib
import itertools
import json
import multiprocessing
import shutil
import time
from pathlib import Path
from typing import Callable, Iterable

from benchmarks.corpus import SOURCES, Corpus, CorpusDocument, usable_cores
from index.document import Document, document_id, utc_now
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
    urls: dict[int, str] = {}
    rows = []
    for i, url, duplicate_of in corpus.lineage(n):
        urls[i] = url
        if duplicate_of is not None:
            root[i] = root.get(duplicate_of, duplicate_of)
            rows.append((f"bench-{root[i]}", document_id(url)))
    rows += [(f"bench-{i}", document_id(urls[i])) for i in sorted(set(root.values()))]
    Analyses(store).assign_clusters(rows)
    return len(rows)


# -- the bulk build used for cached tiers -----------------------------------------------------

_DOCUMENT_INSERT = (
    "INSERT INTO documents (url, source_id, kind, country, declared_lang, title, body, author, "
    "published_at, encoding, raw_html, content_hash, status, error, fetched_at, updated_at, seq, "
    "first_seen_at, id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
_VERSION_INSERT = (
    "INSERT INTO document_versions (doc_id, version, content_hash, title, body, published_at, fetched_at) "
    "VALUES (?, 1, ?, ?, ?, ?, ?)")
_SCRIPT = {s.id: ("Hant" if s.traditional else "Hans") if s.language == "zh" else None for s in SOURCES}


def _analysed_rows(job: tuple[list[CorpusDocument], int, str]) -> list[tuple[tuple, tuple, tuple]]:
    """The rows of a chunk of new documents, built in a worker process: (documents row,
    document_versions row, analysis row) of each, numbered from `seq` on and stamped `now`. The
    segmentation is the language stage's own `nlp.segment.index_text` (what the index is fed, so
    the tier's index is the one a real store would get), and so are the index's terms worked out
    from it (`nlp.terms`)."""
    from nlp import segment, terms
    from nlp.phrases import table_for

    docs, seq, now = job
    phrases = table_for("")
    out = []
    for d in docs:
        doc = to_document(d)
        doc_id, digest = doc.id, doc.content_hash
        title, body = segment.index_text(d.title), segment.index_text(d.body)
        seq += 1
        out.append(((doc.url, doc.source_id, doc.kind, doc.country, doc.declared_lang, doc.title, doc.body,
                     doc.author, doc.published_at, doc.encoding, None, digest, doc.status, doc.error,
                     doc.fetched_at, now, seq, now, doc_id),
                    (doc_id, digest, doc.title, doc.body, doc.published_at, doc.fetched_at),
                    (doc_id, digest, d.lang, _SCRIPT.get(d.source_id), title, body,
                     terms.indexed(title, phrases), terms.indexed(body, phrases), terms.fingerprint(phrases))))
    return out


# While a tier is built: a page cache that holds the id indexes of a million documents (the
# default 2 MB makes every insert a read from disk once the file outgrows the OS cache), and no
# fsync per commit (a tier whose build stops half-way has no info file and is built again).
_BULK_PRAGMAS = {"cache_size": -1_000_000, "synchronous": "OFF", "temp_store": "MEMORY"}


def add_analysed(store: Store, docs: Iterable[CorpusDocument], workers: int,
                 batch: int = 500, window: int = 10_000) -> tuple[int, float]:
    """Store new documents with their analyses, in bulk: the rows `Store.upsert_document` writes
    for a new document (documents, document_versions) and the analysis the language stage would
    save (`Analyses.save_many`), in one transaction per `window` documents.

    Why not the pipeline: at a million documents the stages take hours (entities above all), and
    the tiers measure search. So the analysis is lean: the language is the one the generator
    wrote (it is exact; language identification is measured in the stages section), the script
    follows the source, segmentation is the stage's own code, and entities, translation and
    clustering are left out (the corpus's own near-duplicate clusters are set by
    `assign_clusters`). The analyses carry the pipeline's version, so `parallax process` sees
    nothing to do.

    Why this shape: on two cores the segmentation is the work, so `workers` processes build the
    rows (segmentation and per-row Python both) of `batch`-document chunks while this process
    only writes; a bounded number of chunks is in flight, so the workers segment the next
    window while the last one is written, and a 1M-document tier never sits in memory at once.
    Returns (documents added, seconds)."""
    from nlp import segment
    from nlp.analyses import Analyses
    from nlp.pipeline import pipeline_version

    segment.tokenizer()  # load the dictionary once, before forking
    version = pipeline_version()
    started, count = time.perf_counter(), 0
    seq = store.conn.execute("SELECT COALESCE(MAX(seq), 0) FROM documents").fetchone()[0]
    before = {name: store.conn.execute(f"PRAGMA {name}").fetchone()[0] for name in _BULK_PRAGMAS}
    for name, value in _BULK_PRAGMAS.items():
        store.conn.execute(f"PRAGMA {name} = {value}")
    docs = iter(docs)
    per_window = max(1, window // batch)
    ctx = multiprocessing.get_context("fork")
    try:
        with ctx.Pool(workers) as pool:
            pending: collections.deque = collections.deque()

            def submit() -> bool:
                nonlocal seq
                chunk = list(itertools.islice(docs, batch))
                if chunk:
                    pending.append(pool.apply_async(_analysed_rows, ((chunk, seq, utc_now()),)))
                    seq += len(chunk)
                return bool(chunk)

            more = True
            while more and len(pending) < 2 * per_window:
                more = submit()
            while pending:
                rows = []
                for _ in range(min(per_window, len(pending))):
                    rows += pending.popleft().get()
                    if more:
                        more = submit()
                # By document id: the inserts into the id indexes then walk them in order.
                rows.sort(key=lambda r: r[1][0])
                with store.transaction():
                    store.conn.executemany(_DOCUMENT_INSERT, [r[0] for r in rows])
                    store.conn.executemany(_VERSION_INSERT, [r[1] for r in rows])
                    Analyses(store).save_many((r[2] for r in rows), version)
                count += len(rows)
    finally:
        for name, value in before.items():
            store.conn.execute(f"PRAGMA {name} = {value}")
    return count, time.perf_counter() - started


def _sync(data_dir: Path, rebuild: bool = False) -> dict:
    """The library's own `TantivyBackend.sync` over a tier's data directory, timed; or, for a
    tier built now, `TantivyBackend.rebuild` (`parallax index --rebuild`): a tier that grew from a
    smaller one by 900,000 documents is a bulk load, and a sync would index them as a running
    installation does, a commit and a delete per document for every batch (at ~3,000 docs/s, a
    third of the rebuild's rate). The sync of a running installation is measured in the pipeline
    and indexing sections."""
    from index.tantivy import TantivyBackend

    settings = settings_for(data_dir)
    with Store(settings.store_path) as store:
        backend = TantivyBackend(settings, store)
        started, cpu = time.perf_counter(), time.process_time()
        counts = backend.rebuild() if rebuild else backend.sync()
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return {"index_docs_per_s": counts["indexed"] / seconds if counts["indexed"] else None,
            "indexed_with": f"TantivyBackend.{'rebuild' if rebuild else 'sync'}", "index_seconds": seconds,
            "index_cpu_seconds": cpu,
            "indexed": counts["indexed"],
            "index_bytes": index_size(data_dir), "index_schema": SCHEMA_VERSION}


def tier_key() -> str:
    """The store's part of a tier's name: the pipeline's version and the store's migrations. The
    index schema is not in it: a cached tier whose index is of another schema version is brought
    up to date by the sync (`_sync`), from the cached store."""
    from nlp.pipeline import pipeline_version

    # The schema by the names its migrations first shipped under (`RENAMED`), so tier stores built
    # before the renumbering (their bookkeeping is renamed on open) are still found.
    shipped = {new: old for old, new in RENAMED.items()}
    text = pipeline_version() + "|" + ",".join(shipped.get(name, name) for name, _ in MIGRATIONS)
    return hashlib.sha1(text.encode()).hexdigest()[:8]


def tier_store(corpus: Corpus, n: int, say: Callable[[str], None], rebuild: bool = False) -> tuple[Path, dict]:
    """The data directory (store + index) of the corpus's first n documents, and how it was built."""
    key = tier_key()
    stem = f"tier-{corpus.path.stem}-{key}"
    path = corpus.path.parent / f"{stem}-n{n}"
    info_path = path.with_suffix(".json")
    if path.exists() and info_path.exists() and not rebuild:
        info = json.loads(info_path.read_text())
        synced = _sync(path)  # an index of another schema version is rebuilt, from the cached store
        if synced["indexed"]:
            say(f"  tier {n:,}: the cached index was behind; {synced['indexed']:,} documents indexed")
            info.update(synced)
            info_path.write_text(json.dumps(info, indent=2))
        return path, {**info, "cached": True}
    shutil.rmtree(path, ignore_errors=True)
    info_path.unlink(missing_ok=True)
    smaller = sorted((int(p.name.rsplit("-n", 1)[1]), p)
                     for p in corpus.path.parent.glob(f"{stem}-n*") if p.is_dir()
                     and p.with_suffix(".json").exists() and int(p.name.rsplit("-n", 1)[1]) < n)
    start = 0
    if smaller and not rebuild:
        start, base = smaller[-1]
        shutil.copytree(base, path, ignore=shutil.ignore_patterns("index"))  # rebuilt below
        say(f"  tier {n:,}: starting from the cached {start:,}-document data directory")
    path.mkdir(parents=True, exist_ok=True)
    corpus.ensure(n)
    workers = usable_cores()
    settings = settings_for(path)
    with open_store(settings.store_path) as store:
        say(f"  tier {n:,}: storing and segmenting documents {start:,}..{n:,} in {workers} processes")
        stored, build_s = add_analysed(store, corpus.documents(n - start, start), workers)
        clustered = assign_clusters(store, corpus, n)
        say(f"  tier {n:,}: indexing ({clustered:,} documents in near-duplicate clusters)")
    synced = _sync(path, rebuild=True)
    info = {
        "documents": n, "added": stored, "started_from": start, "workers": workers,
        "analyse_docs_per_s": stored / build_s if build_s else None,
        "analysed_with": "benchmarks.stores.add_analysed (bulk rows, nlp.segment.index_text)",
        **synced, "in_clusters": clustered, "file_bytes": store_size(settings.store_path),
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    info_path.write_text(json.dumps(info, indent=2))
    return path, {**info, "cached": False}


def raw_index_seconds(store: Store, directory: Path) -> tuple[int, float, float]:
    """Raw tantivy indexing the same documents: tantivy `Document`s built beforehand (untimed),
    then added to a fresh index with the backend's writer settings and committed once.
    Returns (documents, seconds, CPU seconds of the process, the engine's threads included)."""
    import tantivy

    from index.holdings import Holdings
    from nlp.phrases import table_for
    from index.tantivy import WRITER_HEAP, WRITER_THREADS
    from index.tantivy_schema import build_schema, register, to_document
    from nlp import terms

    phrases = table_for("")
    docs = [to_document(row, phrases) for row in Holdings(store).behind(0, 0, 10 ** 9, terms.fingerprint(phrases))]
    directory.mkdir(parents=True, exist_ok=True)
    index = tantivy.Index(build_schema(), path=str(directory), reuse=False)
    register(index)
    writer = index.writer(heap_size=WRITER_HEAP, num_threads=WRITER_THREADS)
    started, cpu = time.perf_counter(), time.process_time()
    for doc in docs:
        writer.add_document(doc)
    writer.commit()
    writer.wait_merging_threads()
    return len(docs), time.perf_counter() - started, time.process_time() - cpu
