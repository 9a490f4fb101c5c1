"""Search latency over the fixed query mix, our search path beside a raw FTS5 query for the same hits.

Our path is `SqliteBackend.search(SearchRequest(query, limit=20))`: parse (with jieba for Chinese),
plan, a COUNT of all matches, the ranked page, the documents (`Store.get_many`), snippets and the
source names. The baseline is the SQL that path compiles the query to, prepared beforehand and run
directly for the same 20 ids — so the ratio is the cost of our layers, not of FTS5. A one-pass
breakdown times each part of our path separately, which is what points at the costs to remove.
"""

from __future__ import annotations

import time

from index import query as q
from index.highlight import snippet
from index.search import SearchRequest
from index.sqlite import BM25, SqliteBackend, plan
from benchmarks.report import percentile

LIMIT = 20


def raw_sql(query: str) -> tuple[str, list]:
    """The direct SQL returning the same page of ids as our search path."""
    node = q.parse(query)
    match, condition, args = plan(node)
    joins = "JOIN documents d ON d.id = doc_fts.doc_id LEFT JOIN analyses a ON a.doc_id = d.id"
    if match is not None:
        return (f"SELECT d.id FROM doc_fts {joins} WHERE doc_fts MATCH ? AND {condition} "
                f"ORDER BY {BM25}, d.id LIMIT {LIMIT}", [match, *args])
    return (f"SELECT d.id FROM documents d LEFT JOIN analyses a ON a.doc_id = d.id "
            f"JOIN index_state s ON s.doc_id = d.id WHERE {condition} "
            f"ORDER BY d.published_at DESC NULLS LAST, d.id LIMIT {LIMIT}", args)


def _stats(samples: list[float]) -> dict:
    ms = [s * 1000 for s in samples]
    return {"p50_ms": percentile(ms, 50), "p95_ms": percentile(ms, 95), "p99_ms": percentile(ms, 99),
            "max_ms": max(ms), "mean_ms": sum(ms) / len(ms), "samples": len(ms)}


def measure(store, mix: list[tuple[str, str]], repeats: int) -> dict:
    backend = SqliteBackend(store)
    conn = store.conn
    compiled = [raw_sql(query) for _, query in mix]
    same, differing = 0, []
    totals = {}
    for (category, query), (sql, args) in zip(mix, compiled):  # warm the page cache, check hits
        ours = backend.search(SearchRequest(query, limit=LIMIT))
        raw = [r[0] for r in conn.execute(sql, args)]
        totals[query] = ours.total
        if [h.id for h in ours.hits] == raw:
            same += 1
        else:
            differing.append(query)
    ours_t, raw_t, per_category = [], [], {}
    per_query = {query: {"ours": [], "raw": []} for _, query in mix}
    for _ in range(repeats):
        for (category, query), (sql, args) in zip(mix, compiled):
            started = time.perf_counter()
            backend.search(SearchRequest(query, limit=LIMIT))
            mid = time.perf_counter()
            conn.execute(sql, args).fetchall()
            end = time.perf_counter()
            ours_t.append(mid - started)
            raw_t.append(end - mid)
            per_category.setdefault(category, []).append(mid - started)
            per_query[query]["ours"].append(mid - started)
            per_query[query]["raw"].append(end - mid)
    ours, raw = _stats(ours_t), _stats(raw_t)
    slowest = sorted(per_query.items(), key=lambda kv: -max(kv[1]["ours"]))[:5]
    return {
        "ours": ours, "raw_fts5": raw,
        "ratio_p50": ours["p50_ms"] / raw["p50_ms"], "ratio_p95": ours["p95_ms"] / raw["p95_ms"],
        "ratio_total": sum(ours_t) / sum(raw_t),
        "same_page_of_hits": same, "queries": len(mix), "differing_queries": differing,
        "per_category_p95_ms": {c: percentile([s * 1000 for s in v], 95) for c, v in per_category.items()},
        "slowest": [{"query": k, "ours_max_ms": max(v["ours"]) * 1000, "raw_max_ms": max(v["raw"]) * 1000,
                     "total_hits": totals[k]} for k, v in slowest],
        "breakdown_ms": breakdown(backend, mix),
    }


def breakdown(backend: SqliteBackend, mix: list[tuple[str, str]]) -> dict:
    """Milliseconds spent in each part of our search path over one pass of the mix."""
    parts = dict.fromkeys(("parse", "count_all_matches", "ranked_page", "get_many", "snippets", "sources"), 0.0)
    store = backend.store
    for _, query in mix:
        request = SearchRequest(query, limit=LIMIT)
        t0 = time.perf_counter()
        node = q.parse(query)
        base, args = backend._base(node, request)
        t1 = time.perf_counter()
        backend._run(f"SELECT COUNT(*) FROM ({base})", args)
        t2 = time.perf_counter()
        rows = backend._run(f"SELECT id, rank FROM ({base}) {backend._order(node, request)} LIMIT ? OFFSET ?",
                            [*args, LIMIT, 0])
        t3 = time.perf_counter()
        docs = store.get_many([r["id"] for r in rows])
        t4 = time.perf_counter()
        words = [w for t in q.positive_terms(node) for w in t.words]
        for r in rows:
            snippet(docs[r["id"]].body, words)
        t5 = time.perf_counter()
        store.sources()
        t6 = time.perf_counter()
        for key, seconds in zip(parts, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4, t6 - t5)):
            parts[key] += seconds * 1000
    return parts


def alerts(store, saved: list[str], new_documents: int, max_hits: int = 20) -> dict:
    """Each saved search against the documents after `since_seq`, as the alerts module does it:
    every new matching id (`iter_ids`), then the page of hits for the email (`search`)."""
    backend = SqliteBackend(store)
    last = store.conn.execute("SELECT MAX(seq) FROM documents").fetchone()[0] or 0
    since = max(0, last - new_documents)
    per_alert, matched, alerts_with_hits = [], 0, 0
    ids_time = hits_time = 0.0
    started = time.perf_counter()
    for query in saved:
        t0 = time.perf_counter()
        ids = list(backend.iter_ids(SearchRequest(query, since_seq=since, sort="date")))
        t1 = time.perf_counter()
        if ids:
            backend.search(SearchRequest(query, since_seq=since, sort="date", limit=max_hits))
            alerts_with_hits += 1
        t2 = time.perf_counter()
        ids_time += t1 - t0
        hits_time += t2 - t1
        matched += len(ids)
        per_alert.append(t2 - t0)
    total = time.perf_counter() - started
    return {"saved_searches": len(saved), "new_documents": last - since, "store_documents": last,
            "seconds": total, "alerts_with_hits": alerts_with_hits, "matches": matched,
            "iter_ids_seconds": ids_time, "search_page_seconds": hits_time,
            "per_alert": _stats(per_alert)}
