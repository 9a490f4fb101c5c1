"""Crawled text reaches the screen only through ui.markup: escaped, highlights balanced, links checked."""

from __future__ import annotations

import re

import pytest

from index.highlight import Snippet
from ui.markup import (entity_spans, escape_markdown, marked, paragraph_markdown, safe_link,
                       snippet_markdown, title_markdown)

# Text a crawled page might carry, each of which markdown, HTML or Streamlit could act on.
HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "**bold** _it_ `code` ~~strike~~",
    ":red[coloured] :material/home: $x^2$",
    "# heading\n- list\n> quote",
    "a | b | c",
    "back\\slash",
]


def _unescape(markdown: str) -> str:
    """What CommonMark shows for a string made only of text and backslash escapes."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown)


@pytest.mark.parametrize("text", HOSTILE)
def test_escaped_text_has_no_unescaped_markup_characters(text):
    escaped = escape_markdown(text)
    assert re.search(r"(?<!\\)[<>\[\]()*_`~:$#|]", escaped.replace("\\\\", "")) is None
    assert _unescape(escaped) == " ".join(text.split())


def test_escape_keeps_chinese_and_collapses_line_breaks():
    assert escape_markdown("出口管制\n\n工作组") == "出口管制 工作组"
    assert escape_markdown(None) == ""


def test_highlights_wrap_hits_and_escape_inside_and_outside():
    snippet = Snippet("see <b>export</b> controls", ((7, 13),))
    out = snippet_markdown(snippet)
    assert out == "see \\<b\\>:orange-background[**export**]\\<\\/b\\> controls"


def test_touching_and_overlapping_spans_become_one_highlight():
    # A Chinese phrase matched word by word (出口 + 管制) reads as one highlight.
    assert marked("实施出口管制措施", [(2, 4), (4, 6)]) == "实施:orange-background[**出口管制**]措施"
    assert marked("abcdef", [(1, 4), (2, 3), (3, 5)]) == "a:orange-background[**bcde**]f"


def test_spans_outside_the_text_are_clipped_not_unbalanced():
    out = marked("short", [(-3, 2), (4, 99), (9, 12)])
    assert out == ":orange-background[**sh**]or:orange-background[**t**]"


def test_entities_found_by_their_text_longest_name_first():
    text = "中国半导体行业协会与美国半导体行业协会会面；中国半导体行业协会表示欢迎。"
    entities = [{"text": "中国半导体行业协会", "canonical_id": "csia"},
                {"text": "半导体行业协会", "canonical_id": None},
                {"text": "美国半导体行业协会", "canonical_id": "sia"}]
    spans = [(s, e, ent["canonical_id"]) for s, e, ent in entity_spans(text, entities)]
    assert spans == [(0, 9, "csia"), (10, 19, "sia"), (22, 31, "csia")]
    assert paragraph_markdown(text, entities).count(":blue-background[") == 3


@pytest.mark.parametrize("url,expected", [
    ("https://www.semiconductors.org/news/1", True),
    ("http://127.0.0.1:8780/sia/news/index.html", True),
    ("javascript:alert(1)", False),
    ("JavaScript:alert(1)", False),
    ("data:text/html,<script>alert(1)</script>", False),
    ("//evil.example/x", False),
    ("https://exa mple.org/", False),
    ("ftp://example.org/file", False),
    ("", False),
    (None, False),
])
def test_only_absolute_http_links_are_offered(url, expected):
    assert (safe_link(url) is not None) is expected
    if expected:
        assert safe_link(url) == url


def test_reading_view_marks_search_words_over_entities_in_both_scripts():
    entities = [{"text": "中国半导体行业协会", "canonical_id": "csia"}, {"text": "SIA", "canonical_id": "sia"}]
    chinese = paragraph_markdown("中国半导体行业协会反对出口管制。", entities, ["出口管制"])
    assert chinese == ":blue-background[中国半导体行业协会]反对:orange-background[**出口管制**]。"
    english = paragraph_markdown("SIA on export controls", entities, ["export controls"])
    assert english == ":blue-background[SIA] on :orange-background[**export controls**]"
    # Where a word hit and an entity overlap, the hit wins (it says why the document matched).
    assert paragraph_markdown("SIA said", entities, ["sia"]) == ":orange-background[**SIA**] said"


def test_titles_highlight_the_search_words_and_stay_escaped():
    assert title_markdown("Export <b>controls</b> tighten", ["controls"]) == (
        "Export \\<b\\>:orange-background[**controls**]\\<\\/b\\> tighten")
    assert title_markdown(None, ["x"]) == ""
