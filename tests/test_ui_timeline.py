"""Attention over time: documents per day, week or month, split by language, source or compared
query, as counts or as a share of all documents."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pandas as pd
import pytest

from index.search import SearchRequest
from index.backends import open_backend
from index.store import Store
from ui.timeline import counts, matching_documents, period_end, period_start, with_share

ROWS = [  # (published_at, lang, source)
    ("2025-07-21T08:00:00+00:00", "en", "sia"),
    ("2025-07-23T08:00:00+00:00", "zh", "csia"),
    ("2025-07-25T08:00:00+00:00", "zh", "csia"),
    ("2025-08-04T08:00:00+00:00", "en", "csia"),
    (None, "en", "sia"),
]


@pytest.mark.parametrize("published,per,start,end", [
    ("2025-07-24T09:00:00+00:00", "week", date(2025, 7, 21), date(2025, 7, 27)),
    ("2025-07-21", "week", date(2025, 7, 21), date(2025, 7, 27)),
    ("2025-07-24T09:00:00+00:00", "day", date(2025, 7, 24), date(2025, 7, 24)),
    ("2025-02-14", "month", date(2025, 2, 1), date(2025, 2, 28)),
    ("2024-12-31", "month", date(2024, 12, 1), date(2024, 12, 31)),
])
def test_periods_start_on_the_day_monday_or_first_and_end_where_a_bar_click_filters_to(published, per, start, end):
    assert period_start(published, per) == start
    assert period_end(start, per) == end


def test_bad_or_missing_dates_have_no_period():
    assert period_start(None, "week") is None and period_start("someday", "month") is None


def test_counts_split_by_language_by_source_and_for_a_compared_query():
    by_lang = counts(ROWS, "week", "language")
    assert by_lang.to_dict("records") == [
        {"period": pd.Timestamp("2025-07-21"), "series": "en", "documents": 1},
        {"period": pd.Timestamp("2025-07-21"), "series": "zh", "documents": 2},
        {"period": pd.Timestamp("2025-08-04"), "series": "en", "documents": 1},
    ]
    by_source = counts(ROWS, "month", "source")
    assert by_source.to_dict("records") == [
        {"period": pd.Timestamp("2025-07-01"), "series": "csia", "documents": 2},
        {"period": pd.Timestamp("2025-07-01"), "series": "sia", "documents": 1},
        {"period": pd.Timestamp("2025-08-01"), "series": "csia", "documents": 1},
    ]
    compared = counts(ROWS, "day", "language", series="SMIC")
    assert set(compared["series"]) == {"SMIC"} and compared["documents"].sum() == 4
    assert counts([], "week", "source").empty


def test_share_is_over_all_documents_of_the_same_period_and_series():
    everything = counts(ROWS + [("2025-07-22T08:00:00+00:00", "zh", "csia")] * 2, "week", "language")
    matching = counts(ROWS[1:3], "week", "language")  # two of the four Chinese documents that week
    assert with_share(matching, everything, by_series=True)["share"].tolist() == [0.5]
    overall = with_share(counts(ROWS[1:3], "week", "language", series="q"), everything, by_series=False)
    assert overall["share"].tolist() == [2 / 5]


def test_matching_documents_covers_every_match_of_the_query(demo_data):
    settings, _ = demo_data
    with Store.open(settings) as store:
        backend = open_backend(settings, store)
        request = SearchRequest("出口管制 OR \"export controls\"")
        documents = backend.search(replace(request, collapse=False, limit=0)).total
        results = backend.search(request).total
        found = matching_documents(store, backend, request)
        truth = store.get_many(list(backend.iter_ids(request)))
        capped = matching_documents(store, backend, request, limit=3)
    # Every matching document is counted, near-duplicates included (the demo republishes some,
    # which the search page folds into fewer results).
    assert len(found.rows) == documents > results > 0 and not found.capped
    assert sorted(r[0] or "" for r in found.rows) == sorted(d.published_at or "" for d in truth.values())
    assert {r[1] for r in found.rows} == {"en", "zh"}
    assert len(capped.rows) == 3 and capped.capped
