"""Extraction measured against the text written into the project's own pages: precision and
recall of body tokens (English words, single Chinese characters) on every fixture page, with the
sources' selectors and with automatic extraction alone; paragraph counts and must / must-not
phrases on the demo site. benchmarks/extraction_quality.py prints the same numbers (the measure is
tests/extraction_quality.py)."""

from __future__ import annotations

import pytest

from crawler.quality import body_tokens, score
from tests import extraction_quality as quality


@pytest.fixture(scope="module")
def measured():
    return quality.measure()


def test_tokens_are_english_words_and_chinese_characters():
    assert body_tokens("SIA and CSIA: 工作组") == {"sia": 1, "and": 1, "csia": 1, "工": 1, "作": 1, "组": 1}


def test_score_counts_a_repeated_paragraph_against_precision_and_a_lost_one_against_recall():
    assert score("a b c a b c", "a b c").precision == 0.5
    assert score("a b", "a b c d").recall == 0.5


@pytest.mark.parametrize("mode", ["configured", "automatic"])
def test_body_tokens_precision_and_recall_on_fixture_pages(measured, mode):
    result = measured[mode]
    assert result["all"]["precision"] >= 0.98 and result["all"]["recall"] >= 0.98, result["all"]
    worst = result["worst_page"]
    assert worst["precision"] >= 0.9 and worst["recall"] >= 0.9, worst
    assert result["titles_exact"].split("/")[0] == result["titles_exact"].split("/")[1]


@pytest.mark.parametrize("mode", ["configured", "automatic"])
def test_demo_pages_keep_their_paragraphs_and_drop_their_chrome(measured, mode):
    demo = measured[mode]["demo"]
    assert demo["paragraph_count_equal"] == demo["pages"] == 33
    assert demo["must_found"] == demo["must"]
    assert demo["must_not_leaked"] == 0
