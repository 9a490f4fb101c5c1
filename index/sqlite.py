"""The embedded search backend: SQLite FTS5 inside the store file.

The index tables (`doc_fts`, `doc_entities`, `index_state`) live beside the documents, so a document
and its index entry change in one transaction and a single file is the whole system. Chinese is
indexed pre-segmented (see `nlp.segment`); English goes through FTS5's porter stemmer.
"""

from __future__ import annotations

import sqlite3
from typing import Iterator

from index import query as q
from index.document import utc_now
from index.expand import Expanded
from index.search import (FACETS, Found, SearchRequest, SearchResult, build_hits, check_request,
                          highlight_words, prepare, sort_facet)
from nlp.normalize import has_cjk
from parallax.errors import QueryError

# bm25 column weights: doc_id (unindexed), title, body, translated title, translated body.
BM25 = "bm25(doc_fts, 0.0, 5.0, 1.0, 2.5, 0.6)"


ORIGINAL_COLUMNS = "{title body}"


def fts_string(words: tuple[str, ...]) -> str:
    """An FTS5 phrase from words: quoted, with quotes doubled, so no user text is ever syntax.

    Chinese is indexed in search mode, which puts the shorter words of a compound between the
    words a query cuts it into (中国 半导 导体 … 中国半导体行业协会); so several Chinese words are
    matched with NEAR and a gap that allows those extra tokens, not as a strict phrase.
    """
    quoted = ['"' + w.replace('"', '""') + '"' for w in words]
    if len(words) > 1 and any(has_cjk(w) for w in words):
        return f"NEAR({' '.join(quoted)}, {6 * (len(words) - 1)})"
    return '"' + " ".join(w.replace('"', '""') for w in words) + '"'


def scoped(expr: str, translated: bool) -> str:
    """Limit a MATCH expression to the original columns unless translations are searched too."""
    return expr if translated else f"{ORIGINAL_COLUMNS} : ({expr})"


_is_text = q.is_text


def fts_expr(node: q.Node) -> str | None:
    """The FTS5 MATCH expression for a purely textual node, or None if FTS5 cannot say it alone.

    FTS5's NOT is binary (`a NOT b`), so a group with only negative parts has no FTS5 form and is
    compiled to SQL instead.
    """
    if isinstance(node, (q.Term, q.Phrase)):
        return fts_string(node.words)
    if isinstance(node, q.Or):
        parts = [fts_expr(c) for c in node.children]
        return None if None in parts else "(" + " OR ".join(parts) + ")"
    if isinstance(node, q.And):
        positive = [c for c in node.children if not isinstance(c, q.Not)]
        negative = [c.child for c in node.children if isinstance(c, q.Not)]
        if not positive:
            return None
        pos = [fts_expr(c) for c in positive]
        neg = [fts_expr(c) for c in negative]
        if None in pos or None in neg:
            return None
        out = "(" + " AND ".join(pos) + ")"
        for n in neg:
            out = f"({out} NOT {n})"
        return out
    return None


_FILTER_SQL = {
    "source": "d.source_id = ?",
    "lang": "a.lang = ?",
    "type": "d.kind = ?",
    "country": "d.country = ?",
    "after": "d.published_at >= ?",
    "before": "d.published_at < date(?, '+1 day')",
    "entity": "d.id IN (SELECT doc_id FROM doc_entities WHERE entity_id = ?)",
}
_IN_FTS = "d.id IN (SELECT doc_id FROM doc_fts WHERE doc_fts MATCH ?)"


def sql_condition(node: q.Node, translated: bool = True) -> tuple[str, list]:
    """A SQL boolean over `d` (documents) and `a` (analyses) for any node; values are bound."""
    if isinstance(node, q.MatchAll):
        return "1", []
    if isinstance(node, q.Filter):
        return _FILTER_SQL[node.field], [node.value]
    if isinstance(node, (q.Term, q.Phrase)):
        return _IN_FTS, [scoped(fts_string(node.words), translated)]
    if isinstance(node, q.Not):
        inner, args = sql_condition(node.child, translated)
        return f"NOT ({inner})", args
    if _is_text(node) and (expr := fts_expr(node)) is not None:
        return _IN_FTS, [scoped(expr, translated)]
    joiner = " AND " if isinstance(node, q.And) else " OR "
    parts, args = [], []
    for child in node.children:
        sql, child_args = sql_condition(child, translated)
        parts.append(f"({sql})")
        args.extend(child_args)
    return joiner.join(parts), args


