"""What the last `parallax run` concluded about each source's health (silent, empty, failing),
read from the open health events the crawler keeps, so the status page says what the operators
were told."""

from __future__ import annotations

from crawler.records import CrawlRecords


def problem_columns(store, source_ids: list[str]) -> dict[str, list[str]]:
    """Two status-table columns: each source's problem ('ok' when none) and what to do about it."""
    found = CrawlRecords(store).open_events()
    return {
        "problem": [found.get(s, {}).get("kind", "ok") for s in source_ids],
        "problem note": [
            f"since {found[s]['opened_at'][:10]}: {found[s]['message']}" if s in found else ""
            for s in source_ids],
    }
