"""What the researcher is looking at, kept across pages of one browser session.

Streamlit forgets a widget's value when a page without that widget runs, so the search lives in
one plain `SearchState` under `st.session_state["search"]`; the search page's widgets are seeded
from it and write back to it. Other pages (timeline, export, saved searches) read the same state,
and the document page changes it when an entity is clicked.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import streamlit as st

from index.search import SearchRequest
from ui.filters import Filters, compose_query

PAGE_SIZE = 10
KEY = "search"


@dataclass(frozen=True)
class SearchState:
    text: str = ""
    expand: bool = True
    sort: str = "relevance"
    page: int = 0
    filters: Filters = field(default_factory=Filters)

    @property
    def query(self) -> str:
        """The full query string: typed text plus filter clauses."""
        return compose_query(self.text, self.filters)

    def request(self, facets: bool = True) -> SearchRequest:
        return SearchRequest(query=self.query, limit=PAGE_SIZE, offset=self.page * PAGE_SIZE,
                             sort=self.sort, expand=self.expand, facets=facets)


def current() -> SearchState:
    if KEY not in st.session_state:
        st.session_state[KEY] = SearchState()
    return st.session_state[KEY]


def update(**changes) -> SearchState:
    """Change the search; any change other than the page number goes back to the first page."""
    state = replace(current(), **changes)
    if "page" not in changes:
        state = replace(state, page=0)
    st.session_state[KEY] = state
    return state


def filter_by_entity(entity_id: str) -> None:
    """Add an entity to the filters (what clicking an entity chip does) and forget widget copies."""
    state = current()
    update(filters=state.filters.with_value("entity", entity_id))
    st.session_state.pop("w_entities", None)
