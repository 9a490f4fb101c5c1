"""Silent and broken sources: a listing that suddenly yields no article links opens ONE health
event, not one per run; a source quiet for longer than its cadence is 'silent'."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

import pytest

from crawler.records import CrawlRecords
from crawler.health import expected_cadence, mark_notified, source_health, update_events
from crawler.run import crawl
from crawler.sources import load_sources
from index.document import Document
from index.store import Store
from parallax.sample_server import SiteServer
from tests.sources_fixtures import fast_crawl, listing, source_block, write_sources


def _site(root, with_links: bool):
    (root / "news").mkdir(parents=True, exist_ok=True)
    for n in range(3):
        (root / "news" / f"{n}.html").write_text(
            f"<html><body><h1>Statement {n}</h1><p>2025-07-0{n + 1}</p><p>The association "
            f"published statement {n} about export controls and supply chains today.</p></body></html>")
    links = "".join(f"<a href='{n}.html'>s{n}</a>" for n in range(3)) if with_links else \
        "<div class='new-layout'>Loading…</div>"
    (root / "news" / "index.html").write_text(f"<html><body>{links}</body></html>")


@pytest.mark.slow
def test_listing_that_stops_yielding_articles_raises_one_event(tmp_path, settings):
    site = tmp_path / "site"
    _site(site, with_links=True)
    with SiteServer(site) as server:
        sources_file = write_sources(tmp_path / "sources.toml", source_block(
            "assoc", listing(f"{server.url}/news/index.html", r"/news/\d+\.html$")))
        sources = load_sources(sources_file)
        fast = fast_crawl(settings)
        assert crawl(fast, sources)["assoc"]["new"] == 3
        with Store.open(fast) as store:
            assert source_health(store, sources[0]).status == "ok"
            assert update_events(store, [source_health(store, sources[0])]) == []

        _site(site, with_links=False)  # the site's layout changed: no article links any more
        notified = 0
        for _ in range(4):
            crawl(fast, sources)
            with Store.open(fast) as store:
                health = source_health(store, sources[0])
                events = update_events(store, [health])
                notified += len(events)
                mark_notified(store, [e["id"] for e in events])
        assert health.status == "empty" and "layout" in health.message
        assert notified == 1

        _site(site, with_links=True)  # fixed: the event closes, a later breakage would reopen one
        crawl(fast, sources)
        with Store.open(fast) as store:
            assert source_health(store, sources[0]).status == "ok"
            update_events(store, [source_health(store, sources[0])])
            assert store.conn.execute(
                "SELECT COUNT(*) FROM health_events WHERE closed_at IS NULL").fetchone()[0] == 0


def test_source_quiet_longer_than_its_learned_cadence_is_silent(settings):
    now = datetime(2026, 3, 1, tzinfo=timezone.utc)
    with Store.open(settings) as store:
        for n in range(10):  # one statement every two days in January
            published = (datetime(2026, 1, 1, tzinfo=timezone.utc) + timedelta(days=2 * n)).isoformat()
            store.upsert_document(Document(url=f"https://a.example/{n}", source_id="assoc",
                                           title=f"S{n}", body="Text.", published_at=published))
        store.conn.execute("UPDATE documents SET first_seen_at = published_at")
        records = CrawlRecords(store)
        records.finish_run(records.start_run("assoc"), {"entries_ok": 1, "skipped_known": 10}, [])
        source = assoc_source()
        assert expected_cadence(store, source) == pytest.approx(6.0)
        health = source_health(store, source, now=now)
        assert health.status == "silent" and "usually publishes within 6" in health.message
        configured = dataclasses.replace(source, cadence_days=90)
        assert source_health(store, configured, now=now).status == "ok"


def assoc_source():
    from crawler.sources import Entry, Source

    return Source(id="assoc", name="Assoc", name_en="Assoc", language="en", kind="association",
                  country="US", entries=(Entry(type="feed", urls=("https://a.example/feed",)),))
