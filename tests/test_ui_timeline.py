"""Attention over time: documents per day, week or month, split by language, source or compared
query, as counts or as a share of all documents."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from index.search import Attention, SearchRequest
from index.backends import open_backend
from index.store import Store
from ui.timeline import attention_frame, period_end, period_start, with_share

# What a backend answers for weekly counts by language (period start, series, documents).
BY_LANGUAGE = Attention([("2025-07-21", "en", 1), ("2025-07-21", "zh", 2), ("2025-08-04", "en", 1)], undated=1)
EVERYTHING = Attention([("2025-07-21", "en", 1), ("2025-07-21", "zh", 4), ("2025-08-04", "en", 1)])


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


def test_frame_has_one_row_per_period_and_series_or_one_series_for_a_compared_query():
    assert attention_frame(BY_LANGUAGE).to_dict("records") == [
        {"period": pd.Timestamp("2025-07-21"), "series": "en", "documents": 1},
        {"period": pd.Timestamp("2025-07-21"), "series": "zh", "documents": 2},
        {"period": pd.Timestamp("2025-08-04"), "series": "en", "documents": 1},
    ]
    compared = attention_frame(BY_LANGUAGE, series="SMIC")
    assert compared.to_dict("records") == [
        {"period": pd.Timestamp("2025-07-21"), "series": "SMIC", "documents": 3},
        {"period": pd.Timestamp("2025-08-04"), "series": "SMIC", "documents": 1},
    ]
    assert attention_frame(Attention([])).empty


def test_share_is_over_all_documents_of_the_same_period_and_series():
    everything = attention_frame(EVERYTHING)
    matching = attention_frame(Attention([("2025-07-21", "zh", 2)]))  # two of the four Chinese documents
    assert with_share(matching, everything, by_series=True)["share"].tolist() == [0.5]
    overall = with_share(attention_frame(Attention([("2025-07-21", "zh", 2)]), series="q"), everything,
                         by_series=False)
    assert overall["share"].tolist() == [2 / 5]


def test_the_chart_counts_every_dated_match_of_the_query_near_duplicates_included(demo_data):
    settings, _ = demo_data
    with Store.open(settings) as store:
        backend = open_backend(settings, store)
        request = SearchRequest("出口管制 OR \"export controls\"")
        results = backend.search(request).total
        docs = store.get_many(list(backend.iter_ids(request)))
        by_language = backend.attention(request, "week", "lang")
        by_month = backend.attention(request, "month")
    # Every matching document is counted, near-duplicates included (the demo republishes some,
    # which the search page folds into fewer results).
    dated = [d for d in docs.values() if d.published_at]
    assert sum(n for *_, n in by_language.counts) == len(dated) > results > 0
    assert by_language.undated == len(docs) - len(dated)
    expected: dict[tuple[str, str], int] = {}
    for d in dated:
        key = (period_start(d.published_at, "week").isoformat(), d.lang or d.declared_lang)
        expected[key] = expected.get(key, 0) + 1
    assert by_language.counts == sorted((p, lang, n) for (p, lang), n in expected.items())
    assert {lang for _, lang, _ in by_language.counts} == {"en", "zh"}
    assert all(p.endswith("-01") and series == "" for p, series, _ in by_month.counts)
