"""The filter widgets become query-language clauses that the real parser and backend accept."""

from __future__ import annotations

from datetime import date

import pytest

from index.query import parse
from index.search import SearchRequest
from index.backends import open_backend
from index.store import Store
from ui.filters import Filters, compose_query, facet_label, facet_options

CASES = [
    ("chips", Filters(), "chips"),
    ("", Filters(langs=("zh",)), "lang:zh"),
    ("a OR b", Filters(sources=("sia", "csia")), "(a OR b) (source:sia OR source:csia)"),
    ("出口管制", Filters(kinds=("government",), countries=("CN",), entities=("csia", "sia")),
     "(出口管制) type:government country:CN (entity:csia OR entity:sia)"),
    ("", Filters(after=date(2025, 6, 1), before=date(2025, 12, 31)),
     "after:2025-06-01 before:2025-12-31"),
    ("x", Filters(entities=("org with space",)), '(x) entity:"org with space"'),
]


@pytest.mark.parametrize("text,filters,expected", CASES)
def test_filters_are_appended_as_query_clauses(text, filters, expected):
    query = compose_query(text, filters)
    assert query == expected
    parse(query)  # what the widgets produce is always a valid query


def test_an_or_in_the_typed_text_cannot_swallow_a_filter(demo_data):
    settings, _ = demo_data
    with Store.open(settings) as store:
        backend = open_backend(settings, store)
        query = compose_query("export OR 出口管制", Filters(langs=("zh",)))
        result = backend.search(SearchRequest(query, limit=100, facets=True))
        filtered = set(backend.iter_ids(SearchRequest(query)))
        unfiltered = set(backend.iter_ids(SearchRequest("export OR 出口管制")))
        langs = {doc_id: doc.lang for doc_id, doc in store.get_many(list(unfiltered)).items()}
    # The filter applies to the whole OR: exactly the Chinese documents among the typed query's
    # matches, not those plus every document with "export" in any language.
    assert {"en", "zh"} <= set(langs.values())
    assert filtered == {doc_id for doc_id, lang in langs.items() if lang == "zh"}
    assert result.total > 0 and {h.lang for h in result.hits} == {"zh"}
    assert dict(result.facets["lang"]) == {"zh": len(filtered)}  # facets count every document


def test_chosen_values_stay_offered_when_they_have_no_hits():
    assert facet_options([("sia", 4), ("wire", 1)], ("csia",)) == ["sia", "wire", "csia"]
    assert facet_label("sia", {"sia": 4}, {"sia": "Semiconductor Industry Association"}) == \
        "Semiconductor Industry Association (4)"
    assert facet_label("csia", {}, {}) == "csia (0)"


def test_with_value_adds_once():
    f = Filters().with_value("entity", "csia").with_value("entity", "csia")
    assert f.entities == ("csia",)
    assert not f.is_empty() and Filters().is_empty()
