"""Search latency over the fixed query mix, our search path beside a raw FTS5 query for the same hits.

Our path is `SqliteBackend.search(SearchRequest(query, limit=20))` as users get it: parse (jieba for
Chinese), cross-language expansion, plan, a COUNT of all matches, near-duplicate collapsing, the
ranked page, the documents (`Store.get_many`), snippets and source names. It is timed twice, with
collapsing on (the default) and, once per query, off. The baseline is a raw FTS5 `MATCH` of the expression our path
compiles (expansions included), with the same filters, ordered by the same bm25 and cut at 20 ids,
prepared beforehand and run directly; `same hits` checks it returns what our uncollapsed search
shows. The ratio is therefore the cost of our layers, not of FTS5. A one-pass breakdown times each
part of our path, which is what points at the costs to remove.
"""

from __future__ import annotations

import time

from index.search import Found, SearchRequest, build_hits, highlight_words, prepare
from index.sqlite import BM25, SqliteBackend, plan
from benchmarks.report import percentile

LIMIT = 20


def raw_sql(query: str) -> tuple[str, list]:
    """The direct SQL returning the same page of ids as our (uncollapsed) search path."""
    expanded = prepare(SearchRequest(query))
    match, condition, args = plan(expanded.node, expanded.translated)
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
    same, differing, totals = 0, [], {}
    ours_t, flat_t, raw_t, per_category = [], [], [], {}
    per_query = {query: {"ours": [], "raw": []} for _, query in mix}

    def timed(category, query, sql, args):
        t0 = time.perf_counter()
        backend.search(SearchRequest(query, limit=LIMIT))
        t1 = time.perf_counter()
        raw = [r[0] for r in conn.execute(sql, args)]
        t2 = time.perf_counter()
        ours_t.append(t1 - t0)
        raw_t.append(t2 - t1)
        per_category.setdefault(category, []).append(t1 - t0)
        per_query[query]["ours"].append(t1 - t0)
        per_query[query]["raw"].append(t2 - t1)
        return raw

    for (category, query), (sql, args) in zip(mix, compiled):  # warm the page cache, check hits
        backend.search(SearchRequest(query, limit=LIMIT))
        conn.execute(sql, args).fetchall()
        t0 = time.perf_counter()
        flat = backend.search(SearchRequest(query, limit=LIMIT, collapse=False))
        flat_t.append(time.perf_counter() - t0)
        raw = timed(category, query, sql, args)
        totals[query] = flat.total
        if [h.id for h in flat.hits] == raw:
            same += 1
        else:
            differing.append(query)
    for _ in range(repeats - 1):
        for (category, query), (sql, args) in zip(mix, compiled):
            timed(category, query, sql, args)
    ours, flat, raw = _stats(ours_t), _stats(flat_t), _stats(raw_t)
    slowest = sorted(per_query.items(), key=lambda kv: -max(kv[1]["ours"]))[:5]
    try:
        parts = breakdown(backend, mix)
    except Exception as exc:  # internals moved: the figures above stand, the breakdown says why not
        parts = {"unavailable": f"{type(exc).__name__}: {exc}"}
    return {
        "ours": ours, "ours_no_collapse": flat, "raw_fts5": raw,
        "ratio_p50": ours["p50_ms"] / raw["p50_ms"], "ratio_p95": ours["p95_ms"] / raw["p95_ms"],
        "ratio_total": sum(ours_t) / sum(raw_t),
        "ratio_p95_no_collapse": flat["p95_ms"] / raw["p95_ms"],
        "same_page_of_hits": same, "queries": len(mix), "differing_queries": differing,
        "per_category_p95_ms": {c: percentile([s * 1000 for s in v], 95) for c, v in per_category.items()},
        "slowest": [{"query": k, "ours_max_ms": max(v["ours"]) * 1000, "raw_max_ms": max(v["raw"]) * 1000,
                     "total_hits": totals[k]} for k, v in slowest],
        "breakdown_ms": parts,
    }


def breakdown(backend: SqliteBackend, mix: list[tuple[str, str]]) -> dict:
    """Milliseconds spent in each part of our (default, collapsed) search path over one pass of the mix.

    Calls the same internal steps `SqliteBackend.search` calls, in the same order."""

    names = ("parse_and_expand", "count_all_matches", "ranked_page", "cluster_sources", "build_hits")
    parts = dict.fromkeys(names, 0.0)
    for _, query in mix:
        request = SearchRequest(query, limit=LIMIT)
        t0 = time.perf_counter()
        expanded = prepare(request)
        base, args = backend._base(expanded, request)
        collapsed = backend._collapsed(base, request.collapse)
        t1 = time.perf_counter()
        backend._run(f"SELECT COUNT(*) FROM ({collapsed})", args)
        t2 = time.perf_counter()
        rows = backend._run(f"SELECT id, rank, ckey, csize FROM ({collapsed}) "
                            f"{backend._order(expanded, request)} LIMIT ? OFFSET ?", [*args, LIMIT, 0])
        t3 = time.perf_counter()
        others = backend._cluster_sources(base, args, [r for r in rows if r["csize"] > 1])
        t4 = time.perf_counter()
        found = [Found(r["id"], -float(r["rank"]), r["csize"], others.get(r["id"], ())) for r in rows]
        build_hits(backend.store, found, highlight_words(expanded))
        t5 = time.perf_counter()
        for key, seconds in zip(names, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4)):
            parts[key] += seconds * 1000
    return parts


def alerts(store, saved: list[str], new_documents: int, max_hits: int = 20) -> dict:
    """Each saved search against the documents after `since_seq`, as the alerts module does it:
    every new matching id (`iter_ids`), then the hits shown in the email (`build_hits`)."""
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
        if ids:  # the email's hits are built from the ids found, as alerts.matching does
            request = SearchRequest(query, since_seq=since, sort="date")
            build_hits(store, [Found(i, 0.0) for i in ids[:max_hits]], highlight_words(prepare(request)))
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
