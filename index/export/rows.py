"""The exported row: every field a reviewer needs, one flat record per document, streamed.

Rows come from the same query code as search (`backend.iter_ids`), so an export holds exactly what a
search for the same query finds (every match: near-duplicates are not collapsed), in the same order.
Documents are read from the store in batches, so memory does not grow with the number of matches.
"""

from __future__ import annotations

import dataclasses
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


def _batches(ids: Iterator[str], size: int) -> Iterator[list[str]]:
    batch: list[str] = []
    for doc_id in ids:
        batch.append(doc_id)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _cluster_sizes(store, cluster_ids: set[str]) -> dict[str, int]:
    if not cluster_ids:
        return {}
    marks = ",".join("?" * len(cluster_ids))
    rows = store.conn.execute(
        f"SELECT cluster_id, COUNT(*) FROM analyses WHERE cluster_id IN ({marks}) GROUP BY cluster_id",
        sorted(cluster_ids),
    )
    return {r[0]: r[1] for r in rows}


def iter_rows(store, backend, request: SearchRequest, entity_names: dict[str, EntityName] | None = None,
              batch: int = 500) -> Iterator[dict]:
    """Every document matching `request`, as export rows (see `COLUMNS`), in the search's order.

    `entity_names` defaults to the bundled gazetteer. The search's id stream is consumed `batch`
    ids at a time and each batch fetched with one query, so memory stays flat.
    """
    names = load_entity_names() if entity_names is None else entity_names
    sources = store.sources()
    for ids in _batches(backend.iter_ids(export_request(request)), batch):
        docs = store.get_many(ids)
        sizes = _cluster_sizes(store, {d.cluster_id for d in docs.values() if d.cluster_id})
        for doc_id in ids:
            doc = docs.get(doc_id)
            if doc is None:  # removed from the store after the index was built
                continue
            source = sources.get(doc.source_id, {})
            yield {
                "id": doc.id,
                "url": doc.url,
                "source_id": doc.source_id,
                "source_name": source.get("name"),
                "source_name_en": source.get("name_en"),
                # The source's collections as the sources file has them now, `|`-joined.
                "source_collections": "|".join(source.get("collections", ())),
                "kind": doc.kind,
                "country": doc.country,
                "language": doc.lang or doc.declared_lang,
                "author": doc.author,
                "published_at": utc_iso(doc.published_at),
                "fetched_at": utc_iso(doc.fetched_at),
                "title": doc.title,
                "body": doc.body,
                "title_tr": doc.title_tr,
                "body_tr": doc.body_tr,
                "translation_model": doc.translation_model,
                "entities": document_entities(doc.entities, names),
                "cluster_id": doc.cluster_id,
                # A document outside any near-duplicate cluster stands alone.
                "cluster_size": sizes.get(doc.cluster_id, 1) if doc.cluster_id else 1,
                "processing_version": doc.analysis_version,
                "content_hash": doc.content_hash,
            }
