"""The exported row: every field a reviewer needs, one flat record per document, streamed.

Rows come from the same query code as search (`backend.match_pages`), so an export holds exactly
what a search for the same query finds (every match: near-duplicates are not collapsed), in the same
order. The matches arrive a page at a time as store seqs and each batch of rows is one query of the
exported columns, so memory does not grow with the number of matches and no document object is made.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timezone
from typing import Iterator

from index.export.gazetteer import EntityName, load_entity_names
from index.search import SearchRequest

SCHEMA_VERSION = 2  # 2: source_collections

# Column order of every format. `entities` is a list of
# {id, name_en, name_zh, type, text, mentions} (flattened in CSV and xlsx).
COLUMNS = (
    "id", "url", "source_id", "source_name", "source_name_en", "source_collections", "kind", "country", "language",
    "author", "published_at", "fetched_at", "title", "body", "title_tr", "body_tr",
    "translation_model", "entities", "cluster_id", "cluster_size", "processing_version",
    "content_hash",
)
TIME_COLUMNS = ("published_at", "fetched_at")


def utc_iso(value: str | None) -> str | None:
    """An ISO 8601 time as `YYYY-MM-DDTHH:MM:SSZ` in UTC; a time without offset is taken as UTC.

    The store keeps ISO text; one spelling in exports lets spreadsheets sort the column as text.
    A value that is not ISO 8601 is kept as it is rather than dropped.
    """
    if not value:
        return None
    if len(value) == 25 and value.endswith("+00:00") and value[10] == "T":
        return value[:19] + "Z"  # already UTC to the second: the store's usual spelling
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def document_entities(mentions, names: dict[str, EntityName]) -> list[dict]:
    """One entry per distinct entity in order of first mention, with its names from the gazetteer.

    A mention without a canonical id (not linked to the gazetteer) is kept under its surface text
    with an empty id, so nothing the tagger found is lost.
    """
    out: dict[tuple, dict] = {}
    for mention in mentions:
        canonical = mention.get("canonical_id") or None
        key = ("id", canonical) if canonical else ("text", mention.get("text"), mention.get("label"))
        if key in out:
            out[key]["mentions"] += 1
            continue
        known = names.get(canonical) if canonical else None
        out[key] = {
            "id": canonical,
            "name_en": known.name_en if known else None,
            "name_zh": known.name_zh if known else None,
            "type": (known.type if known and known.type else None) or mention.get("label"),
            "text": mention.get("text"),
            "mentions": 1,
        }
    return list(out.values())


def export_request(request: SearchRequest) -> SearchRequest:
    """The request as export runs it: every match (no collapsing), limit and offset ignored."""
    return dataclasses.replace(request, collapse=False, offset=0, facets=False)


# What a row is made of, read straight from the store in `COLUMNS` order (source names and times
# are filled in per row). The cluster size is counted by the store beside the row (through the
# index on analyses.cluster_id), so a batch is one query.
_ROW_SQL = (
    "SELECT d.seq, d.id, d.url, d.source_id, d.kind, d.country, COALESCE(a.lang, d.declared_lang), "
    "d.author, d.published_at, {utc_published}, d.fetched_at, {utc_fetched}, d.title, d.body, a.title_tr, a.body_tr, "
    "a.translation_model, a.entities, a.cluster_id, "
    "CASE WHEN a.cluster_id IS NULL THEN 1 ELSE "
    "(SELECT COUNT(*) FROM analyses c WHERE c.cluster_id = a.cluster_id) END, "
    "a.version, d.content_hash "
    "FROM documents d LEFT JOIN analyses a ON a.doc_id = d.id WHERE d.{key} IN ({{marks}})"
)


def _utc_in_sql(column: str) -> str:
    """`utc_iso`'s fast path in SQL (the store's usual spelling, UTC to the second); NULL otherwise,
    and the row's value goes through `utc_iso`."""
    return (f"CASE WHEN length({column}) = 25 AND substr({column}, 11, 1) = 'T' AND "
            f"substr({column}, 20) = '+00:00' THEN substr({column}, 1, 19) || 'Z' END")


_ROW_SQL = _ROW_SQL.format(utc_published=_utc_in_sql("d.published_at"), utc_fetched=_utc_in_sql("d.fetched_at"),
                           key="{key}")


def _source_columns(sources: dict) -> dict[str, tuple]:
    """(source_name, source_name_en, source_collections) per source id, computed once per export."""
    return {sid: (src.get("name"), src.get("name_en"), "|".join(src.get("collections", ())))
            for sid, src in sources.items()}


def _fetch(store, key: str, values: list) -> dict:
    """Rows of `_ROW_SQL` by seq or id ({key value: row tuple}), one query per 500 values."""
    column = 0 if key == "seq" else 1
    out = {}
    for start in range(0, len(values), 500):
        chunk = values[start:start + 500]
        sql = _ROW_SQL.format(key=key, marks=",".join("?" * len(chunk)))
        for row in store.conn.execute(sql, chunk):
            out[row[column]] = row
    return out


def _rows_of_page(store, page, batch: int) -> Iterator[tuple]:
    """The store's row of each match of one page, in the page's order, read `batch` at a time.
    A match stored again since it was indexed (another seq now) is read by its id."""
    seqs = page.seqs
    for start in range(0, len(seqs), batch):
        chunk = seqs[start:start + batch]
        rows = _fetch(store, "seq", chunk)
        found = list(map(rows.get, chunk))
        if None in found:
            moved = {i: page.id_at(start + i) for i, row in enumerate(found) if row is None}
            by_id = _fetch(store, "id", list(moved.values()))
            for i, doc_id in moved.items():
                found[i] = by_id.get(doc_id)  # None: removed from the store after the index saw it
        yield from filter(None, found)


def iter_rows(store, backend, request: SearchRequest, entity_names: dict[str, EntityName] | None = None,
              batch: int = 1000) -> Iterator[dict]:
    """Every document matching `request`, as export rows (see `COLUMNS`), in the search's order.

    `entity_names` defaults to the bundled gazetteer. The backend gives the matches a page at a
    time as store seqs (`match_pages`), and each `batch` of them is read with one query of just
    the exported columns, so memory stays flat and no document object is built.
    """
    names = load_entity_names() if entity_names is None else entity_names
    by_source = _source_columns(store.sources())
    no_source = (None, None, "")
    columns = COLUMNS
    for page in backend.match_pages(export_request(request)):
        for (_, doc_id, url, source_id, kind, country, language, author, published_at, published_utc,
             fetched_at, fetched_utc, title, body, title_tr, body_tr, model, entities, cluster_id, cluster_size,
             version, content_hash) in _rows_of_page(store, page, batch):
            name, name_en, collections = by_source.get(source_id, no_source)
            mentions = json.loads(entities) if entities and entities != "[]" else ()
            yield dict(zip(columns, (
                doc_id, url, source_id, name, name_en, collections, kind, country, language, author,
                published_utc or utc_iso(published_at), fetched_utc or utc_iso(fetched_at), title, body,
                title_tr, body_tr, model,
                document_entities(mentions, names) if mentions else [], cluster_id,
                cluster_size if cluster_id else 1, version, content_hash)))
