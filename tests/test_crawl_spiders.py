"""The three generic spiders on the real Scrapy engine against the crawl-cases site on 127.0.0.1:
pagination and its limit, an Atom feed, a sitemap index with a news sitemap and a relative location,
charsets, redirects, 404/500/time-out, robots.txt, tracking parameters and rel=canonical, boilerplate,
missing dates, unextractable pages, and a second crawl that fetches no known article again.

One module fixture runs two crawls (two child processes) and every test reads what they left."""

from __future__ import annotations

import json

import pytest

from crawler.health import source_healths
from crawler.records import CrawlRecords
from crawler.run import crawl
from crawler.sources import load_sources
from index.store import Store
from parallax.sample_server import SiteServer
from tests.crawl_helpers import SITES, local_crawl_settings

SITE = SITES / "crawl_cases"
EXPECTED = json.loads((SITE / "expected.json").read_text("utf-8"))["page"]
ENTRY_POINTS = {"robots.txt", "news/index.html", "news/index_2.html", "feed.xml", "sitemap.xml",
                "sitemap-news.xml", "sitemap-more.xml"}


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    settings = local_crawl_settings(tmp_path_factory.mktemp("cases") / "data", timeout=3, retries=1,
                                    retry_backoff=0.2)
    with SiteServer(SITE) as server:
        sources = load_sources(SITE / "sources.toml", base=server.url)
        first = crawl(settings, sources)
        hits_first = dict(server.hits)
        with Store.open(settings) as store:
            docs = {d.url[len(server.url) + 1:]: d for d in store.iter_documents()}
            runs_first = {r["source_id"]: r for r in CrawlRecords(store).latest_runs()}
            states = dict(store.conn.execute("SELECT url, last_status FROM fetch_state").fetchall())
        second = crawl(settings, sources)
        hits_second = {k: v - hits_first.get(k, 0) for k, v in server.hits.items() if v > hits_first.get(k, 0)}
        with Store.open(settings) as store:
            health = {h.source_id: h for h in source_healths(store, sources)}
            total = store.count_documents()
            # The re-check hook: an article published two days ago is due again with --recheck 7
            # (the others were published long ago and are not).
            store.conn.execute("UPDATE documents SET published_at = datetime('now', '-2 days') WHERE url = ?",
                               (f"{server.url}/news/a1.html",))
        before = dict(server.hits)
        third = crawl(settings, sources, recheck_days=7)
        hits_third = {k: v - before.get(k, 0) for k, v in server.hits.items() if v > before.get(k, 0)}
    return dict(first=first, second=second, docs=docs, hits_first=hits_first, hits_second=hits_second,
                runs_first=runs_first, states=states, health=health, total=total, base=server.url,
                third=third, hits_third=hits_third, agents=set(server.agents), settings=settings)


def _text(doc) -> str:
    return doc.title + "\n" + doc.body


def test_listing_follows_next_pages_up_to_the_page_limit(crawled):
    assert "news/a11-page2.html" in crawled["docs"]
    assert "news/a12-page3.html" not in crawled["docs"]
    assert crawled["hits_first"].get("news/index_3.html", 0) == 0  # max_pages = 2


def test_feed_entry_without_date_on_page_takes_the_feed_date(crawled):
    doc = crawled["docs"]["feed/f1.html"]
    assert doc.source_id == "casefeed"
    assert doc.published_at == "2025-11-20T10:00:00+00:00"


def test_sitemap_index_news_date_and_relative_location(crawled):
    m1, m2 = crawled["docs"]["map/m1.html"], crawled["docs"]["map/m2.html"]
    assert m1.published_at == "2025-11-21T07:00:00+00:00"  # news:publication_date, +08:00 → UTC
    assert m2.published_at[:10] == "2025-11-22"  # relative <loc>, date from <lastmod>
    assert "about.html" not in crawled["docs"]  # outside the article pattern


@pytest.mark.parametrize("path", ["news/a6-gbk.html", "news/a7-big5.html", "news/a8-wrong-charset.html",
                                  "news/a9-no-charset.html"])
def test_gbk_big5_wrong_and_missing_charsets_are_decoded(crawled, path):
    doc, expected = crawled["docs"][path], EXPECTED[path]
    assert doc.title == expected["title"]
    assert doc.paragraphs == expected["paragraphs"]
    assert doc.published_at[:10] == expected["published"]


def test_redirected_article_is_stored_under_its_final_address(crawled):
    assert "news/a5-moved.html" in crawled["docs"]
    assert "news/a5-old.html" not in crawled["docs"]
    assert crawled["docs"]["news/a5-moved.html"].published_at == "2025-11-01T08:30:00+00:00"  # GMT in November


