"""Bylines: the name without the date words that share its line, in the page's own spelling."""

from __future__ import annotations

import pytest

from crawler.extract import extract

PARAGRAPHS = "".join(f"<p>Paragraph {i} of a statement on export licensing that is long enough to be text.</p>"
                     for i in range(4))

BYLINES = [
    # (the page's byline markup, the author expected)
    ('<meta name="author" content="Staff Reporter · Published March 3">', "Staff Reporter"),
    ('<p class="byline">Ted Staff · Published July 19, 2025</p>', "Ted Staff"),
    ('<p class="byline">By Maria Chen | Updated Sept. 2, 2024 at 4:10 p.m.</p>', "Maria Chen"),
    ('<div class="author-name">By danah okafor</div>', "danah okafor"),  # her own lower case
    ('<p>By JANE DOE-SMITH, Monday, Apr 27, 2020</p>', "JANE DOE-SMITH"),
    ('<div class="info">2019-07-19 09:05 来源：某市日报 作者：李明</div>', "李明"),
    ('<p>记者 王芳 张伟</p>', "王芳 张伟"),
    ('<p>作者：赵磊 来源：某市日报</p>', "赵磊"),
]


@pytest.mark.parametrize("markup,author", BYLINES, ids=[b[1] for b in BYLINES])
def test_byline_keeps_the_name_and_drops_the_date_words(markup, author):
    head, body = (markup, "") if markup.startswith("<meta") else ("", markup)
    page = f"<html><head><meta charset='utf-8'>{head}</head><body><h1>Headline</h1>{body}{PARAGRAPHS}</body></html>"
    found = extract(page.encode(), "http://x/a.html")
    assert found.author == author
    assert "Published" not in found.text and "作者" not in found.text


def test_a_page_without_a_byline_has_no_author():
    page = f"<html><head><meta charset='utf-8'></head><body><h1>Headline</h1>{PARAGRAPHS}</body></html>"
    assert extract(page.encode(), "http://x/a.html").author is None
