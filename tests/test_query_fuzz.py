"""Fuzzed queries: parse(), expansion, both backends' compilers and the tantivy search itself raise
nothing but QueryError, whatever is typed."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from index import elastic
from index import query as q
from index.tantivy_compile import compile_request
from index.tantivy_schema import build_schema
from index.expand import expand
from index.search import SearchRequest
from parallax.errors import QueryError

PIECES = st.sampled_from([
    "export", "controls", "出口管制", "出口管製", "CSIA", "中国半导体行业协会", "AND", "OR", "NOT", "-", "(", ")",
    "（", "）", '"', "“", "”", ":", "lang:", "lang:zh", "lang:fr", "entity:", "entity:csia", "entity:sia",
    "after:2025-01-01", "before:2025-13-01", "source:sia", "type:", "country:cn", "*", "^", "~", "NEAR",
    "{title}", "'", "\\", ";", "--", "/*", "\u3000", "ＳＭＩＣ", "é", "\t", " ", " ", " ",
])
QUERIES = st.one_of(
    st.lists(PIECES, max_size=14).map("".join),
    st.lists(PIECES, max_size=10).map(" ".join),
    st.text(max_size=60),
)
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _parsed(text):
    try:
        return q.parse(text)
    except QueryError:
        return None


@FUZZ
@given(QUERIES)
def test_parse_raises_only_query_error(text):
    try:
        q.parse(text)
    except QueryError as exc:
        assert exc.position is None or 0 <= exc.position <= max(len(text), q.MAX_QUERY_LENGTH)


@FUZZ
@given(QUERIES, st.booleans())
def test_both_compilers_raise_only_query_error(text, enabled):
    node = _parsed(text)
    if node is None:
        return
    expanded = expand(node, enabled=enabled)
    compiled = elastic.compile_query(expanded, since_seq=3)
    assert compiled["bool"]["filter"] == [{"range": {"seq": {"gt": 3}}}]  # the alerts' cut-off is kept
    assert compile_request(expanded, SCHEMA, since_seq=3) is not None


SCHEMA = build_schema()


@pytest.fixture(scope="module")
def small_index(tmp_path_factory):
    from types import SimpleNamespace

    from index.document import Document
    from index.backends import open_backend
    from index.store import Store
    from nlp.pipeline import process
    from tests.conftest import make_settings

    settings_ = make_settings(tmp_path_factory.mktemp("fuzz") / "data")
    store = Store.open(settings_)
    store.upsert_source(SimpleNamespace(id="sia", name="SIA", name_en="SIA", language="en",
                                        kind="association", country="US"))
    for i, (title, body) in enumerate([("Export controls", "CSIA and SIA on export controls."),
                                       ("出口管制声明", "中国半导体行业协会关于出口管制的声明。")]):
        store.upsert_document(Document(url=f"http://127.0.0.1/{i}", source_id="sia", title=title, body=body,
                                       published_at=f"2025-0{i + 1}-01T00:00:00+00:00"))
    process(store, settings_)
    backend = open_backend(settings_, store)
    backend.sync()
    yield backend
    store.close()


@FUZZ
@given(QUERIES, st.booleans(), st.sampled_from(["relevance", "date"]))
def test_tantivy_search_raises_only_query_error(small_index, text, enabled, sort):
    request = SearchRequest(text, expand=enabled, sort=sort, facets=True)
    try:
        result = small_index.search(request)
        assert result.total >= len(result.hits)
        assert result.total_documents >= result.total_stories == result.total
        list(small_index.iter_ids(request))
    except QueryError:
        # Only the parser may refuse a query: the compiler and the engine never do.
        assert _parsed(text) is None, f"the index refused {text!r}, which parses"
    except ValueError as exc:  # pragma: no cover - the failure this test exists to catch
        pytest.fail(f"tantivy error for {text!r}: {exc}")
