"""The timeline page: hits per week for the current query, split by language or source."""

from __future__ import annotations

import altair as alt
import streamlit as st

from parallax.errors import ParallaxError
from ui import state
from ui.markup import escape_markdown
from ui.resources import handles
from ui.timeline import MAX_DOCUMENTS, matching_documents, weekly_counts


def chart(frame, split: str) -> alt.Chart:
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("yearweek(week):T", title="week"),
            y=alt.Y("sum(hits):Q", title="documents", axis=alt.Axis(tickMinStep=1, format="d")),
            color=alt.Color("series:N", title=split),
            tooltip=[alt.Tooltip("week:T", title="week of"), alt.Tooltip("series:N", title=split),
                     alt.Tooltip("hits:Q", title="documents")],
        )
        .properties(height=360)
    )


def render() -> None:
    s = state.current()
    st.title("Timeline")
    st.caption("Documents per week for the current search"
               + (f": {escape_markdown(s.query)}" if s.query else " (everything: no query yet)"))
    split = st.segmented_control("Split by", ["language", "source"], default="language", key="w_split")
    h = handles()
    try:
        rows = matching_documents(h.store, h.backend, s.request(facets=False))
    except ParallaxError as exc:
        st.error(f"Cannot search: {exc}")
        return
    frame = weekly_counts(rows, split or "language")
    if frame.empty:
        st.info("No dated documents match this search.")
        return
    st.altair_chart(chart(frame, split or "language"), width="stretch")
    undated = sum(1 for r in rows if not r["published_at"])
    # Every publication is a point in time, so a statement republished by others counts each time
    # (the search page folds them into one result and says how many documents that covers).
    notes = [f"{len(rows)} documents, near-duplicates included"]
    if undated:
        notes.append(f"{undated} without a date are not shown")
    if len(rows) >= MAX_DOCUMENTS:
        notes.append(f"only the first {MAX_DOCUMENTS} matches are counted")
    st.caption("; ".join(notes))
