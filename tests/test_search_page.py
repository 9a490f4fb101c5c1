"""One result page from the tantivy backend: collapsed hits, both counts, facets under the filters,
the weekly timeline, and facets estimated from whole clusters when a result set is huge."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest

from index import tantivy_page
from index.backends import open_backend
from index.document import Document
from index.search import SearchRequest
from index.store import Store
from index.tantivy_schema import BUCKETS, cluster_key
from nlp.analyses import Analyses
from tests.conftest import make_settings
from ui.timeline import period_start

SOURCES = [("sia", "en", "association", "US"), ("wire", "en", "news", "GB"), ("csia", "zh", "association", "CN"),
           ("commerce", "en", "government", "US")]
# key: (source, date, title, body, cluster). Written for these tests. The wire copy of the SIA
# statement names the query words in its title (so it scores higher) but came a day later; the
# Chinese copy is in the same cluster but another language.
DOCS = {
    "sia": ("sia", "2025-03-02T09:00:00+00:00", "SIA statement",
            "The association said broad wafer rules would hurt suppliers.", "c1"),
    "wire": ("wire", "2025-03-03T10:00:00+00:00", "Wafer rules: SIA statement on wafer rules",
             "The association said broad wafer rules would hurt suppliers.", "c1"),
    "csia": ("csia", "2025-03-04T02:00:00+00:00", "中国半导体行业协会转载声明",
             "美国半导体行业协会表示，晶圆规则将损害供应商。wafer rules", "c1"),
    "other": ("commerce", "2025-04-01T12:00:00+00:00", "Outreach on wafer licensing",
              "Officials explained wafer licensing to exporters.", None),
    "late": ("commerce", "2025-05-01T08:00:00+00:00", "Licensing timelines",
             "Officials explained licensing timelines.", None),
}


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    from nlp.pipeline import process

    settings = make_settings(tmp_path_factory.mktemp("page") / "data")
    store = Store.open(settings)
    meta = {s[0]: s for s in SOURCES}
    for sid, lang, kind, country in SOURCES:
        store.upsert_source(SimpleNamespace(id=sid, name=sid, name_en=sid, language=lang, kind=kind,
                                            country=country))
    ids = {}
    for key, (sid, date, title, body, _) in DOCS.items():
        doc = Document(url=f"http://127.0.0.1/{key}.html", source_id=sid, title=title, body=body,
                       published_at=date, declared_lang=meta[sid][1], kind=meta[sid][2], country=meta[sid][3])
        store.upsert_document(doc)
        ids[key] = doc.id
    process(store, settings)
    with store.transaction():
        for key, spec in DOCS.items():
            store.conn.execute("UPDATE analyses SET cluster_id = ? WHERE doc_id = ?", (spec[4], ids[key]))
    backend = open_backend(settings, store)
    backend.sync()
    yield backend, ids, store
    store.close()


def test_a_cluster_is_shown_by_its_earliest_matching_member_not_the_best_scoring_copy(engine):
    backend, ids, _ = engine
    result = backend.search(SearchRequest("wafer rules", expand=False, limit=10))
    top = result.hits[0]
    assert top.id == ids["sia"]  # wire scores higher (title) but was published a day later
    assert top.cluster_size == 3 and top.also_published_by == ("csia", "wire")
    apart = backend.search(SearchRequest("wafer rules", expand=False, collapse=False, limit=10))
    assert apart.hits[0].id == ids["wire"]


def test_also_published_by_lists_members_outside_the_filters(engine):
    backend, ids, _ = engine
    result = backend.search(SearchRequest("wafer lang:en", expand=False, limit=10))
    shown = next(h for h in result.hits if h.id == ids["sia"])
    assert "csia" in shown.also_published_by  # the Chinese copy does not pass lang:en
    assert shown.cluster_size == 3


def test_both_counts_are_given_collapsed_or_not(engine):
    backend, _, _ = engine
    collapsed = backend.search(SearchRequest(""))
    assert (collapsed.total, collapsed.total_stories, collapsed.total_documents) == (3, 3, 5)
    apart = backend.search(SearchRequest("", collapse=False))
    assert (apart.total, apart.total_stories, apart.total_documents) == (5, 3, 5)
    assert collapsed.counts_line() == "3 stories, 5 documents" and collapsed.exact


def test_facets_are_counted_under_the_filters_applied(engine):
    backend, _, _ = engine
    result = backend.search(SearchRequest("lang:en", facets=True))
    assert result.facets["lang"] == [("en", 4)]
    assert result.facets["source"] == [("commerce", 2), ("sia", 1), ("wire", 1)]
    assert result.facets["country"] == [("US", 3), ("GB", 1)]
    assert result.facets["month"] == [("2025-03", 2), ("2025-04", 1), ("2025-05", 1)]


def test_timeline_counts_documents_per_week_starting_on_monday(engine):
    backend, _, _ = engine
    result = backend.search(SearchRequest("", facets=True))
    weeks: dict[str, int] = {}
    for spec in DOCS.values():
        monday = period_start(spec[1], "week").isoformat()
        weeks[monday] = weeks.get(monday, 0) + 1
    assert result.timeline == sorted(weeks.items())
    assert result.timeline[0] == ("2025-02-24", 1)  # Sunday 2 March belongs to the week of 24 February


def test_collapsed_pages_never_repeat_a_story(engine):
    backend, _, _ = engine
    seen = []
    for offset in range(0, 3):
        seen += [h.cluster_id or h.id for h in backend.search(
            SearchRequest("", limit=1, offset=offset, sort="date")).hits]
    assert len(seen) == len(set(seen)) == 3


def test_facets_of_a_huge_result_are_estimated_from_whole_clusters(engine, monkeypatch):
    """Past EXACT_UP_TO matches the aggregation reads only the clusters whose bucket is below a
    cut and scales; lowered here so five documents count as huge. The expected figures are worked
    out independently from each document's cluster bucket."""
    backend, ids, store = engine
    monkeypatch.setattr(tantivy_page, "EXACT_UP_TO", 2)
    monkeypatch.setattr(tantivy_page, "SAMPLE_DOCUMENTS", 2)
    result = backend.search(SearchRequest("", facets=True))
    kept = math.ceil(BUCKETS * 2 / 5)
    scale = BUCKETS / kept
    docs = store.get_many(list(ids.values()))
    sampled = [d for d in docs.values() if cluster_key(d.cluster_id, d.id) % BUCKETS < kept]
    langs: dict[str, int] = {}
    for doc in sampled:
        langs[doc.lang] = langs.get(doc.lang, 0) + 1
    assert not result.exact and result.total_documents == 5  # the document count stays exact
    assert dict(result.facets["lang"]) == {k: round(v * scale) for k, v in langs.items()}
    assert "about" in result.counts_line()


