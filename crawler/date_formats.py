"""Checking a source's `date_format` before any page is fetched.

A format strptime cannot use (`%Q`, a stray `%` at the end) would otherwise fail on every page of
the source, silently leaving every date empty; and a format with no date directive at all can
never match a date. Both are refused when sources.toml is read, naming the source and the key.
"""

from __future__ import annotations

from datetime import datetime

# Directives that carry some part of a calendar date.
_DATE_DIRECTIVES = set("YymdbBjUWGVuaAcxs")
_SAMPLE = datetime(2024, 7, 19, 14, 5, 9)


def date_format_problem(fmt: object) -> str | None:
    """None when `fmt` can parse dates; otherwise what is wrong with it, for the error message."""
    if not isinstance(fmt, str) or not fmt.strip():
        return "must be a strptime format such as '%Y-%m-%d %H:%M'"
    directives, i = [], 0
    while i < len(fmt):
        if fmt[i] == "%":
            if i + 1 >= len(fmt):
                return f"is {fmt!r}: it ends with a lone '%' (write '%%' for a literal percent sign)"
            directives.append(fmt[i + 1])
            i += 2
        else:
            i += 1
    try:
        datetime.strptime(_SAMPLE.strftime(fmt), fmt)
    except ValueError as exc:
        return f"is {fmt!r}, which strptime cannot use ({exc}); e.g. '%Y-%m-%d' or '%Y年%m月%d日'"
    if not _DATE_DIRECTIVES & set(directives):
        return (f"is {fmt!r}, which has no date directive (%Y, %m, %d, %b …) and so can never "
                "match a date; e.g. '%Y-%m-%d'")
    return None
