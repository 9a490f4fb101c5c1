"""The embedded search backend: a tantivy index in `$PARALLAX_DATA_DIR/index/`, derived from the store.

Layout: one directory per *generation* (`index/000001/`, …); the store says which one is live
(`index.holdings`). `sync` updates the live generation in batches (delete the id, add the
document, commit, then record the batch in the store); `rebuild` fills a new generation and
swaps it in with one store transaction, so searches keep using the old one until that moment and
the new one from the next search on. One writer at a time (a lock file beside the generations);
any number of readers, in any process, which reload when the store's commit count moves.

A result page is built from few passes over the index (see `index.tantivy_page`): the top hits
and the exact document count in one search, the story count, every facet and the timeline in one
aggregation (over a sample of clusters when the result set is huge), and, only when the matches
already collected do not settle it, one small search to find the earliest matching member of the
clusters shown. The open index and its reader are kept between searches and reloaded only when a
writer committed.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import shutil
from pathlib import Path
from typing import Iterator

from index.holdings import Holdings
from index.search import Attention, Matches, SearchRequest, SearchResult, check_attention, check_request, prepare
from index.tantivy_compile import compile_request
from index.tantivy_schema import SCHEMA_VERSION, build_schema, register, to_document
from nlp import terms
from nlp.phrases import EMPTY, PhraseTable, table_for
from parallax.errors import BackendUnavailable

WRITER_HEAP = 200_000_000
WRITER_THREADS = 2
MARKER = "parallax-index.json"

log = logging.getLogger(__name__)


def _generation_dir(root: Path, generation: int) -> Path:
    return root / f"{generation:06d}"


class TantivyBackend:
    name = "tantivy"

    def __init__(self, settings, store):
        self.settings = settings
        self.store = store
        self.root = Path(settings.data_dir) / "index"
        self.holdings = Holdings(store)
        self._index = None
        self._phrases = EMPTY  # the live generation's phrase table
        self._generation = -1
        self._commits = -1
        self._split_at = None  # ((generation, commits), split point) of the live index

    # -- opening --------------------------------------------------------------------------------

    @staticmethod
    def _open(path: Path, phrases: PhraseTable | None = None):
        """The generation's index and the phrase table it is marked with; with `phrases`, a new
        generation marked with that table."""
        import tantivy

        if phrases is not None:
            path.mkdir(parents=True, exist_ok=True)
            index = tantivy.Index(build_schema(), path=str(path), reuse=False)
            (path / MARKER).write_text(json.dumps({"schema": SCHEMA_VERSION, "phrases": phrases.to_json()},
                                                  ensure_ascii=False))
        else:
            index = tantivy.Index.open(str(path))
            phrases = PhraseTable.from_json(json.loads((path / MARKER).read_text(encoding="utf-8")).get("phrases"))
        register(index)
        return index, phrases

    @staticmethod
    def _current(path: Path) -> bool:
        """Whether a generation directory holds a complete index of this schema version."""
        try:
            return json.loads((path / MARKER).read_text()).get("schema") == SCHEMA_VERSION \
                and (path / "meta.json").is_file()
        except (OSError, ValueError):
            return False

    def searcher(self):
        """The live generation's searcher, reloaded if a writer committed since the last call;
        None when no index has been built yet."""
        generation, commits = self.holdings.live()
        if generation == 0:
            return None
        if generation != self._generation:
            path = _generation_dir(self.root, generation)
            if not self._current(path):
                raise BackendUnavailable(
                    f"the search index in {self.root} is missing or was built by another version of "
                    "Parallax; run `parallax index --rebuild`")
            self._index, self._phrases = self._open(path)
            self._generation, self._commits = generation, commits
        elif commits != self._commits:
            self._index.reload()
            self._commits = commits
        return self._index.searcher()

    @contextlib.contextmanager
    def _writing(self):
        """The one-writer lock (released by the OS if the process dies, so a kill -9 never
        leaves the index locked)."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / "writer.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    # -- indexing -------------------------------------------------------------------------------

    def pending(self) -> int:
        generation, _ = self.holdings.live()
        return self.holdings.pending(generation)

    def indexed_through(self) -> int:
        generation, _ = self.holdings.live()
        return self.holdings.indexed_through(generation)

    def sync(self, store=None, progress=None) -> dict[str, int]:
        """Index every analysed document the live generation lacks or holds in an older form, and
        drop those gone from the store; commit per batch (a crash loses at most the batch).

        A generation marked with another lexicon's phrases (`nlp.entities_file` edited since it
        was built) is rebuilt instead: its marks lack the new phrases, so queries for them would
        check word positions, and every document the language stage re-analysed for the edit
        would be analysed again here for the old table."""
        with self._writing():
            generation, _ = self.holdings.live()
            path = _generation_dir(self.root, generation)
            if generation == 0 or not self._current(path):
                return self._build(progress)
            index, phrases = self._open(path)
            if phrases.fingerprint != table_for(self.settings.nlp.entities_file or "").fingerprint:
                log.info("the lexicon's phrases changed since the search index was built "
                         "(nlp.entities_file); rebuilding it, searches keep using the old one meanwhile")
                return self._build(progress)
            return self._fill(index, phrases, generation, progress)

    def rebuild(self, store=None, progress=None) -> dict[str, int]:
        """Build a new generation from the store and swap it in; searches keep working meanwhile."""
        with self._writing():
            return self._build(progress)

    def _build(self, progress) -> dict[str, int]:
        live, _ = self.holdings.live()
        taken = [int(p.name) for p in self.root.iterdir() if p.is_dir() and p.name.isdigit()]
        generation = max([live, *taken]) + 1
        path = _generation_dir(self.root, generation)
        shutil.rmtree(path, ignore_errors=True)
        self.holdings.clear(generation)
        phrases = table_for(self.settings.nlp.entities_file or "")
        counts = self._fill(*self._open(path, phrases), generation, progress, fresh=True)
        self.holdings.swap(generation)
        # Keep the generation just replaced: a reader in the middle of a search may still use it.
        for old in taken:
            if old not in (generation, live):
                shutil.rmtree(_generation_dir(self.root, old), ignore_errors=True)
        return counts

    def _fill(self, index, phrases, generation: int, progress, fresh: bool = False) -> dict[str, int]:
        """Index what the generation is behind on, one commit per batch, each document deleted by
        id first. In a `fresh` generation (made by this rebuild) only a document recorded earlier
        in this same run (changed meanwhile) can be there, so only those are deleted.

        A fresh generation is committed once, at the end: it is not live until the swap, and an
        interrupted build is started again from nothing (`_build` clears it), so commits on the way
        would protect nothing. Its batches are still recorded as they go (nobody reads a generation
        that is not live). One commit instead of one per batch leaves the engine a few large
        segments to merge instead of hundreds of small ones."""
        counts = {"indexed": 0, "removed": 0}
        if progress:
            progress.start("index", self.holdings.pending(generation))
        writer = index.writer(heap_size=WRITER_HEAP, num_threads=WRITER_THREADS)
        try:
            after, form = 0, terms.fingerprint(phrases)
            while rows := self.holdings.behind(generation, after, self.settings.index.batch, form):
                after = rows[-1]["seq"]
                for row in rows:
                    if row["held"] or not fresh:
                        writer.delete_documents_by_term("id", row["id"])
                    writer.add_document(to_document(row, phrases))
                if not fresh:
                    writer.commit()
                self.holdings.record(generation, rows)
                counts["indexed"] += len(rows)
                if progress:
                    progress.advance(len(rows))
            if fresh:
                writer.commit()
            stale = self.holdings.stale(generation)
            if stale:
                for doc_id in stale:
                    writer.delete_documents_by_term("id", doc_id)
                writer.commit()
                self.holdings.record(generation, [], removed=stale)
                counts["removed"] = len(stale)
            writer.wait_merging_threads()
        except BaseException:
            with contextlib.suppress(Exception):
                writer.rollback()
            raise
        if progress:
            progress.finish()
        return counts

    def held(self) -> int:
        """Documents in the live index (what a searcher counts), for checks and status pages."""
        searcher = self.searcher()
        return 0 if searcher is None else searcher.num_docs

    # -- searching ------------------------------------------------------------------------------

    def search(self, request: SearchRequest) -> SearchResult:
        from index.tantivy_page import result_page

        check_request(request)
        expanded = prepare(request, self.settings, self.store.collections())
        searcher = self.searcher()
        if searcher is None:
            return SearchResult(hits=[], total=0, expansions=list(expanded.expansions))
        return result_page(self.store, searcher, self._index.schema, expanded, request, self._split(searcher),
                           self.marks(searcher))

    def marks(self, searcher):
        """The live generation's known phrases, for compiling queries against `searcher`."""
        from index.tantivy_compile import Marks

        return Marks(self._phrases, searcher)

    def _split(self, searcher) -> int | None:
        """`tantivy_page.split_point` of the live index, worked out once per commit (a column scan)."""
        from index.tantivy_page import SPLIT_ABOVE, split_point

        if searcher.num_docs <= SPLIT_ABOVE:
            return None
        stamp = (self._generation, self._commits)  # what `searcher()` just read from the store
        if self._split_at is None or self._split_at[0] != stamp:
            self._split_at = (stamp, split_point(searcher))
        return self._split_at[1]

    def matches(self, request: SearchRequest) -> Matches:
        """Every match as store seqs, in one pass (`index.tantivy_scan.matches`), for alerts."""
        from index import tantivy_scan

        check_request(request)
        # The sources are read only for a `collection:` filter: an alert run asks a thousand times.
        collections = self.store.collections() if "collection:" in request.query.lower() else None
        expanded = prepare(request, self.settings, collections)
        searcher = self.searcher()
        if searcher is None:
            return Matches([], lambda i: "")
        at_most = None
        if request.since_seq is not None:  # no more matches than documents stored since
            at_most = self.store.conn.execute("SELECT COALESCE(MAX(seq), 0) FROM documents").fetchone()[0] \
                - request.since_seq
        return tantivy_scan.matches(searcher, self._index.schema, expanded, request, at_most, self.marks(searcher))

    def match_pages(self, request: SearchRequest) -> Iterator[Matches]:
        """Every match as store seqs, a page at a time from one searcher, for export."""
        from index import tantivy_scan

        check_request(request)
        expanded = prepare(request, self.settings, self.store.collections())
        searcher = self.searcher()
        if searcher is not None:
            yield from tantivy_scan.pages(searcher, self._index.schema, expanded, request,
                                          marks=self.marks(searcher))

    def iter_ids(self, request: SearchRequest) -> Iterator[str]:
        """Every matching document (near-duplicates included) in the request's order.

        Pages of growing size from one searcher (a snapshot: a commit meanwhile changes nothing
        here), so memory on the Python side is one page, whatever the number of matches. Ids come
        from the `seq` column and the store's seq index rather than from tantivy's stored
        documents: reading (and caching) the compressed doc store for every match would cost
        time and resident memory; a document whose seq moved since it was indexed (changed, not
        yet re-indexed) is read from the doc store instead."""
        from index.tantivy_page import order_options

        check_request(request)
        expanded = prepare(request, self.settings, self.store.collections())
        searcher = self.searcher()
        if searcher is None:
            return
        query = compile_request(expanded, self._index.schema, request.since_seq, marks=self.marks(searcher))
        options = order_options(expanded, request)
        offset, size = 0, 1000
        while True:
            hits = searcher.search(query, size, count=False, offset=offset, **options).hits
            addresses = [a for _, a in hits]
            seqs = searcher.fast_field_values("seq", addresses) if addresses else []
            known = self.store.ids_by_seq(seqs)
            for address, seq in zip(addresses, seqs):
                yield known.get(seq) or searcher.doc(address)["id"][0]
            if len(hits) < size:
                return
            offset += size
            size = min(size * 2, 10_000)

    def attention(self, request: SearchRequest, per: str = "week", split: str | None = None) -> Attention:
        """Matching documents per period (and language or source): one aggregation request."""
        from index.tantivy_page import attention_counts

        check_request(request)
        check_attention(per, split)
        expanded = prepare(request, self.settings, self.store.collections())
        searcher = self.searcher()
        if searcher is None:
            return Attention([])
        return attention_counts(searcher, compile_request(expanded, self._index.schema, request.since_seq,
                                                          marks=self.marks(searcher)), per, split)

    def stamp(self) -> str:
        """The live generation and its commit count: a sync's commit or a rebuild's swap moves it."""
        generation, commits = self.holdings.live()
        return f"{generation}.{commits}"
