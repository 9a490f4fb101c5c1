"""`collection:NAME` in the query language: the same behaviour on every backend.

Membership is source configuration (the sources file, recorded in the store's `sources` table), so
a collection filter becomes `source:` filters at query time: changing a collection needs no
re-index. The SQLite run always happens; the Elasticsearch run needs PARALLAX_ES_URL.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from index import elastic
from index import query as q
from index.document import Document
from index.expand import expand
from index.backends import open_backend
from index.search import SearchRequest
from index.store import Store
from parallax.errors import QueryError
from tests.conftest import BACKENDS, backend_settings, drop_backend, make_settings
from tests.sources_fixtures import feed, source_block, write_sources

# (id, language, kind, country, collections)
SOURCES = [
    ("sia", "en", "association", "US", ["us-associations", "chip-associations"]),
    ("semi", "en", "association", "US", ["us-associations"]),
    ("csia", "zh", "association", "CN", ["prc-associations", "chip-associations"]),
    ("mofcom", "zh", "government", "CN", ["prc-government"]),
    ("wire", "en", "news", "GB", []),
]
# key: (source, title, body). Written for these tests.
DOCS = {
    "sia": ("sia", "SIA asks for narrow rules on mature chips",
            "The association asked that any new rule on mature chips stay narrow."),
    "semi": ("semi", "SEMI members meet on equipment licences",
             "Equipment makers discussed licence timelines for chips tools."),
    "csia": ("csia", "中国半导体行业协会谈成熟制程芯片", "协会表示，成熟制程芯片的供应链需要稳定。"),
    "mofcom": ("mofcom", "商务部回应芯片出口问题", "商务部表示，将继续与各方沟通芯片出口问题。"),
    "wire": ("wire", "Chip groups prepare for the next round of talks",
             "Industry groups on both sides prepared positions on chips."),
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    from nlp.pipeline import process

    settings = make_settings(tmp_path_factory.mktemp("collections") / "data")
    with Store.open(settings) as store:
        for sid, lang, kind, country, collections in SOURCES:
            store.upsert_source(SimpleNamespace(id=sid, name=sid, name_en=sid.upper(), language=lang,
                                                kind=kind, country=country, collections=collections))
        ids = {}
        meta = {s[0]: s for s in SOURCES}
        for key, (sid, title, body) in DOCS.items():
            doc = Document(url=f"http://127.0.0.1/{key}.html", source_id=sid, title=title, body=body,
                           published_at="2025-06-01T08:00:00+00:00", declared_lang=meta[sid][1],
                           kind=meta[sid][2], country=meta[sid][3])
            store.upsert_document(doc)
            ids[key] = doc.id
        process(store, settings)
    return settings, ids


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request, corpus):
    settings, ids = corpus
    settings = backend_settings(settings, request.param, "parallax-coll")
    store = Store.open(settings)
    engine = open_backend(settings, store)
    engine.rebuild(store)
    yield engine, store, ids
    drop_backend(engine)
    store.close()


def found(engine, query):
    return {h.id for h in engine.search(SearchRequest(query, limit=50)).hits}


def keys(ids, *names):
    return {ids[n] for n in names}


@pytest.mark.parametrize("query, expected", [
    ("collection:us-associations", ("sia", "semi")),
    ("collection:chip-associations", ("sia", "csia")),
    ("collection:prc-government", ("mofcom",)),
    ("collection:US-Associations", ("sia", "semi")),  # names are case-insensitive, like source:
    ("chips collection:us-associations", ("sia", "semi")),
    ("collection:chip-associations -lang:zh", ("sia",)),
    ("collection:prc-associations OR collection:prc-government", ("csia", "mofcom")),
    ("collection:chip-associations collection:us-associations", ("sia",)),
])
def test_collection_filter_finds_only_its_member_sources(backend, query, expected):
    engine, _, ids = backend
    assert found(engine, query) == keys(ids, *expected)


def test_unknown_collection_is_an_error_listing_the_known_ones(backend):
    engine, _, _ = backend
    with pytest.raises(QueryError) as error:
        engine.search(SearchRequest("chips collection:taiwan-press"))
    message = str(error.value)
    assert "collection:taiwan-press is not a collection" in message
    assert "chip-associations, prc-associations, prc-government, us-associations" in message


def test_changing_a_collection_in_the_sources_file_needs_no_reindex(backend, tmp_path):
    engine, store, ids = backend
    from crawler.sources import load_sources

    blocks = []
    for sid, lang, kind, country, collections in SOURCES:
        # wire joins the press collection; semi leaves us-associations.
        collections = {"wire": ["press"], "semi": []}.get(sid, collections)
        blocks.append(source_block(sid, feed(f"http://127.0.0.1/{sid}.xml"), name=sid, language=lang, kind=kind,
                                   country=country, collections=collections))
    path = write_sources(tmp_path / "sources.toml", *blocks)
    before = store.collections()
    try:
        store.record_collections(load_sources(path))
        assert found(engine, "collection:press") == keys(ids, "wire")
        assert found(engine, "collection:us-associations") == keys(ids, "sia")
    finally:
        with store.transaction():
            for source_id, row in store.sources().items():
                names = [n for n, members in before.items() if source_id in members]
                store.conn.execute("UPDATE sources SET collections = ? WHERE id = ?",
                                   (str(names).replace("'", '"'), source_id))
    assert store.collections() == before


def test_elasticsearch_compiles_a_collection_into_source_terms():
    collections = {"us-associations": ("semi", "sia"), "prc-government": ("mofcom",)}
    node = expand(q.parse("chips collection:us-associations"), enabled=False, collections=collections).node
    compiled = elastic.compile_node(node, translated=False)
    assert compiled["bool"]["must"][1] == {"bool": {"should": [{"term": {"source_id": "semi"}},
                                                               {"term": {"source_id": "sia"}}],
                                                    "minimum_should_match": 1}}
    single = expand(q.parse("collection:prc-government"), enabled=False, collections=collections).node
    assert elastic.compile_node(single) == {"term": {"source_id": "mofcom"}}


def test_collection_needs_a_value():
    with pytest.raises(QueryError, match="empty value for collection:"):
        q.parse("chips collection:")


def test_exports_carry_the_source_collections_and_follow_a_collection_query(backend):
    engine, store, ids = backend
    from index.export import iter_rows

    rows = list(iter_rows(store, engine, SearchRequest("collection:chip-associations"), entity_names={}))
    assert {r["id"]: set(r["source_collections"].split("|")) for r in rows} == {
        ids["sia"]: {"us-associations", "chip-associations"}, ids["csia"]: {"prc-associations", "chip-associations"}}


def test_an_index_run_records_the_collections_of_the_sources_file(tmp_path, caplog):
    from parallax import stages

    path = write_sources(tmp_path / "sources.toml", source_block(
        "sia", feed("http://127.0.0.1:9/feed"), name="SIA", collections=["us-associations"]))
    settings = make_settings(tmp_path / "data", sources=str(path))
    with Store.open(settings) as store:
        store.upsert_source(SimpleNamespace(id="sia", name="SIA", name_en="SIA", language="en", kind="association",
                                            country="US"))
        store.upsert_source(SimpleNamespace(id="gone", name="Gone", name_en="Gone", language="en", kind="news",
                                            country="US", collections=["us-associations"]))
    stages.index(settings)
    with Store.open(settings) as store:
        assert store.collections() == {"us-associations": ("sia",)}  # "gone" is no longer configured
    path.write_text("[[source]]\nid = \"sia\"\n", encoding="utf-8")  # broken: the record is kept
    stages.index(settings)
    with Store.open(settings) as store:
        assert store.collections() == {"us-associations": ("sia",)}
    assert "collections not refreshed: source 'sia': key 'name' is missing or empty" in caplog.text


def test_the_demo_cycle_records_the_bundled_sources_collections(tmp_path, caplog):
    """The bundled sources name the demo site as `{base}`: an index run of the demo cycle is given
    that address, so the file loads and its collections are recorded (before, every `make demo`
    logged "collections not refreshed: ... is not an http(s) URL")."""
    from crawler.sources import load_sources
    from parallax import stages

    settings = make_settings(tmp_path / "data")
    base = "http://127.0.0.1:8780"
    configured = load_sources(None, base)
    with Store.open(settings) as store:
        for source in configured:
            store.upsert_source(source)
    stages.index(settings, base=base)
    assert "collections not refreshed" not in caplog.text
    with Store.open(settings) as store:
        assert "us-associations" in store.collections()
