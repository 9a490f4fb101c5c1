"""Attention over time on the search page: matching documents per day, week or month, split by
language or source (names, not codes), as counts or as a share of all documents, with up to two
more queries compared; a click on a bar filters the results to its period; the data as CSV.

The chart's options live in the URL with the search (`per`, `by`, `show`, `vs`).
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import streamlit as st

from parallax.errors import ParallaxError
from ui import state
from ui.filters import compose_query
from ui.i18n import lang_name, t
from ui.timeline import SPLITS, attention_frame, period_end, with_share

CHART_KEY = "attention_chart"


@st.cache_data(ttl=3600, max_entries=256, show_spinner=False)
def _attention(store_path: str, stamp: str, query: str, expand: bool, per: str, split: str | None, _h):
    """The backend's attention counts, kept while the index is unchanged (`stamp` moves with every
    commit): a chart option, a page turn or a facet click that leaves the query alone asks nothing."""
    from index.search import SearchRequest

    return _h.backend.attention(SearchRequest(query=query, expand=expand), per, split)


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


def frame_for(h, s, stamp: str) -> tuple[pd.DataFrame, int]:
    """(chart data, undated documents) for the state: one series per language or source, or one
    per compared query."""
    path = str(h.settings.store_path)
    split = None if s.compare else SPLITS[s.by]
    queries = [s.query] + [compose_query(text, s.filters) for text in s.compare]
    frames, missing = [], 0
    base = None
    for position, query in enumerate(queries):
        found = _attention(path, stamp, query, s.expand, s.per, split, h)
        missing += found.undated if position == 0 else 0
        label = (s.text or "*") if position == 0 else s.compare[position - 1]
        frame = attention_frame(found, series=label if s.compare else None)
        if s.show == "share":
            if base is None:
                base = attention_frame(_attention(path, stamp, compose_query("", s.filters), s.expand, s.per, split, h))
            frame = with_share(frame, base, by_series=not s.compare)
        frames.append(frame)
    frame = pd.concat([f for f in frames if not f.empty] or frames[:1], ignore_index=True)
    if frame.empty:
        return frame, missing
    if not s.compare:
        names = {k: v.get("name_en", k) for k, v in h.store.sources().items()}
        shown = {v: lang_name(v) if s.by == "language" else names.get(v, v) for v in frame["series"].unique()}
        frame["series"] = frame["series"].map(shown)
    ends = {p: pd.Timestamp(period_end(p.date(), s.per)) + pd.Timedelta(days=1) for p in frame["period"].unique()}
    frame["start"] = frame["period"].dt.strftime("%Y-%m-%d")
    frame["until"] = frame["period"].map(ends)
    return frame, missing


def chart(s) -> dict:
    """The Vega-Lite spec: stacked bars spanning each period for counts by language or source;
    lines with points for shares and compared queries (shares of different wholes, or overlapping
    sets, do not stack). A plain spec rather than an Altair chart: no schema validation per run.
    A click selects the bar's period (`bar`), which `_bar_clicked` turns into the date filter."""
    value = "share" if s.show == "share" else "documents"
    title = t("attention.share") if s.show == "share" else t("attention.documents")
    series_title = t("attention.query") if s.compare else t(f"by.{s.by}")
    axis = {"format": "%"} if s.show == "share" else {"format": "d", "tickMinStep": 1}
    encoding = {
        "x": {"field": "period", "type": "temporal", "title": t(f"per.{s.per}")},
        "color": {"field": "series", "type": "nominal", "title": series_title,
                  "legend": {"labelLimit": 0, "orient": "bottom"}},
        "tooltip": [{"field": "start", "type": "nominal", "title": t("attention.period")},
                    {"field": "series", "type": "nominal", "title": series_title},
                    {"field": value, "type": "quantitative", "title": title,
                     "format": ".1%" if s.show == "share" else "d"}],
        "opacity": {"condition": {"param": "bar", "value": 1.0}, "value": 0.6},
    }
    if s.show == "share" or s.compare:
        mark = {"type": "line", "point": {"filled": True, "size": 70}}
        encoding["y"] = {"field": value, "type": "quantitative", "title": title, "axis": axis}
    else:
        mark = {"type": "bar", "stroke": "white", "strokeWidth": 0.5}
        encoding["x2"] = {"field": "until"}
        encoding["y"] = {"field": value, "type": "quantitative", "aggregate": "sum", "title": title, "axis": axis}
    return {"mark": mark, "encoding": encoding, "height": 260,
            "params": [{"name": "bar", "select": {"type": "point", "fields": ["start"], "on": "click"}}]}


def _seed(s) -> None:
    seeds = {"w_per": s.per, "w_by": s.by, "w_show": s.show, "w_compare": "\n".join(s.compare)}
    for key, value in seeds.items():
        if key not in st.session_state or st.session_state[key] != value:
            st.session_state[key] = value


def render_attention(h, s, stamp: str) -> None:
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
            frame, missing = frame_for(h, s, stamp)
        except ParallaxError as exc:
            st.error(t("cannot_search", error=exc))
            return
        if frame.empty:
            st.caption(t("attention.none"))
            return
        st.vega_lite_chart(frame, chart(s), width="stretch", key=CHART_KEY, on_select=_bar_clicked,
                           selection_mode="bar")
        notes = [t("attention.click", per=t(f"per.{s.per}"))]
        if missing:
            notes.append(t("attention.undated", n=missing))
        st.caption("; ".join(notes))
        columns = ["start", "series", "documents"] + (["share"] if s.show == "share" else [])
        csv = frame[columns].rename(columns={"start": "period"}).to_csv(index=False).encode("utf-8")
        st.download_button(t("attention.csv"), csv, file_name="parallax-attention.csv", mime="text/csv",
                           icon=":material/download:", on_click="ignore", key="attention_csv")
