"""One behaviour suite for every search backend: the same documents, queries and expectations.

The tantivy run always happens. The Elasticsearch run needs a server: it runs when PARALLAX_ES_URL
is set (with PARALLAX_ES_USERNAME/PASSWORD or PARALLAX_ES_API_KEY, PARALLAX_ES_CA_FILE as needed)
and is skipped with that reason otherwise. Relevance scores differ between the engines, so
relevance-sorted results are compared as sets; date order, counts, facets and highlights exactly.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from index.document import Document
from index.search import SearchRequest
from index.backends import open_backend
from index.store import Store
from tests.conftest import BACKENDS, backend_settings, drop_backend, make_settings

SOURCES = [
    ("sia", "Semiconductor Industry Association", "en", "association", "US"),
    ("wire", "Wire", "en", "news", "GB"),
    ("commerce", "Commerce", "en", "government", "US"),
    ("csia", "中国半导体行业协会", "zh", "association", "CN"),
    ("hkpost", "港邮", "zh", "news", "HK"),
    ("mofcom", "商务部", "zh", "government", "CN"),
]

# key: (source, date, title, body). Written for these tests.
DOCS = {
    "sia": ("sia", "2025-03-02T09:00:00+00:00", "SIA statement on new export controls",
            "The association said broad export controls on mature chips would hurt suppliers on both sides. "
            "It will raise the matter with CSIA in the joint working group."),
    "wire": ("wire", "2025-03-03T10:00:00+00:00", "SIA statement on new export controls",
             "The association said broad export controls on mature chips would hurt suppliers on both sides. "
             "It will raise the matter with CSIA in the joint working group."),
    "csia": ("csia", "2025-03-05T02:00:00+00:00", "中国半导体行业协会关于出口管制新规的声明",
             "中国半导体行业协会认为，扩大出口管制范围将损害全球供应链的稳定。协会将在工作组内继续沟通。"),
    "hk": ("hkpost", "2025-03-06T03:00:00+00:00", "中國半導體行業協會回應出口管製新規",
           "中國半導體行業協會表示，出口管製擴大將影響兩地企業。"),
    "tariffs": ("commerce", "2025-04-01T12:00:00+00:00", "Outreach on licensing and tariffs",
                "Officials explained tariffs and licensing timelines to exporters at an outreach session."),
    "rare": ("mofcom", "2025-05-01T08:00:00+00:00", "商务部介绍稀土物项许可便利化措施",
             "商务部表示，将为合规企业提供许可便利，包括AI芯片企业。"),
}
# The Chinese release about licences carries an English translation (as the translation stage writes).
TRANSLATION = ("MOFCOM outlines licence facilitation for rare earth items",
               "The ministry said it would ease licences for compliant firms under the export controls regime.")


def _url(key):
    return f"http://127.0.0.1/{key}.html"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """A store with the documents above, analysed by the real language stages, two of them one cluster."""
    from nlp.pipeline import process

    settings = make_settings(tmp_path_factory.mktemp("behaviour") / "data")
    with Store.open(settings) as store:
        for sid, name, lang, kind, country in SOURCES:
            store.upsert_source(SimpleNamespace(id=sid, name=name, name_en=sid, language=lang, kind=kind,
                                                country=country))
        lang_of = {s[0]: s[2] for s in SOURCES}
        meta = {s[0]: s for s in SOURCES}
        ids = {}
        for key, (sid, date, title, body) in DOCS.items():
            doc = Document(url=_url(key), source_id=sid, title=title, body=body, published_at=date,
                           declared_lang=lang_of[sid], kind=meta[sid][3], country=meta[sid][4])
            store.upsert_document(doc)
            ids[key] = doc.id
        process(store, settings)
        # What the near-duplicate and translation stages record (they belong to the language stages).
        with store.transaction():
            store.conn.execute("UPDATE analyses SET cluster_id = 'c-sia' WHERE doc_id IN (?, ?)",
                               (ids["sia"], ids["wire"]))
            store.conn.execute("UPDATE analyses SET title_tr = ?, body_tr = ? WHERE doc_id = ?",
                               (*TRANSLATION, ids["rare"]))
    return settings, ids


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request, corpus):
    settings, ids = corpus
    settings = backend_settings(settings, request.param, "parallax-test")
    store = Store.open(settings)
    engine = open_backend(settings, store)
    counts = engine.rebuild(store)
    assert counts["indexed"] == len(DOCS)
    yield engine, ids
    drop_backend(engine)
    store.close()


def ids_of(result):
    return {h.id for h in result.hits}


def keys(ids, *names):
    return {ids[n] for n in names}


def test_english_words_find_chinese_statements_through_the_glossary(backend):
    engine, ids = backend
    result = engine.search(SearchRequest("export controls", limit=50))
    # sia and wire are one cluster; the Chinese release about licences matches through its translation
    assert ids_of(result) == keys(ids, "sia", "csia", "hk", "rare")
    assert result.total == 4
    assert "export controls → 出口管制 (glossary)" in result.expansions


def test_without_expansion_only_the_words_as_typed_match(backend):
    engine, ids = backend
    result = engine.search(SearchRequest("export controls", limit=50, expand=False))
    assert ids_of(result) == keys(ids, "sia")
    assert result.expansions == []


def test_chinese_words_find_english_statements(backend):
    engine, ids = backend
    result = engine.search(SearchRequest("出口管制", limit=50))
    assert ids_of(result) == keys(ids, "sia", "csia", "hk", "rare")
    assert any(note.startswith("出口管制 → export controls") for note in result.expansions)


@pytest.mark.parametrize("query,typed,found_through_expansion", [
    ("出口管制", ("csia", "hk"), ("sia", "rare")),
    # rare has "export controls" only in its machine translation: found across languages too
    ("export controls", ("sia",), ("csia", "hk", "rare")),
])
def test_a_match_in_the_words_as_typed_ranks_above_one_found_only_through_an_expansion(
        backend, query, typed, found_through_expansion):
    """The English statement has the counterpart in its title (weighted 5), the Chinese ones have
    the typed words in theirs, and a translation matches only in the other language's words: a
    match in the words as typed, in the original text, still comes first."""
    engine, ids = backend
    order = [h.id for h in engine.search(SearchRequest(query, limit=50)).hits]
    assert max(order.index(ids[k]) for k in typed) < min(order.index(ids[k]) for k in found_through_expansion)


def test_traditional_and_simplified_queries_find_the_same_documents(backend):
    engine, _ = backend
    simplified = engine.search(SearchRequest("出口管制", limit=50, expand=False))
    traditional = engine.search(SearchRequest("出口管製", limit=50, expand=False))
    assert ids_of(simplified) == ids_of(traditional) and len(ids_of(simplified)) == 2


def test_near_duplicates_fold_into_one_hit_with_the_other_source(backend):
    engine, ids = backend
    result = engine.search(SearchRequest('"export controls" lang:en', limit=50, expand=False))
    assert result.total == 1
    hit = result.hits[0]
    assert hit.id == ids["sia"]  # the earlier of two equally good copies stands for the cluster
    assert hit.cluster_size == 2 and hit.also_published_by == ("wire",)
    apart = engine.search(SearchRequest('"export controls" lang:en', limit=50, expand=False, collapse=False))
    assert ids_of(apart) == keys(ids, "sia", "wire") and apart.total == 2


def test_entity_filter_matches_names_in_both_languages(backend):
    engine, ids = backend
    result = engine.search(SearchRequest("entity:csia", limit=50, sort="date"))
    assert [h.id for h in result.hits] == [ids["hk"], ids["csia"], ids["sia"]]
    assert result.hits[2].cluster_size == 2
    by_name = engine.search(SearchRequest("entity:中國半導體行業協會", limit=50, sort="date"))
    assert ids_of(by_name) == ids_of(result)


def test_unknown_entity_matches_nothing(backend):
    engine, _ = backend
    assert engine.search(SearchRequest("entity:no-such-body")).total == 0


def test_negation_and_or(backend):
    engine, ids = backend
    assert ids_of(engine.search(SearchRequest("licensing -tariffs", limit=50, expand=False))) == set()
    assert ids_of(engine.search(SearchRequest("tariffs OR 稀土", limit=50, expand=False))) == \
        keys(ids, "tariffs", "rare")


def test_filters_and_dates(backend):
    engine, ids = backend
    assert ids_of(engine.search(SearchRequest("lang:zh country:CN", limit=50))) == keys(ids, "csia", "rare")
    assert ids_of(engine.search(SearchRequest("after:2025-04-01", limit=50))) == keys(ids, "tariffs", "rare")
    assert ids_of(engine.search(SearchRequest("before:2025-03-02", limit=50))) == keys(ids, "sia")
    assert ids_of(engine.search(SearchRequest("source:commerce type:government", limit=50))) == keys(ids, "tariffs")


def test_facets_count_every_matching_document(backend):
    engine, _ = backend
    result = engine.search(SearchRequest("", facets=True))
    assert result.facets["lang"] == [("en", 3), ("zh", 3)]
    assert result.facets["country"] == [("CN", 2), ("US", 2), ("GB", 1), ("HK", 1)]
    assert result.facets["type"] == [("association", 2), ("government", 2), ("news", 2)]
    # Entity facets come from the entity stage's tags; each value counts documents tagged with it.
    entities = dict(result.facets["entity"])
    assert entities.get("csia", 0) >= 2
    assert all(count <= 6 for count in entities.values())
    assert result.facets["month"] == [("2025-03", 4), ("2025-04", 1), ("2025-05", 1)]
    assert dict(result.facets["source"])["wire"] == 1
    assert result.total == 5  # six documents, two of them one cluster


def test_date_pages_are_stable_and_complete(backend):
    engine, ids = backend
    seen = []
    for offset in range(0, 6, 2):
        seen += [h.id for h in engine.search(SearchRequest("", limit=2, offset=offset, sort="date",
                                                           collapse=False)).hits]
    assert seen == [ids[k] for k in ("rare", "tariffs", "hk", "csia", "wire", "sia")]
    assert list(engine.iter_ids(SearchRequest("", sort="date"))) == seen


def test_highlights_light_up_expansions_in_original_and_translation(backend):
    engine, ids = backend
    hits = {h.id: h for h in engine.search(SearchRequest("export controls", limit=50)).hits}
    chinese = hits[ids["csia"]].snippet
    assert "出口管制" in [chinese.text[s:e] for s, e in chinese.highlights]
    traditional = hits[ids["hk"]].snippet
    assert "出口管製" in [traditional.text[s:e] for s, e in traditional.highlights]
    translated = hits[ids["rare"]].snippet_tr
    assert {"export", "controls"} <= {translated.text[s:e] for s, e in translated.highlights}
    phrase = engine.search(SearchRequest('"export controls"', limit=50)).hits
    english = next(h for h in phrase if h.id == ids["sia"]).snippet
    assert "export controls" in [english.text[s:e] for s, e in english.highlights]


def test_a_latin_word_finds_the_domain_words_it_is_glued_into(backend):
    """AI芯片 is one dictionary word, one token in the index: a search for AI finds it, with
    expansion on or off, and an exclusion of AI excludes it."""
    engine, ids = backend
    for expand in (False, True):
        result = engine.search(SearchRequest("AI", limit=50, expand=expand))
        assert ids_of(result) == keys(ids, "rare")
        assert "AI → AI芯片, AI晶片 (domain words)" in result.expansions
        snippet = result.hits[0].snippet
        assert "AI芯片" in [snippet.text[s:e] for s, e in snippet.highlights]
    assert ids_of(engine.search(SearchRequest("lang:zh -ai", limit=50))) == keys(ids, "csia", "hk")


def test_title_outranks_body(backend):
    engine, ids = backend
    result = engine.search(SearchRequest("licensing", limit=50, expand=False))
    assert [h.id for h in result.hits][0] == ids["tariffs"]


def test_malformed_query_is_a_query_error(backend):
    """Bad input tried: an unclosed group; nothing is searched, the error says where."""
    from parallax.errors import QueryError

    engine, _ = backend
    with pytest.raises(QueryError, match="unclosed"):
        engine.search(SearchRequest("(export controls"))


def test_unknown_sort_names_the_choices(backend):
    """Bad input tried: sort='oldest'."""
    from parallax.errors import ConfigError

    engine, _ = backend
    with pytest.raises(ConfigError, match="relevance, date"):
        engine.search(SearchRequest("chips", sort="oldest"))
