"""One SourceHealth: what "last success", failing, empty, silent and degraded mean, at the edges
(never crawled, every fetch failed, a feed with no items, a 304, a killed run, quiet for N days),
the same for the CLI's SQL and the status logic."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from crawler.health import _succeeded, _unchanged, source_health
from crawler.records import INTERRUPTED, SUCCESS_SQL, UNCHANGED_SQL, CrawlRecords
from crawler.sources import Entry, Source
from index.document import Document
from index.store import Store


def _source(cadence_days=None):
    return Source(id="s", name="S", name_en="S", language="en", kind="association", country="US",
                  entries=(Entry(type="feed", urls=("https://s.example/feed",)),), cadence_days=cadence_days)


def _runs(store, *runs):
    records = CrawlRecords(store)
    for counts in runs:
        errors = [{"url": "https://s.example/feed", "reason": "HTTP 500"}] * counts.get("failed", 0)
        records.finish_run(records.start_run("s"), counts, errors)


@pytest.fixture
def store(settings):
    with Store.open(settings) as opened:
        yield opened


def test_never_crawled_has_no_last_run_and_no_success(store):
    health = source_health(store, _source())
    assert (health.status, health.last_run, health.last_success) == ("never", None, None)


def test_every_entry_point_failing_is_failing_and_never_a_success(store):
    _runs(store, {"failed": 1}, {"failed": 1})
    health = source_health(store, _source())
    assert health.status == "failing" and "HTTP 500" in health.message
    assert health.last_success is None and health.last_error == "HTTP 500: https://s.example/feed"


def test_every_article_failing_is_not_a_success(store):
    _runs(store, {"entries_ok": 1, "fetched": 3, "failed": 3})
    health = source_health(store, _source())
    assert health.status == "failing" and health.last_success is None


def test_feed_answering_with_no_items_is_empty_not_a_success(store):
    _runs(store, {"entries_ok": 1}, {"entries_ok": 1})
    health = source_health(store, _source())
    assert health.status == "empty" and "layout" in health.message
    assert health.last_success is None


def test_known_articles_still_linked_confirm_the_source_works(store):
    _runs(store, {"entries_ok": 1, "skipped_known": 5})
    health = source_health(store, _source())
    assert health.status == "ok" and health.last_success is not None


def test_not_modified_is_as_good_as_the_last_run_that_read_content(store):
    _runs(store, {"entries_ok": 1, "fetched": 2, "new": 2})
    _runs(store, {"entries_ok": 1, "not_modified": 1})
    store.conn.execute("UPDATE crawl_runs SET finished_at = '2030-01-01T00:00:00+00:00' WHERE not_modified = 1")
    quiet = source_health(store, _source())
    assert quiet.status == "ok" and quiet.last_success.startswith("2030")  # a quiet feed stays healthy
    _runs(store, {"entries_ok": 1}, {"entries_ok": 1})  # the listing broke: no links
    _runs(store, {"entries_ok": 1, "not_modified": 1}, {"entries_ok": 1, "not_modified": 1})
    broken = source_health(store, _source())
    assert broken.status == "empty"  # ... and then stopped changing: still broken
    assert broken.last_success == quiet.last_success


def test_killed_run_closed_as_interrupted_is_not_a_success(store):
    records = CrawlRecords(store)
    records.start_run("s")
    assert records.close_interrupted() == 1
    health = source_health(store, _source())
    assert health.last_success is None and health.status == "failing"
    assert INTERRUPTED in health.last_error


def test_one_bad_run_after_good_ones_is_degraded_two_are_failing(store):
    _runs(store, {"entries_ok": 1, "fetched": 2, "new": 2}, {"failed": 1})
    first = source_health(store, _source())
    assert first.status == "degraded" and first.last_success is not None
    _runs(store, {"failed": 1})
    assert source_health(store, _source()).status == "failing"


def test_silent_for_longer_than_its_cadence(store):
    now = datetime(2026, 3, 1, tzinfo=timezone.utc)
    store.upsert_document(Document(url="https://s.example/1", source_id="s", title="One", body="Text.",
                                   published_at=(now - timedelta(days=10)).isoformat()))
    store.conn.execute("UPDATE documents SET first_seen_at = published_at")
    _runs(store, {"entries_ok": 1, "skipped_known": 1})
    health = source_health(store, _source(cadence_days=7), now=now)
    assert health.status == "silent" and health.days_since_new == pytest.approx(10)
    assert "nothing new for 10 days" in health.message
    assert source_health(store, _source(cadence_days=14), now=now).status == "ok"


@pytest.mark.parametrize("counts", [
    {}, {"failed": 2}, {"entries_ok": 1}, {"entries_ok": 1, "fetched": 2, "failed": 2},
    {"entries_ok": 1, "fetched": 3, "failed": 2}, {"entries_ok": 1, "not_modified": 1, "fetched": 1},
    {"entries_ok": 2, "skipped_known": 4, "failed": 9}, {"fetched": 5}, {"entries_ok": 2, "not_modified": 2},
    {"entries_ok": 2, "not_modified": 1}])
def test_sql_and_python_agree_on_success_and_on_304_only_runs(store, counts):
    _runs(store, counts)
    run = CrawlRecords(store).finished_runs("s", 1)[0]
    for sql, python in ((SUCCESS_SQL, _succeeded), (UNCHANGED_SQL, _unchanged)):
        in_sql = store.conn.execute(f"SELECT COUNT(*) FROM crawl_runs WHERE id = ? AND {sql}",
                                    (run["id"],)).fetchone()[0] == 1
        assert python(run) == in_sql


def test_finishing_a_run_writes_every_count_in_one_transaction(store):
    records = CrawlRecords(store)
    run_id = records.start_run("s")
    statements = []
    store.conn.set_trace_callback(statements.append)
    records.finish_run(run_id, {"entries_ok": 2, "not_modified": 1, "skipped_known": 3, "fetched": 1}, [])
    store.conn.set_trace_callback(None)
    assert [s.split()[0] for s in statements] == ["BEGIN", "UPDATE", "COMMIT"]
    [row] = records.latest_runs()
    assert (row["entries_ok"], row["not_modified"], row["skipped_known"], row["fetched"]) == (2, 1, 3, 1)