def test_a_small_result_in_an_index_larger_than_the_sample_is_counted_exactly(engine, monkeypatch):
    """The aggregation starts on the sample before the count is known; a result of at most
    EXACT_UP_TO documents is then aggregated again, exactly (lowered here: five documents are a
    large index, two a small result)."""
    backend, ids, store = engine
    monkeypatch.setattr(tantivy_page, "EXACT_UP_TO", 2)
    monkeypatch.setattr(tantivy_page, "SAMPLE_DOCUMENTS", 2)
    result = backend.search(SearchRequest("licensing", expand=False, facets=True))
    assert result.exact and result.total_documents == 2
    assert dict(result.facets["source"]) == {"commerce": 2}
    assert result.counts_line() == "2 stories, 2 documents"


def test_a_sample_that_estimates_a_small_result_starts_the_exact_aggregation_itself(engine, monkeypatch):
    """The pool's task goes on from the sample to the exact aggregation when the sample estimates
    at most EARLY_EXACT × EXACT_UP_TO documents, so the exact run overlaps the top hits; above
    that it stops at the sample (and a page whose count then turns out small runs it itself, as
    in the test above). Five documents stand in for a large index."""
    from index.search import prepare
    from index.tantivy_compile import compile_request

    backend, ids, store = engine
    searcher, schema = backend.searcher(), backend._index.schema
    monkeypatch.setattr(tantivy_page, "SAMPLE_DOCUMENTS", 2)
    request = SearchRequest("", facets=True)
    expanded = prepare(request)
    query = compile_request(expanded, schema)
    sampled, scale = tantivy_page.sample(query, expanded, schema, request, searcher.num_docs)
    assert scale > 1
    exact = searcher.aggregate(query, tantivy_page.aggregations(True))
    monkeypatch.setattr(tantivy_page, "EXACT_UP_TO", 100)  # the estimate is small: exact run follows
    planned = tantivy_page.plan(searcher, query, sampled, scale)
    assert planned.task.result() == exact
    assert planned.first.result()["documents"]["value"] < 5  # the sample came first
    monkeypatch.setattr(tantivy_page, "EXACT_UP_TO", 1)  # estimated large: the task stops at the sample
    planned = tantivy_page.plan(searcher, query, sampled, scale)
    assert planned.task.result() is None and planned.first.result()["documents"]["value"] < 5


