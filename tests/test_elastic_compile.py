"""The Elasticsearch backend checked without a server: compiled queries, mappings and the template
as data (golden dicts), client options, indexed documents, and a clear error when nothing answers."""

from __future__ import annotations

import socket
from types import SimpleNamespace

import pytest

from index import elastic
from index import query as q
from index.expand import expand
from index.search import SearchRequest
from parallax.errors import BackendUnavailable
from tests.conftest import make_settings

ORIGINAL = ["title_en^5.0", "title_zh^5.0", "title_zh.cjk^2.5", "body_en^1.0", "body_zh^1.0", "body_zh.cjk^0.5"]
# Translations weighted as expansions: 2.5 and 0.6 times EXPANSION_BOOST (0.3).
ALL = ORIGINAL + ["title_tr_en^0.75", "title_tr_zh^0.75", "title_tr_zh.cjk^0.38",
                  "body_tr_en^0.18", "body_tr_zh^0.18", "body_tr_zh.cjk^0.09"]


def phrase(text, fields, slop=0):
    return {"multi_match": {"query": text, "type": "phrase", "slop": slop, "fields": fields}}


def compiled(query, enabled=False):
    return elastic.compile_node(expand(q.parse(query), enabled=enabled).node, translated=enabled)


GOLDEN = [
    ("chips", phrase("chips", ORIGINAL)),
    ('"supply chain"', phrase("supply chain", ORIGINAL)),
    ("chips -tariffs lang:zh", {"bool": {
        "must": [phrase("chips", ORIGINAL)],
        "filter": [{"term": {"lang": "zh"}}],
        "must_not": [phrase("tariffs", ORIGINAL)]}}),
    ("SMIC OR Huawei", {"bool": {"should": [phrase("SMIC", ORIGINAL), phrase("Huawei", ORIGINAL)],
                                 "minimum_should_match": 1}}),
    ("after:2025-01-01 before:2025-12-31", {"bool": {"filter": [
        {"range": {"published_at": {"gte": "2025-01-01"}}},
        {"range": {"published_at": {"lt": "2025-12-31||+1d/d"}}}]}}),
    ("source:SIA type:association country:us", {"bool": {"filter": [
        {"term": {"source_id": "sia"}}, {"term": {"kind": "association"}}, {"term": {"country": "US"}}]}}),
    ("", {"match_all": {}}),
    ("NOT tariffs", {"bool": {"must_not": [phrase("tariffs", ORIGINAL)]}}),
]


@pytest.mark.parametrize("query, expected", GOLDEN)
def test_compiled_query_without_expansion(query, expected):
    assert compiled(query) == expected


def test_chinese_words_allow_the_index_sub_words_between_them():
    node = q.Phrase("供应链安全", ("供应链", "安全"))
    assert elastic.text_query(node.words, translated=False) == phrase("供应链 安全", ORIGINAL, slop=6)


def test_expanded_query_adds_the_counterpart_weighted_below_the_typed_words_and_the_translated_fields():
    from index.expand import EXPANSION_BOOST

    counterpart = {"dis_max": {"queries": [phrase("出口管制", ALL)], "boost": EXPANSION_BOOST}}
    assert 0 < EXPANSION_BOOST < 1
    assert compiled("export controls", enabled=True) == {"bool": {"must": [{"bool": {
        "should": [
            {"bool": {"must": [phrase("export", ALL), phrase("controls", ALL)]}},
            counterpart,
        ],
        "minimum_should_match": 1}}]}}


def test_entity_filter_compiles_to_the_tag_or_its_names():
    got = compiled("entity:CSIA")
    assert got["bool"]["should"][0] == {"term": {"entities": "csia"}}
    assert phrase("中国半导体行业协会", ORIGINAL) in got["bool"]["should"]
    assert phrase("China Semiconductor Industry Association", ORIGINAL) in got["bool"]["should"]


