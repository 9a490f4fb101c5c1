"""Attention over time: matching documents per day, week or month, split by language, source or
compared query, as counts or as a share of all documents — the data behind the search page's chart.

Every publication is a point in time, so a statement republished by others counts each time
(results fold copies into one story; the chart counts documents, as Media Cloud counts stories
per source). The matching ids come from the backend (`iter_ids`, near-duplicates included), their
dates, languages and sources from the store, in batches.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from datetime import date, timedelta
from itertools import islice

import pandas as pd

MAX_DOCUMENTS = 200_000
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


@dataclass(frozen=True)
class Matches:
    rows: list[tuple[str | None, str, str]]  # (published_at, lang, source_id) per document
    capped: bool  # more than MAX_DOCUMENTS matched; only the first were read


def matching_documents(store, backend, request, limit: int = MAX_DOCUMENTS) -> Matches:
    """(published_at, language, source) of every matching document, near-duplicates included."""
    found = iter(backend.iter_ids(replace(request, facets=False, offset=0)))
    ids = list(islice(found, limit))
    capped = next(found, None) is not None
    rows: list[tuple[str | None, str, str]] = []
    for start in range(0, len(ids), 900):
        batch = ids[start:start + 900]
        marks = ",".join("?" * len(batch))
        rows += [(r[0], r[1] or "?", r[2]) for r in store.conn.execute(
            "SELECT d.published_at, COALESCE(a.lang, d.declared_lang), d.source_id FROM documents d "
            f"LEFT JOIN analyses a ON a.doc_id = d.id WHERE d.id IN ({marks})", batch)]
    return Matches(rows, capped)


def counts(rows, per: str, split: str, series: str | None = None) -> pd.DataFrame:
    """Columns period, series, documents: one row per (period, series) with documents.

    `split` is "language" or "source" (codes; the view turns them into names); with `series`
    given, every document counts towards that one series (a compared query). Undated documents
    are left out (they have no period)."""
    position = {"language": 1, "source": 2}[split]
    found = Counter((start, series if series is not None else row[position]) for row in rows
                    if (start := period_start(row[0], per)) is not None)
    return pd.DataFrame([{"period": pd.Timestamp(p), "series": s, "documents": n}
                         for (p, s), n in sorted(found.items())], columns=["period", "series", "documents"])


def with_share(frame: pd.DataFrame, everything: pd.DataFrame, by_series: bool) -> pd.DataFrame:
    """`frame` with a `share` column: its documents over all documents of the same period (and,
    by language or source, of the same series): 0.25 = a quarter of that week's Chinese documents."""
    keys = ["period", "series"] if by_series else ["period"]
    totals = everything.groupby(keys, as_index=False)["documents"].sum().rename(columns={"documents": "all"})
    out = frame.merge(totals, on=keys, how="left")
    out["share"] = (out["documents"] / out["all"]).fillna(0.0)
    return out.drop(columns=["all"])


def undated(rows) -> int:
    return sum(1 for row in rows if not row[0])
