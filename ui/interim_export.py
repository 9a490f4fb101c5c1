"""Interim export for the UI, used only while `index.export` is not installed.

The export work owns the file formats (`index.export.export_bytes`, `FORMATS`). This module has the
same call shape so the download buttons work before that lands: every match of the request (in the
backend's order, near-duplicates not collapsed) read from the store in batches, one flat row per
document, as CSV, JSON lines or Parquet. `ui.exporting` picks the real module when it exists; delete
this file once it does.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from itertools import islice

from parallax.errors import ExportError

FORMATS = ("csv", "jsonl", "parquet")
COLUMNS = ("id", "url", "source_id", "source_name", "kind", "country", "language", "published_at",
           "fetched_at", "title", "body", "title_tr", "body_tr", "entities", "cluster_id",
           "processing_version")


def _rows(store, backend, request):
    sources = store.sources()
    ids = backend.iter_ids(replace(request, limit=0, offset=0, facets=False))
    while batch := list(islice(ids, 500)):
        docs = store.get_many(batch)
        for doc_id in batch:
            doc = docs[doc_id]
            yield {
                "id": doc.id, "url": doc.url, "source_id": doc.source_id,
                "source_name": sources.get(doc.source_id, {}).get("name_en", doc.source_id),
                "kind": doc.kind, "country": doc.country, "language": doc.lang or doc.declared_lang,
                "published_at": doc.published_at, "fetched_at": doc.fetched_at, "title": doc.title,
                "body": doc.body, "title_tr": doc.title_tr, "body_tr": doc.body_tr,
                "entities": sorted({e.get("canonical_id") or e.get("text") for e in doc.entities} - {None}),
                "cluster_id": doc.cluster_id, "processing_version": doc.analysis_version,
            }


def export_bytes(store, backend, request, fmt: str) -> bytes:
    """The request's matches as a file in `fmt` (one of FORMATS)."""
    if fmt not in FORMATS:
        raise ExportError(f"export format {fmt!r} is not known; choose one of: {', '.join(FORMATS)}")
    rows = list(_rows(store, backend, request))
    if fmt == "jsonl":
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode("utf-8")
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow({**row, "entities": "; ".join(row["entities"])})
        return ("\ufeff" + out.getvalue()).encode("utf-8")  # BOM: spreadsheets then read UTF-8
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pylist(rows, schema=pa.schema(
        [(c, pa.list_(pa.string()) if c == "entities" else pa.string()) for c in COLUMNS]))
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()
