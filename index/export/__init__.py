"""Bulk export of search results for offline review: JSONL, CSV, Parquet, xlsx, plus a manifest.

One implementation for the command line (`parallax export`) and the UI's download button:

    from index.export import FORMATS, export_bytes, export_to_path
    data = export_bytes(store, backend, SearchRequest(query="export controls"), "csv")
    manifest = export_to_path(store, backend, request, "parquet", "out.parquet", force=False)

Rows stream from the search backend's `match_pages` (the same query code as search) through
`iter_rows`, so memory stays flat however many documents match. Every export to a path gets a
manifest beside it (`PATH.manifest.json`): query, filters, time, document count, schema version and
the data file's SHA-256.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from index import query as q
from index.document import utc_now
from index.export.gazetteer import EntityName, load_entity_names
from index.export.rows import COLUMNS, SCHEMA_VERSION, iter_rows
from index.export.target import MANIFEST_SUFFIX, atomic_file, check_output_path, manifest_path
from index.export.writers import FLAT_COLUMNS, WRITERS, WriteStats
from index.search import SearchRequest
from parallax.errors import ExportError

FORMATS = ("jsonl", "csv", "parquet", "xlsx")
# Formats that can go to a pipe; Parquet and xlsx are containers written with a footer/zip index.
STREAMABLE = ("jsonl", "csv")
MEDIA_TYPES = {
    "jsonl": "application/x-ndjson",
    "csv": "text/csv; charset=utf-8",
    "parquet": "application/vnd.apache.parquet",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
EXTENSIONS = {fmt: f".{fmt}" for fmt in FORMATS}

__all__ = [
    "COLUMNS", "EXTENSIONS", "FLAT_COLUMNS", "FORMATS", "MANIFEST_SUFFIX", "MEDIA_TYPES",
    "SCHEMA_VERSION", "STREAMABLE", "Manifest", "check_format", "export_bytes", "export_payload",
    "export_to_path", "export_to_stream", "iter_rows", "load_entity_names", "manifest_path",
]


@dataclass
class Manifest:
    """What an export holds and how to check it; written as JSON beside the data file."""

    format: str
    documents: int
    sha256: str
    bytes: int
    query: str
    filters: list[dict]
    sort: str
    expand: bool
    backend: str
    exported_at: str
    columns: list[str]
    data_file: str | None = None  # file name beside the manifest; None for stdout / download
    schema_version: int = SCHEMA_VERSION
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2) + "\n"


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return fmt


def query_filters(query: str) -> list[dict]:
    """The field filters in a query (`source:sia`, `-lang:zh` …), for the manifest."""
    found: list[dict] = []

    def visit(node, negated: bool) -> None:
        if isinstance(node, q.Filter):
            found.append({"field": node.field, "value": node.value, "negated": negated})
        elif isinstance(node, q.Not):
            visit(node.child, not negated)
        elif isinstance(node, (q.And, q.Or)):
            for child in node.children:
                visit(child, negated)

    visit(q.parse(query), False)
    return found


class _HashingWriter:
    """Passes bytes through to a stream, counting and hashing them (for stdout and buffers)."""

    def __init__(self, stream: BinaryIO):
        self.stream = stream
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        self.size += len(data)
        return self.stream.write(data)

    def flush(self) -> None:
        self.stream.flush()


def _file_sha256(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _manifest(fmt: str, stats: WriteStats, sha256: str, size: int, request: SearchRequest,
              backend, data_file: str | None) -> Manifest:
    notes = []
    if stats.truncated_cells:
        notes.append(f"{stats.truncated_cells} cells were cut at Excel's 32,767-character limit; "
                     f"export JSONL, CSV or Parquet for the full text")
    return Manifest(
        format=fmt, documents=stats.documents, sha256=sha256, bytes=size, query=request.query,
        filters=query_filters(request.query), sort=request.sort, expand=request.expand,
        backend=getattr(backend, "name", type(backend).__name__), exported_at=utc_now(),
        columns=list(COLUMNS if fmt in ("jsonl", "parquet") else FLAT_COLUMNS),
        data_file=data_file, notes=notes,
    )


def _write(store, backend, request: SearchRequest, fmt: str, stream: BinaryIO,
           entity_names: dict[str, EntityName] | None) -> WriteStats:
    q.parse(request.query)  # a bad query fails before any file is touched
    return WRITERS[fmt](iter_rows(store, backend, request, entity_names), stream)


def export_to_stream(store, backend, request: SearchRequest, fmt: str, stream: BinaryIO,
                     entity_names: dict[str, EntityName] | None = None) -> Manifest:
    """Write JSONL or CSV to a binary stream (standard output); returns the manifest (not written)."""
    check_format(fmt)
    if fmt not in STREAMABLE:
        raise ExportError(
            f"{fmt} cannot be written to standard output; use --format {' or '.join(STREAMABLE)} "
            f"with --output -, or give a file name for {fmt}"
        )
    hashing = _HashingWriter(stream)
    stats = _write(store, backend, request, fmt, hashing, entity_names)
    hashing.flush()
    return _manifest(fmt, stats, hashing.digest.hexdigest(), hashing.size, request, backend, None)


def export_to_path(store, backend, request: SearchRequest, fmt: str, path: str | os.PathLike,
                   force: bool = False, entity_names: dict[str, EntityName] | None = None) -> Manifest:
    """Write an export file and its manifest (`PATH.manifest.json`); returns the manifest.

    Refuses (ExportError) an unknown format, a missing directory, a relative path with `..`, or an
    existing file without `force`. The data file appears only when complete.
    """
    check_format(fmt)
    target = check_output_path(path, force)
    q.parse(request.query)
    try:
        with atomic_file(target, replace=force) as handle:
            stats = _write(store, backend, request, fmt, handle, entity_names)
        sha256, size = _file_sha256(target)
        manifest = _manifest(fmt, stats, sha256, size, request, backend, target.name)
        with atomic_file(manifest_path(target), replace=force) as handle:
            handle.write(manifest.to_json().encode("utf-8"))
    except OSError as exc:  # a full disk, a quota: the partial file is already gone
        raise ExportError(f"cannot write {str(target)!r}: {exc.strerror or exc}; nothing was "
                          "written: free some space or choose another path") from None
    return manifest


def export_payload(store, backend, request: SearchRequest, fmt: str,
                   entity_names: dict[str, EntityName] | None = None) -> tuple[bytes, Manifest]:
    """The export in memory with its manifest, for a download (memory grows with the result)."""
    check_format(fmt)
    buffer = io.BytesIO()
    stats = _write(store, backend, request, fmt, buffer, entity_names)
    data = buffer.getvalue()
    return data, _manifest(fmt, stats, hashlib.sha256(data).hexdigest(), len(data), request, backend, None)


def export_bytes(store, backend, request: SearchRequest, fmt: str,
                 entity_names: dict[str, EntityName] | None = None) -> bytes:
    """The export file's bytes, exactly what `export_to_path` would write (for the UI's download)."""
    return export_payload(store, backend, request, fmt, entity_names)[0]
