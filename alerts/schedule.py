"""When an alert is due: every run (immediate), or once per day or week at the digest hour (UTC).

A digest is due when the most recent scheduled moment has passed since the alert last ran
successfully (or, for a new alert, since it was created). A run that fails leaves `last_run_at`
alone, so the digest stays due and the next run retries it; a machine that was off at the digest
hour sends the digest on its next run rather than skipping a period.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

WEEKLY_DAY = 0  # Monday


def parse_time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def last_slot(frequency: str, now: datetime, digest_hour: int) -> datetime | None:
    """The latest scheduled moment at or before `now`; None for immediate alerts."""
    if frequency == "immediate":
        return None
    slot = now.astimezone(timezone.utc).replace(hour=digest_hour, minute=0, second=0, microsecond=0)
    if slot > now:
        slot -= timedelta(days=1)
    if frequency == "weekly":
        slot -= timedelta(days=(slot.weekday() - WEEKLY_DAY) % 7)
    return slot


def is_due(saved, now: datetime, digest_hour: int) -> bool:
    slot = last_slot(saved.frequency, now, digest_hour)
    if slot is None:
        return True
    since = parse_time(saved.last_run_at or saved.created_at)
    return since < slot


def describe(frequency: str, digest_hour: int, lang: str = "en") -> str:
    if lang == "zh":
        return {"immediate": "每次运行", "daily": f"每天 {digest_hour:02d}:00 UTC",
                "weekly": f"每周一 {digest_hour:02d}:00 UTC"}[frequency]
    return {"immediate": "every run", "daily": f"daily at {digest_hour:02d}:00 UTC",
            "weekly": f"weekly on Monday at {digest_hour:02d}:00 UTC"}[frequency]
