"""Attention over time on the search page: matching documents per day, week or month, split by
language or source (names, not codes), as counts or as a share of all documents, with up to two
more queries compared; a click on a bar filters the results to its period; the data as CSV.

The chart's options live in the URL with the search (`per`, `by`, `show`, `vs`).
"""

from __future__ import annotations

from dataclasses import replace

import altair as alt
import pandas as pd
import streamlit as st

from parallax.errors import ParallaxError
from ui import state
from ui.filters import compose_query
from ui.i18n import lang_name, t
from ui.timeline import MAX_DOCUMENTS, Matches, counts, matching_documents, period_end, undated, with_share

CHART_KEY = "attention_chart"


@st.cache_data(ttl=120, max_entries=64, show_spinner=False)
def _matches(store_path: str, query: str, expand: bool, _h) -> Matches:
    """The (date, language, source) of every match, kept two minutes: paging, a facet click or a
    chart option reuse it instead of reading every match again."""
    from index.search import SearchRequest

    return matching_documents(_h.store, _h.backend, SearchRequest(query=query, expand=expand, sort="date"))


def _options_changed() -> None:
    ss = st.session_state
    compare = tuple(line.strip() for line in (ss.get("w_compare") or "").splitlines() if line.strip())
    state.update(per=ss.get("w_per") or "week", by=ss.get("w_by") or "language",
                 show=ss.get("w_show") or "count", compare=compare[:state.MAX_COMPARED],
                 page=state.current().page)


def _bar_clicked() -> None:
    """A bar's period becomes the date filter (and the chart shows that period)."""
    from datetime import date

    event = st.session_state.get(CHART_KEY)
    points = (event or {}).get("selection", {}).get("bar") or []
    if not points or "start" not in points[0]:
        return
    s = state.current()
    start = date.fromisoformat(str(points[0]["start"])[:10])
    state.update(filters=replace(s.filters, after=start, before=period_end(start, s.per)))


def frame_for(h, s) -> tuple[pd.DataFrame, int, bool]:
    """(chart data, undated documents, capped) for the state: one series per language or source,
    or one per compared query."""
    path = str(h.settings.store_path)
    queries = [s.query] + [compose_query(text, s.filters) for text in s.compare]
    frames, missing, capped = [], 0, False
    everything = None
    for position, query in enumerate(queries):
        found = _matches(path, query, s.expand, h)
        missing += undated(found.rows) if position == 0 else 0
        capped = capped or found.capped
        label = (s.text or "*") if position == 0 else s.compare[position - 1]
        frame = counts(found.rows, s.per, s.by, series=label if s.compare else None)
        if s.show == "share":
            if everything is None:
                everything = _matches(path, compose_query("", s.filters), s.expand, h)
            base = counts(everything.rows, s.per, s.by)
            frame = with_share(frame, base, by_series=not s.compare)
        frames.append(frame)
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if not s.compare and not frame.empty:
        names = {k: v.get("name_en", k) for k, v in h.store.sources().items()}
        frame["series"] = [lang_name(v) if s.by == "language" else names.get(v, v) for v in frame["series"]]
    if not frame.empty:
        frame["start"] = frame["period"].dt.strftime("%Y-%m-%d")
        frame["until"] = [pd.Timestamp(period_end(p.date(), s.per)) + pd.Timedelta(days=1) for p in frame["period"]]
    return frame, missing, capped


def chart(frame: pd.DataFrame, s) -> alt.Chart:
    """Stacked bars spanning each period for counts by language or source; lines with points for
    shares and compared queries (shares of different wholes, or overlapping sets, do not stack)."""
    value = "share" if s.show == "share" else "documents"
    title = t("attention.share") if s.show == "share" else t("attention.documents")
    series_title = t("attention.query") if s.compare else t(f"by.{s.by}")
    bar = alt.selection_point(name="bar", fields=["start"], on="click")
    axis = alt.Axis(format="%") if s.show == "share" else alt.Axis(tickMinStep=1, format="d")
    color = alt.Color("series:N", title=series_title, legend=alt.Legend(labelLimit=0, orient="bottom"))
    tooltip = [alt.Tooltip("start:N", title=t("attention.period")), alt.Tooltip("series:N", title=series_title),
               alt.Tooltip(f"{value}:Q", title=title, format=".1%" if s.show == "share" else "d")]
    x = alt.X("period:T", title=t(f"per.{s.per}"))
    base = alt.Chart(frame).encode(x=x, color=color, tooltip=tooltip,
                                   opacity=alt.condition(bar, alt.value(1.0), alt.value(0.6)))
    if s.show == "share" or s.compare:
        drawn = base.mark_line(point=alt.OverlayMarkDef(size=70, filled=True)).encode(
            y=alt.Y(f"{value}:Q", title=title, axis=axis))
    else:
        drawn = base.mark_bar(stroke="white", strokeWidth=0.5).encode(
            x2="until:T", y=alt.Y(f"sum({value}):Q", title=title, axis=axis))
    return drawn.add_params(bar).properties(height=260)


def _seed(s) -> None:
    seeds = {"w_per": s.per, "w_by": s.by, "w_show": s.show, "w_compare": "\n".join(s.compare)}
    for key, value in seeds.items():
        if key not in st.session_state or st.session_state[key] != value:
            st.session_state[key] = value


def render_attention(h, s) -> None:
    _seed(s)
    with st.expander(t("attention"), expanded=True, icon=":material/bar_chart:"):
        cols = st.columns([3, 3, 4], vertical_alignment="bottom")
        cols[0].segmented_control(t("attention.per"), list(state.PERIODS), key="w_per",
                                  on_change=_options_changed, format_func=lambda v: t(f"per.{v}"))
        cols[1].segmented_control(t("attention.by"), list(state.SPLITS), key="w_by", disabled=bool(s.compare),
                                  on_change=_options_changed, format_func=lambda v: t(f"by.{v}"))
        cols[2].segmented_control(t("attention.show"), list(state.SHOWS), key="w_show",
                                  on_change=_options_changed, format_func=lambda v: t(f"show.{v}"))
        st.text_area(t("attention.compare"), key="w_compare", height=68, on_change=_options_changed,
                     placeholder="SMIC\n中芯国际")
        try:
            frame, missing, capped = frame_for(h, s)
        except ParallaxError as exc:
            st.error(t("cannot_search", error=exc))
            return
        if frame.empty:
            st.caption(t("attention.none"))
            return
        st.altair_chart(chart(frame, s), width="stretch", key=CHART_KEY, on_select=_bar_clicked,
                        selection_mode="bar")
        notes = [t("attention.click", per=t(f"per.{s.per}"))]
        if missing:
            notes.append(t("attention.undated", n=missing))
        if capped:
            notes.append(t("attention.capped", n=f"{MAX_DOCUMENTS:,}"))
        st.caption("; ".join(notes))
        columns = ["start", "series", "documents"] + (["share"] if s.show == "share" else [])
        csv = frame[columns].rename(columns={"start": "period"}).to_csv(index=False).encode("utf-8")
        st.download_button(t("attention.csv"), csv, file_name="parallax-attention.csv", mime="text/csv",
                           icon=":material/download:", on_click="ignore", key="attention_csv")
