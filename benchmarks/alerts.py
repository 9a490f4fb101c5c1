"""Alert matching: N saved searches against the newest M documents, beside raw tantivy doing the search.

Ours is what an alert run does for each saved search before it renders and sends
(`alerts.matching.match`): the query parsed and expanded, the new matches from the backend (a
range on the index's `seq` fast field above the alert's last run), the documents read from the
store (once per run, shared by the alerts: `NewDocuments`), grouped by near-duplicate cluster
against what the recipient already has, and the hits shown in the email built with their
snippets. Nothing is sent or recorded, so the figure is the matching alone.

The raw figure is tantivy alone over the same saved searches: each query compiled beforehand
(untimed), then one `search` collecting every new match in date order and the `seq` fast field
of those hits — the least any implementation on this index does. The ratio is the cost of our
layers: parsing and expansion, the store, grouping, snippets.

    python -m benchmarks.alerts --data-dir benchmarks/corpus/tier-...-n100000 [--alerts 1000] [--new 10000]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from benchmarks.report import percentile


def _stats(samples: list[float]) -> dict:
    ms = [s * 1000 for s in samples] or [0.0]
    return {"p50_ms": percentile(ms, 50), "p95_ms": percentile(ms, 95), "p99_ms": percentile(ms, 99),
            "max_ms": max(ms), "mean_ms": sum(ms) / len(ms), "samples": len(samples)}


def _backend(data_dir, store):
    from benchmarks.stores import settings_for
    from index.tantivy import TantivyBackend

    return TantivyBackend(settings_for(data_dir), store)


class _Timed:
    """Wraps the backend's `matches` to add up the time the index part of matching takes."""

    def __init__(self, backend):
        self.backend = backend
        self.seconds = 0.0

    def __getattr__(self, name):
        return getattr(self.backend, name)

    def matches(self, request):
        started = time.perf_counter()
        try:
            return self.backend.matches(request)
        finally:
            self.seconds += time.perf_counter() - started


def _similar(item):
    return item.similar


def raw_tantivy(backend, queries: list[str], since: int, new_documents: int) -> tuple[float, float, int]:
    """(seconds, CPU seconds, matches) of tantivy alone: one collecting search per query, compiled beforehand,
    room for every new document reserved (as ours does)."""
    from alerts.matching import request_for
    from alerts.saved import SavedSearch
    from index.search import prepare
    from index.tantivy_compile import compile_request
    from index.tantivy_page import order_options

    searcher = backend.searcher()
    schema = backend._index.schema
    marks = backend.marks(searcher)
    prepared = []
    for query in queries:
        request = request_for(SavedSearch("raw", query, ["raw@example.org"], last_seq=since))
        expanded = prepare(request, backend.settings)
        prepared.append((compile_request(expanded, schema, since, marks=marks), order_options(expanded, request)))
    limit = max(1, new_documents)
    matched = 0
    cpu = time.process_time()
    started = time.perf_counter()
    for query, options in prepared:
        hits = searcher.search(query, limit, count=False, **options).hits
        if hits:
            matched += len(searcher.fast_field_values("seq", [a for _, a in hits]))
    return time.perf_counter() - started, time.process_time() - cpu, matched


def measure(data_dir, store, saved: list[str], new_documents: int, max_hits: int = 20) -> dict:
    """Every saved search matched against the newest `new_documents` documents of the store."""
    from alerts.matching import NewDocuments, match
    from alerts.saved import SavedSearch

    backend = _backend(data_dir, store)
    last = store.conn.execute("SELECT MAX(seq) FROM documents").fetchone()[0] or 0
    since = max(0, last - new_documents)
    alerts = [SavedSearch(f"bench-{i}", query, ["reader@example.org"], last_seq=since)
              for i, query in enumerate(saved)]
    timed = _Timed(backend)
    documents = NewDocuments(store, alerts=alerts)
    per_alert, matched, with_hits, cpu = [], 0, 0, 0.0
    for alert in alerts:
        c0, t0 = time.process_time(), time.perf_counter()
        [owed] = match(store, timed, alert, max_hits, documents)
        per_alert.append(time.perf_counter() - t0)
        cpu += time.process_time() - c0
        # Counting what was found is the benchmark's own work: outside the timed part.
        matched += len(owed.items) + sum(map(len, map(_similar, owed.items))) + len(owed.folded)
        with_hits += bool(owed.items)
    total = sum(per_alert)
    raw_s, raw_cpu, raw_matched = raw_tantivy(backend, saved, since, last - since)
    return {
        "saved_searches": len(saved), "new_documents": last - since, "store_documents": last,
        # CPU seconds of this process: on a shared machine, what the wall time would be if it were idle.
        "seconds": total, "cpu_seconds": cpu, "alerts_with_hits": with_hits, "matches": matched,
        # The index part (parse, expand, compile, one search per alert) and everything after it.
        "iter_ids_seconds": timed.seconds, "search_page_seconds": total - timed.seconds,
        "raw_tantivy_seconds": raw_s, "raw_tantivy_cpu_seconds": raw_cpu, "raw_tantivy_matches": raw_matched,
        "ratio_vs_raw_tantivy": total / raw_s if raw_s else None,
        "cpu_ratio_vs_raw_tantivy": cpu / raw_cpu if raw_cpu else None,
        "per_alert": _stats(per_alert), "load_average": list(os.getloadavg()),
    }


def main(argv: list[str] | None = None) -> int:
    from benchmarks import queries, vocabulary
    from benchmarks.stores import Store, settings_for

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True, help="a tier's data directory (store + index)")
    parser.add_argument("--alerts", type=int, default=1000)
    parser.add_argument("--new", type=int, default=10_000, help="how many of the newest documents are new")
    parser.add_argument("--vocab-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    saved = queries.saved_searches(vocabulary.load(args.vocab_dir), args.alerts)
    with Store(settings_for(args.data_dir).store_path) as store:
        r = measure(args.data_dir, store, saved, args.new)
    print(f"alerts: {r['saved_searches']:,} saved searches x {r['new_documents']:,} new documents "
          f"(store of {r['store_documents']:,}): {r['seconds']:.2f} s, CPU {r['cpu_seconds']:.2f} s "
          f"({r['iter_ids_seconds']:.2f} s in the index part); raw tantivy {r['raw_tantivy_seconds']:.2f} s, CPU "
          f"{r['raw_tantivy_cpu_seconds']:.2f} s; ratio {r['ratio_vs_raw_tantivy']:.2f}x (CPU "
          f"{r['cpu_ratio_vs_raw_tantivy']:.2f}x); "
          f"{r['matches']:,} matches (raw {r['raw_tantivy_matches']:,}); per alert p50 "
          f"{r['per_alert']['p50_ms']:.1f} ms p95 {r['per_alert']['p95_ms']:.1f} ms; load {r['load_average']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
