"""Hits per week for a query, split by language or source: the data behind the timeline chart."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import date, timedelta
from itertools import islice

import pandas as pd

MAX_DOCUMENTS = 50_000
SPLITS = {"language": "lang", "source": "source"}


def week_start(published_at: str | None) -> date | None:
    """The Monday of the week an ISO date-time falls in (None when there is no usable date)."""
    if not published_at:
        return None
    try:
        day = date.fromisoformat(published_at[:10])
    except ValueError:
        return None
    return day - timedelta(days=day.weekday())


def matching_documents(store, backend, request, limit: int = MAX_DOCUMENTS) -> list[dict]:
    """(published_at, lang, source) of every matching document, near-duplicates included (the
    backend's `iter_ids` does not fold clusters), read in batches, at most `limit` of them."""
    sources = store.sources()
    ids = islice(backend.iter_ids(replace(request, facets=False)), limit)
    out = []
    while batch := list(islice(ids, 500)):
        for doc in store.get_many(batch).values():
            out.append({"published_at": doc.published_at, "lang": doc.lang or doc.declared_lang or "?",
                        "source": sources.get(doc.source_id, {}).get("name_en", doc.source_id)})
    return out


def weekly_counts(rows: list[dict], split: str) -> pd.DataFrame:
    """Columns week, series, hits: one row per (week, series) with hits, weeks without any omitted.

    `split` is "language" or "source"; undated documents are left out (they have no week).
    """
    key = SPLITS[split]
    counts = Counter((w, r[key]) for r in rows if (w := week_start(r["published_at"])) is not None)
    frame = pd.DataFrame([{"week": pd.Timestamp(w), "series": s, "hits": n}
                          for (w, s), n in sorted(counts.items())], columns=["week", "series", "hits"])
    return frame