def plan(node: q.Node, translated: bool = True) -> tuple[str | None, str, list]:
    """Split a tree into one FTS5 MATCH (for ranking) and a SQL condition for the rest."""
    children = node.children if isinstance(node, q.And) else (node,)
    text = [c for c in children if _is_text(c)]
    rest = [c for c in children if not _is_text(c)]
    match = None
    if text:
        combined = text[0] if len(text) == 1 else q.And(tuple(text))
        match = fts_expr(combined)
        if match is None:
            rest = list(children)
        else:
            match = scoped(match, translated)
    conditions, args = [], []
    for child in rest:
        sql, child_args = sql_condition(child, translated)
        conditions.append(f"({sql})")
        args.extend(child_args)
    return match, " AND ".join(conditions) or "1", args


class SqliteBackend:
    name = "sqlite"

    def __init__(self, store):
        self.store = store
        self.conn: sqlite3.Connection = store.conn

    # -- indexing -------------------------------------------------------------------------------

    def _behind(self, where_extra: str = "") -> str:
        return (
            "SELECT d.id FROM documents d JOIN analyses a ON a.doc_id = d.id "
            "LEFT JOIN index_state s ON s.doc_id = d.id "
            "WHERE a.content_hash = d.content_hash AND (s.doc_id IS NULL "
            "OR s.content_hash != d.content_hash OR s.processed_at != a.processed_at)" + where_extra
        )

    def pending(self) -> int:
        return self.conn.execute(f"SELECT COUNT(*) FROM ({self._behind()})").fetchone()[0]

    def sync(self, store=None, progress=None, batch: int = 500) -> dict[str, int]:
        """Index every analysed document whose index entry is missing or stale, in batches.

        Each batch is one transaction: a crash loses at most the batch in flight, and the next
        run picks it up again because `index_state` was not advanced.
        """
        counts = {"indexed": 0, "removed": 0}
        total = self.pending()
        if progress:
            progress.start("index", total)
        while True:
            ids = [r[0] for r in self.conn.execute(self._behind() + f" LIMIT {batch}")]
            if not ids:
                break
            docs = self.store.get_many(ids)
            with self.store.transaction():
                for doc_id in ids:
                    doc = docs[doc_id]
                    self._write(doc)
                    counts["indexed"] += 1
            if progress:
                progress.advance(len(ids))
        # Entries whose document is gone or no longer searchable.
        with self.store.transaction():
            stale = [r[0] for r in self.conn.execute(
                "SELECT s.doc_id FROM index_state s LEFT JOIN documents d ON d.id = s.doc_id "
                "WHERE d.id IS NULL OR d.status = 'extract_failed'")]
            for doc_id in stale:
                self._delete(doc_id)
                self.conn.execute("DELETE FROM index_state WHERE doc_id = ?", (doc_id,))
                counts["removed"] += 1
        if progress:
            progress.finish()
        return counts

    def rebuild(self, store=None, progress=None) -> dict[str, int]:
        with self.store.transaction():
            self.conn.execute("DELETE FROM doc_fts")
            self.conn.execute("DELETE FROM doc_entities")
            self.conn.execute("DELETE FROM index_state")
        return self.sync(progress=progress)

    def _delete(self, doc_id: str) -> None:
        """Remove a document's index rows; a document never indexed has none (no FTS5 scan)."""
        state = self.conn.execute("SELECT fts_rowid FROM index_state WHERE doc_id = ?", (doc_id,)).fetchone()
        if state is None:
            return
        if state["fts_rowid"] is not None:
            self.conn.execute("DELETE FROM doc_fts WHERE rowid = ?", (state["fts_rowid"],))
        self.conn.execute("DELETE FROM doc_entities WHERE doc_id = ?", (doc_id,))

    def _write(self, doc) -> None:
        from nlp.segment import index_text

        self._delete(doc.id)
        fts_rowid = None
        if doc.status != "extract_failed":
            fts_rowid = self.conn.execute(
                "INSERT INTO doc_fts (doc_id, title, body, title_tr, body_tr) VALUES (?, ?, ?, ?, ?)",
                (doc.id, doc.title_seg, doc.body_seg, index_text(doc.title_tr or ""),
                 index_text(doc.body_tr or "")),
            ).lastrowid
            entity_ids = {e["canonical_id"] for e in doc.entities if e.get("canonical_id")}
            self.conn.executemany(
                "INSERT OR IGNORE INTO doc_entities (doc_id, entity_id) VALUES (?, ?)",
                [(doc.id, e) for e in sorted(entity_ids)],
            )
        processed_at = self.conn.execute(
            "SELECT processed_at FROM analyses WHERE doc_id = ?", (doc.id,)).fetchone()[0]
        self.conn.execute(
            """INSERT INTO index_state (doc_id, content_hash, analysis_version, processed_at,
               indexed_at, fts_rowid) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(doc_id) DO UPDATE SET
               content_hash=excluded.content_hash, analysis_version=excluded.analysis_version,
               processed_at=excluded.processed_at, indexed_at=excluded.indexed_at,
               fts_rowid=excluded.fts_rowid""",
            (doc.id, doc.content_hash, doc.analysis_version or "", processed_at, utc_now(), fts_rowid),
        )

    # -- searching ------------------------------------------------------------------------------

    def _base(self, expanded: Expanded, request: SearchRequest) -> tuple[str, list]:
        """SQL selecting (id, rank, published_at, seq, ckey, source_id) of every match, unordered.

        `ckey` is the near-duplicate cluster (analyses.cluster_id), or the document itself when the
        language stages have not put it in one.
        """
        match, condition, args = plan(expanded.node, expanded.translated)
        if request.since_seq is not None:
            condition += " AND d.seq > ?"
            args = [*args, request.since_seq]
        joins = ("JOIN documents d ON d.id = m.doc_id LEFT JOIN analyses a ON a.doc_id = d.id "
                 "JOIN index_state s ON s.doc_id = d.id")
        columns = ("d.id AS id, {rank} AS rank, d.published_at AS published_at, d.seq AS seq, "
                   "COALESCE(a.cluster_id, d.id) AS ckey, d.source_id AS source_id")
        if match is not None:
            sql = (f"SELECT {columns.format(rank='m.rank')} "
                   f"FROM (SELECT doc_id, {BM25} AS rank FROM doc_fts WHERE doc_fts MATCH ?) m "
                   f"{joins} WHERE {condition}")
            return sql, [match, *args]
        sql = (f"SELECT {columns.format(rank='0.0')} "
               f"FROM (SELECT doc_id FROM index_state) m {joins} WHERE {condition}")
        return sql, args

    @staticmethod
    def _collapsed(base: str, collapse: bool) -> str:
        """One row per cluster: its best-ranked member (earliest published on ties), with the count."""
        if not collapse:
            return f"SELECT *, 1 AS csize FROM ({base})"
        return (
            f"SELECT * FROM (SELECT m.*, ROW_NUMBER() OVER (PARTITION BY ckey ORDER BY rank, "
            f"published_at IS NULL, published_at, id) AS rn, COUNT(*) OVER (PARTITION BY ckey) AS csize "
            f"FROM ({base}) m) WHERE rn = 1"
        )

    @staticmethod
    def _order(expanded: Expanded, request: SearchRequest) -> str:
        if request.sort == "date" or plan(expanded.node, expanded.translated)[0] is None:
            return "ORDER BY published_at DESC NULLS LAST, id"
        return "ORDER BY rank, id"

    def _run(self, sql: str, args: list) -> list[sqlite3.Row]:
        try:
            return self.conn.execute(sql, args).fetchall()
        except sqlite3.Error as exc:
            # Every user word is a bound, quoted phrase; this is a guard, not an expected path.
            raise QueryError(f"the search index could not run this query ({exc})", None,
                             "simplify the query") from None

    def search(self, request: SearchRequest) -> SearchResult:
        check_request(request)
        expanded = prepare(request, collections=self.store.collections())
        base, args = self._base(expanded, request)
        collapsed = self._collapsed(base, request.collapse)
        # One pass over the matches gives both the page and the total (a window count), rather
        # than matching, grouping and counting everything twice.
        rows = self._run(
            f"SELECT id, rank, ckey, csize, COUNT(*) OVER () AS total FROM ({collapsed}) "
            f"{self._order(expanded, request)} LIMIT ? OFFSET ?", [*args, request.limit, request.offset])
        if rows:
            total = rows[0]["total"]
        else:  # a page past the end: count separately
            total = self._run(f"SELECT COUNT(*) FROM ({collapsed})", args)[0][0]
        others = self._cluster_sources(base, args, [r for r in rows if r["csize"] > 1])
        found = [Found(r["id"], -float(r["rank"]), r["csize"], others.get(r["id"], ())) for r in rows]
        hits = build_hits(self.store, found, highlight_words(expanded))
        facets = self._facets(base, args) if request.facets else {}
        return SearchResult(hits=hits, total=total, facets=facets, expansions=list(expanded.expansions))

    def _cluster_sources(self, base: str, args: list, rows: list) -> dict[str, tuple[str, ...]]:
        """For each shown hit that stands for a cluster, the sources of the cluster's other matches."""
        if not rows:
            return {}
        marks = ",".join("?" * len(rows))
        members = self._run(f"SELECT id, ckey, source_id FROM ({base}) WHERE ckey IN ({marks}) ORDER BY id",
                            [*args, *[r["ckey"] for r in rows]])
        out: dict[str, tuple[str, ...]] = {}
        for row in rows:
            sources = sorted({m["source_id"] for m in members if m["ckey"] == row["ckey"] and m["id"] != row["id"]})
            out[row["id"]] = tuple(sources)
        return out

    def _facets(self, base: str, args: list) -> dict[str, list[tuple[str, int]]]:
        """Counts per value over every matching document (before near-duplicates are collapsed)."""
        queries = {
            "source": "SELECT d.source_id, COUNT(*) FROM hits h JOIN documents d ON d.id = h.id GROUP BY 1",
            "lang": "SELECT a.lang, COUNT(*) FROM hits h JOIN analyses a ON a.doc_id = h.id GROUP BY 1",
            "type": "SELECT d.kind, COUNT(*) FROM hits h JOIN documents d ON d.id = h.id GROUP BY 1",
            "country": "SELECT d.country, COUNT(*) FROM hits h JOIN documents d ON d.id = h.id GROUP BY 1",
            "entity": "SELECT e.entity_id, COUNT(*) FROM hits h JOIN doc_entities e ON e.doc_id = h.id GROUP BY 1",
            "month": "SELECT substr(h.published_at, 1, 7), COUNT(*) FROM hits h GROUP BY 1",
        }
        out = {}
        for name in FACETS:
            rows = self._run(f"WITH hits AS ({base}) {queries[name]}", args)
            out[name] = sort_facet(name, [(r[0], r[1]) for r in rows if r[0]])
        return out

    def iter_ids(self, request: SearchRequest) -> Iterator[str]:
        """Every matching document (near-duplicates included) in the request's order."""
        check_request(request)
        expanded = prepare(request, collections=self.store.collections())
        base, args = self._base(expanded, request)
        try:
            cursor = self.conn.execute(f"SELECT id FROM ({base}) {self._order(expanded, request)}", args)
            for row in cursor:
                yield row[0]
        except sqlite3.Error as exc:
            raise QueryError(f"the search index could not run this query ({exc})", None,
                             "simplify the query") from None
