"""One result page from a tantivy searcher: hits collapsed by cluster, both counts, facets, timeline.

Passes over the index for one page:

1. `search`: the top candidates in the page's order and the exact number of matching documents
   (one call; tantivy counts while it collects). In an index of more than `SPLIT_ABOVE` documents,
   for a query whose phrases are checked on at least `SPLIT_WORK` documents, two calls at once,
   each over half of the documents (`split_point`), merged.
2. `aggregate`: the number of stories (distinct clusters), every facet and the weekly timeline in
   one aggregation request, run on a second thread while step 1 runs (tantivy releases the
   interpreter lock, so the two passes use both cores). Exact up to `EXACT_UP_TO` matching
   documents. Above it, the aggregation runs over a sample of whole clusters — the documents
   whose `bucket` (cluster key modulo 64) is below b, with b chosen so that about
   `SAMPLE_DOCUMENTS` of the index are read — and every count is scaled by 64/b. The sample is
   pushed into every phrase and term of the query, so it costs about b/64 of the full query.
   Sampling whole clusters keeps the story estimate unbiased; a facet value's count is then off
   by roughly 1/sqrt(its sampled count) (a value with 10,000 sampled documents: ~1 %), and values
   that are rare in the whole result may be missing. The result says `exact=False` and the page
   shows "about". The document count is always exact. The aggregation starts before the count
   is known: in an index larger than the sample it reads the sample, and is run again exactly
   (after step 1) when the result turns out to have at most `EXACT_UP_TO` documents.
3. Which members of the clusters on the page match, so the hit shown for a cluster is its
   earliest-published matching member — the original statement, not the best-scoring copy: read
   from the matches step 1 collected where it can, otherwise one `search` over those members'
   ids. "Also published by" lists every member's source from the store, including members
   outside the current filters.
"""

from __future__ import annotations

import heapq
import itertools
import math
import os
from concurrent.futures import Future
from typing import NamedTuple

from index import query as q
from index.expand import Expanded
from index.search import (FACETS, Found, SearchRequest, SearchResult, build_hits, highlight_words,
                          sort_facet)
from index.tantivy_compile import compile_request, restrict
from index.tantivy_schema import BUCKETS

EXACT_UP_TO = 100_000
SAMPLE_DOCUMENTS = 100_000
SPLIT_ABOVE = 200_000  # documents in an index whose top hits may be searched in two halves at once
SPLIT_WORK = 500_000  # ... when its phrases are checked on about this many documents or more
FACET_FIELDS = {"source": "source", "lang": "lang", "type": "kind", "country": "country",
                "entity": "entity", "month": "month"}
FACET_SIZE = 1000


def order_options(expanded: Expanded, request: SearchRequest) -> dict:
    """Keyword arguments of `Searcher.search` for the request's order: BM25, or newest first
    (also for a query with nothing to rank, the same rule as every backend: `query.is_ranked`)."""
    from tantivy import Order

    if request.sort == "date" or not q.is_ranked(expanded.node):
        return {"order_by_field": "published", "order": Order.Desc}
    return {}


def aggregations(facets: bool) -> dict:
    aggs: dict = {"stories": {"cardinality": {"field": "ckey"}}}
    if facets:
        for name in FACETS:
            aggs[name] = {"terms": {"field": FACET_FIELDS[name], "size": FACET_SIZE}}
        # Weeks start on Monday: fixed 7-day buckets count from the epoch (a Thursday), so shift by 3 days.
        aggs["timeline"] = {"date_histogram": {"field": "published", "fixed_interval": "7d",
                                               "offset": "-3d", "min_doc_count": 1}}
    return aggs


