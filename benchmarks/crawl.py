"""End-to-end crawl throughput: the real Scrapy engine against a generated site on 127.0.0.1.

N corpus documents are written as HTML pages with a sitemap into a temporary directory, served by
`parallax.sample_server.SiteServer`, and crawled with `crawler.run.crawl` (child process, extraction,
store) with politeness off: no download delay, no AutoThrottle, 16 requests in flight, robots.txt
not fetched. A 10-page crawl is timed too, so the fixed cost (child process start, Scrapy start-up)
can be told apart from the per-page rate.
"""

from __future__ import annotations

import html
import tempfile
import time
from pathlib import Path

from benchmarks.corpus import CorpusDocument

SOURCES_TOML = """
[[source]]
id = "benchsite"
name = "Benchmark site"
name_en = "Benchmark site"
language = "en"
kind = "news"
country = "US"
date_format = "%Y-%m-%d"

[source.selectors]
title = "h1.title"
date = "time.date"
body = "div.body"

[[source.entry]]
type = "sitemap"
url = "{base}/bench/sitemap.xml"
article_pattern = '/bench/a/'
"""


def _page(doc: CorpusDocument) -> str:
    paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in doc.body.split("\n\n"))
    lang = "zh-CN" if doc.lang == "zh" else "en"
    return (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{html.escape(doc.title)}'
            f'</title></head><body><nav><a href="/">Home</a> <a href="/bench/">News</a></nav><article>'
            f'<h1 class="title">{html.escape(doc.title)}</h1><time class="date">{doc.published_at[:10]}</time>'
            f'<div class="body">{paragraphs}</div></article><footer>Benchmark site</footer></body></html>')


def write_site(root: Path, docs: list[CorpusDocument]) -> None:
    pages = root / "bench" / "a"
    pages.mkdir(parents=True)
    urls = []
    for doc in docs:
        (pages / f"{doc.i}.html").write_text(_page(doc), encoding="utf-8")
        urls.append(f"<url><loc>{{base}}/bench/a/{doc.i}.html</loc><lastmod>{doc.published_at[:10]}</lastmod></url>")
    (root / "bench" / "sitemap.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        + "".join(urls) + "</urlset>\n", encoding="utf-8")
    (root / "index.html").write_text("<html><body>bench</body></html>", encoding="utf-8")


def _crawl_once(docs: list[CorpusDocument], workdir: Path) -> dict:
    from crawler.run import crawl
    from crawler.sources import load_sources
    from index.store import Store
    from parallax.sample_server import SiteServer
    from parallax.settings import load_settings

    site, data = workdir / "site", workdir / "data"
    write_site(site, docs)
    (workdir / "sources.toml").write_text(SOURCES_TOML, encoding="utf-8")
    settings = load_settings(env={}, overrides={
        "data_dir": str(data), "crawl.download_delay": 0.0, "crawl.autothrottle": False,
        "crawl.concurrency_per_domain": 16, "crawl.obey_robots": False, "crawl.retries": 0,
        "crawl.http_cache": False})
    with SiteServer(site) as server:
        sources = load_sources(workdir / "sources.toml", base=server.url)
        started = time.perf_counter()
        counts = crawl(settings, sources)
        seconds = time.perf_counter() - started
    with Store(settings.store_path) as store:
        stored = store.count_documents("d.status = 'ok'")
    return {"pages": len(docs), "seconds": seconds, "pages_per_s": len(docs) / seconds,
            "stored_ok": stored, "counts": counts["benchsite"]}


def measure(docs: list[CorpusDocument]) -> dict:
    with tempfile.TemporaryDirectory(prefix="parallax-bench-crawl-") as tmp:
        small = _crawl_once(docs[:10], Path(tmp) / "small")
        full = _crawl_once(docs, Path(tmp) / "full")
    steady = (full["pages"] - small["pages"]) / (full["seconds"] - small["seconds"]) \
        if full["seconds"] > small["seconds"] else None
    return {"ten_pages": small, "full": full, "fixed_cost_seconds": small["seconds"],
            "steady_pages_per_s": steady,
            "politeness": {"download_delay": 0, "autothrottle": False, "concurrency_per_domain": 16,
                           "obey_robots": False}}
