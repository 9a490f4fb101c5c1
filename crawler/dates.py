"""Reading a written date and time, in English or Chinese, as an instant in UTC.

The one date parser of the crawler: page text, meta tags, feed dates (RFC 822) and PDF text all
come through `parse_date`. Extractors misread 2025年7月19日 and drop the time from
"Apr 27, 2020, 2:16pm", so both are ours. A time written without a zone is read in the source's
time zone; a date without a time is taken as noon local time, so that the calendar date survives
conversion to UTC for every time zone a source is likely to be in.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

_MONTH_NAMES = r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
_MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1)}

# (pattern, order of the year, month and day groups)
DATE_PATTERNS = [
    # 2025年7月19日 / 2025年07月19日
    (re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]"), "ymd"),
    # 2025-07-19, 2025/07/19, 2025.07.19
    (re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)"), "ymd"),
    # July 19, 2025 / Jul. 19, 2025 / Monday, Apr 27, 2020
    (re.compile(rf"\b{_MONTH_NAMES}\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b", re.IGNORECASE), "mdy"),
    # 19 July 2025
    (re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+{_MONTH_NAMES},?\s+(\d{{4}})\b", re.IGNORECASE), "dmy"),
]

# A clock time: 14:19, 14:19:28, 2:16pm, 2:16 p.m., 2 PM, 14时19分, 下午2:16. Minutes are required
# unless an am/pm marker says it is a time ("12 people" is not noon).
_CLOCK = (r"(?P<half_zh>上午|下午|晚上|凌晨|中午)?\s*(?P<h>\d{1,2})\s*(?:[:：时點点]\s*(?P<m>\d{2})\s*分?"
          r"(?:\s*[:：]\s*(?P<s>\d{2})(?:\.\d+)?|\s*(?P<s_zh>\d{2})\s*秒)?)?"
          r"\s*(?P<half>[AaPp]\.?\s?[Mm]\.?(?![a-z]))?")
_ZONE = (r"(?:\s*\(?(?P<zone>Z\b|[+-]\d{2}:?\d{2}\b|(?:UTC|GMT)\s?[+-]\s?\d{1,2}(?::?\d{2})?"
         r"|\b(?:UTC|GMT|ET|EDT|EST|CT|CDT|PT|PDT|PST|BST|HKT|CET|CEST|JST|KST)\b|北京时间|北京時間)\)?)?")
_TIME_AFTER = re.compile(r"^(?:\s*(?:,|\bat\b|@|T|-|–|—|\||·|•)?\s*)" + _CLOCK + _ZONE, re.IGNORECASE)
_TIME_BEFORE = re.compile(_CLOCK + _ZONE + r"\s*(?:,|\bon\b|-|–|—|\||·|•)?\s*$", re.IGNORECASE)
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?(\.\d+)?\s?(Z|[+-]\d{2}:?\d{2})")
_RFC822 = re.compile(r"^\s*(?:[A-Za-z]{3},\s*)?\d{1,2}\s+[A-Za-z]{3}\s+\d{2,4}\s+\d{1,2}:\d{2}")
_ZONES = {"ET": "America/New_York", "EDT": "America/New_York", "EST": "America/New_York",
          "CT": "America/Chicago", "CDT": "America/Chicago", "PT": "America/Los_Angeles",
          "PDT": "America/Los_Angeles", "PST": "America/Los_Angeles", "BST": "Europe/London",
          "HKT": "Asia/Hong_Kong", "CET": "Europe/Paris", "CEST": "Europe/Paris", "JST": "Asia/Tokyo",
          "KST": "Asia/Seoul", "北京时间": "Asia/Shanghai", "北京時間": "Asia/Shanghai"}
_TIME_DIRECTIVES = ("%H", "%I", "%M", "%S", "%p", "%X", "%c", "%z")

EARLIEST_YEAR, LATEST_YEAR = 1990, 2100


@dataclass(frozen=True)
class FoundDate:
    """A date found in a text: the UTC instant (ISO 8601), where it was written, and whether a
    time of day was written with it (a date alone is noon local time)."""

    utc: str
    start: int
    end: int
    has_time: bool


def parse_date(text: str, tz: ZoneInfo | None, date_format: str | None = None) -> str | None:
    """The first date in `text` as ISO 8601 UTC, or None. `date_format` (strptime) is the source's
    own format, tried first; a time written next to a date-only format is still read."""
    found = find_date(text, tz, date_format)
    return found.utc if found else None


def find_date(text: str, tz: ZoneInfo | None, date_format: str | None = None) -> FoundDate | None:
    """Like `parse_date`, with where the date was written and whether it had a time."""
    if not text:
        return None
    tz = tz or ZoneInfo("UTC")
    if date_format:
        found = _with_format(text, date_format, tz)
        if found:
            return found
    stripped = text.strip()
    offset = len(text) - len(text.lstrip())
    iso = _ISO.match(stripped) or re.match(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?(\.\d+)?", stripped)
    if iso:
        with contextlib.suppress(ValueError):  # a malformed ISO stamp: try the other patterns
            value = datetime.fromisoformat(iso.group().replace("Z", "+00:00").replace(" ", "T"))
            if _in_range(value):
                return FoundDate(_to_utc(value, tz), offset, offset + iso.end(), True)
    if _RFC822.match(stripped):
        found = _rfc822(stripped)
        if found:
            return FoundDate(found, offset, len(text), True)
    return _first_written_date(text, tz)


def _first_written_date(text: str, tz: ZoneInfo) -> FoundDate | None:
    candidates = []
    for pattern, order in DATE_PATTERNS:
        for m in pattern.finditer(text):
            candidates.append((m.start(), m, order))
            break
    for _, m, order in sorted(candidates, key=lambda c: c[0]):
        try:
            if order == "ymd":
                y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
            elif order == "mdy":
                mo, d, y = _MONTHS[m.group(1)[:3].lower()], int(m.group(2)), int(m.group(3))
            else:
                d, mo, y = int(m.group(1)), _MONTHS[m.group(2)[:3].lower()], int(m.group(3))
            day = datetime(y, mo, d)
        except (ValueError, KeyError):
            continue
        if not _in_range(day):
            continue
        clock, end = _time_after(text, m.end())
        start = m.start()
        if clock is None:
            clock, start = _time_before(text, m.start())
        if clock is None:
            return FoundDate(_to_utc(datetime.combine(day.date(), time(12)), tz), m.start(), m.end(), False)
        (hh, mm, ss), zone = clock
        return FoundDate(_to_utc(datetime.combine(day.date(), time(hh, mm, ss)), zone or tz), start, end, True)
    return None


def _time_after(text: str, pos: int):
    m = _TIME_AFTER.match(text[pos:pos + 40])
    clock = _clock(m) if m else None
    return (clock, pos + m.end()) if clock else (None, pos)


def _time_before(text: str, pos: int):
    window = text[max(0, pos - 30):pos]
    m = _TIME_BEFORE.search(window)
    clock = _clock(m) if m else None
    return (clock, pos - len(window) + m.start()) if clock else (None, pos)


def _clock(m) -> tuple[tuple[int, int, int], ZoneInfo | timezone | None] | None:
    hh = int(m.group("h"))
    mm = m.group("m")
    half = (m.group("half") or "").lower().replace(".", "").replace(" ", "")
    half_zh = m.group("half_zh")
    if mm is None and not half:
        return None  # a bare number is not a time
    if half or half_zh in ("下午", "晚上"):
        if hh > 12:
            return None
        if half == "pm" or half_zh in ("下午", "晚上"):
            hh = hh % 12 + 12
        elif half == "am" or half_zh in ("上午", "凌晨"):
            hh = hh % 12
    ss = m.group("s") or m.group("s_zh") or 0
    if hh > 23 or int(mm or 0) > 59 or int(ss) > 59:
        return None
    return (hh, int(mm or 0), int(ss)), _zone(m.group("zone"))


def _zone(name: str | None) -> ZoneInfo | timezone | None:
    if not name:
        return None
    name = name.strip().strip("()")
    upper = name.upper()
    if upper in ("Z", "UTC", "GMT"):
        return timezone.utc
    if upper in _ZONES or name in _ZONES:
        return ZoneInfo(_ZONES.get(upper) or _ZONES[name])
    m = re.fullmatch(r"(?:UTC|GMT)?\s?([+-])\s?(\d{1,2}):?(\d{2})?", upper)
    if m:
        delta = timedelta(hours=int(m.group(2)), minutes=int(m.group(3) or 0))
        return timezone(delta if m.group(1) == "+" else -delta)
    return None


def _with_format(text: str, fmt: str, tz: ZoneInfo) -> FoundDate | None:
    """The source's strptime format, found anywhere in the first part of the text."""
    has_time = any(d in fmt for d in _TIME_DIRECTIVES)
    for start in range(min(len(text), 200)):
        if start and text[start - 1].isalnum() and text[start].isalnum():
            continue
        for end in range(min(len(text), start + 60), start, -1):
            try:
                value = datetime.strptime(text[start:end].strip(), fmt)
            except ValueError:
                continue
            if not _in_range(value):
                return None
            if has_time:
                return FoundDate(_to_utc(value, tz), start, end, True)
            clock, after = _time_after(text, end)
            if clock:
                (hh, mm, ss), zone = clock
                return FoundDate(_to_utc(datetime.combine(value.date(), time(hh, mm, ss)), zone or tz),
                                 start, after, True)
            return FoundDate(_to_utc(datetime.combine(value.date(), time(12)), tz), start, end, False)
    return None


