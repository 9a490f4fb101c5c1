"""Export throughput and peak memory per format, beside `json.dumps` of the same rows.

The export module (`index.export`) is built on another branch; when it is importable each of its
writers is timed over every document of the store, and its JSONL writer is compared with plain
`json.dumps` of the same rows. When it is not, the section says "not available" and still reports
the baseline (reading every document and `json.dumps` per row), the ceiling any exporter works under.
"""

from __future__ import annotations

import importlib
import io
import json
import time
import tracemalloc

from index.search import SearchRequest

FORMATS = ("jsonl", "csv", "parquet", "xlsx")


def _baseline(store) -> dict:
    started = time.perf_counter()
    out, count = io.BytesIO(), 0
    for doc in store.iter_documents(batch=500):
        row = {"id": doc.id, "url": doc.url, "source_id": doc.source_id, "kind": doc.kind,
               "country": doc.country, "language": doc.lang or doc.declared_lang,
               "published_at": doc.published_at, "title": doc.title, "body": doc.body}
        out.write((json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8"))
        count += 1
    seconds = time.perf_counter() - started
    return {"documents": count, "seconds": seconds, "docs_per_s": count / seconds, "bytes": out.tell()}


def _peak(fn) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def measure(store, settings) -> dict:
    result = {"baseline_store_to_json_dumps": _baseline(store)}
    try:
        rows_mod = importlib.import_module("index.export.rows")
        writers = importlib.import_module("index.export.writers")
    except ImportError as exc:
        result["status"] = "not available"
        result["reason"] = f"index.export is not importable ({exc})"
        return result
    from index.tantivy import TantivyBackend

    backend = TantivyBackend(settings, store)
    request = SearchRequest("", sort="date")
    result["status"] = "measured"
    result["module"] = rows_mod.__file__  # an editable install may resolve it outside this checkout
    result["formats"] = {}
    try:
        rows = list(rows_mod.iter_rows(store, backend, request))
    except Exception as exc:  # a module still being built: record why, keep the run going
        result["status"] = "not available"
        result["reason"] = f"index.export.rows.iter_rows failed: {type(exc).__name__}: {exc}"
        return result
    started = time.perf_counter()
    buf = io.BytesIO()
    for r in rows:
        buf.write((json.dumps(r, ensure_ascii=False) + "\n").encode("utf-8"))
    dumps_s = time.perf_counter() - started
    result["json_dumps_same_rows"] = {"documents": len(rows), "seconds": dumps_s,
                                      "docs_per_s": len(rows) / dumps_s if dumps_s else None}
    for fmt in FORMATS:
        writer = getattr(writers, f"write_{fmt}", None)
        if writer is None:
            result["formats"][fmt] = {"status": "not available", "reason": f"no write_{fmt} in index.export.writers"}
            continue
        try:
            started = time.perf_counter()
            writer(iter(rows), io.BytesIO())
            write_s = time.perf_counter() - started
            started = time.perf_counter()
            writer(rows_mod.iter_rows(store, backend, request), io.BytesIO())
            full_s = time.perf_counter() - started
            peak = _peak(lambda: writer(rows_mod.iter_rows(store, backend, request), _Sink()))
        except Exception as exc:  # e.g. an optional dependency (pyarrow, openpyxl) missing
            result["formats"][fmt] = {"status": "not available", "reason": f"{type(exc).__name__}: {exc}"}
            continue
        entry = {"status": "measured", "documents": len(rows), "writer_seconds": write_s,
                 "writer_docs_per_s": len(rows) / write_s, "end_to_end_seconds": full_s,
                 "end_to_end_docs_per_s": len(rows) / full_s, "peak_python_memory_bytes": peak}
        if fmt == "jsonl":
            entry["ratio_vs_json_dumps"] = write_s / dumps_s if dumps_s else None
        result["formats"][fmt] = entry
    return result


class _Sink(io.RawIOBase):
    """A binary stream that counts and drops what is written, so peak memory is the exporter's own."""

    def __init__(self):
        self.count = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.count += len(data)
        return len(data)

    def seekable(self) -> bool:
        return False
