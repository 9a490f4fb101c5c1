"""Hostile and broken pages: extraction either returns inert text or raises `ExtractionError`.

Inputs tried (each named in its test): pages built by hypothesis from script-laden fragments
(<script>, <img onerror>, javascript: links, <svg onload>, style expressions, inline event
handlers, iframes, <noscript>), truncated at any byte, wrapped in nesting, encoded wrongly or
mislabelled, with binary bytes mixed in; 50,000 nested divs; a 30 MB page; binary files. Every
executable part carries a marker word that must never reach the stored title or body. One hostile
page and one oversized page also go through the real crawler (`parallax crawl`, real Scrapy against
a site on 127.0.0.1) into the store.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from crawler.extract import ExtractionError, extract
from crawler.urls import resolve_canonical
from index.store import Store
from tests.conftest import make_settings, run_cli
from tests.sources_fixtures import NO_POLITENESS, listing, source_block, write_config, write_sources

URL = "http://127.0.0.1:8000/news/hostile.html"
MARKERS = ("SCRIPTMARK", "HANDLERMARK", "JSLINKMARK", "SVGMARK", "STYLEMARK", "IFRAMEMARK",
           "NOSCRIPTMARK", "TEMPLATEMARK", "OBJECTMARK", "METAMARK", "CANONMARK")

BENIGN = [
    "<p>The association said export controls matter for the semiconductor supply chain.</p>",
    "<p>Members of the working group met in Washington to compare notes on security.</p>",
    "<p>中国半导体行业协会就出口管制和供应链安全问题发表声明，呼吁加强对话。</p>",
    "<h1>Statement on export controls and supply chain security</h1>",
    "<p>Both sides agreed to publish a joint summary after the next meeting of the group.</p>",
]
HOSTILE = [
    "<script>alert('SCRIPTMARK')</script>",
    "<script type='text/javascript'>document.write('<p>SCRIPTMARK</p>')</script>",
    "<img src=x onerror=\"alert('HANDLERMARK')\">",
    "<p onclick=\"alert('HANDLERMARK')\" onmouseover='HANDLERMARK()'>A paragraph with handlers on it.</p>",
    "<a href=\"javascript:alert('JSLINKMARK')\">read the full statement</a>",
    "<a href=\"JaVaScRiPt:JSLINKMARK()\">more</a>",
    "<svg onload=\"alert('SVGMARK')\"><script>alert('SVGMARK')</script></svg>",
    "<style>body{background:expression(alert('STYLEMARK'))}</style>",
    "<p style=\"width:expression(alert('STYLEMARK'))\">A paragraph with an inline style expression.</p>",
    "<iframe src=\"javascript:alert('IFRAMEMARK')\"></iframe>",
    "<noscript><p>NOSCRIPTMARK enable scripts</p></noscript>",
    "<template><p>TEMPLATEMARK hidden template text</p></template>",
    "<object data=\"javascript:OBJECTMARK()\"></object>",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert('METAMARK')\">",
    "<link rel=\"canonical\" href=\"javascript:alert('CANONMARK')\">",
    "<body onload=\"alert('HANDLERMARK')\">",
    "<script>/*<!--*/ var s = '</scr' + 'ipt>SCRIPTMARK'; //--></script>",
]
ENCODINGS = st.sampled_from([
    ("utf-8", None), ("gb18030", None), ("big5", None), ("utf-8", "gbk"), ("gbk", "utf-8"),
    ("big5", "gb2312"), ("cp1252", "utf-8"), ("utf-16-le", None), ("utf-8-sig", None),
])


@st.composite
def hostile_pages(draw) -> bytes:
    parts = draw(st.lists(st.one_of(st.sampled_from(BENIGN), st.sampled_from(HOSTILE)),
                          min_size=1, max_size=12))
    depth = draw(st.sampled_from([0, 1, 5, 40, 300]))
    body = "<div>" * depth + "".join(parts) + "</div>" * depth
    head = draw(st.sampled_from(["", "<title>Statement</title>", "<meta charset='{label}'>"]))
    page_codec, label = draw(ENCODINGS)
    html = f"<html><head>{head.format(label=label or page_codec)}</head><body>{body}</body></html>"
    if draw(st.booleans()):
        # Closing tags of the body broken. (An unclosed <title> is left out: browsers and lxml
        # alike read the rest of the page as the title's plain text, never as markup.)
        html = html.replace("</p>", "<p>", draw(st.integers(0, 3))).replace("</div>", "<div>", 1)
    raw = html.encode(page_codec, errors="replace")
    cut = draw(st.one_of(st.none(), st.integers(0, len(raw))))
    if cut is not None:
        raw = raw[:cut]
    if draw(st.booleans()):
        # Binary junk between two tags (inside a tag, a stray byte such as "< script>" turns markup
        # into text that browsers show as text, so that would be the page's visible wording).
        bounds = [i + 1 for i, byte in enumerate(raw) if byte == ord(">")] or [len(raw)]
        at = draw(st.sampled_from(bounds))
        raw = raw[:at] + draw(st.binary(max_size=64)) + raw[at:]
    return raw


def _inert(title: str, text: str) -> None:
    for marker in MARKERS:
        assert marker not in title, (marker, title)
        assert marker not in text, (marker, text)
    for word in ("javascript:", "onerror", "onload", "expression("):
        assert word not in text.lower() and word not in title.lower()


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hostile_pages(), st.sampled_from([None, "text/html", "text/html; charset=utf-8",
                                         "text/html; charset=gbk", "text/html; charset=bogus-42"]))
def test_fuzzed_hostile_pages_give_inert_text_or_extraction_error(raw, content_type):
    """Fault: script-laden, truncated, deeply nested, mis-encoded pages with binary bytes mixed in."""
    try:
        found = extract(raw, URL, content_type=content_type)
    except ExtractionError as exc:
        assert str(exc)  # a reason is always given
        return
    _inert(found.title, found.text)
    # Whatever the page declares as canonical, the address stored is the page's own or http(s).
    assert resolve_canonical(URL, found.canonical).startswith("http://127.0.0.1:8000/")


def test_every_hostile_fragment_at_once_keeps_only_the_article_text():
    """Input: one page holding every hostile fragment between real paragraphs."""
    html = ("<html><head><title>Statement</title></head><body>"
            + "".join(b + h for b, h in zip(BENIGN * 4, HOSTILE)) + "</body></html>")
    found = extract(html.encode("utf-8"), "http://127.0.0.1/x.html")
    _inert(found.title, found.text)
    assert "export controls matter" in found.text and "出口管制" in found.text
    assert "A paragraph with handlers on it." in found.text  # the element's text stays, its handlers go


def test_escaped_markup_in_a_page_is_kept_as_literal_text():
    """Input: a headline that *shows* <script> and <img onerror> as text (entities): it is the
    page's wording, kept verbatim as text, for the UI to display escaped."""
    html = ("<html><body><h1>Why &lt;script&gt; tags matter</h1>"
            "<p>Writers quote &lt;img src=x onerror=alert(1)&gt; when they explain attacks on sites.</p>"
            "<p>The association published guidance for members on web security this week.</p></body></html>")
    found = extract(html.encode(), "http://127.0.0.1/x.html")
    assert found.title == "Why <script> tags matter"
    assert "<img src=x onerror=alert(1)>" in found.text