def sample(query, expanded: Expanded, schema, request: SearchRequest, indexed: int, marks=None):
    """(query, scale): the request's compiled `query`, or the same query over a sample of whole
    clusters — about `SAMPLE_DOCUMENTS` of the `indexed` documents — when the index is larger than
    that. The sample is pushed down to every leaf of the query (`tantivy_compile.compile_node`): a
    phrase is then checked only on the sampled documents, which costs about the sample's share of
    the full query, where restricting the whole query from outside would still walk every
    phrase's postings. Used only for results of more than `EXACT_UP_TO` documents."""
    kept = max(1, math.ceil(BUCKETS * SAMPLE_DOCUMENTS / max(indexed, 1)))
    if kept >= BUCKETS:
        return query, 1.0
    from tantivy import FieldType, Query

    within = Query.range_query(schema, "bucket", FieldType.Integer, 0, kept - 1, use_inverted_index=True)
    return compile_request(expanded, schema, request.since_seq, within, marks), BUCKETS / kept


class Candidates(NamedTuple):
    hits: list  # (score, address, ckey) of the page: the first hit of each cluster
    documents: int  # matching documents (exact)
    stories: int | None  # matching clusters, when every match was collected (else None)
    seen: dict  # {seq: address} of every match collected (the page's hits and the ones below them)


def split_point(searcher) -> int | None:
    """The seq that cuts an index of more than `SPLIT_ABOVE` documents into two halves of about
    the same size (their mean seq; seqs grow by one per stored document), or None.

    Why split: tantivy-py searches one segment after another on one thread, and at a million
    documents a page's top hits over 500k+ phrase matches take ~90 ms of one core while the other
    waits for them. Within a segment the documents lie in the order they were added, so a seq range
    is a run of documents there, and the two halves' searches run at once (`_search`). Any value
    gives the same results; a stale one (documents added since) only balances the halves less well."""
    if searcher.num_docs <= SPLIT_ABOVE:
        return None
    from tantivy import Query

    stats = searcher.aggregate(Query.all_query(), {"seq": {"stats": {"field": "seq"}}})["seq"]
    return int(stats["avg"]) if stats.get("count") else None


def phrase_work(node: q.Node, searcher, marks=None) -> int:
    """About how many documents a search checks phrase positions on: for each phrase (two or more
    tokens, not found through its mark) the document count of its rarest token in the body,
    summed; none under an AND with a filter, which leads the intersection and keeps the checks to
    its documents. What the split pays off for: a search of single words costs a few
    milliseconds, and splitting it adds more (each half scans the seq column) than it saves."""
    from index.tantivy_compile import analysed

    if isinstance(node, (q.Term, q.Phrase)):
        tokens, slop = analysed(node.words)
        if len(tokens) < 2 or (marks is not None and slop == 0 and marks.table.term(tokens) is not None):
            return 0
        return min(searcher.doc_freq("body", t) for t in tokens)
    if isinstance(node, q.Not):
        return phrase_work(node.child, searcher, marks)
    if isinstance(node, q.And) and any(isinstance(c, q.Filter) for c in node.children):
        return 0
    if isinstance(node, (q.And, q.Or)):
        return sum(phrase_work(c, searcher, marks) for c in node.children)
    return 0


def worth_splitting(expanded: Expanded, searcher, split: int | None, marks=None) -> int | None:
    """`split`, if the query's phrases are checked on at least `SPLIT_WORK` documents, else None."""
    return split if split is not None and phrase_work(expanded.node, searcher, marks) >= SPLIT_WORK else None


def halves(query, schema, split: int | None):
    """`query` over the documents up to seq `split` and over those after it; None without a split."""
    if split is None:
        return None
    from tantivy import FieldType, Query

    low = Query.range_query(schema, "seq", FieldType.Integer, 0, split, use_inverted_index=False)
    high = Query.range_query(schema, "seq", FieldType.Integer, split + 1, 2 ** 63 - 1, use_inverted_index=False)
    return restrict(query, low), restrict(query, high)


