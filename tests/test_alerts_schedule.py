"""Daily and weekly digests go out once per period at the digest hour (UTC); failures stay due."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from tests.alerts_fixtures import DOCS, QUERY, Relay, add_documents, free_port, smtp_overrides

from alerts.runner import run_alerts
from alerts.saved import SavedSearch, SavedSearches
from alerts.schedule import is_due, last_slot
from tests.conftest import make_settings
from index.backends import open_backend
from index.store import Store


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


# (frequency, created or last run, now, due?) with the digest hour at 07:00 UTC.
# 2026-11-25 is a Wednesday; 2026-11-30 a Monday.
CASES = [
    ("immediate", "2026-11-25T06:59:00", "2026-11-25T07:00:00", True),
    ("daily", "2026-11-25T05:00:00", "2026-11-25T06:59:59", False),
    ("daily", "2026-11-25T05:00:00", "2026-11-25T07:00:00", True),
    ("daily", "2026-11-25T07:30:00", "2026-11-25T23:00:00", False),
    ("daily", "2026-11-25T07:30:00", "2026-11-26T07:05:00", True),
    ("daily", "2026-11-20T07:30:00", "2026-11-25T03:00:00", True),  # machine was off: catch up once
    ("weekly", "2026-11-25T08:00:00", "2026-11-29T23:00:00", False),
    ("weekly", "2026-11-25T08:00:00", "2026-11-30T07:00:00", True),
    ("weekly", "2026-11-30T07:10:00", "2026-12-06T20:00:00", False),
]


@pytest.mark.parametrize("frequency, since, now, due", CASES)
def test_due_at_the_digest_hour(frequency, since, now, due):
    saved = SavedSearch(name="x", query="chips", recipients=["a@example.org"], frequency=frequency,
                        created_at=f"{since}+00:00")
    assert is_due(saved, at(now), digest_hour=7) is due


def test_weekly_slot_is_monday_at_the_digest_hour():
    assert last_slot("weekly", at("2026-11-27T12:00:00"), 7) == at("2026-11-23T07:00:00")
    assert last_slot("daily", at("2026-11-27T06:00:00"), 7) == at("2026-11-26T07:00:00")
    assert last_slot("immediate", at("2026-11-27T06:00:00"), 7) is None


def test_daily_digest_goes_out_once_at_the_hour_and_a_failed_one_is_retried(tmp_path):
    port = free_port()
    settings = make_settings(tmp_path / "data", **smtp_overrides(port), **{"alerts.digest_hour": 7})
    with Store.open(settings) as store:
        add_documents(store, settings, DOCS["en"], DOCS["zh"])
        SavedSearches(store).add(SavedSearch(name="daily-wg", query=QUERY, recipients=["a@example.org"],
                                             frequency="daily", created_at="2026-11-25T05:00:00+00:00"))

        def run(now):
            return run_alerts(store, open_backend(settings, store), settings, now=at(now))

        assert not run("2026-11-25T06:00:00").alerts[0].due
        failed = run("2026-11-25T07:01:00")  # due, but the relay is down
        assert failed.alerts[0].due and failed.relay_error
        with Relay(port=port) as relay:
            assert run("2026-11-25T07:20:00").ok  # still due: retried
            assert not run("2026-11-25T09:00:00").alerts[0].due
            later = run("2026-11-26T07:00:00")
            assert later.alerts[0].due and later.messages_sent == 0  # due, nothing new
        assert len(relay.handler.messages) == 1
        assert SavedSearches(store).get("daily-wg").last_run_at == "2026-11-26T07:00:00+00:00"
