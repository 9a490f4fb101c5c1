"""Search latency over the fixed query mix: our full result page beside raw tantivy doing the same work.

Our path is `TantivyBackend.search(SearchRequest(query, limit=10, facets=True))` as the app makes
it: parse (jieba for Chinese), cross-language expansion, compile, the top 10 collapsed by
near-duplicate cluster (each shown by its earliest matching member, with every member's source),
both counts, every facet and the weekly timeline, the documents from the store and their
snippets. The raw figure is tantivy alone answering the same page from the same compiled query,
prepared beforehand: one `search` for the top 10 and the exact count (two, over the two halves
our page splits the index into, at once, where our page splits: `tantivy_page.worth_splitting`),
and beside it on a second thread (as our page does) the same aggregation request (stories,
facets, timeline; over the same sample of clusters when the result is huge).
The ratio is therefore the cost of our layers — parsing, expansion, collapsing, the store and
snippets — not of tantivy. A breakdown times each part of our path over one pass of the mix.
"""

from __future__ import annotations

import os
import time

from benchmarks.report import percentile
from index import tantivy_page as page
from index.search import Found, SearchRequest, build_hits, highlight_words, prepare
from index.tantivy_compile import compile_request

LIMIT = 10


def _stats(samples: list[float]) -> dict:
    ms = [s * 1000 for s in samples]
    return {"p50_ms": percentile(ms, 50), "p95_ms": percentile(ms, 95), "p99_ms": percentile(ms, 99),
            "max_ms": max(ms), "mean_ms": sum(ms) / len(ms), "samples": len(ms)}


def _backend(data_dir, store):
    from benchmarks.stores import settings_for
    from index.tantivy import TantivyBackend

    return TantivyBackend(settings_for(data_dir), store)


class Raw:
    """Raw tantivy for one query: the compiled queries and aggregation, run with no layer of
    ours, in the same two threads as our page (the aggregation beside the top hits)."""

    def __init__(self, backend, query: str):
        request = SearchRequest(query, limit=LIMIT, facets=True)
        expanded = prepare(request, backend.settings)
        searcher = backend.searcher()
        self.schema = backend._index.schema
        marks = backend.marks(searcher)
        self.query = compile_request(expanded, self.schema, marks=marks)
        self.options = page.order_options(expanded, request)
        self.aggs = page.aggregations(True)
        self.sampled, self.scale = page.sample(self.query, expanded, self.schema, request, searcher.num_docs, marks)
        self.halves = page.halves(self.query, self.schema,
                                  page.worth_splitting(expanded, searcher, page.split_point(searcher), marks))

    def _aggregate(self, searcher):
        """The sample's aggregation, then the exact one when the sample estimates a small result
        (as `tantivy_page.plan` does); None or the exact result."""
        if self.scale == 1.0:
            searcher.aggregate(self.sampled, self.aggs)
            return None
        result = searcher.aggregate(self.sampled, {**self.aggs, "documents": {"value_count": {"field": "seq"}}})
        if result["documents"]["value"] * self.scale <= page.EARLY_EXACT * page.EXACT_UP_TO:
            return searcher.aggregate(self.query, self.aggs)
        return None

    def run(self, searcher) -> tuple[int, list]:
        planned = page._aggregator().submit(self._aggregate, searcher)
        if self.halves is None:
            res = searcher.search(self.query, LIMIT, count=True, **self.options)
            hits, count = res.hits, res.count
        else:  # the same two half searches as our page, at once
            low = page._aggregator().submit(searcher.search, self.halves[0], LIMIT, True, **self.options)
            high = searcher.search(self.halves[1], LIMIT, count=True, **self.options)
            hits, count = sorted(low.result().hits + high.hits, key=lambda h: h[0], reverse=True)[:LIMIT], \
                low.result().count + high.count
        early = planned.result()
        if self.scale != 1.0 and count <= page.EXACT_UP_TO and early is None:
            searcher.aggregate(self.query, self.aggs)
        return count, hits