@pytest.fixture(scope="module")
def deep(tmp_path_factory):
    """More matches than the page's first search collects: 80 documents of one cluster that name
    the word in title and body (they fill the top of the ranking), 12 ordinary single documents,
    and a cluster whose best-scoring copy came last, whose earliest member does not match and
    whose second member names the word once, at the end of a long body (it ranks below every
    other match, outside what the first search collects)."""
    from nlp import segment
    from nlp.pipeline import pipeline_version

    settings = make_settings(tmp_path_factory.mktemp("deep") / "data")
    store = Store.open(settings)
    store.upsert_source(SimpleNamespace(id="wire", name="wire", name_en="wire", language="en", kind="news",
                                        country="GB"))
    filler = "Officials met exporters to discuss timelines and paperwork at length. " * 12
    specs = {f"crowd{i}": ("2025-02-01", "Gadget gadget notice", "Gadget gadget rules for gadget makers.", "crowd")
             for i in range(80)}
    specs.update({f"single{i}": ("2025-02-02", "Gadget notice", "Rules for gadget makers.", None) for i in range(12)})
    specs.update({
        "first": ("2025-01-01", "Licensing notice", filler, "story"),  # earliest, does not match
        "original": ("2025-01-02", "Licensing notice", filler + "One gadget.", "story"),
        "copy": ("2025-01-05", "Gadget gadget gadget notice", "Gadget gadget gadget rules for gadget makers.",
                 "story"),
    })
    version, ids = pipeline_version(), {}
    for key, (date, title, body, cluster) in specs.items():
        doc = Document(url=f"http://127.0.0.1/{key}.html", source_id="wire", title=title, body=body,
                       published_at=f"{date}T09:00:00+00:00", declared_lang="en", kind="news", country="GB")
        store.upsert_document(doc)
        Analyses(store).save(doc.id, doc.content_hash, version, lang="en", title_seg=segment.index_text(title),
                             body_seg=segment.index_text(body), cluster_id=cluster)
        ids[key] = doc.id
    backend = open_backend(settings, store)
    backend.sync()
    yield backend, ids
    store.close()


def test_a_page_is_filled_when_one_cluster_holds_the_whole_top_of_the_ranking(deep):
    backend, ids = deep
    result = backend.search(SearchRequest("gadget", expand=False, limit=10))
    assert len(result.hits) == 10 and len({h.id for h in result.hits}) == 10
    assert sorted(h.cluster_size for h in result.hits)[-2:] == [3, 80]
    assert (result.total_stories, result.total_documents) == (14, 94)


def test_the_earliest_matching_member_is_shown_when_it_ranks_below_what_was_collected(deep):
    backend, ids = deep
    result = backend.search(SearchRequest("gadget", expand=False, limit=20))
    shown = next(h for h in result.hits if h.cluster_size == 3)
    assert shown.id == ids["original"]  # not "copy" (best score), not "first" (does not match)
    assert shown.also_published_by == ("wire",)


# Queries of every shape the compiler has: words, phrases, exclusions, a lone NOT, alternatives,
# filters, an entity with its names, expansions across languages, and nothing (every document).
SHAPES = ["", "wafer", '"wafer rules"', "wafer -licensing", "NOT licensing", "wafer OR 晶圆", "lang:en",
          "entity:sia", "SIA", "(wafer OR timelines) source:commerce", "美国半导体行业协会"]