def _search(searcher, query, size: int, options: dict, split=None) -> tuple[list, int]:
    """(the top `size` hits as (score, address), the number of matches): one search, or with
    `split` (from `halves`) the two halves searched at once, one on the pool's thread, and merged.
    Each half's top `size` holds every hit of the whole top `size` that lies in it, and the scores
    are the whole index's (BM25 statistics are per searcher, not per query), so the merge is the
    same top; hits with equal scores may come in another order."""
    if split is None:
        res = searcher.search(query, size, count=True, **options)
        return res.hits, res.count
    low_query, high_query = split
    future = _aggregator().submit(searcher.search, low_query, size, True, **options)
    try:
        high = searcher.search(high_query, size, count=True, **options)
    finally:
        low = future.result()
    from tantivy import Order

    descending = options.get("order", Order.Desc) == Order.Desc
    merged = heapq.merge(low.hits, high.hits, key=lambda hit: hit[0], reverse=descending)
    return list(itertools.islice(merged, size)), low.count + high.count


def _candidates(searcher, query, request: SearchRequest, options: dict, split=None) -> Candidates:
    """The page's hits, one per cluster, from the top of one search (fetched again, twice as
    deep, only when the clusters on top leave too few for the page); `split` as in `_search`."""
    needed = request.offset + request.limit
    if not request.collapse:
        hits, count = _search(searcher, query, max(needed, 1), options, split)
        return Candidates([(s, a, None) for s, a in hits[request.offset:needed]], count, None, {})
    size = max(2 * needed, 64)
    while True:
        hits, count = _search(searcher, query, size, options, split)
        complete = len(hits) < size
        addresses = [a for _, a in hits]
        ckeys = searcher.fast_field_values("ckey", addresses) if addresses else []
        firsts, seen = [], set()
        for (score, address), ckey in zip(hits, ckeys):
            if ckey not in seen:
                seen.add(ckey)
                firsts.append((score, address, ckey))
        if len(firsts) >= needed or complete:
            seqs = searcher.fast_field_values("seq", addresses) if addresses else []
            return Candidates(firsts[request.offset:needed], count, len(seen) if complete else None,
                              dict(zip(seqs, addresses)))
        size *= 2


def _shown(store, searcher, schema, within, ids: list[str], candidates: Candidates,
           ) -> dict[str, tuple[str, int, tuple[str, ...]]]:
    """For each candidate id in a cluster: (id to show, cluster size, other members' sources).

    The hit shown is the cluster's earliest-published member that matches. A member among the
    matches already collected is known to match (its seq is there and the stored id agrees); when
    every match was collected, no other member does. Only the members published before the first
    known match of their cluster, when the collection was not complete, are checked, in one small
    search of the page's query restricted to their ids: `within(ids_query)` compiles it so, with
    the ids pushed into every phrase and term (`tantivy_compile.compile_node`), so only those few
    documents are checked; the whole query restricted from outside walked every phrase's
    postings again (half the page's time for `entity:sia` at 100k documents)."""
    from tantivy import Occur, Query

    members = store.cluster_members(ids)
    clustered = {i: m for i, m in members.items() if len(m) > 1}
    if not clustered:
        return {}
    complete = candidates.stories is not None
    matching, unknown = set(), set()
    for ms in clustered.values():
        for m in ms:  # earliest first
            address = candidates.seen.get(m.get("seq"))
            if address is not None and searcher.doc(address)["id"][0] == m["id"]:
                matching.add(m["id"])
                break
            if not complete:
                unknown.add(m["id"])
    if unknown:
        # The ids as a union of terms: a term set builds a bitset of the whole index per leaf.
        ids_query = Query.boolean_query([(Occur.Should, Query.term_query(schema, "id", i)) for i in sorted(unknown)])
        res = searcher.search(within(ids_query), len(unknown), count=False)
        matching |= {searcher.doc(a)["id"][0] for _, a in res.hits}
    out = {}
    for doc_id, ms in clustered.items():
        first = next((m["id"] for m in ms if m["id"] in matching), doc_id)  # ms: earliest first
        others = tuple(sorted({m["source_id"] for m in ms if m["id"] != first}))
        out[doc_id] = (first, len(ms), others)
    return out


def members_query(expanded: Expanded, schema, request: SearchRequest, marks=None):
    """The request's query over a few given documents only (`_shown`)."""
    return lambda ids: compile_request(expanded, schema, request.since_seq, ids, marks)


