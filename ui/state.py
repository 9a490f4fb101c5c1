"""What the researcher is looking at, kept in the address bar.

The search (typed text, filters, sort, page, the cross-language switch and the chart's options)
is one `SearchState`, written to the URL's query string on every change (`st.query_params`) and
read back from it on every run of the search page. So a reload, the browser's back and forward
buttons and a link pasted into another browser all show the same page: the URL is the truth.

Pages without the search in their URL (saved searches, status) use the last search this browser
session looked at, kept under `st.session_state["search"]`.

    ?q=export+controls&lang=zh&entity=csia&entity=smic&after=2025-01-01&sort=date&page=2
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import date

import streamlit as st

from index.search import SearchRequest
from ui.filters import FACET_FIELDS, Filters, compose_query

PAGE_SIZE = 10
KEY = "search"
PERIODS = ("day", "week", "month")
SPLITS = ("language", "source")
SHOWS = ("count", "share")
MAX_COMPARED = 2  # queries compared with the search itself: three lines at most
# Keys this module owns in the query string; anything else (the interface language, a document id)
# belongs to someone else and is left alone.
PARAMS = ("q", "expand", "sort", "page", "after", "before", "per", "by", "show", "vs", *FACET_FIELDS)


@dataclass(frozen=True)
class SearchState:
    text: str = ""
    expand: bool = True
    sort: str = "relevance"
    page: int = 0
    filters: Filters = field(default_factory=Filters)
    per: str = "week"
    by: str = "language"
    show: str = "count"
    compare: tuple[str, ...] = ()

    @property
    def query(self) -> str:
        """The full query string: typed text plus filter clauses."""
        return compose_query(self.text, self.filters)

    def request(self, facets: bool = True) -> SearchRequest:
        return SearchRequest(query=self.query, limit=PAGE_SIZE, offset=self.page * PAGE_SIZE,
                             sort=self.sort, expand=self.expand, facets=facets)

    def to_params(self) -> dict[str, str | list[str]]:
        """The query-string form; defaults are left out so a plain search has a short address."""
        out: dict[str, str | list[str]] = {}
        if self.text:
            out["q"] = self.text
        if not self.expand:
            out["expand"] = "0"
        if self.sort != "relevance":
            out["sort"] = self.sort
        if self.page:
            out["page"] = str(self.page + 1)
        for facet in FACET_FIELDS:
            if values := self.filters.values(facet):
                out[facet] = list(values)
        if self.filters.after:
            out["after"] = self.filters.after.isoformat()
        if self.filters.before:
            out["before"] = self.filters.before.isoformat()
        if self.per != "week":
            out["per"] = self.per
        if self.by != "language":
            out["by"] = self.by
        if self.show != "count":
            out["show"] = self.show
        if self.compare:
            out["vs"] = list(self.compare)
        return out


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:  # a hand-edited address: ignore the bad date rather than fail the page
        return None


def _choice(value: str | None, choices: tuple[str, ...]) -> str:
    return value if value in choices else choices[0]


def from_params(params) -> SearchState:
    """The state a query string describes (`params` has `get` and `get_all`, like st.query_params).

    Unknown or malformed values fall back to the defaults: an edited link still opens a page."""
    try:
        page = max(0, int(params.get("page") or 1) - 1)
    except ValueError:
        page = 0
    names = {f.name for f in fields(Filters)}
    filters = Filters(**{attr: tuple(v for v in params.get_all(facet) if v)
                         for facet, attr in FACET_FIELDS.items() if attr in names},
                      after=_date(params.get("after")), before=_date(params.get("before")))
    return SearchState(
        text=params.get("q") or "", expand=params.get("expand") != "0",
        sort=_choice(params.get("sort"), ("relevance", "date")), page=page, filters=filters,
        per=_choice(params.get("per"), ("week", "day", "month")), by=_choice(params.get("by"), SPLITS),
        show=_choice(params.get("show"), SHOWS),
        compare=tuple(v.strip() for v in params.get_all("vs") if v.strip())[:MAX_COMPARED])


def from_url() -> SearchState:
    """The search in this page's URL (and remembered for pages whose URL has none)."""
    state = from_params(st.query_params)
    st.session_state[KEY] = state
    return state


def current() -> SearchState:
    """The last search this session looked at (pages whose URL does not carry one)."""
    if KEY not in st.session_state:
        st.session_state[KEY] = SearchState()
    return st.session_state[KEY]


def write(state: SearchState) -> None:
    """Put `state` in the URL (replacing this module's keys, keeping the others) and the session."""
    st.session_state[KEY] = state
    wanted = state.to_params()
    for key in PARAMS:
        if key not in wanted and key in st.query_params:
            del st.query_params[key]
    for key, value in wanted.items():
        if st.query_params.get_all(key) != (value if isinstance(value, list) else [value]):
            st.query_params[key] = value


def update(**changes) -> SearchState:
    """Change the search; any change other than the page number goes back to the first page."""
    state = replace(current(), **changes)
    if "page" not in changes:
        state = replace(state, page=0)
    write(state)
    return state


def link_params(state: SearchState, **extra: str) -> dict[str, str | list[str]]:
    """Query parameters for a link to another page that keeps the search (and the interface
    language), so its "Back to results" link can restore the page."""
    from ui.i18n import PARAM, language

    out = state.to_params()
    if language() != "en":
        out[PARAM] = language()
    out.update(extra)
    return out


def filter_by_entity(entity_id: str) -> None:
    """Add an entity to the filters (what clicking an entity chip does)."""
    state = current()
    update(filters=state.filters.with_value("entity", entity_id))