def _matching(searcher, query) -> set[int]:
    res = searcher.search(query, 100, count=True)
    assert res.count == len(res.hits)
    return {searcher.doc(a)["seq"][0] for _, a in res.hits}


@pytest.mark.parametrize("text", SHAPES)
def test_a_sample_pushed_into_each_leaf_matches_the_whole_query_restricted_to_it(engine, text):
    """`within` restricts every phrase and term on its own (so a phrase is checked only on the
    sample); the documents matched must be exactly the full query's matches inside the sample,
    whatever the shape (an exclusion must still exclude outside the sample's leaves)."""
    from tantivy import Query

    from index import query as q
    from index.expand import expand
    from index.tantivy_compile import compile_request, restrict

    backend, ids, store = engine
    searcher, schema = backend.searcher(), backend._index.schema
    expanded = expand(q.parse(text), enabled=True)
    for picked in (["sia", "csia"], ["wire", "other", "late"], list(ids)):
        within = Query.term_set_query(schema, "id", [ids[k] for k in picked])
        whole = compile_request(expanded, schema)
        assert _matching(searcher, compile_request(expanded, schema, within=within)) == \
            _matching(searcher, restrict(whole, within)), (text, picked)


def test_counterparts_that_match_nothing_more_are_searched_once(engine):
    """"wafer rule" and "wafer rules" stem alike; "broad wafer rules" and "the wafer rules" only
    match documents that contain "wafer rule" already; a one-word counterpart drops the phrases
    that contain it. The documents matched are those of all counterparts searched."""
    from tantivy import Occur, Query

    from index import query as q
    from index.expand import Counterpart
    from index.tantivy_compile import _text_query, analysed, compile_node, distinct_counterparts

    counterparts = [Counterpart(text=" ".join(w), words=w) for w in
                    [("wafer", "rules"), ("wafer", "rule"), ("broad", "wafer", "rules"), ("the", "wafer", "rules"),
                     ("licensing", "timelines"), ("licensing",), ("美国", "半导体")]]
    kept = distinct_counterparts(counterparts)
    assert [tokens for tokens, _ in kept] == [("wafer", "rule"), ("licens",), ("美国", "半导体")]
    backend, ids, store = engine
    searcher, schema = backend.searcher(), backend._index.schema
    every = Query.disjunction_max_query([_text_query(*analysed(c.words), schema, True) for c in counterparts])
    pruned = compile_node(q.Or(children=(q.Term(text="timelines", words=("timelines",)), *counterparts)), schema)
    typed = _text_query(*analysed(("timelines",)), schema, True)
    full = Query.boolean_query([(Occur.Should, typed), (Occur.Should, every)])
    assert _matching(searcher, pruned) == _matching(searcher, full) != set()


def test_a_forked_process_searches_with_its_own_aggregation_thread(engine):
    """A child forked after the parent searched inherits the parent's thread pool without its
    threads; a search there must make its own pool instead of waiting for those forever."""
    import multiprocessing

    backend, ids, store = engine
    before = backend.search(SearchRequest("wafer", facets=True))
    assert tantivy_page._POOL is not None
    with multiprocessing.get_context("fork").Pool(1) as pool:
        child = pool.apply_async(_documents_found, (backend.settings, "wafer")).get(timeout=60)
    assert child == before.total_documents


def _documents_found(settings, text: str) -> int:
    """In the forked child: its own store connection and backend, the page module as inherited."""
    with Store.open(settings) as store:
        return open_backend(settings, store).search(SearchRequest(text, facets=True)).total_documents


