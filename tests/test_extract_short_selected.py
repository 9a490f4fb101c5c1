"""Short texts are kept by design, also when a source's body selector is what found them.

Inputs tried (pages written for this test): a one-line notice of four words under the body
selector, a two-line notice, and a selector that matches only the headline repeated; plus one
stray NUL byte inside an otherwise ordinary page.
"""

import pytest

from crawler.extract import ExtractionError, extract

PAGE = """<html><head><meta charset="utf-8"><title>Notice</title></head><body>
<nav><a href="/">Home</a> <a href="/news">News</a></nav>
<h1>Meeting moved</h1><div class="notice">{body}</div><footer>Contact us</footer></body></html>"""


@pytest.mark.parametrize("body, expected", [
    ("Tariff hearing postponed indefinitely", ["Tariff hearing postponed indefinitely"]),
    ("<p>会议延期</p>", ["会议延期"]),
    ("<p>New date to follow</p><p>Press office</p>", ["New date to follow", "Press office"]),
])
def test_selector_matched_short_body_is_kept(body, expected):
    found = extract(PAGE.format(body=body).encode(), "http://127.0.0.1/n.html",
                    selectors={"body": "div.notice"})
    assert found.text.split("\n\n") == expected


def test_selector_matching_only_the_headline_is_still_no_article_text():
    with pytest.raises(ExtractionError, match="no article text"):
        extract(PAGE.format(body="Meeting moved").encode(), "http://127.0.0.1/n.html",
                selectors={"body": "div.notice"})


def test_one_nul_byte_in_a_page_is_dropped_and_the_page_kept():
    html = PAGE.format(body="<p>The hearing on\x00 tariffs has been postponed until further notice.</p>")
    found = extract(html.encode(), "http://127.0.0.1/n.html", selectors={"body": "div.notice"})
    assert found.text == "The hearing on tariffs has been postponed until further notice."