def _aggregator():
    """The threads aggregations (and one half of a split search) run on while the calling thread
    collects the top hits: tantivy releases the interpreter lock while it searches, so the page's
    passes use both cores. Tasks never wait on each other, so a busy pool only queues them.
    One per process: a forked child inherits the pool but not its threads, so it makes its own."""
    global _POOL
    if _POOL is None or _POOL[0] != os.getpid():
        from concurrent.futures import ThreadPoolExecutor

        _POOL = (os.getpid(), ThreadPoolExecutor(max_workers=2, thread_name_prefix="tantivy-aggregate"))
    return _POOL[1]


_POOL = None  # (pid, executor)


def result_page(store, searcher, schema, expanded: Expanded, request: SearchRequest,
                split: int | None = None, marks=None) -> SearchResult:
    """The page; with `split` (`split_point`) the top hits of a query whose phrases are checked on
    many documents (`phrase_work`) are searched in two halves at once; known phrases are found
    through their `marks` (`tantivy_compile.Marks`)."""
    query = compile_request(expanded, schema, request.since_seq, marks=marks)
    split = worth_splitting(expanded, searcher, split, marks)
    options = order_options(expanded, request)
    planned = None
    if request.facets:
        # Started before the matches are counted, so it cannot wait for the count: the sample
        # (kept only if the result is over EXACT_UP_TO) or, in a small index, the exact query.
        planned = plan(searcher, query, *sample(query, expanded, schema, request, searcher.num_docs, marks))
    try:
        candidates = _candidates(searcher, query, request, options, halves(query, schema, split))
    except BaseException:
        if planned:
            planned.task.cancel()
        raise
    ids = [searcher.doc(address)["id"][0] for _, address, _ in candidates.hits]
    found = []
    shown = _shown(store, searcher, schema, members_query(expanded, schema, request, marks), ids,
                   candidates) if request.collapse else {}
    by_score = not options  # ordered by a field, tantivy returns the field's value in place of a score
    for doc_id, (score, _, _) in zip(ids, candidates.hits):
        first, size, others = shown.get(doc_id, (doc_id, 1, ()))
        found.append(Found(first, float(score) if by_score else 0.0, size, others))
    stories, facets, timeline, exact = _counts(searcher, query, request, candidates, planned)
    hits = build_hits(store, found, highlight_words(expanded))
    total = stories if request.collapse else candidates.documents
    return SearchResult(hits=hits, total=total, facets=facets, expansions=list(expanded.expansions),
                        total_documents=candidates.documents, total_stories=stories, timeline=timeline,
                        exact=exact)


EARLY_EXACT = 1.25  # a sample estimating at most this many times EXACT_UP_TO starts the exact run


class Planned(NamedTuple):
    """The aggregations a page started before its matches were counted (`plan`)."""

    first: Future  # exact (scale 1), or over the sample
    scale: float
    task: Future  # the pool's task; its result is the exact aggregation run after a small sample, or None


def plan(searcher, query, sampled, scale: float) -> Planned:
    """Start the page's aggregation on the pool: `sampled` (the query itself when `scale` is 1).

    With a sample, the same task goes on to the exact aggregation when the sample estimates at
    most EARLY_EXACT × EXACT_UP_TO matching documents: a result that small is shown exactly, and
    waiting for the count to start it put the exact run after the top hits instead of beside them
    (a filtered query at 1M: 149 ms, the two passes in a row). A wrong estimate costs only
    the pool's time: the page then takes the sample, or runs the exact one itself."""
    aggs = aggregations(True)
    # The sample also counts its documents, for the estimate.
    sample_aggs = aggs if scale == 1.0 else {**aggs, "documents": {"value_count": {"field": "seq"}}}
    first: Future = Future()

    def run():
        try:
            result = searcher.aggregate(sampled, sample_aggs)
        except BaseException as error:
            first.set_exception(error)
            raise
        first.set_result(result)
        if scale != 1.0 and result["documents"]["value"] * scale <= EARLY_EXACT * EXACT_UP_TO:
            return searcher.aggregate(query, aggs)
        return None

    return Planned(first, scale, _aggregator().submit(run))


