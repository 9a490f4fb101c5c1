"""Is a source quiet, or broken? Per-source health from the store's own history.

A source that stops publishing and a source whose layout changed (the listing still answers but
the crawler finds no article links) look the same in a search: no new documents. Researchers must
be told the difference. Each source has an expected cadence, learned from the gaps between its
documents (or set with `cadence_days` in sources.toml); a source silent for longer, or whose recent
runs found nothing at all, opens a health event. An event is notified once and closed when the
source recovers, so operators get one message per problem, not one per run.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timezone

from index.document import utc_now

MIN_CADENCE_DAYS = 2.0
MAX_CADENCE_DAYS = 60.0
EMPTY_RUNS = 2  # consecutive runs that found no article link at all


@dataclass(frozen=True)
class SourceHealth:
    source_id: str
    status: str  # ok | silent | empty | failing | never
    message: str
    expected_days: float | None
    days_since_new: float | None
    last_success: str | None


def _parse(ts: str | None) -> datetime | None:
    if not ts:
        return None
    value = datetime.fromisoformat(ts)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def expected_cadence(store, source) -> float | None:
    """Days a source may stay quiet: the configured cadence, or three times its median gap."""
    if source.cadence_days:
        return float(source.cadence_days)
    dates = sorted(d for d in (_parse(r[0]) for r in store.conn.execute(
        "SELECT published_at FROM documents WHERE source_id = ? AND published_at IS NOT NULL "
        "ORDER BY published_at DESC LIMIT 30", (source.id,))) if d)
    gaps = [(b - a).total_seconds() / 86400 for a, b in zip(dates, dates[1:])]
    gaps = [g for g in gaps if g > 0]
    if len(gaps) < 2:
        return None
    return min(MAX_CADENCE_DAYS, max(MIN_CADENCE_DAYS, 3 * statistics.median(gaps)))


def source_health(store, source, now: datetime | None = None) -> SourceHealth:
    now = now or datetime.now(timezone.utc)
    runs = [dict(r) for r in store.conn.execute(
        "SELECT * FROM crawl_runs WHERE source_id = ? AND finished_at IS NOT NULL "
        "ORDER BY id DESC LIMIT 10", (source.id,))]
    expected = expected_cadence(store, source)
    newest = store.conn.execute(
        "SELECT MAX(first_seen_at), MAX(published_at) FROM documents WHERE source_id = ?",
        (source.id,)).fetchone()
    last_new = max(filter(None, (_parse(newest[0]), _parse(newest[1]))), default=None)
    days_since = (now - last_new).total_seconds() / 86400 if last_new else None
    successes = [r for r in runs if r["fetched"] + r["skipped_known"] > 0]
    last_success = successes[0]["finished_at"] if successes else None
    if not runs:
        return SourceHealth(source.id, "never", "never crawled", expected, days_since, None)
    recent = runs[:EMPTY_RUNS]
    if len(recent) == EMPTY_RUNS and all(r["fetched"] + r["skipped_known"] == 0 for r in recent):
        if all(r["failed"] > 0 for r in recent):
            reasons = sorted({e["reason"] for r in recent for e in _errors(r)})
            return SourceHealth(source.id, "failing",
                                f"the last {EMPTY_RUNS} runs failed ({'; '.join(reasons[:3])})",
                                expected, days_since, last_success)
        return SourceHealth(source.id, "empty",
                            f"the last {EMPTY_RUNS} runs found no article links: the site's layout "
                            "may have changed; check the source's patterns with `parallax sources check`",
                            expected, days_since, last_success)
    if expected is not None and days_since is not None and days_since > expected:
        return SourceHealth(source.id, "silent",
                            f"nothing new for {days_since:.0f} days; it usually publishes within "
                            f"{expected:.0f}", expected, days_since, last_success)
    return SourceHealth(source.id, "ok", "ok", expected, days_since, last_success)


def _errors(run: dict) -> list[dict]:
    import json

    return json.loads(run.get("errors") or "[]")


def update_events(store, healths: list[SourceHealth]) -> list[dict]:
    """Open an event for each newly unhealthy source and close recovered ones.

    Returns the events not yet notified; call `mark_notified` once they are sent.
    """
    now = utc_now()
    with store.transaction():
        for health in healths:
            open_event = store.conn.execute(
                "SELECT id, kind FROM health_events WHERE source_id = ? AND closed_at IS NULL",
                (health.source_id,)).fetchone()
            bad = health.status in ("silent", "empty", "failing")
            if open_event and (not bad or open_event["kind"] != health.status):
                store.conn.execute("UPDATE health_events SET closed_at = ? WHERE id = ?",
                                   (now, open_event["id"]))
                open_event = None
            if bad and open_event is None:
                store.conn.execute(
                    "INSERT INTO health_events (source_id, kind, message, opened_at) VALUES (?, ?, ?, ?)",
                    (health.source_id, health.status, health.message, now))
    return [dict(r) for r in store.conn.execute(
        "SELECT * FROM health_events WHERE closed_at IS NULL AND notified_at IS NULL ORDER BY id")]


def mark_notified(store, event_ids: list[int]) -> None:
    with store.transaction():
        store.conn.executemany("UPDATE health_events SET notified_at = ? WHERE id = ?",
                               [(utc_now(), i) for i in event_ids])


def check_sources(store, sources, now: datetime | None = None) -> tuple[list[SourceHealth], list[dict]]:
    """Every source's health, with its events opened or closed; returns (healths, events to notify)."""
    healths = [source_health(store, source, now) for source in sources]
    return healths, update_events(store, healths)
