"""PDF statements: generated in the test by real Chromium (print to PDF), linked from a listing on
127.0.0.1, crawled, extracted with page breaks, processed and found in both languages; a PDF with no
text layer is stored and flagged, not dropped."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from crawler.pdf import PAGE_BREAK
from crawler.run import crawl
from crawler.sources import load_sources
from index.search import SearchRequest
from index.backends import open_backend
from index.store import Store
from nlp.pipeline import process
from parallax.sample_server import SiteServer
from tests.sources_fixtures import fast_crawl, listing, source_block, write_sources

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

EN = """<html><body style="font-family: sans-serif">
<h1>Joint Statement on Export Control Dialogue</h1><p>Washington, July 19, 2025</p>
<p>The two industry associations agreed today to hold quarterly talks on export controls and
supply chain security for semiconductors.</p>
<p style="page-break-before: always">On the second page, the associations list the members of the
working group and the topics of its first meeting.</p></body></html>"""
ZH = """<html><head><meta charset="utf-8"></head><body style="font-family: 'WenQuanYi Micro Hei'">
<h1>关于出口管制对话的联合声明</h1><p>2025年7月20日</p>
<p>中国半导体行业协会与美国半导体行业协会今天同意，就出口管制和供应链安全每季度举行一次对话。</p>
</body></html>"""
SCANNED = """<html><body><svg width="400" height="300"><rect x="20" y="20" width="300" height="200"
fill="#888"/><circle cx="200" cy="120" r="60" fill="#444"/></svg></body></html>"""


def _print_pdf(html_file, pdf_file):
    done = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
         "--no-pdf-header-footer", f"--print-to-pdf={pdf_file}", f"file://{html_file}"],
        capture_output=True, timeout=60)
    assert pdf_file.exists(), done.stderr.decode()[-500:]


@pytest.mark.slow
def test_pdf_statements_are_extracted_and_searchable(tmp_path, settings):
    site = tmp_path / "site"
    (site / "docs").mkdir(parents=True)
    for name, html in (("joint-en", EN), ("joint-zh", ZH), ("scanned", SCANNED)):
        source_html = tmp_path / f"{name}.html"
        source_html.write_text(html, encoding="utf-8")
        _print_pdf(source_html, site / "docs" / f"{name}.pdf")
    (site / "docs" / "index.html").write_text(
        "<html><body><a href='joint-en.pdf'>EN</a> <a href='joint-zh.pdf'>ZH</a> "
        "<a href='scanned.pdf'>Scan</a></body></html>")
    with SiteServer(site) as server:
        sources_file = write_sources(tmp_path / "sources.toml", source_block(
            "assoc", listing(f"{server.url}/docs/index.html", r"\.pdf$")))
        fast = fast_crawl(settings)
        counts = crawl(fast, load_sources(sources_file))
    assert counts["assoc"]["new"] == 3
    with Store.open(fast) as store:
        docs = {d.url.rsplit("/", 1)[-1]: d for d in store.iter_documents()}
        en = docs["joint-en.pdf"]
        assert en.title == "Joint Statement on Export Control Dialogue"
        assert PAGE_BREAK in en.body.split("\n\n"), "the page break is kept"
        assert "second page" in en.body and en.published_at.startswith("2025-07-19")
        zh = docs["joint-zh.pdf"]
        assert "出口管制" in zh.body and zh.published_at.startswith("2025-07-20")
        scanned = docs["scanned.pdf"]
        assert scanned.status == "no_text" and "text layer" in scanned.error

        process(store, fast)
        assert store.get(zh.id).lang == "zh" and store.get(en.id).lang == "en"
        backend = open_backend(fast, store)
        backend.sync()
        assert {h.id for h in backend.search(SearchRequest("出口管制", expand=False)).hits} == {zh.id}
        assert {h.id for h in backend.search(SearchRequest("出口管制")).hits} == {zh.id, en.id}
        assert en.id in {h.id for h in backend.search(SearchRequest('"quarterly talks"')).hits}
