"""XSS end to end: hostile crawled pages shown by `parallax ui` in real Chromium stay inert text.

Inputs tried: a page crawled by the real crawler from a fixture site on 127.0.0.1 whose headline and
paragraphs *show* `<script>alert(1)</script>`, `<img src=x onerror=alert(1)>` and a markdown link
`[click](javascript:alert(1))` as text, which also carries real <script>, onerror and javascript:
links, a `javascript:` rel=canonical and a listing link to `javascript:`; and a document whose stored
URL is itself `javascript:alert(1)` (as an older or hand-edited store might hold). The app is the real
`streamlit run` started by `parallax ui` on a free port; Chromium is driven through Playwright.
Checked: no dialog ever fires, the payloads are visible as text, no <img> with onerror (or src=x)
exists, and every link on the page is http(s).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.sources import Source
from index.document import Document
from index.store import Store
from parallax import stages
from tests.conftest import make_settings
from tests.sources_fixtures import listing, source_block, write_sources
from tests.ui_server import CHROMIUM, CHROMIUM_ARGS, running_ui

pytestmark = pytest.mark.slow

TITLE = "Researchers show <script>alert(1)</script> and <img src=x onerror=alert(1)> in a licence portal"
ARTICLE = """<html><head><meta charset="utf-8"><title>Portal statement</title>
<link rel="canonical" href="javascript:alert(1)">
<script>alert(1)</script></head>
<body onload="alert(1)">
<h1>Researchers show &lt;script&gt;alert(1)&lt;/script&gt; and &lt;img src=x onerror=alert(1)&gt; in a licence portal</h1>
<p>2026-11-20</p>
<p>The portal echoed &lt;img src=x onerror=alert(1)&gt; back to visitors of the licence portal, the researchers wrote.</p>
<p>A second payload was the markdown link [click](javascript:alert(1)) and <a href="javascript:alert(1)">this link</a>.</p>
<img src=x onerror="alert(1)"><svg onload="alert(1)"></svg>
<p>The association asked members to patch the licence portal before the next export controls review.</p>
</body></html>"""


@pytest.fixture
def hostile_store(tmp_path):
    """The hostile article crawled by the real crawler, plus one document stored with a javascript: URL."""
    from parallax.sample_server import SiteServer

    site = tmp_path / "site"
    (site / "news").mkdir(parents=True)
    (site / "news" / "portal.html").write_text(ARTICLE, encoding="utf-8")
    (site / "news" / "list.html").write_text(
        "<html><body><a href='portal.html'>portal</a> <a href='javascript:alert(1)'>x</a></body></html>",
        encoding="utf-8")
    with SiteServer(site) as server:
        sources = write_sources(tmp_path / "sources.toml", source_block(
            "hostile", listing(f"{server.url}/news/list.html", r"/news/portal\.html$"), name="Hostile News",
            kind="news"))
        settings = make_settings(tmp_path / "data", sources=str(sources),
                                 **{"crawl.download_delay": 0.0, "crawl.autothrottle": False})
        counts = stages.crawl(settings)
        assert sum(c.get("new", 0) for c in counts.values()) == 1, counts
        with Store.open(settings) as store:
            store.upsert_source(Source(id="legacy", name="Legacy", name_en="Legacy", language="en",
                                       kind="news", country="US"))
            store.upsert_document(Document(
                url="javascript:alert(1)", source_id="legacy", declared_lang="en", kind="news",
                country="US", published_at="2026-11-19T00:00:00+00:00",
                title="Legacy licence portal entry with a javascript address",
                body="A document whose stored address is javascript:alert(1) about the licence portal."))
        stages.process(settings)
        stages.index(settings)
        with Store.open(settings) as store:
            urls = {r[0] for r in store.conn.execute("SELECT url FROM documents")}
        assert f"{server.url}/news/portal.html" in urls  # the javascript: canonical was not taken
        yield settings


@pytest.fixture
def app_url(hostile_store, tmp_path):
    with running_ui(hostile_store.data_dir, tmp_path / "streamlit.log") as url:
        yield url


INERT_CHECKS = """() => ({
  onerrorImages: document.querySelectorAll('img[onerror], img[src="x"], svg[onload], [onload], [onclick]').length,
  payloadScripts: Array.from(document.querySelectorAll('script'))
      .filter(s => s.textContent.includes('alert(1)')).length,
  hrefs: Array.from(document.querySelectorAll('a[href], link[href]')).map(a => a.getAttribute('href')),
  resolved: Array.from(document.querySelectorAll('a[href]')).map(a => a.href),
  iframes: Array.from(document.querySelectorAll('iframe')).map(f => f.getAttribute('src') || '')
})"""


def _assert_inert(page) -> None:
    found = page.evaluate(INERT_CHECKS)
    assert found["onerrorImages"] == 0
    assert found["payloadScripts"] == 0
    for href in found["resolved"]:
        assert href.startswith(("http://", "https://")), href
    for href in found["hrefs"]:
        assert not href.strip().lower().startswith(("javascript:", "data:", "vbscript:")), href
    for src in found["iframes"]:
        assert not src.strip().lower().startswith(("javascript:", "data:")), src


def test_hostile_crawled_document_is_inert_text_in_chromium(app_url, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make system-deps`")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(30_000)
            dialogs: list[str] = []
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(app_url)
            box = page.get_by_role("textbox", name="Search", exact=True)
            summary = page.get_by_text("matching document").first
            box.fill("licence portal")
            box.press("Enter")
            expect(summary).to_contain_text("2 matching documents")
            page.wait_for_load_state("networkidle")
            expect(page.locator("h5").filter(has_text="onerror")).to_have_text(TITLE)
            _assert_inert(page)
            page.screenshot(path=tmp_path / "xss-results.png", full_page=True)

            # The crawled document: payloads shown as text, the source link is http(s).
            titles = page.locator("h5").all_inner_texts()
            hostile_at = next(i for i, t in enumerate(titles) if "onerror" in t)
            page.get_by_text("Read side by side").nth(hostile_at).click()
            expect(page.get_by_role("heading", level=2)).to_have_text(TITLE)
            expect(page.get_by_text("onerror=alert(1)> back to visitors")).to_be_visible()
            expect(page.get_by_text("[click](javascript:alert(1))", exact=False)).to_be_visible()
            link = page.get_by_role("link", name="Open the source page")
            assert link.get_attribute("href").startswith("http://127.0.0.1:")
            page.wait_for_timeout(500)  # time for anything injected to have fired
            _assert_inert(page)
            page.screenshot(path=tmp_path / "xss-document.png", full_page=True)

            # The document stored with a javascript: URL: no link to it, the address shown as text.
            page.get_by_role("link", name="Back to results").click()
            expect(summary).to_contain_text("2 matching documents")
            page.get_by_text("Read side by side").nth(1 - hostile_at).click()
            expect(page.get_by_role("heading", level=2)).to_have_text(
                "Legacy licence portal entry with a javascript address")
            expect(page.get_by_text("The source address is not an http(s) link")).to_be_visible()
            assert page.get_by_role("link", name="Open the source page").count() == 0
            page.wait_for_timeout(500)
            _assert_inert(page)
            assert dialogs == []
        finally:
            browser.close()
