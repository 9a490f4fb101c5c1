"""Export throughput and peak memory per format, beside the raw engines doing the least the same export needs.

Ours is `index.export`: every document of the store (the empty query, newest first) through
`iter_rows` and each format's writer into a sink that drops the bytes, end to end.

The raw figure is the same work with nothing of ours: tantivy alone listing every match in the
same order (pages of `index.tantivy_scan.PAGE` hits and their `seq` fast field), SQLite alone
reading the exported columns of those documents by seq (one query per 1,000, the rows as
tuples), and `json.dumps` of each tuple, one line each. The ratio (ours / raw, time) is the cost
of our layers: the row dictionaries, entity names, time spelling, the writers.

Memory, two ways: the peak of Python allocations during the export (tracemalloc, a run of its
own), and the growth of the process's resident peak (Linux VmHWM, reset before the export), which
also sees SQLite, tantivy, Arrow and openpyxl. "Flat" means these stay the same size whatever the
number of documents: compare the tiers.

    python -m benchmarks.export --data-dir benchmarks/corpus/tier-...-n100000 [--formats jsonl,csv]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import time
import tracemalloc
from itertools import islice
from pathlib import Path

from index.search import SearchRequest

FORMATS = ("jsonl", "csv", "parquet", "xlsx")
REQUEST = SearchRequest("", sort="date")
WRITER_ROWS = 10_000


class _Sink(io.RawIOBase):
    """A binary stream that counts and drops what is written, so memory and time are the exporter's own."""

    def __init__(self):
        self.count = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.count += len(data)
        return len(data)

    def seekable(self) -> bool:
        return False


