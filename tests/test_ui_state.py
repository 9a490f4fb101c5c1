"""The search as a query string: every part of the state survives the trip through the URL, and a
hand-edited address with bad values still opens a page (with the defaults)."""

from __future__ import annotations

from datetime import date
from urllib.parse import parse_qs, urlencode

import pytest

from ui.filters import Filters
from ui.state import SearchState, from_params


class Params(dict):
    """What `st.query_params` offers the state: the last value of a key, or all of them."""

    def get(self, key, default=None):
        values = super().get(key)
        return values[-1] if values else default

    def get_all(self, key):
        return list(super().get(key, []))


def through_the_url(state: SearchState) -> SearchState:
    query = urlencode(state.to_params(), doseq=True)
    return from_params(Params(parse_qs(query)))


STATES = [
    SearchState(),
    SearchState(text="出口管制", sort="date", page=3, expand=False),
    SearchState(text='"export controls" OR SMIC', filters=Filters(
        sources=("sia", "csia"), langs=("zh",), kinds=("government",), countries=("CN", "HK"),
        entities=("csia", "smic"), after=date(2025, 1, 1), before=date(2025, 6, 30))),
    SearchState(text="chips", per="month", by="source", show="share", compare=("SMIC", "中芯国际")),
]


@pytest.mark.parametrize("state", STATES)
def test_every_part_of_the_search_survives_the_url(state):
    assert through_the_url(state) == state


def test_a_plain_search_has_a_short_address():
    assert urlencode(SearchState(text="chips").to_params()) == "q=chips"
    assert SearchState().to_params() == {}


@pytest.mark.parametrize("params,why", [
    ({"page": ["zero"]}, "a page that is not a number"),
    ({"page": ["-4"]}, "a negative page"),
    ({"sort": ["loudest"]}, "an unknown sort"),
    ({"after": ["2025-13-45"]}, "an impossible date"),
    ({"per": ["year"], "by": ["author"], "show": ["pie"]}, "unknown chart options"),
])
def test_bad_values_in_a_hand_edited_address_fall_back_to_the_defaults(params, why):
    assert from_params(Params(params)) == SearchState(), why


def test_at_most_two_queries_are_compared_with_the_search():
    state = from_params(Params({"q": ["a"], "vs": ["b", "c", "d", " "]}))
    assert state.compare == ("b", "c")
