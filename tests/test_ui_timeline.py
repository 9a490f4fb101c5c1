"""Hits per week, split by language or source, for the timeline chart."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pandas as pd

from index.search import SearchRequest
from index.backends import open_backend
from index.store import Store
from ui.timeline import matching_documents, week_start, weekly_counts


def test_week_starts_on_monday_and_bad_dates_have_no_week():
    assert week_start("2025-07-24T09:00:00+00:00") == date(2025, 7, 21)
    assert week_start("2025-07-21") == date(2025, 7, 21)
    assert week_start(None) is None and week_start("someday") is None


def test_weekly_counts_split_by_language_and_by_source():
    rows = [
        {"published_at": "2025-07-21T08:00:00+00:00", "lang": "en", "source": "SIA"},
        {"published_at": "2025-07-23T08:00:00+00:00", "lang": "zh", "source": "CSIA"},
        {"published_at": "2025-07-25T08:00:00+00:00", "lang": "zh", "source": "CSIA"},
        {"published_at": "2025-08-04T08:00:00+00:00", "lang": "en", "source": "CSIA"},
        {"published_at": None, "lang": "en", "source": "SIA"},
    ]
    by_lang = weekly_counts(rows, "language")
    assert by_lang.to_dict("records") == [
        {"week": pd.Timestamp("2025-07-21"), "series": "en", "hits": 1},
        {"week": pd.Timestamp("2025-07-21"), "series": "zh", "hits": 2},
        {"week": pd.Timestamp("2025-08-04"), "series": "en", "hits": 1},
    ]
    by_source = weekly_counts(rows, "source")
    assert by_source["hits"].sum() == 4
    assert set(by_source["series"]) == {"SIA", "CSIA"}
    assert weekly_counts([], "source").empty


def test_matching_documents_covers_every_match_of_the_query(demo_data):
    settings, _ = demo_data
    with Store.open(settings) as store:
        backend = open_backend(settings, store)
        request = SearchRequest("出口管制 OR \"export controls\"")
        documents = backend.search(replace(request, collapse=False, limit=0)).total
        results = backend.search(request).total
        rows = matching_documents(store, backend, request)
        truth = store.get_many(list(backend.iter_ids(request)))
    # Every matching document is counted, near-duplicates included (the demo republishes some,
    # which the search page folds into fewer results).
    assert len(rows) == documents > results > 0
    assert sorted(r["published_at"] or "" for r in rows) == sorted(d.published_at or "" for d in truth.values())
    assert {r["lang"] for r in rows} == {"en", "zh"}
