"""The bundled sources.toml exercised: every real source's entry points, patterns and selectors run
on the real Scrapy engine against a local mirror of that site's structure (tests/sites/real_sources,
pages written for the project), with each entry URL's host rewritten to the local server."""

from __future__ import annotations

import json

import pytest

from crawler.records import CrawlRecords
from crawler.run import crawl
from crawler.sources import load_sources
from index.store import Store
from parallax.sample_server import SiteServer
from tests.crawl_helpers import SITES, local_crawl_settings, rehost, rehost_sources

SITE = SITES / "real_sources"
EXPECTED = json.loads((SITE / "expected.json").read_text("utf-8"))["page"]
SEED_CASE = {"sia", "semi", "commerce", "bis", "ustr", "scmp", "csia", "mofcom", "mfa", "jiwei"}


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    settings = local_crawl_settings(tmp_path_factory.mktemp("real") / "data", timeout=15)
    with SiteServer(SITE) as server:
        sources = rehost_sources(load_sources(), server.url)
        counts = crawl(settings, sources)
        with Store.open(settings) as store:
            docs = {d.url: d for d in store.iter_documents()}
            errors = {r["source_id"]: json.loads(r["errors"]) for r in CrawlRecords(store).latest_runs()}
    return dict(counts=counts, docs=docs, errors=errors, base=server.url)


def test_bundled_sources_cover_the_seed_case():
    sources = {s.id: s for s in load_sources()}
    assert SEED_CASE <= set(sources)
    assert {s.language for s in sources.values()} == {"en", "zh"}
    assert {e.type for s in sources.values() for e in s.entries} == {"feed", "sitemap", "listing"}


def test_every_source_stores_its_articles_without_errors(crawled):
    for source_id in SEED_CASE:
        assert crawled["counts"][source_id]["new"] >= 1, source_id
        assert crawled["errors"].get(source_id) == [], (source_id, crawled["errors"].get(source_id))
    assert len(crawled["docs"]) == len(EXPECTED)


@pytest.mark.parametrize("page", EXPECTED, ids=[p["url"] for p in EXPECTED])
def test_source_config_extracts_title_date_and_text(crawled, page):
    doc = crawled["docs"][rehost("https://" + page["url"], crawled["base"])]
    assert doc.source_id == page["source"]
    assert doc.status == "ok"
    assert doc.title == page["title"]
    assert doc.published_at[:10] == page["published"]
    assert doc.paragraphs == page["paragraphs"]
    for phrase in page["must_not"]:
        assert phrase not in doc.body, phrase
    if "author" in page:
        assert doc.author == page["author"]