def measure(data_dir, store, mix: list[tuple[str, str]], repeats: int) -> dict:
    load_before = os.getloadavg()[0]
    backend = _backend(data_dir, store)
    searcher = backend.searcher()
    raws = [Raw(backend, query) for _, query in mix]
    ours_t, flat_t, raw_t, per_category = [], [], [], {}
    per_query = {query: {"ours": [], "raw": []} for _, query in mix}
    totals, same_count, sampled = {}, 0, 0

    cpu = {"ours": 0.0, "raw": 0.0}

    def timed(category, query, raw):
        c0, t0 = time.process_time(), time.perf_counter()
        result = backend.search(SearchRequest(query, limit=LIMIT, facets=True))
        c1, t1 = time.process_time(), time.perf_counter()
        count, _ = raw.run(searcher)
        c2, t2 = time.process_time(), time.perf_counter()
        cpu["ours"] += c1 - c0
        cpu["raw"] += c2 - c1
        ours_t.append(t1 - t0)
        raw_t.append(t2 - t1)
        per_category.setdefault(category, []).append(t1 - t0)
        per_query[query]["ours"].append(t1 - t0)
        per_query[query]["raw"].append(t2 - t1)
        return result, count

    for (category, query), raw in zip(mix, raws):  # warm the caches, check the counts agree
        backend.search(SearchRequest(query, limit=LIMIT, facets=True))
        raw.run(searcher)
        t0 = time.perf_counter()
        backend.search(SearchRequest(query, limit=LIMIT, collapse=False, facets=True))
        flat_t.append(time.perf_counter() - t0)
        result, count = timed(category, query, raw)
        totals[query] = {"documents": result.total_documents, "stories": result.total_stories,
                         "exact": result.exact}
        same_count += result.total_documents == count
        sampled += not result.exact
    for _ in range(repeats - 1):
        for (category, query), raw in zip(mix, raws):
            timed(category, query, raw)
    load_after = os.getloadavg()[0]
    ours, flat, raw = _stats(ours_t), _stats(flat_t), _stats(raw_t)
    slowest = sorted(per_query.items(), key=lambda kv: -max(kv[1]["ours"]))[:5]
    return {
        "ours": ours, "ours_no_collapse": flat, "raw_tantivy": raw,
        "ratio_p50": ours["p50_ms"] / raw["p50_ms"], "ratio_p95": ours["p95_ms"] / raw["p95_ms"],
        "ratio_total": sum(ours_t) / sum(raw_t),
        # CPU time of this process (both threads of a page): what other work on the machine does
        # not add to, unlike the wall times above.
        "cpu_ms_per_page": {k: 1000 * v / len(ours_t) for k, v in cpu.items()},
        "ratio_cpu": cpu["ours"] / cpu["raw"] if cpu["raw"] else None,
        "load_average": [load_before, load_after],
        "ratio_p95_no_collapse": flat["p95_ms"] / raw["p95_ms"],
        "same_document_count": same_count, "queries": len(mix), "sampled_facets": sampled,
        "per_category_p95_ms": {c: percentile([s * 1000 for s in v], 95) for c, v in per_category.items()},
        "slowest": [{"query": k, "ours_max_ms": max(v["ours"]) * 1000, "raw_max_ms": max(v["raw"]) * 1000,
                     **totals[k]} for k, v in slowest],
        "breakdown_ms": breakdown(backend, mix),
    }


def breakdown(backend, mix: list[tuple[str, str]]) -> dict:
    """Milliseconds spent in each part of our page over one pass of the mix, calling the same
    steps `index.tantivy_page.result_page` calls, in the same order (the aggregation, which the page
overlaps with the top hits, is timed on its own)."""
    names = ("parse_and_expand", "compile", "top_hits_and_count", "cluster_members", "aggregation",
             "store_and_snippets")
    parts = dict.fromkeys(names, 0.0)
    searcher = backend.searcher()
    schema = backend._index.schema
    split = page.split_point(searcher)
    marks = backend.marks(searcher)
    for _, query in mix:
        request = SearchRequest(query, limit=LIMIT, facets=True)
        t0 = time.perf_counter()
        expanded = prepare(request, backend.settings)
        t1 = time.perf_counter()
        compiled = compile_request(expanded, schema, marks=marks)
        options = page.order_options(expanded, request)
        t2 = time.perf_counter()
        candidates = page._candidates(searcher, compiled, request, options, page.halves(
            compiled, schema, page.worth_splitting(expanded, searcher, split, marks)))
        ids = [searcher.doc(a)["id"][0] for _, a, _ in candidates.hits]
        t3 = time.perf_counter()
        shown = page._shown(backend.store, searcher, schema, page.members_query(expanded, schema, request, marks),
                            ids, candidates)
        t4 = time.perf_counter()
        # Timed on its own here; the page runs it on a second thread during the top hits.
        sampled, scale = page.sample(compiled, expanded, schema, request, searcher.num_docs, marks)
        page._counts(searcher, compiled, request, candidates, page.plan(searcher, compiled, sampled, scale))
        t5 = time.perf_counter()
        found = [Found(shown.get(i, (i,))[0], 0.0) for i in ids]
        build_hits(backend.store, found, highlight_words(expanded))
        t6 = time.perf_counter()
        for key, seconds in zip(names, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4, t6 - t5)):
            parts[key] += seconds * 1000
    return parts