def test_user_text_never_becomes_query_string_syntax():
    # Unquoted, `title:*` is refused by the parser (not a filter); quoted, it is searched as words.
    tricky = '"title:*" OR "a" AND (b) ~1 ^9 x:{1} query_string'
    body = elastic.search_body(expand(q.parse(tricky), enabled=True), SearchRequest(tricky))
    assert not any(key in repr(body) for key in ("'query_string':", "'simple_query_string':"))


def test_search_body_pages_collapses_and_counts():
    request = SearchRequest("chips", limit=5, offset=10, sort="date", facets=True)
    body = elastic.search_body(expand(q.parse("chips"), enabled=True), request)
    assert body["sort"] == [{"published_at": {"order": "desc", "missing": "_last"}}, {"id": "asc"}]
    assert (body["from"], body["size"], body["track_total_hits"]) == (10, 5, True)
    assert body["collapse"] == {"field": "cluster_key"}  # sizes come from a second request, not inner hits
    assert set(body["aggs"]) == {"source", "lang", "type", "country", "entity", "month", "clusters", "timeline"}
    assert body["aggs"]["timeline"]["date_histogram"]["calendar_interval"] == "week"
    assert body["aggs"]["entity"] == {"composite": {"size": elastic.FACET_PAGE, "sources": [
        {"value": {"terms": {"field": "entities"}}}]}}
    assert body["aggs"]["clusters"]["cardinality"]["field"] == "cluster_key"
    assert "title_tr_zh.cjk" in body["highlight"]["fields"]
    assert body["highlight"]["max_analyzed_offset"] < elastic.INDEX_SETTINGS["highlight"]["max_analyzed_offset"]
    relevance = elastic.search_body(expand(q.parse("chips"), enabled=False), SearchRequest("chips"))
    assert relevance["sort"] == [{"_score": "desc"}, {"id": "asc"}]
    assert "collapse" in relevance and "title_tr_en" not in relevance["highlight"]["fields"]
    filters_only = elastic.search_body(expand(q.parse("lang:zh"), enabled=True), SearchRequest("lang:zh"))
    assert filters_only["sort"][0] == {"published_at": {"order": "desc", "missing": "_last"}}


def test_alerts_cut_off_by_store_sequence():
    got = elastic.compile_query(expand(q.parse(""), enabled=True), since_seq=41)
    assert got == {"bool": {"must": [{"match_all": {}}], "filter": [{"range": {"seq": {"gt": 41}}}]}}


def test_alert_and_export_pages_ask_for_the_seq_doc_value_after_the_alerts_last_run():
    expanded = expand(q.parse("chips"), enabled=False)
    body = elastic.page_body(expanded, SearchRequest("chips", since_seq=41, sort="date"), True, "pit-1",
                             after=["2025-01-01", "a"], fields=["seq"])
    assert body["query"]["bool"]["filter"] == [{"range": {"seq": {"gt": 41}}}]
    assert body["docvalue_fields"] == ["seq"] and body["_source"] is False
    assert body["sort"][0] == {"published_at": {"order": "desc", "missing": "_last"}}
    assert body["search_after"] == ["2025-01-01", "a"] and body["pit"]["id"] == "pit-1"
    assert "docvalue_fields" not in elastic.page_body(expanded, SearchRequest("chips"), True, "pit-1")


def test_mappings_are_explicit_with_language_analyzers():
    props = elastic.MAPPINGS["properties"]
    assert elastic.MAPPINGS["dynamic"] == "strict"
    for name in ("title", "body", "title_tr", "body_tr"):
        assert props[f"{name}_en"] == {"type": "text", "analyzer": "english"}
        assert props[f"{name}_zh"] == {"type": "text", "analyzer": "zh_segmented",
                                       "fields": {"cjk": {"type": "text", "analyzer": "zh_cjk"}}}
    for keyword in ("id", "source_id", "lang", "kind", "country", "entities", "cluster_key", "month"):
        assert props[keyword]["type"] == "keyword"
    assert props["published_at"]["type"] == "date" and props["seq"]["type"] == "long"
    analyzers = elastic.INDEX_SETTINGS["analysis"]["analyzer"]
    assert analyzers["zh_segmented"] == {"type": "custom", "tokenizer": "whitespace", "filter": ["lowercase"]}
    assert analyzers["zh_cjk"] == {"type": "cjk"}


