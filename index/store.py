"""The store: one SQLite file that is the truth for everything Parallax knows.

Every fetched document lands here first, in one transaction; analyses, the search index, alert
bookkeeping and exports are derived from it and can be rebuilt. The schema is versioned by named
migrations applied in order on open, so an old data directory upgrades itself and a newer one is
refused rather than damaged.
"""

from __future__ import annotations

import json
import sqlite3
import zlib
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from index.document import Document, utc_now
from index.migrations import MIGRATIONS, RENAMED, split_sql
from parallax.errors import StoreError

@dataclass(frozen=True)
class StoredDocument:
    """A document row with its analysis (if processed). What readers of the store get back."""

    id: str
    url: str
    source_id: str
    kind: str | None
    country: str | None
    declared_lang: str | None
    title: str
    body: str
    author: str | None
    published_at: str | None
    fetched_at: str
    first_seen_at: str
    updated_at: str
    content_hash: str
    status: str
    error: str | None
    seq: int
    lang: str | None = None
    script: str | None = None
    title_seg: str = ""
    body_seg: str = ""
    entities: tuple[dict, ...] = ()
    title_tr: str | None = None
    body_tr: str | None = None
    translation_model: str | None = None
    cluster_id: str | None = None
    analysis_version: str | None = None
    withdrawn_at: str | None = None  # first seen missing (404/410, gone from its listing)

    @property
    def paragraphs(self) -> list[str]:
        return [p for p in self.body.split("\n\n") if p.strip()]


# The segmented texts of `d`'s analysis `a`. One that is the document's own text is not stored
# twice (`nlp.analyses` leaves it '' and sets its flag): it is read back from the document, as
# long as the analysis is of the document's current text.
def segmented(text: str) -> str:
    """The SQL of one segmented text (`title` or `body`), without its name."""
    return (f"CASE WHEN a.{text}_is_text THEN (CASE WHEN a.content_hash = d.content_hash THEN d.{text} ELSE '' END) "
            f"ELSE a.{text}_seg END")


SEGMENTED = ", ".join(f"{segmented(text)} AS {text}_seg" for text in ("title", "body"))

_DOC_COLUMNS = (
    "d.id, d.url, d.source_id, d.kind, d.country, d.declared_lang, d.title, d.body, d.author, "
    "d.published_at, d.fetched_at, d.first_seen_at, d.updated_at, d.content_hash, d.status, "
    f"d.error, d.seq, a.lang, a.script, {SEGMENTED}, a.entities, a.title_tr, "
    "a.body_tr, a.translation_model, a.cluster_id, a.version, d.withdrawn_at"
)


_ENTITIES = 21  # positions in _DOC_COLUMNS, which lists StoredDocument's fields in their order
_SEGMENTED = (19, 20)


def _row_to_document(row: sqlite3.Row) -> StoredDocument:
    """A row of `_DOC_COLUMNS` as a document, built positionally (export reads tens of thousands
    a second through here)."""
    values = list(row)
    entities = values[_ENTITIES]
    values[_ENTITIES] = tuple(json.loads(entities)) if entities and entities != "[]" else ()
    for i in _SEGMENTED:
        values[i] = values[i] or ""
    return StoredDocument(*values)


# A document's row (text and metadata, ~2.5 KB) is more than half of SQLite's default 4 KB page,
# so most pages held one row and a third of the file was empty; on 16 KB pages rows pack about
# five to a page (a 10,000-document benchmark store: 10.5 KB a document on 4 KB pages, 8.9 on 16 KB).
PAGE_SIZE = 16384