def test_fifty_thousand_nested_divs_is_an_extraction_error_naming_the_depth():
    """Input: 50,000 nested <div>s around the article (a parser-exhaustion page). Before the fix the
    reason blamed the source's body selector; now it names the nesting."""
    html = "<html><body>" + "<div>" * 50_000 + BENIGN[0] * 3 + "</div>" * 50_000 + "</body></html>"
    with pytest.raises(ExtractionError, match="nests elements more than 256 deep"):
        extract(html.encode(), "http://127.0.0.1/deep.html")


def test_nesting_within_the_parser_limit_is_read():
    """Input: 200 nested divs: deep but readable, so the article is extracted."""
    html = "<html><body>" + "<div>" * 200 + BENIGN[0] + BENIGN[1] + "</div>" * 200 + "</body></html>"
    assert "export controls matter" in extract(html.encode(), "http://127.0.0.1/deep.html").text


def test_thirty_megabyte_page_is_refused_with_its_size_and_the_limit(tmp_path):
    """Input: a 30 MB page against the shipped 20 MB limit: refused before parsing, reason reported."""
    limit = make_settings(tmp_path / "data").crawl.max_page_bytes
    html = b"<html><body>" + BENIGN[0].encode() * (30_000_000 // len(BENIGN[0])) + b"</body></html>"
    assert len(html) > 30_000_000 > limit
    with pytest.raises(ExtractionError) as err:
        extract(html, "http://127.0.0.1/huge.html", max_bytes=limit)
    assert f"{len(html):,} bytes" in str(err.value) and f"{limit:,}" in str(err.value)


@pytest.mark.parametrize("name,raw", [
    ("png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4),
    ("zip", b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(200)),
    ("random", bytes((i * 131 + 7) % 256 for i in range(5000))),
    ("utf16-without-bom", "<html><body><p>export controls statement</p></body></html>".encode("utf-16-le")),
    ("empty", b""),
    ("whitespace", b" \n\t " * 100),
])
def test_binary_and_empty_bodies_are_extraction_errors(name, raw):
    """Input: binary files and empty bodies served as pages."""
    with pytest.raises(ExtractionError):
        extract(raw, f"http://127.0.0.1/{name}")


@pytest.mark.parametrize("junk", ["\x01", "\x0b\x1f", "\ufffe", "\uffff", "\x08\x1b"],
                         ids=["SOH", "VT-US", "U+FFFE", "U+FFFF", "BS-ESC"])
def test_control_characters_after_a_script_are_dropped_not_a_crash(junk):
    """Input: control characters (not allowed in XML text) right after a <script>. Before the fix
    lxml raised ValueError ("All strings must be XML compatible") while the script was dropped."""
    html = ("<html><body><h1>Statement on export controls</h1><script>alert('SCRIPTMARK')</script>"
            f"{junk}<p>The association said export controls matter{junk} for the supply chain.</p>"
            f"{BENIGN[1]}</body></html>")
    found = extract(html.encode("utf-8"), URL)
    _inert(found.title, found.text)
    assert "The association said export controls matter for the supply chain." in found.text


def test_unclosed_iframe_does_not_turn_the_rest_of_the_page_into_body_text():
    """Input: an <iframe> whose closing tag is broken ("< /iframe>"), followed by a <script>.
    Before the fix the parser read everything after it as the iframe's text, and that text, the
    script included, reached the body."""
    html = (f"<html><head></head><body>{BENIGN[2]}"
            "<iframe src=\"javascript:alert('IFRAMEMARK')\">< /iframe><script>alert('SCRIPTMARK')</script>"
            "</body></html>")
    found = extract(html.encode("utf-8"), URL)
    _inert(found.title, found.text)
    assert "出口管制" in found.text


def test_gbk_page_labelled_utf8_is_read_as_chinese():
    """Input: a GBK page whose meta tag claims UTF-8 (wrongly encoded)."""
    html = ("<html><head><meta charset='utf-8'></head><body><h1>出口管制声明</h1>"
            + "<p>中国半导体行业协会就出口管制和供应链安全发表声明。</p>" * 3 + "</body></html>")
    found = extract(html.encode("gbk"), "http://127.0.0.1/gbk.html")
    assert found.title == "出口管制声明" and "供应链安全" in found.text


# -- through the real crawler -----------------------------------------------------------------------

HOSTILE_ARTICLE = ("<html><head><title>Hostile statement</title>"
                   "<link rel='canonical' href=\"javascript:alert('CANONMARK')\">"
                   + HOSTILE[0] + HOSTILE[7] + "</head><body onload=\"alert('HANDLERMARK')\">"
                   "<h1>Statement <script>alert('SCRIPTMARK')</script>on export controls</h1>"
                   + "".join(b + h for b, h in zip(BENIGN[:3] * 6, HOSTILE[2:])) + "</body></html>")


@pytest.fixture
def hostile_site(tmp_path):
    from parallax.sample_server import SiteServer

    root = tmp_path / "site"
    (root / "news").mkdir(parents=True)
    (root / "news" / "hostile.html").write_text(HOSTILE_ARTICLE, encoding="utf-8")
    (root / "news" / "huge.html").write_bytes(
        b"<html><body>" + BENIGN[1].encode() * (3_000_000 // len(BENIGN[1])) + b"</body></html>")
    (root / "news" / "list.html").write_text(
        "<html><body><a href='hostile.html'>a</a> <a href='huge.html'>b</a> "
        "<a href=\"javascript:alert('JSLINKMARK')\">c</a></body></html>", encoding="utf-8")
    with SiteServer(root) as server:
        yield server, root


@pytest.mark.slow
def test_hostile_and_oversized_pages_through_the_real_crawler(hostile_site, tmp_path):
    """Input: a script-laden article (javascript: canonical and links) and a 3 MB page over a 1 MB
    `crawl.max_page_bytes`, crawled by `parallax crawl`. The hostile one is stored as inert text
    at its http address; the big one is refused and the reason recorded for the run."""
    server, _ = hostile_site
    sources = write_sources(tmp_path / "sources.toml", source_block(
        "hostile", listing(f"{server.url}/news/list.html", r"/news/[a-z]+\.html$"), kind="news"))
    config = write_config(tmp_path / "parallax.toml", data_dir=tmp_path / "data", sources=sources,
                          crawl={**NO_POLITENESS, "max_page_bytes": 1000000})
    result = run_cli("--config", str(config), "crawl", timeout=180)
    assert result.returncode == 0, result.stderr
    with Store(tmp_path / "data" / "parallax.sqlite3") as store:
        docs = store.conn.execute("SELECT url, title, body, status FROM documents").fetchall()
        errors = [e for (raw,) in store.conn.execute("SELECT errors FROM crawl_runs") for e in json.loads(raw)]
    assert len(docs) == 1, docs
    url, title, body, status = docs[0]
    assert status != "extract_failed"
    assert url == f"{server.url}/news/hostile.html"  # the javascript: canonical was not taken
    assert title == "Statement on export controls"
    _inert(title, body)
    assert "export controls matter" in body
    huge = [e for e in errors if "huge.html" in json.dumps(e)]
    assert huge, errors
    reason = json.dumps(huge[0])
    assert "1000000" in reason.replace(",", "") or "max_page_bytes" in reason, reason
