"""Is a source quiet, or broken? Per-source health from the store's own history.

A source that stops publishing and a source whose layout changed (the listing still answers but
the crawler finds no article links) look the same in a search: no new documents. Researchers must
be told the difference. Each source has an expected cadence, learned from the gaps between its
documents (or set with `cadence_days` in sources.toml); a source silent for longer, or whose recent
runs found nothing at all, opens a health event. An event is notified once and closed when the
source recovers, so operators get one message per problem, not one per run.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass, field
from datetime import datetime, timezone

from crawler.records import COUNT_KEYS, CrawlRecords

MIN_CADENCE_DAYS = 2.0
MAX_CADENCE_DAYS = 60.0
EMPTY_RUNS = 2  # consecutive runs that found no article link at all
HISTORY = 50  # runs read to find the last one that read content (behind a streak of 304s)


# The statuses that open a health event for the operators.
PROBLEMS = ("silent", "empty", "failing")


@dataclass(frozen=True)
class SourceHealth:
    """One source's health: the one reading the CLI (`parallax sources list`), the status page
    and the operators' emails all render.

    `last_success` is the end of the latest run in which the source worked as a user means it: at
    least one entry point (feed, sitemap, listing) answered, and the run either fetched more
    articles than failed or found known ones still linked (`SUCCESS_SQL`). A run whose every entry
    point failed, a run that was killed (closed as interrupted), a run whose articles all failed and
    a listing that answered but linked to nothing are not successes. A run that only heard 304 Not
    Modified read nothing new: it is a success exactly when the last run that read content was (a
    quiet feed stays healthy; a listing that broke and then stopped changing stays broken).

    `status`, from the source's last `EMPTY_RUNS` runs (fewer if it has had fewer), a 304-only run
    counting as the run whose content it confirmed:

    * ``never``: no finished run yet;
    * ``failing``: none of them was a success and they had failures (one bad run after good ones
      is only ``degraded``: operators are not emailed for one flaky night);
    * ``empty``: none was a success and nothing failed: the site answers but links to no article
      (its layout probably changed);
    * ``silent``: nothing new for longer than the source's cadence (configured, or learned);
    * ``degraded``: the latest run had failures, but the source is not failing;
    * ``ok``.
    """

    source_id: str
    status: str  # ok | degraded | silent | empty | failing | never
    message: str
    documents: int = 0
    failed_documents: int = 0  # stored with a status other than ok (extraction failed, withdrawn)
    last_run: str | None = None  # end of the latest run (its start while it is still running)
    last_success: str | None = None
    counts: dict = field(default_factory=dict)  # the latest run's counts (`COUNT_KEYS`)
    errors: tuple[dict, ...] = ()  # the latest run's errors: {"url", "reason"}
    expected_days: float | None = None
    days_since_new: float | None = None

    @property
    def last_error(self) -> str | None:
        if not self.errors:
            return None
        last = self.errors[-1]
        return ": ".join(x for x in (last.get("reason") or last.get("error"), last.get("url")) if x)


def _parse(ts: str | None) -> datetime | None:
    if not ts:
        return None
    value = datetime.fromisoformat(ts)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def expected_cadence(store, source) -> float | None:
    """Days a source may stay quiet: the configured cadence, or three times its median gap."""
    if getattr(source, "cadence_days", None):
        return float(source.cadence_days)
    source_id = source if isinstance(source, str) else source.id
    dates = sorted(d for d in (_parse(r[0]) for r in store.conn.execute(
        "SELECT published_at FROM documents WHERE source_id = ? AND published_at IS NOT NULL "
        "ORDER BY published_at DESC LIMIT 30", (source_id,))) if d)
    gaps = [(b - a).total_seconds() / 86400 for a, b in zip(dates, dates[1:])]
    gaps = [g for g in gaps if g > 0]
    if len(gaps) < 2:
        return None
    return min(MAX_CADENCE_DAYS, max(MIN_CADENCE_DAYS, 3 * statistics.median(gaps)))


def _succeeded(run: dict) -> bool:
    """The Python twin of `SUCCESS_SQL` (tested to agree)."""
    return bool(run["finished_at"] and run["entries_ok"] > 0
                and (run["fetched"] > run["failed"] or run["skipped_known"] > 0))


def source_health(store, source, now: datetime | None = None) -> SourceHealth:
    """The health of one configured source (see `SourceHealth` for what each status means)."""
    return source_healths(store, [source], now)[0]


def source_healths(store, sources, now: datetime | None = None) -> list[SourceHealth]:
    """The health of each source, in order. `sources` are configured sources (their
    `cadence_days` is used) or bare source ids (the cadence is learned from the documents)."""
    now = now or datetime.now(timezone.utc)
    records = CrawlRecords(store)
    latest = {r["source_id"]: r for r in records.latest_runs()}
    successes = records.last_successes()
    docs = store.documents_per_source()
    bad = store.documents_per_source("status != 'ok'")
    out = []
    for source in sources:
        source_id = source if isinstance(source, str) else source.id
        run = latest.get(source_id)
        common = dict(
            documents=docs.get(source_id, 0), failed_documents=bad.get(source_id, 0),
            last_run=(run["finished_at"] or run["started_at"]) if run else None,
            last_success=successes.get(source_id),
            counts={k: run[k] for k in COUNT_KEYS} if run else {},
            errors=tuple(json.loads(run["errors"] or "[]")) if run else ())
        status, message, expected, days_since = _status(store, records, source, now)
        out.append(SourceHealth(source_id, status, message, expected_days=expected,
                                days_since_new=days_since, **common))
    return out


def _status(store, records, source, now: datetime) -> tuple[str, str, float | None, float | None]:
    source_id = source if isinstance(source, str) else source.id
    history = records.finished_runs(source_id, HISTORY)
    runs = _as_read(history)[:EMPTY_RUNS]
    expected = expected_cadence(store, source)
    newest = store.conn.execute(
        "SELECT MAX(first_seen_at), MAX(published_at) FROM documents WHERE source_id = ?",
        (source_id,)).fetchone()
    last_new = max(filter(None, (_parse(newest[0]), _parse(newest[1]))), default=None)
    days_since = (now - last_new).total_seconds() / 86400 if last_new else None
    if not history:
        return "never", "never crawled", expected, days_since
    if not runs:  # a long streak of 304s: nothing read, nothing wrong
        return "ok", "ok", expected, days_since
    which = f"the last {len(runs)} runs" if len(runs) > 1 else "the only run so far"
    if not any(_succeeded(r) for r in runs):
        if any(r["failed"] > 0 or r["entries_ok"] == 0 for r in runs):
            reasons = sorted({e.get("reason") or e.get("error") or "" for r in runs for e in _errors(r)} - {""})
            return "failing", f"{which} failed ({'; '.join(reasons[:3]) or 'no entry point answered'})", \
                expected, days_since
        return ("empty", f"{which} found no article links: the site's layout may have changed; check "
                "the source's patterns with `parallax sources check`", expected, days_since)
    if expected is not None and days_since is not None and days_since > expected:
        return ("silent", f"nothing new for {days_since:.0f} days; it usually publishes within "
                f"{expected:.0f}", expected, days_since)
    if runs[0]["failed"]:
        return "degraded", f"the latest run had {runs[0]['failed']} failure(s)", expected, days_since
    return "ok", "ok", expected, days_since


def _unchanged(run: dict) -> bool:
    """The Python twin of `UNCHANGED_SQL` (tested to agree)."""
    return bool(run["entries_ok"] > 0 and run["not_modified"] == run["entries_ok"] and not run["fetched"]
                and not run["skipped_known"] and not run["failed"])


def _as_read(runs: list[dict]) -> list[dict]:
    """Newest first, each run as what it read: a 304-only run (`UNCHANGED_SQL`) stands for the
    last run before it that read content (left out when that is older than the history read)."""
    out, content = [], None
    for run in reversed(runs):
        if not _unchanged(run):
            content = run
        if content is not None:
            out.append(content)
    return out[::-1]


def _errors(run: dict) -> list[dict]:
    return json.loads(run.get("errors") or "[]")


def update_events(store, healths: list[SourceHealth]) -> list[dict]:
    """Open an event for each newly unhealthy source (`PROBLEMS`) and close recovered ones.

    Returns the events not yet notified; call `mark_notified` once they are sent.
    """
    return CrawlRecords(store).update_events([(h.source_id, h.status, h.message) for h in healths],
                                             PROBLEMS)


def mark_notified(store, event_ids: list[int]) -> None:
    CrawlRecords(store).mark_notified(event_ids)


def check_sources(store, sources, now: datetime | None = None) -> tuple[list[SourceHealth], list[dict]]:
    """Every source's health, with its events opened or closed; returns (healths, events to notify)."""
    healths = source_healths(store, sources, now)
    return healths, update_events(store, healths)
