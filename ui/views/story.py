"""The story page: a statement and every near-duplicate copy of it (one cluster) — source,
language, date, the first publisher marked — and a word diff of the first publication against a
chosen copy (the same diff as a document's versions). Opened from a result's "+ N copies" link;
the URL names a member (`id`) and keeps the search."""

from __future__ import annotations

import streamlit as st

from ui import state
from ui.i18n import lang_name, t
from ui.markup import escape_markdown
from ui.navigation import page
from ui.resources import handles
from ui.stories import story
from ui.views.versions import diff_markdown


def render() -> None:
    s = state.from_url()
    st.page_link(page("search"), label=t("back"), icon=":material/arrow_back:",
                 query_params=state.link_params(s))
    doc_id = st.query_params.get("id")
    h = handles()
    copies = story(h.store, doc_id) if doc_id else []
    if not copies:
        st.info(t("story.missing"))
        return
    first = copies[0]
    st.title(t("story.title", n=len(copies)))
    st.markdown(f"### {escape_markdown(first.title)}")
    if len(copies) == 1:
        st.caption(t("story.single"))
    document_page = page("document")
    for copy in copies:
        with st.container(border=True):
            cols = st.columns([6, 3, 2, 2], vertical_alignment="center")
            cols[0].page_link(document_page, label=escape_markdown(copy.title) or t("untitled"),
                              query_params=state.link_params(s, id=copy.id))
            cols[1].caption(escape_markdown(copy.source_name))
            cols[2].caption(lang_name(copy.lang) + " · " + escape_markdown((copy.published_at or t("undated"))[:10]))
            if copy.first:
                cols[3].badge(t("story.first"), icon=":material/flag:", color="green")
    if len(copies) < 2:
        return
    others = copies[1:]
    chosen = st.selectbox(t("story.compare"), range(len(others)), key=f"story_compare_{first.id}",
                          format_func=lambda i: f"{others[i].source_name} · {lang_name(others[i].lang)} · "
                                                f"{(others[i].published_at or '')[:10]}")
    other = others[chosen or 0]
    st.caption(t("story.diff"))
    with st.container(border=True):
        if first.title != other.title:
            st.markdown("###### " + diff_markdown(first.title, other.title))
        st.markdown(diff_markdown(first.body, other.body))
