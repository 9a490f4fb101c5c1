"""Highlights on the original text: where a word lights up and where it must not."""

from __future__ import annotations

import pytest

from index.highlight import _pattern_spans, _patterns, find_spans


def lit(text, *words):
    return [text[s:e] for s, e in find_spans(text, list(words))]


def test_a_latin_word_glued_to_chinese_lights_up_without_the_chinese_after_it():
    assert lit("商务部将为包括AI芯片企业提供便利", "AI芯片") == ["AI芯片"]
    assert lit("商务部将为包括AI芯片企业提供便利", "ai") == ["AI"]
    assert lit("SEMI中国与ＳＥＭＩ大中华区", "semi") == ["SEMI", "ＳＥＭＩ"]


def test_a_word_inside_a_longer_latin_word_does_not_light_up():
    assert lit("He said the email was plain", "ai") == []
    assert lit("XAI芯片", "ai") == []
    assert lit("Export controls; export-controlled items", "export control") == ["Export controls",
                                                                                "export-controlled"]


@pytest.mark.parametrize("text, word", [
    ("包括AI芯片企业，AI与ai", "ai"), ("said AI; aid", "ai"), ("controls control controlled", "controls"),
    ("Ｉnternational SEMI中国", "semi"),
])
def test_the_fast_pattern_finds_what_the_exact_one_finds(text, word):
    (term,) = _patterns([word])
    folded = text.lower()
    assert term.fast is not None
    assert _pattern_spans(term, folded, True) == _pattern_spans(term, folded, False)
