"""What the last `parallax run` concluded about each source's health (silent, empty, failing),
read from the open `health_events` in the store, so the status page says what the operators were told."""

from __future__ import annotations


def open_problems(store) -> dict[str, dict]:
    """{source_id: {"kind", "message", "opened_at"}} for every source with an open health event."""
    rows = store.conn.execute(
        "SELECT source_id, kind, message, opened_at FROM health_events WHERE closed_at IS NULL "
        "ORDER BY id")
    return {r["source_id"]: dict(r) for r in rows}


def problem_columns(store, source_ids: list[str]) -> dict[str, list[str]]:
    """Two status-table columns: each source's problem ('ok' when none) and what to do about it."""
    found = open_problems(store)
    return {
        "problem": [found.get(s, {}).get("kind", "ok") for s in source_ids],
        "problem note": [
            f"since {found[s]['opened_at'][:10]}: {found[s]['message']}" if s in found else ""
            for s in source_ids],
    }