def test_template_covers_every_index_behind_the_alias():
    template = elastic.index_template("parallax")
    assert template["name"] == "parallax-template"
    assert template["index_patterns"] == ["parallax-*"]
    assert template["priority"] == elastic.TEMPLATE_PRIORITY + len("parallax")
    assert template["template"] == {"settings": elastic.INDEX_SETTINGS, "mappings": elastic.MAPPINGS}


def _doc(**kw):
    base = dict(id="d1", url="http://127.0.0.1/d1", source_id="csia", lang="zh", declared_lang="zh",
                kind="association", country="CN", entities=({"canonical_id": "csia"}, {"text": "x"}),
                cluster_id=None, published_at="2025-03-05T02:00:00+00:00", seq=7, content_hash="h",
                title="中國半導體行業協會聲明", body="出口管制", title_tr="CSIA statement", body_tr=None)
    base.update(kw)
    return SimpleNamespace(**base)


def test_indexed_document_puts_text_in_its_language_fields_segmented():
    body = elastic.es_document(_doc())
    # normalised to Simplified and cut by our segmenter (search mode: the whole name and its parts)
    assert "中国半导体行业协会" in body["title_zh"].split() and "半导体" in body["title_zh"].split()
    assert "出口管制" in body["body_zh"].split()
    assert body["title_tr_en"] == "CSIA statement"
    assert "body_tr_en" not in body and "title_en" not in body
    assert body["entities"] == ["csia"] and body["cluster_key"] == "d1" and body["month"] == "2025-03"
    assert set(body) <= set(elastic.MAPPINGS["properties"])  # the strict mapping accepts it
    assert elastic.es_document(_doc(cluster_id="c9"))["cluster_key"] == "c9"


def test_client_options_api_key_wins_over_password_and_ca_file_is_used(tmp_path):
    settings = make_settings(tmp_path, **{"elasticsearch.url": "https://es.example:9200",
                                          "elasticsearch.api_key": "k", "elasticsearch.username": "u",
                                          "elasticsearch.password": "p", "elasticsearch.ca_file": "/certs/ca.crt"})
    options = elastic.client_options(settings)
    assert options["hosts"] == ["https://es.example:9200"]
    assert options["api_key"] == "k" and "basic_auth" not in options
    assert options["ca_certs"] == "/certs/ca.crt"
    basic = elastic.client_options(make_settings(tmp_path, **{"elasticsearch.url": "http://x:9200",
                                                              "elasticsearch.username": "elastic",
                                                              "elasticsearch.password": "pw"}))
    assert basic["basic_auth"] == ("elastic", "pw") and "ca_certs" not in basic


def test_missing_url_is_a_clear_error(tmp_path):
    """Bad input tried: the elasticsearch backend with no URL."""
    with pytest.raises(BackendUnavailable, match="PARALLAX_ES_URL"):
        elastic.client_options(make_settings(tmp_path))


def test_unreachable_server_is_backend_unavailable(tmp_path):
    """Bad input tried: PARALLAX_ES_URL pointing at a port where nothing listens."""
    from index.store import Store

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again before the client connects
    settings = make_settings(tmp_path / "data", **{"index.backend": "elasticsearch",
                                                   "elasticsearch.url": f"http://127.0.0.1:{port}"})
    with Store.open(settings) as store:
        backend = elastic.ElasticBackend(settings, store)
        backend.client = backend.client.options(max_retries=0, request_timeout=2)
        with pytest.raises(BackendUnavailable, match=f"cannot reach Elasticsearch at http://127.0.0.1:{port}"):
            backend.search(SearchRequest("chips"))
        with pytest.raises(BackendUnavailable, match="docker compose up"):
            backend.sync(store)