def _status_kib(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _resident_growth(fn) -> tuple[object, int | None]:
    """(fn's result, KiB by which the process's resident peak rose above its size before fn):
    the kernel's high-water mark is reset first (Linux >= 4.0); None where that is not possible."""
    before = _status_kib("VmRSS")
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        before = None
    result = fn()
    peak = _status_kib("VmHWM")
    return result, (peak - before if before is not None and peak is not None else None)


def _python_peak(fn) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _baseline(store) -> dict:
    """Every document read as the store's objects and `json.dumps`ed (the export of an older version)."""
    started = time.perf_counter()
    out, count = _Sink(), 0
    for doc in store.iter_documents(batch=500):
        row = {"id": doc.id, "url": doc.url, "source_id": doc.source_id, "kind": doc.kind,
               "country": doc.country, "language": doc.lang or doc.declared_lang,
               "published_at": doc.published_at, "title": doc.title, "body": doc.body}
        out.write((json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8"))
        count += 1
    seconds = time.perf_counter() - started
    return {"documents": count, "seconds": seconds, "docs_per_s": count / seconds if seconds else None,
            "bytes": out.count}


def raw(store, backend) -> dict:
    """tantivy listing every match in order, SQLite reading the exported columns by seq, one
    `json.dumps` per row tuple: each part timed, the whole as one figure."""
    from index.export.rows import _ROW_SQL
    from index.search import prepare
    from index.tantivy_compile import compile_request
    from index.tantivy_page import order_options
    from index.tantivy_scan import PAGE

    expanded = prepare(REQUEST, backend.settings)
    searcher = backend.searcher()
    query = compile_request(expanded, backend._index.schema, marks=backend.marks(searcher))
    options = order_options(expanded, REQUEST)
    scan_s = fetch_s = dumps_s = 0.0
    documents, sink = 0, _Sink()
    offset = 0
    while True:
        t0 = time.perf_counter()
        hits = searcher.search(query, PAGE, count=False, offset=offset, **options).hits
        seqs = searcher.fast_field_values("seq", [a for _, a in hits]) if hits else []
        t1 = time.perf_counter()
        scan_s += t1 - t0
        for start in range(0, len(seqs), 1000):
            t1 = time.perf_counter()
            chunk = seqs[start:start + 1000]
            rows = []
            for at in range(0, len(chunk), 500):
                part = chunk[at:at + 500]
                rows += store.conn.execute(_ROW_SQL.format(key="seq", marks=",".join("?" * len(part))),
                                           part).fetchall()
            t2 = time.perf_counter()
            sink.write(("".join(json.dumps(tuple(r), ensure_ascii=False) + "\n" for r in rows)).encode("utf-8"))
            t3 = time.perf_counter()
            fetch_s += t2 - t1
            dumps_s += t3 - t2
            documents += len(rows)
        if len(hits) < PAGE:
            break
        offset += PAGE
    seconds = scan_s + fetch_s + dumps_s
    return {"documents": documents, "seconds": seconds, "docs_per_s": documents / seconds if seconds else None,
            "tantivy_scan_seconds": scan_s, "sqlite_fetch_seconds": fetch_s, "json_dumps_seconds": dumps_s,
            "bytes": sink.count}


def measure(store, settings, formats: tuple[str, ...] = FORMATS) -> dict:
    from index.export import rows as rows_mod
    from index.export import writers
    from index.tantivy import TantivyBackend

    backend = TantivyBackend(settings, store)
    names = rows_mod.load_entity_names()
    for fmt in formats:  # libraries' start-up (Arrow, openpyxl) is not the export's cost
        writers.WRITERS[fmt](iter(()), io.BytesIO())
    raw(store, backend)  # once to warm the page cache (the store file is read cold otherwise)
    raw_result = raw(store, backend)
    result = {"status": "measured", "module": rows_mod.__file__, "documents": raw_result["documents"],
              "baseline_store_to_json_dumps": _baseline(store), "raw": raw_result, "formats": {},
              "load_average": list(os.getloadavg())}
    # The writers alone, and json.dumps, on the first rows held in memory (at most WRITER_ROWS).
    rows = list(islice(rows_mod.iter_rows(store, backend, REQUEST, names), WRITER_ROWS))
    started = time.perf_counter()
    buf = _Sink()
    for r in rows:
        buf.write((json.dumps(r, ensure_ascii=False) + "\n").encode("utf-8"))
    dumps_s = time.perf_counter() - started
    result["json_dumps_same_rows"] = {"documents": len(rows), "seconds": dumps_s,
                                      "docs_per_s": len(rows) / dumps_s if dumps_s else None}
    for fmt in formats:
        writer = writers.WRITERS[fmt]
        try:
            fresh = [dict(r) for r in rows]  # a writer may convert values in place (Parquet's times)
            started = time.perf_counter()
            writer(iter(fresh), _Sink())
            write_s = time.perf_counter() - started
            del fresh

            def export():
                sink = _Sink()
                t0, c0 = time.perf_counter(), time.process_time()
                stats = writer(rows_mod.iter_rows(store, backend, REQUEST, names), sink)
                return stats.documents, time.perf_counter() - t0, time.process_time() - c0, sink.count

            (documents, full_s, cpu_s, size), growth_kib = _resident_growth(export)
            peak = _python_peak(lambda: writer(rows_mod.iter_rows(store, backend, REQUEST, names), _Sink()))
        except Exception as exc:  # e.g. an optional dependency (pyarrow, openpyxl) missing
            result["formats"][fmt] = {"status": "not available", "reason": f"{type(exc).__name__}: {exc}"}
            continue
        entry = {"status": "measured", "documents": documents, "bytes": size,
                 "writer_seconds": write_s, "writer_docs_per_s": len(rows) / write_s if write_s else None,
                 "end_to_end_seconds": full_s, "end_to_end_docs_per_s": documents / full_s if full_s else None,
                 "cpu_seconds": cpu_s, "peak_python_memory_bytes": peak,
                 "resident_peak_growth_bytes": growth_kib * 1024 if growth_kib is not None else None,
                 "ratio_vs_raw": full_s / raw_result["seconds"] if raw_result["seconds"] else None}
        if fmt == "jsonl":
            entry["ratio_vs_json_dumps"] = write_s / dumps_s if dumps_s else None
        result["formats"][fmt] = entry
    return result


def main(argv: list[str] | None = None) -> int:
    from benchmarks.stores import Store, settings_for

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True, help="a tier's data directory (store + index)")
    parser.add_argument("--formats", default="jsonl,csv,parquet,xlsx")
    args = parser.parse_args(argv)
    formats = tuple(f for f in args.formats.split(",") if f)
    settings = settings_for(args.data_dir)
    with Store(settings.store_path) as store:
        r = measure(store, settings, formats)
    w = r["raw"]
    print(f"export of {r['documents']:,} documents, load {r['load_average']}")
    print(f"  raw: {w['docs_per_s']:,.0f} docs/s (tantivy scan {w['tantivy_scan_seconds']:.2f} s, SQLite rows "
          f"{w['sqlite_fetch_seconds']:.2f} s, json.dumps {w['json_dumps_seconds']:.2f} s)")
    for fmt, e in r["formats"].items():
        if e["status"] != "measured":
            print(f"  {fmt}: {e['status']} ({e['reason']})")
            continue
        growth = e["resident_peak_growth_bytes"]
        print(f"  {fmt}: {e['end_to_end_docs_per_s']:,.0f} docs/s ({e['end_to_end_seconds']:.2f} s, CPU "
              f"{e['cpu_seconds']:.2f} s), {e['ratio_vs_raw']:.2f}x raw; peak Python memory "
              f"{e['peak_python_memory_bytes'] / 1e6:.1f} MB, resident peak growth "
              f"{'?' if growth is None else f'{growth / 1e6:.1f} MB'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