def _rfc822(value: str) -> str | None:
    """Feed dates: "Mon, 27 Apr 2020 18:16:00 GMT". One without a zone is left to the general
    reading, in the source's time zone."""
    from email.utils import parsedate_to_datetime

    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:
        return None
    return parsed.astimezone(timezone.utc).replace(microsecond=0).isoformat() if _in_range(parsed) else None


def _in_range(value: datetime) -> bool:
    return EARLIEST_YEAR <= value.year <= LATEST_YEAR


def _to_utc(value: datetime, tz) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value.astimezone(timezone.utc).replace(microsecond=0).isoformat()


_TAGS = re.compile(r"<[^>]*>")


def page_time_zone(html: str) -> tuple[ZoneInfo, str]:
    """The zone a page's zone-less times are in when neither the caller nor a source says, and
    why: UTC+8 for a page in Chinese (mainland China, Hong Kong and Taiwan all keep it), else UTC."""
    visible = _TAGS.sub(" ", html[:200_000])
    if len(re.findall(r"[\u4e00-\u9fff]", visible)) >= 20:
        return ZoneInfo("Asia/Shanghai"), "the page is in Chinese"
    return ZoneInfo("UTC"), "nothing says where the page is from"


def local_day(iso: str, tz: ZoneInfo) -> str:
    """The calendar date of a UTC instant in the source's time zone."""
    return datetime.fromisoformat(iso).astimezone(tz).date().isoformat()
