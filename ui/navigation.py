"""The app's pages, built in one place so any view can link to or switch to another."""

from __future__ import annotations

import importlib

import streamlit as st

TITLES = {
    "search": "Search",
    "document": "Document",
    "timeline": "Timeline",
    "saved": "Saved searches",
    "status": "Status",
}
ICONS = {"search": ":material/search:", "document": ":material/article:",
         "timeline": ":material/bar_chart:", "saved": ":material/notifications:",
         "status": ":material/monitor_heart:"}


def page(name: str, start: str = "search") -> st.Page:
    """The `st.Page` for a view; equal pages (same url path) are the same page to Streamlit."""
    render = importlib.import_module(f"ui.views.{name}").render
    return st.Page(render, title=TITLES[name], icon=ICONS[name], url_path=name, default=name == start,
                   visibility="hidden" if name == "document" else "visible")


def all_pages(start: str = "search") -> list[st.Page]:
    """Every page; `start` is the one shown at the root URL (tests open other pages directly)."""
    return [page(name, start) for name in TITLES]
