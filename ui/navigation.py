"""The app's pages, built in one place so any view can link to or switch to another."""

from __future__ import annotations

import importlib

import streamlit as st

from ui.i18n import t

TITLES = {  # page name: its message key (the title is in the interface language)
    "search": "nav.search",
    "document": "nav.document",
    "story": "nav.story",
    "saved": "nav.saved",
    "status": "nav.status",
}
ICONS = {"search": ":material/search:", "document": ":material/article:",
         "story": ":material/library_books:", "saved": ":material/notifications:",
         "status": ":material/monitor_heart:"}
HIDDEN = ("document", "story")  # reached from a result, not from the menu


def page(name: str, start: str = "search") -> st.Page:
    """The `st.Page` for a view; equal pages (same url path) are the same page to Streamlit."""
    render = importlib.import_module(f"ui.views.{name}").render
    return st.Page(render, title=t(TITLES[name]), icon=ICONS[name], url_path=name, default=name == start,
                   visibility="hidden" if name in HIDDEN else "visible")


def all_pages(start: str = "search") -> list[st.Page]:
    """Every page; `start` is the one shown at the root URL (tests open other pages directly)."""
    return [page(name, start) for name in TITLES]


def _language_changed() -> None:
    from ui.i18n import PARAM

    chosen = st.session_state.get("w_hl") or "en"
    st.session_state[PARAM] = chosen
    if chosen == "en":
        st.query_params.pop(PARAM, None)
    else:
        st.query_params[PARAM] = chosen


def language_switch() -> None:
    """English / 中文 in the sidebar of every page; the choice is kept in the URL (`?hl=zh`)."""
    from ui.i18n import LANGUAGES, PARAM, language

    chosen = language()
    if chosen != "en" and st.query_params.get(PARAM) != chosen:
        st.query_params[PARAM] = chosen  # a menu link dropped it: keep the address complete
    if st.session_state.get("w_hl") != chosen:
        st.session_state["w_hl"] = chosen
    st.sidebar.segmented_control(t("interface"), list(LANGUAGES), key="w_hl", format_func=LANGUAGES.get,
                                 on_change=_language_changed)
