"""What the embedded index holds, recorded in the store (tables `tantivy_docs`, `tantivy_meta`).

The store is the truth and the index is derived; this bookkeeping is how the two stay in step:

- A sync commits a batch to the index first, then records the batch here in one store
  transaction. A crash in between leaves documents indexed but not recorded: the next sync
  indexes them again, and since every write is "delete the id, add the document", each document
  is in the index exactly once. A crash before the index commit loses the batch from both.
- A rebuild fills a new generation (a new directory) and records its rows under that generation;
  `swap` makes it live in one transaction. Readers ask `live()` before each search, so they move
  to the new directory at once and keep the old one until then.
- `commits` rises with every commit, so a reader in another process knows when to reload.
"""

from __future__ import annotations

from index.store import segmented

# What the index is fed, read in the same query that finds the work (no second read per batch).
# The segmented texts are what the terms are worked out from when the stored ones are of another
# form (the `?`: the form the index wants); a row whose terms are current skips them, which is
# most of the bytes read besides the terms (a fifth of the read's time on the benchmark's rows).
INDEXED_COLUMNS = (
    "d.id, d.seq, d.source_id, d.kind, d.country, d.declared_lang, d.published_at, d.status, a.lang, "
    + ", ".join(f"CASE WHEN a.terms_table = ? THEN '' ELSE {segmented(text)} END AS {text}_seg"
                for text in ("title", "body"))
    + ", a.title_terms, a.body_terms, a.terms_table, a.title_tr, a.body_tr, a.entities, "
    "a.cluster_id, "
    "s.doc_id IS NOT NULL AS held, d.content_hash, a.processed_at"
)
_BEHIND = (
    "SELECT {columns} FROM documents d JOIN analyses a ON a.doc_id = d.id "
    "LEFT JOIN tantivy_docs s ON s.generation = ? AND s.doc_id = d.id "
    "WHERE a.content_hash = d.content_hash AND d.status != 'extract_failed' AND (s.doc_id IS NULL "
    "OR s.content_hash != d.content_hash OR s.processed_at != a.processed_at)"
)
_STALE = (
    "SELECT s.doc_id FROM tantivy_docs s LEFT JOIN documents d ON d.id = s.doc_id "
    "WHERE s.generation = ? AND (d.id IS NULL OR d.status = 'extract_failed')"
)


class Holdings:
    def __init__(self, store):
        self.store = store
        self.conn = store.conn

    def live(self) -> tuple[int, int]:
        """(live generation, commit count); generation 0 means no index has been built yet."""
        values = dict(self.conn.execute("SELECT name, value FROM tantivy_meta").fetchall())
        return values.get("live", 0), values.get("commits", 0)

    def behind(self, generation: int, after_seq: int, limit: int, terms_form: str | None = None) -> list:
        """Rows (`INDEXED_COLUMNS`) of analysed documents the generation lacks or holds in an older
        form, in seq order after `after_seq`: walking by seq reads the store once, however large.
        A row whose stored terms are of `terms_form` comes without its segmented texts ('')."""
        return self.conn.execute(_BEHIND.format(columns=INDEXED_COLUMNS) + " AND d.seq > ? ORDER BY d.seq LIMIT ?",
                                 (terms_form, terms_form, generation, after_seq, limit)).fetchall()

    def stale(self, generation: int) -> list[str]:
        """Ids the generation holds whose document is gone from the store or has no text."""
        return [r[0] for r in self.conn.execute(_STALE, (generation,))]

    def pending(self, generation: int) -> int:
        behind = self.conn.execute(f"SELECT COUNT(*) FROM ({_BEHIND.format(columns='d.id')})",
                                   (generation,)).fetchone()[0]
        return behind + len(self.stale(generation))

    def indexed_through(self, generation: int) -> int:
        """The highest seq at or below which every searchable document is in the generation.

        Searchable means stored with text (not `extract_failed`), analysed or not yet: a document
        the language stages have not reached is not in the index either, so it holds the mark."""
        row = self.conn.execute(
            "SELECT d.seq FROM documents d LEFT JOIN tantivy_docs s ON s.generation = ? AND s.doc_id = d.id "
            "WHERE d.status != 'extract_failed' AND (s.doc_id IS NULL OR s.content_hash != d.content_hash) "
            "ORDER BY d.seq LIMIT 1", (generation,)).fetchone()
        if row is not None:
            return row[0] - 1
        return self.conn.execute("SELECT COALESCE(MAX(seq), 0) FROM documents").fetchone()[0]

    def record(self, generation: int, rows, removed: list[str] = ()) -> None:
        """After the index committed: these documents (rows of `behind`) are held in the form they
        were read in. Recording what was read, not what the store has now, matters when a document
        changes between the read and this call: the next sync sees it behind and indexes it again."""
        with self.store.transaction():
            self.conn.executemany(
                "INSERT INTO tantivy_docs (generation, doc_id, content_hash, processed_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(generation, doc_id) DO UPDATE SET content_hash = excluded.content_hash, "
                "processed_at = excluded.processed_at",
                [(generation, row["id"], row["content_hash"], row["processed_at"]) for row in rows])
            self.conn.executemany("DELETE FROM tantivy_docs WHERE generation = ? AND doc_id = ?",
                                  [(generation, d) for d in removed])
            self.conn.execute("UPDATE tantivy_meta SET value = value + 1 WHERE name = 'commits'")

    def clear(self, generation: int) -> None:
        """Forget rows of a generation (left by a rebuild that was interrupted)."""
        with self.store.transaction():
            self.conn.execute("DELETE FROM tantivy_docs WHERE generation = ?", (generation,))

    def swap(self, generation: int) -> None:
        """Make `generation` the one searches use and forget every other, in one transaction."""
        with self.store.transaction():
            self.conn.execute("UPDATE tantivy_meta SET value = ? WHERE name = 'live'", (generation,))
            self.conn.execute("UPDATE tantivy_meta SET value = value + 1 WHERE name = 'commits'")
            self.conn.execute("DELETE FROM tantivy_docs WHERE generation != ?", (generation,))

    def held(self, generation: int) -> int:
        return self.conn.execute("SELECT COUNT(*) FROM tantivy_docs WHERE generation = ?",
                                 (generation,)).fetchone()[0]