def test_404_500_and_timeout_are_counted_as_failures_with_reasons(crawled):
    errors = json.loads(crawled["runs_first"]["cases"]["errors"])
    reasons = {e["url"].rsplit("/", 1)[-1]: e["reason"] for e in errors}
    assert reasons["a404.html"] == "HTTP 404"
    assert reasons["a500.html"] == "HTTP 500"
    assert reasons["a-slow.html"].startswith("timed out")
    assert crawled["runs_first"]["cases"]["failed"] == len(errors) == 4  # with the empty page


def test_robots_txt_disallowed_page_is_never_requested(crawled):
    assert crawled["hits_first"].get("private/secret.html", 0) == 0
    assert "private/secret.html" not in crawled["docs"]


def test_tracking_parameters_and_rel_canonical_give_one_document(crawled):
    docs = crawled["docs"]
    assert not [u for u in docs if "utm_" in u or "print" in u]
    assert crawled["hits_first"]["news/a1.html"] == 1  # in the listing twice and in the feed
    assert crawled["hits_first"]["news/a2-print.html"] == 1  # fetched, then merged into a2
    assert docs["news/a2.html"].paragraphs == EXPECTED["news/a2.html"]["paragraphs"]


def test_boilerplate_heavy_page_keeps_only_the_article(crawled):
    doc, expected = crawled["docs"]["news/a3-boilerplate.html"], EXPECTED["news/a3-boilerplate.html"]
    assert doc.paragraphs == expected["paragraphs"]
    for phrase in expected["must_not"]:
        assert phrase not in doc.body, phrase
    assert doc.published_at[:10] == "2025-10-09"


def test_page_without_a_date_is_stored_without_one(crawled):
    doc = crawled["docs"]["news/a4-nodate.html"]
    assert doc.status == "ok" and doc.published_at is None
    assert doc.paragraphs == EXPECTED["news/a4-nodate.html"]["paragraphs"]


def test_unextractable_page_is_kept_with_its_reason(crawled):
    doc = crawled["docs"]["news/a10-empty.html"]
    assert doc.status == "extract_failed"
    assert "no article text" in doc.error


def test_second_crawl_fetches_no_known_article(crawled):
    second = crawled["second"]
    assert all(c["new"] == 0 and c["fetched"] == 0 for c in second.values()), second
    assert set(crawled["hits_second"]) <= ENTRY_POINTS, crawled["hits_second"]
    assert second["cases"]["not_modified"] == 1  # the listing answered 304 to If-Modified-Since
    assert second["casefeed"]["skipped_known"] == 2


def test_entry_points_are_remembered_for_conditional_requests(crawled):
    assert crawled["states"][f"{crawled['base']}/news/index.html"] == 200
    assert crawled["states"][f"{crawled['base']}/feed.xml"] == 200


def test_health_table_has_counts_and_last_success(crawled):
    health = crawled["health"]
    assert health["cases"].last_success is not None
    assert health["cases"].failed_documents == 1
    assert health["cases"].documents + health["casefeed"].documents + health["casemap"].documents == crawled["total"]
    assert health["cases"].counts["not_modified"] == 1


def test_server_errors_and_timeouts_are_retried_once_with_backoff(crawled):
    assert crawled["hits_first"]["news/a500.html"] == 2
    assert crawled["hits_first"]["news/a404.html"] == 1  # a 404 is not worth a retry


def test_recheck_fetches_only_articles_published_recently(crawled):
    articles = {k for k in crawled["hits_third"] if k not in ENTRY_POINTS}
    # a1 is due; the failures of earlier crawls are tried again; a redirect's old address and a
    # rel=canonical duplicate are remembered as aliases of what they led to, so not refetched.
    # Undated articles count from when they were first seen (minutes ago), so they are due too.
    assert articles == {"news/a1.html", "news/a4-nodate.html", "news/a10-empty.html", "news/a404.html",
                        "news/a500.html", "news/a-slow.html"}, articles
    counts = crawled["third"]
    assert sum(c["new"] for c in counts.values()) == 0
    assert sum(c["updated"] for c in counts.values()) == 0
    assert sum(c["unchanged"] for c in counts.values()) == 3
    assert sum(c["withdrawn"] for c in counts.values()) == 0  # the same listings: nothing vanished


def test_every_request_carries_the_descriptive_user_agent_from_settings(crawled):
    assert crawled["agents"] == {crawled["settings"].crawl.user_agent}
    assert "+http" in crawled["settings"].crawl.user_agent  # says where to reach the operator