class Store:
    """A connection to the store file. Not shared across threads; open one per thread or process."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._seq_id_index: bool | None = None
        if not self.path.parent.exists():
            raise StoreError(
                f"data directory {self.path.parent} does not exist; create it or set PARALLAX_DATA_DIR"
            )
        try:
            self.conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            self.conn.row_factory = sqlite3.Row
            # Only a new file takes it (an existing store keeps the page size it was made with).
            self.conn.execute(f"PRAGMA page_size={PAGE_SIZE}")
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot open the store {self.path}: {exc}") from None

    @classmethod
    def open(cls, settings) -> "Store":
        """Open (creating if needed) the store in the settings' data directory."""
        try:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create data directory {settings.data_dir}: {exc}") from None
        return cls(settings.store_path)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- schema ---------------------------------------------------------------------------------

    def _migrate(self) -> None:
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
        )
        self._rename_old_migrations()
        applied = {r[0] for r in self.conn.execute("SELECT name FROM schema_migrations")}
        known = {name for name, _ in MIGRATIONS}
        unknown = applied - known
        if unknown:
            raise StoreError(
                f"the store {self.path} was written by a newer Parallax (migrations "
                f"{', '.join(sorted(unknown))}); upgrade Parallax or use another data directory"
            )
        for name, sql in MIGRATIONS:
            if name in applied:
                continue
            with self.transaction():
                for statement in split_sql(sql):
                    self.conn.execute(statement)
                self.conn.execute(
                    "INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)", (name, utc_now())
                )

    def _rename_old_migrations(self) -> None:
        """Rewrite the names an older Parallax recorded (`RENAMED`) to today's numbering, in one
        transaction, so those migrations count as applied and are not run again."""
        old = [(new, name) for name, new in RENAMED.items()]
        marks = ",".join("?" * len(old))
        if self.conn.execute(f"SELECT 1 FROM schema_migrations WHERE name IN ({marks})",
                             [name for _, name in old]).fetchone() is None:
            return
        with self.transaction():
            self.conn.executemany("UPDATE schema_migrations SET name = ? WHERE name = ?", old)

    def applied_migrations(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT name FROM schema_migrations ORDER BY name")]

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE … COMMIT, rolled back on any error: writers never interleave."""
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise self._write_error(exc) from None
        try:
            yield self.conn
            self.conn.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            self._rollback()
            raise self._write_error(exc) from None
        except BaseException:
            self._rollback()
            raise

    def _rollback(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")

    def _write_error(self, exc: sqlite3.OperationalError) -> StoreError:
        text = str(exc)
        if "full" in text:
            hint = "free space on that disk (or move PARALLAX_DATA_DIR) and run again; nothing was lost"
        elif "locked" in text or "busy" in text:
            hint = "another Parallax process is writing; wait for it or stop it, then run again"
        elif "readonly" in text:
            hint = "make the data directory writable for this user"
        else:
            hint = "check the data directory; the last committed state is intact"
        return StoreError(f"cannot write to the store {self.path} ({text}): {hint}")

    # -- sources --------------------------------------------------------------------------------

    def upsert_source(self, source) -> None:
        with self.transaction():
            self._upsert_source(source)

    def _upsert_source(self, source) -> None:
        self.conn.execute(
            """INSERT INTO sources (id, name, name_en, language, kind, country, collections, updated_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT(id) DO UPDATE SET name=excluded.name, name_en=excluded.name_en,
               language=excluded.language, kind=excluded.kind, country=excluded.country,
               collections=excluded.collections, updated_at=excluded.updated_at""",
            (source.id, source.name, source.name_en, source.language, source.kind,
             source.country, json.dumps(list(getattr(source, "collections", ()))), utc_now()),
        )

    def record_collections(self, sources) -> None:
        """Record which collections the configured sources are in now, in one transaction.

        Only sources already in the store are touched (a source gets its row at its first crawl);
        sources no longer configured keep their row and documents but leave every collection:
        membership is whatever the sources file says today.
        """
        with self.transaction():
            ids = [s.id for s in sources]
            for source in sources:
                self.conn.execute("UPDATE sources SET collections = ? WHERE id = ?",
                                  (json.dumps(list(source.collections)), source.id))
            marks = ",".join("?" * len(ids)) or "''"
            self.conn.execute(f"UPDATE sources SET collections = '[]' WHERE id NOT IN ({marks})", ids)

    def sources(self) -> dict[str, dict]:
        out = {}
        for row in self.conn.execute("SELECT * FROM sources ORDER BY id"):
            item = dict(row)
            item["collections"] = tuple(json.loads(item.get("collections") or "[]"))
            out[item["id"]] = item
        return out

    def collections(self) -> dict[str, tuple[str, ...]]:
        """{collection: its member source ids}, as last recorded from the sources file."""
        out: dict[str, list[str]] = {}
        for source_id, row in self.sources().items():
            for name in row["collections"]:
                out.setdefault(name, []).append(source_id)
        return {name: tuple(sorted(ids)) for name, ids in sorted(out.items())}

    # -- documents ------------------------------------------------------------------------------

    def upsert_document(self, doc: Document) -> str:
        """Insert or update one document; returns 'new', 'updated' or 'unchanged'.

        Idempotent: the same document stored twice is 'unchanged' the second time and changes
        nothing (not even its sequence number), so incremental stages see no work.
        """
        raw = zlib.compress(doc.raw_html, 6) if doc.raw_html is not None else None
        digest = doc.content_hash
        with self.transaction():
            row = self.conn.execute(
                "SELECT content_hash, status FROM documents WHERE id = ?", (doc.id,)
            ).fetchone()
            if row is not None and row["content_hash"] == digest and row["status"] == doc.status:
                self.conn.execute(
                    "UPDATE documents SET fetched_at = ? WHERE id = ?", (doc.fetched_at, doc.id)
                )
                return "unchanged"
            seq = self.conn.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM documents").fetchone()[0]
            now = utc_now()
            values = (
                doc.url, doc.source_id, doc.kind, doc.country, doc.declared_lang, doc.title,
                doc.body, doc.author, doc.published_at, doc.encoding, raw, digest, doc.status,
                doc.error, doc.fetched_at, now, seq,
            )
            if doc.status != "extract_failed":
                self._record_version(doc, digest)
            if row is None:
                self.conn.execute(
                    """INSERT INTO documents (url, source_id, kind, country, declared_lang, title,
                       body, author, published_at, encoding, raw_html, content_hash, status, error,
                       fetched_at, updated_at, seq, first_seen_at, id)
                       VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)""",
                    values + (now, doc.id),
                )
                return "new"
            # A page that answers again is no longer withdrawn (withdrawn_at is cleared with it).
            self.conn.execute(
                """UPDATE documents SET url=?, source_id=?, kind=?, country=?, declared_lang=?,
                   title=?, body=?, author=?, published_at=?, encoding=?, raw_html=?,
                   content_hash=?, status=?, error=?, fetched_at=?, updated_at=?, seq=?,
                   withdrawn_at=NULL WHERE id=?""",
                values + (doc.id,),
            )
            return "updated"

    def _record_version(self, doc: Document, digest: str) -> None:
        """Keep every text a document has had: statements get edited after publication."""
        last = self.conn.execute(
            "SELECT version, content_hash FROM document_versions WHERE doc_id = ? "
            "ORDER BY version DESC LIMIT 1", (doc.id,)).fetchone()
        if last is not None and last["content_hash"] == digest:
            return
        self.conn.execute(
            "INSERT INTO document_versions (doc_id, version, content_hash, title, body, published_at,"
            " fetched_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (doc.id, (last["version"] + 1) if last else 1, digest, doc.title, doc.body,
             doc.published_at, doc.fetched_at),
        )

    def versions(self, doc_id: str) -> list[dict]:
        """Every recorded text of a document, oldest first (version 1 is the first one fetched)."""
        return [dict(r) for r in self.conn.execute(
            "SELECT * FROM document_versions WHERE doc_id = ? ORDER BY version", (doc_id,))]

    def has_document(self, doc_id: str) -> bool:
        return self.conn.execute("SELECT 1 FROM documents WHERE id = ?", (doc_id,)).fetchone() is not None

    def known_urls(self, source_id: str | None = None) -> set[str]:
        sql, args = "SELECT url FROM documents", ()
        if source_id:
            sql, args = sql + " WHERE source_id = ?", (source_id,)
        return {r[0] for r in self.conn.execute(sql, args)}

    def raw_html(self, doc_id: str) -> bytes | None:
        row = self.conn.execute("SELECT raw_html FROM documents WHERE id = ?", (doc_id,)).fetchone()
        if row is None or row[0] is None:
            return None
        return zlib.decompress(row[0])

    def get(self, doc_id: str) -> StoredDocument | None:
        row = self.conn.execute(
            f"SELECT {_DOC_COLUMNS} FROM documents d LEFT JOIN analyses a ON a.doc_id = d.id "
            "WHERE d.id = ?",
            (doc_id,),
        ).fetchone()
        return _row_to_document(row) if row else None

    def get_many(self, doc_ids: list[str]) -> dict[str, StoredDocument]:
        return self._documents_by("id", doc_ids)

    def get_by_seq(self, seqs: list[int]) -> dict[int, StoredDocument]:
        """The documents stored under these sequence numbers (what the index returns for alerts);
        a seq no longer in the store (the document was stored again since) is left out."""
        return self._documents_by("seq", seqs)

    def _documents_by(self, column: str, values: list) -> dict:
        """{value: document} for documents whose `column` (id or seq) is one of `values`, read in
        chunks so a long list stays within SQLite's bound-parameter limit."""
        out: dict = {}
        for start in range(0, len(values), 500):
            chunk = values[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for row in self.conn.execute(
                f"SELECT {_DOC_COLUMNS} FROM documents d LEFT JOIN analyses a ON a.doc_id = d.id "
                f"WHERE d.{column} IN ({marks})", chunk):
                out[row[column]] = _row_to_document(row)
        return out

    def iter_documents(self, where: str = "1", args: tuple = (), batch: int = 500) -> Iterator[StoredDocument]:
        """All documents matching a SQL condition on `d`/`a`, in `seq` order, read in batches."""
        last = 0
        while True:
            rows = self.conn.execute(
                f"SELECT {_DOC_COLUMNS} FROM documents d LEFT JOIN analyses a ON a.doc_id = d.id "
                f"WHERE d.seq > ? AND ({where}) ORDER BY d.seq LIMIT ?",
                (last, *args, batch),
            ).fetchall()
            if not rows:
                return
            for row in rows:
                yield _row_to_document(row)
            last = rows[-1]["seq"]

    def ids_by_seq(self, seqs: list[int]) -> dict[int, str]:
        """The ids of the documents stored under these sequence numbers (absent ones left out).

        Read from the covering (seq, id) index, so no document row is touched; a store whose
        0008 migration ran before that index was part of it reads the rows instead."""
        if self._seq_id_index is None:
            self._seq_id_index = self.conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'documents_seq_id'").fetchone() is not None
        hint = "INDEXED BY documents_seq_id" if self._seq_id_index else ""
        out: dict[int, str] = {}
        for start in range(0, len(seqs), 500):
            chunk = seqs[start:start + 500]
            marks = ",".join("?" * len(chunk))
            out.update(self.conn.execute(f"SELECT seq, id FROM documents {hint} WHERE seq IN ({marks})",
                                         chunk).fetchall())
        return out

    def cluster_members(self, doc_ids: list[str]) -> dict[str, list[dict]]:
        """For each given document in a near-duplicate cluster, every member of that cluster
        (itself included) as {id, source_id, published_at, seq}, earliest published first."""
        out: dict[str, list[dict]] = {}
        for start in range(0, len(doc_ids), 500):
            chunk = doc_ids[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for row in self.conn.execute(
                "SELECT a0.doc_id AS of, d.id, d.source_id, d.published_at, d.seq FROM analyses a0 "
                "JOIN analyses a ON a.cluster_id = a0.cluster_id JOIN documents d ON d.id = a.doc_id "
                f"WHERE a0.doc_id IN ({marks}) AND a0.cluster_id IS NOT NULL "
                "ORDER BY d.published_at IS NULL, d.published_at, d.id", chunk):
                out.setdefault(row["of"], []).append(
                    {"id": row["id"], "source_id": row["source_id"], "published_at": row["published_at"],
                     "seq": row["seq"]})
        return out

    def count_documents(self, where: str = "1", args: tuple = ()) -> int:
        return self.conn.execute(
            f"SELECT COUNT(*) FROM documents d LEFT JOIN analyses a ON a.doc_id = d.id WHERE {where}",
            args,
        ).fetchone()[0]

    def documents_per_source(self, where: str = "1", args: tuple = ()) -> dict[str, int]:
        """{source_id: documents matching a SQL condition on `documents`}; sources with none are absent."""
        return dict(self.conn.execute(
            f"SELECT source_id, COUNT(*) FROM documents WHERE {where} GROUP BY 1", args).fetchall())

    def newest_fetch(self) -> str | None:
        """When the store last fetched anything (ISO UTC), None when it is empty."""
        return self.conn.execute("SELECT MAX(fetched_at) FROM documents").fetchone()[0]
