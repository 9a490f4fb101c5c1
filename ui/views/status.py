"""The status page: per-source health, the search index's health and how far it is behind the
store. Times are relative ("3 h ago"; the exact UTC time in the tooltip or beside it), and the
sources table keeps to the page's width (combined columns, no raw ISO strings)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ui.health import ago, freshness, index_health, source_health
from ui.i18n import t
from ui.resources import handles
from ui.source_events import problem_columns

# Plain words: the table is drawn on a canvas whose fonts may lack colour emoji.
STATE_LABELS = {"ok": "ok", "degraded": "DEGRADED", "failing": "FAILING", "never crawled": "never crawled"}


def _when(values: list[str | None]) -> pd.Series:
    """ISO UTC strings as UTC timestamps, which the table shows as relative times."""
    return pd.to_datetime(pd.Series(values, dtype="object"), utc=True, errors="coerce", format="ISO8601")


def render_index(h, fresh) -> None:
    health = index_health(h.store, h.backend)
    st.subheader(t("status.index"))
    cols = st.columns(4)
    cols[0].metric("backend", health.backend)
    cols[1].metric("documents indexed", "?" if health.indexed is None else f"{health.indexed:,}")
    cols[2].metric(t("status.indexing"), "?" if health.pending is None else f"{health.pending:,}")
    cols[3].metric(t("status.processing"), f"{fresh.not_processed:,}")
    if fresh.not_processed or health.pending:
        st.warning(t("status.behind"), icon=":material/sync_problem:")
    elif health.state == "empty":
        st.warning("Nothing is indexed yet: run `parallax index`.", icon=":material/sync_problem:")
    else:
        st.success(t("status.ok", backend=h.backend.name), icon=":material/check_circle:")


def render() -> None:
    st.title(t("status.title"))
    h = handles()
    fresh = freshness(h.store, h.backend)
    cols = st.columns(2)
    cols[0].metric(t("status.documents"), f"{fresh.documents:,}")
    cols[1].metric(t("status.last_fetch"), ago(fresh.newest_fetch),
                   help=f"{fresh.newest_fetch} UTC" if fresh.newest_fetch else None)
    render_index(h, fresh)
    st.subheader(t("status.sources"))
    rows = source_health(h.store)
    problems = problem_columns(h.store, [r.source_id for r in rows])
    st.dataframe(
        {"source": [f"{r.name} ({r.source_id})" for r in rows],
         "lang · country": [" · ".join(x for x in (r.language, r.country) if x) for r in rows],
         "health": [STATE_LABELS[r.state] for r in rows], "documents": [r.documents for r in rows],
         "last run": _when([r.last_run for r in rows]), "last success": _when([r.last_success for r in rows]),
         "fetched / new / failed": [f"{r.fetched} / {r.new} / {r.failed}" for r in rows],
         "problem": [p if not note else f"{p}: {note}" for p, note in zip(problems["problem"],
                                                                       problems["problem note"])]},
        hide_index=True, width="stretch",
        column_config={
            "source": st.column_config.TextColumn(width="medium"),
            "lang · country": st.column_config.TextColumn(width="small"),
            "documents": st.column_config.NumberColumn(width="small"),
            "last run": st.column_config.DatetimeColumn(format="distance", width="small"),
            "last success": st.column_config.DatetimeColumn(format="distance", width="small"),
            "problem": st.column_config.TextColumn(width="medium"),
        })
    for r in rows:
        if r.errors:
            with st.expander(t("status.errors", source=r.source_id, n=len(r.errors))):
                st.dataframe(r.errors, width="stretch")