def test_counterparts_a_typed_word_already_matches_are_not_searched_again(engine):
    """A counterpart the same as the phrase typed beside it, or containing it, adds no document;
    the typed phrase and the other counterparts still match what all of them together match."""
    from tantivy import Occur, Query

    from index import query as q
    from index.expand import Counterpart
    from index.tantivy_compile import _text_query, analysed, compile_node, distinct_counterparts

    typed = q.Phrase(text="wafer rules", words=("wafer", "rules"))
    counterparts = [Counterpart(text=" ".join(w), words=w) for w in
                    [("wafer", "rule"), ("broad", "wafer", "rules"), ("licensing",)]]
    assert distinct_counterparts(counterparts, [analysed(typed.words)]) == [(("licens",), 0)]
    backend, ids, store = engine
    searcher, schema = backend.searcher(), backend._index.schema
    pruned = compile_node(q.Or(children=(typed, *counterparts)), schema)
    every = Query.boolean_query([(Occur.Should, _text_query(*analysed(c.words), schema, True))
                                 for c in (typed, *counterparts)])
    assert _matching(searcher, pruned) == _matching(searcher, every)
    assert len(_matching(searcher, pruned)) == 5  # wafer rules ×3, licensing ×2


def _page(result):
    return ([(h.id, round(h.score, 4), h.cluster_size, tuple(h.also_published_by)) for h in result.hits],
            result.total, result.total_documents, result.total_stories, result.facets, result.timeline)


@pytest.mark.parametrize("text", SHAPES)
def test_a_page_searched_in_two_halves_is_the_page_searched_whole(engine, monkeypatch, text):
    """An index above SPLIT_ABOVE has its top hits searched over two seq halves at once and
    merged: the same hits, scores, counts and facets, in either order, collapsed or not, on any page."""
    from tantivy import Query

    from index.search import prepare

    backend, ids, store = engine
    searcher, schema = backend.searcher(), backend._index.schema
    monkeypatch.setattr(tantivy_page, "SPLIT_ABOVE", 0)
    monkeypatch.setattr(tantivy_page, "SPLIT_WORK", 0)
    split = tantivy_page.split_point(searcher)
    low, high = tantivy_page.halves(Query.all_query(), schema, split)
    assert searcher.search(low, 10).count and searcher.search(high, 10).count  # both halves hold documents
    for sort in ("relevance", "date"):
        for request in (SearchRequest(text, limit=10, facets=True, sort=sort),
                        SearchRequest(text, limit=1, offset=1, sort=sort),
                        SearchRequest(text, limit=2, offset=1, collapse=False, sort=sort)):
            expanded = prepare(request)
            whole = tantivy_page.result_page(store, searcher, schema, expanded, request)
            halves = tantivy_page.result_page(store, searcher, schema, expanded, request, split)
            assert _page(halves) == _page(whole), (text, request)


def test_only_queries_that_check_phrases_on_many_documents_are_split(engine, monkeypatch):
    """Work = documents of a phrase's rarest body token; single words cost nothing to check, and
    an AND with a filter keeps the checks to the filter's documents."""
    from index.search import prepare

    backend, ids, store = engine
    searcher = backend.searcher()

    def work(text):
        return tantivy_page.phrase_work(prepare(SearchRequest(text, expand=False)).node, searcher)

    assert work("wafer") == work("wafer lang:en") == work('"wafer rules" source:sia') == 0
    rules = searcher.doc_freq("body", "rule")
    assert work('"wafer rules"') == rules and work('NOT "wafer rules"') == rules
    assert work('"wafer rules" OR "wafer licensing"') == rules + searcher.doc_freq("body", "licens")
    monkeypatch.setattr(tantivy_page, "SPLIT_WORK", rules)
    expanded = prepare(SearchRequest('"wafer rules"', expand=False))
    assert tantivy_page.worth_splitting(expanded, searcher, 3) == 3
    assert tantivy_page.worth_splitting(prepare(SearchRequest("wafer")), searcher, 3) is None
    assert tantivy_page.worth_splitting(expanded, searcher, None) is None


def test_the_backend_splits_a_large_index_and_works_the_point_out_once_per_commit(engine, monkeypatch):
    backend, ids, store = engine
    whole = backend.search(SearchRequest("wafer", facets=True))
    monkeypatch.setattr(tantivy_page, "SPLIT_ABOVE", 0)
    monkeypatch.setattr(tantivy_page, "SPLIT_WORK", 0)
    backend._split_at = None
    assert _page(backend.search(SearchRequest("wafer", facets=True))) == _page(whole)
    stamp, point = backend._split_at
    assert stamp == (backend._generation, backend._commits)
    assert point == tantivy_page.split_point(backend.searcher()) is not None
