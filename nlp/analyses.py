"""The language stages' tables: analyses, the translation cache and the near-duplicate signatures.

The nlp package owns these tables and this class is the one place that writes them: the pipeline
saves each document's analysis here, the translator keeps its sentence cache here, the
near-duplicate stage its MinHash signatures and LSH bands. Other packages read analyses through
the store's document reads (`Store.get`, `iter_documents`, which join the analysis) or through the
read methods below; none of them writes these tables.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Iterable

_CHUNK = 500  # SQLite's default limit on bound parameters is far above this; chunks keep queries short

# A segmented text that is the analysed document's own text (nearly every English text: the
# index reads it as it is) is not stored a second time: the column is left '' and its flag set,
# and the store's reads put the document's text back (`index.store.SEGMENTED`).
_SEGMENTED = {"title_seg": ("title", "title_is_text"), "body_seg": ("body", "body_is_text")}


def _columns(given) -> tuple[list[str], list[str]]:
    """The analysis columns to write for the given fields (named parameters), each segmented text
    with its flag, and the SQL value of each."""
    columns, values = [], []
    for column in given:
        if column not in _SEGMENTED:
            columns.append(column)
            values.append(f":{column}")
            continue
        text, flag = _SEGMENTED[column]
        same = (f"EXISTS (SELECT 1 FROM documents WHERE id = :doc_id AND content_hash = :content_hash "
                f"AND {text} = :{column})")
        columns += [column, flag]
        values += [f"CASE WHEN {same} THEN '' ELSE :{column} END", same]
    return columns, values


class Analyses:
    """One store's analyses, translation cache and signatures (the store's own connection)."""

    def __init__(self, store):
        self.store = store

    @property
    def conn(self):
        return self.store.conn

    # -- analyses -------------------------------------------------------------------------------

    def save(self, doc_id: str, content_hash: str, version: str, **fields: Any) -> None:
        """Insert or update one document's analysis in its own transaction: a crash loses at most
        the document in flight. Fields not given keep their stored (or default) value."""
        fields = dict(fields)
        if "entities" in fields:
            fields["entities"] = json.dumps(list(fields["entities"]), ensure_ascii=False)
        if "details" in fields:
            fields["details"] = json.dumps(fields["details"], ensure_ascii=False)
        columns = ["doc_id", "content_hash", "version", "processed_at", *fields]
        # To the microsecond: the index tells a re-analysed document by a changed processed_at, and a
        # translation saved in the same second as the analysis it completes must still count as one.
        processed_at = datetime.now(timezone.utc).isoformat()
        values = dict(zip(columns, [doc_id, content_hash, version, processed_at, *fields.values()]))
        columns, sql_values = _columns(columns)
        updates = ", ".join(f"{c}=excluded.{c}" for c in columns[1:])
        with self.store.transaction():
            self.conn.execute(
                f"INSERT INTO analyses ({', '.join(columns)}) VALUES ({', '.join(sql_values)}) "
                f"ON CONFLICT(doc_id) DO UPDATE SET {updates}",
                values,
            )

    def save_many(self, rows: Iterable[tuple], version: str) -> None:
        """Insert or update many analyses of the language stage's fields at once, in the caller's
        transaction: (doc_id, content_hash, lang, script, title_seg, body_seg, title_terms,
        body_terms, terms_table) rows, all stamped now. For bulk loads (the benchmark tiers), where
        one transaction per document would spend the time on commits."""
        processed_at = datetime.now(timezone.utc).isoformat()
        fields = ("doc_id", "content_hash", "lang", "script", "title_seg", "body_seg", "title_terms",
                  "body_terms", "terms_table")
        given = ("version", "processed_at", *fields)
        columns, sql_values = _columns(given)
        updates = ", ".join(f"{c}=excluded.{c}" for c in columns if c != "doc_id")
        self.conn.executemany(
            f"INSERT INTO analyses ({', '.join(columns)}) VALUES ({', '.join(sql_values)}) "
            f"ON CONFLICT(doc_id) DO UPDATE SET {updates}",
            [{"version": version, "processed_at": processed_at, **dict(zip(fields, row))} for row in rows])

    def assign_clusters(self, pairs: Iterable[tuple[str, str]]) -> None:
        """Put documents into near-duplicate clusters decided elsewhere ((cluster_id, doc_id) pairs,
        e.g. the copies a generated benchmark corpus knows it made). A document whose cluster
        changes gets a new processed_at, so the next index sync re-indexes it."""
        from index.document import utc_now

        now = utc_now()
        with self.store.transaction():
            self.conn.executemany(
                "UPDATE analyses SET cluster_id = ?, processed_at = ? WHERE doc_id = ? AND cluster_id IS NOT ?",
                [(cluster, now, doc_id, cluster) for cluster, doc_id in pairs])

    def details(self, doc_id: str) -> dict:
        """The analysis details of a stored document ({} when it has not been processed)."""
        row = self.conn.execute("SELECT details FROM analyses WHERE doc_id = ?", (doc_id,)).fetchone()
        try:
            return json.loads(row[0] or "{}") if row else {}
        except ValueError:
            return {}

    def stored(self, doc_ids: list[str]) -> dict[str, dict]:
        """{doc_id: {"content_hash", "details", "terms_table"}} for the given documents that have
        an analysis."""
        out = {}
        for start in range(0, len(doc_ids), _CHUNK):
            chunk = doc_ids[start:start + _CHUNK]
            for row in self.conn.execute(
                    f"SELECT doc_id, content_hash, details, terms_table FROM analyses WHERE doc_id IN "
                    f"({','.join('?' * len(chunk))})", chunk):
                out[row[0]] = {"content_hash": row[1], "details": json.loads(row[2] or "{}"), "terms_table": row[3]}
        return out

    def translation_coverage(self) -> dict[str, tuple[int, int]]:
        """Per language of the processed documents: (translated, all) — for the status page."""
        rows = self.conn.execute("SELECT lang, SUM(title_tr IS NOT NULL), COUNT(*) FROM analyses "
                                 "WHERE lang IN ('en', 'zh') GROUP BY lang").fetchall()
        return {lang: (int(done or 0), int(total)) for lang, done, total in rows}

    # -- translation cache ----------------------------------------------------------------------

    def cached_translations(self, model: str, keys: Iterable[str]) -> list[tuple[str, object]]:
        """(sentence_hash, target) rows cached for the model, as stored: the table is plain SQLite
        and may hold a damaged value (bytes, a number), which the caller treats as a miss."""
        key_list = list(keys)
        rows: list[tuple[str, object]] = []
        for i in range(0, len(key_list), _CHUNK):
            chunk = key_list[i:i + _CHUNK]
            rows += [tuple(r) for r in self.conn.execute(
                f"SELECT sentence_hash, target FROM translation_cache WHERE model = ? AND sentence_hash "
                f"IN ({','.join('?' * len(chunk))})", (model, *chunk))]
        return rows

    def cache_translations(self, model: str, new: dict[str, tuple[str, str]]) -> None:
        """Remember {sentence_hash: (source, target)} for the model, replacing damaged entries."""
        from index.document import utc_now

        with self.store.transaction():
            self.conn.executemany(
                "INSERT OR REPLACE INTO translation_cache (model, sentence_hash, source, target, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                [(model, k, s, t, utc_now()) for k, (s, t) in new.items()])

    # -- near-duplicate signatures --------------------------------------------------------------

    def band_neighbours(self, doc_id: str, bands: list[tuple[int, str]]) -> set[str]:
        """The other documents that share at least one LSH band bucket with these bands."""
        found: set[str] = set()
        for band, bucket in bands:
            found.update(r[0] for r in self.conn.execute(
                "SELECT doc_id FROM doc_bands WHERE band = ? AND bucket = ? AND doc_id != ?",
                (band, bucket, doc_id)))
        return found

    def signature(self, doc_id: str) -> tuple[bytes, str] | None:
        """(MinHash signature bytes, cluster id) stored for a document, or None."""
        row = self.conn.execute("SELECT signature, cluster_id FROM doc_signatures WHERE doc_id = ?",
                                (doc_id,)).fetchone()
        return (row[0], row[1]) if row is not None else None

    def save_signature(self, doc_id: str, bands: list[tuple[int, str]], signature: bytes, cluster: str) -> None:
        """Replace a document's bands and signature (with the cluster it joined), in one transaction."""
        with self.store.transaction():
            self.conn.execute("DELETE FROM doc_bands WHERE doc_id = ?", (doc_id,))
            self.conn.executemany("INSERT OR IGNORE INTO doc_bands (band, bucket, doc_id) VALUES (?, ?, ?)",
                                  [(b, k, doc_id) for b, k in bands])
            self.conn.execute("INSERT INTO doc_signatures (doc_id, signature, cluster_id) VALUES (?, ?, ?) "
                              "ON CONFLICT(doc_id) DO UPDATE SET signature = excluded.signature, "
                              "cluster_id = excluded.cluster_id", (doc_id, signature, cluster))
