"""Attention over time: matching documents per day, week or month, split by language, source or
compared query, as counts or as a share of all documents — the data behind the search page's chart.

Every publication is a point in time, so a statement republished by others counts each time
(results fold copies into one story; the chart counts documents, as Media Cloud counts stories
per source). The counts come from the backend's aggregation (`SearchBackend.attention`): one
request in the index whatever the number of matches, nothing read from the store.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

SPLITS = {"language": "lang", "source": "source"}
PERIODS = ("day", "week", "month")


def period_start(published_at: str | None, per: str) -> date | None:
    """The first day of the day, week (Monday) or month an ISO date-time falls in."""
    if not published_at:
        return None
    try:
        day = date.fromisoformat(published_at[:10])
    except ValueError:
        return None
    if per == "week":
        return day - timedelta(days=day.weekday())
    if per == "month":
        return day.replace(day=1)
    return day


def period_end(start: date, per: str) -> date:
    """The last day of the period starting on `start` (what a click on its bar filters to)."""
    if per == "week":
        return start + timedelta(days=6)
    if per == "month":
        following = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
        return following - timedelta(days=1)
    return start


def attention_frame(attention, series: str | None = None) -> pd.DataFrame:
    """Columns period, series, documents: one row per (period, series) of an `index.search.Attention`.

    Its series are language or source codes (the view turns them into names); with `series`
    given, every document counts towards that one series (a compared query)."""
    rows = attention.counts
    if series is not None:
        merged: dict[str, int] = {}
        for start, _, n in rows:
            merged[start] = merged.get(start, 0) + n
        rows = [(start, series, n) for start, n in merged.items()]
    rows = sorted(rows)
    # Typed columns even when empty, so frames of several queries concatenate into dates.
    return pd.DataFrame({"period": pd.to_datetime([p for p, _, _ in rows]).astype("datetime64[ns]"),
                         "series": pd.Series([s for _, s, _ in rows], dtype=object),
                         "documents": pd.Series([n for *_, n in rows], dtype="int64")})


def with_share(frame: pd.DataFrame, everything: pd.DataFrame, by_series: bool) -> pd.DataFrame:
    """`frame` with a `share` column: its documents over all documents of the same period (and,
    by language or source, of the same series): 0.25 = a quarter of that week's Chinese documents."""
    keys = ["period", "series"] if by_series else ["period"]
    totals = everything.groupby(keys, as_index=False)["documents"].sum().rename(columns={"documents": "all"})
    out = frame.merge(totals, on=keys, how="left")
    out["share"] = (out["documents"] / out["all"]).fillna(0.0)
    return out.drop(columns=["all"])