def _counts(searcher, query, request: SearchRequest, candidates: Candidates, planned: Planned | None = None):
    """(stories, facets, timeline, exact) from one aggregation request: the `planned` one when it
    fits the result — exact, or sampled for a result of more than `EXACT_UP_TO` documents —
    otherwise the exact one, run now. None when nothing matched, or when only the story count was
    wanted and it is already known exactly."""
    total_documents, exact_stories = candidates.documents, candidates.stories
    result, scale = None, 1.0
    if planned is not None:
        if not total_documents:
            planned.task.cancel()
        elif planned.scale == 1.0:
            result = planned.first.result()
        elif total_documents > EXACT_UP_TO:
            result, scale = planned.first.result(), planned.scale
        else:
            result = planned.task.result()  # the exact run, if the sample started it
    if total_documents == 0:
        return 0, ({name: [] for name in FACETS} if request.facets else {}), [], True
    if not request.facets and exact_stories is not None:
        return exact_stories, {}, [], True
    if result is None:
        result = searcher.aggregate(query, aggregations(request.facets))
    exact = scale == 1.0

    def scaled(n) -> int:
        return int(round(n * scale))

    if exact_stories is not None:
        stories = exact_stories
    else:
        # HyperLogLog++ (tantivy's cardinality): exact in practice for a few thousand clusters,
        # within about 1 % above; never more stories than documents.
        stories = min(total_documents, max(1, scaled(result["stories"]["value"])))
    facets = {}
    timeline = []
    if request.facets:
        for name in FACETS:
            values = [(b["key"], scaled(b["doc_count"])) for b in result[name]["buckets"] if b["key"]]
            facets[name] = sort_facet(name, values)
        timeline = [(b["key_as_string"][:10], scaled(b["doc_count"])) for b in result["timeline"]["buckets"]]
    return stories, facets, timeline, exact


# -- attention over time ----------------------------------------------------------------------------

MONTHS = 12 * 200  # month buckets asked for: two centuries of publications
PERIOD_AGGREGATIONS = {
    "day": {"date_histogram": {"field": "published", "fixed_interval": "1d", "min_doc_count": 1}},
    "week": {"date_histogram": {"field": "published", "fixed_interval": "7d", "offset": "-3d",
                                "min_doc_count": 1}},  # Mondays, as the timeline above
    # tantivy's histograms have fixed intervals only (no calendar months): the `month` keyword
    # (YYYY-MM of the same publication date) is the month's bucket.
    "month": {"terms": {"field": "month", "size": MONTHS}},
}


def attention_aggregations(per: str, split: str | None) -> dict:
    """Documents per period (split by a keyword field under each period) and all matches."""
    periods = dict(PERIOD_AGGREGATIONS[per])
    if split:
        periods["aggs"] = {"series": {"terms": {"field": FACET_FIELDS[split], "size": FACET_SIZE}}}
    return {"periods": periods, "matching": {"value_count": {"field": "seq"}}}


def attention_counts(searcher, query, per: str, split: str | None):
    """`index.search.Attention` for a compiled query, from one aggregation request."""
    from index.search import Attention

    result = searcher.aggregate(query, attention_aggregations(per, split))
    counts, dated = [], 0
    for bucket in result["periods"]["buckets"]:
        if not bucket["doc_count"] or not bucket["key"]:
            continue
        start = f"{bucket['key']}-01" if per == "month" else bucket["key_as_string"][:10]
        dated += bucket["doc_count"]
        if split:
            counts += [(start, b["key"], b["doc_count"]) for b in bucket["series"]["buckets"] if b["key"]]
        else:
            counts.append((start, "", bucket["doc_count"]))
    matching = int(result["matching"]["value"] or 0)
    return Attention(sorted(counts), undated=max(0, matching - dated))
