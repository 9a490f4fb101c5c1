"""Text that goes into a mail header, a log line or a terminal: one line, nothing invisible.

`email` refuses CR and LF in a header value but lets through every other Unicode line break —
U+2028 LINE SEPARATOR, U+2029, U+0085 NEXT LINE — which some mail readers and most log viewers
show as a new line, and it cannot encode a lone surrogate (a raw non-UTF-8 byte from the command
line). Bidi controls (U+202E RIGHT-TO-LEFT OVERRIDE and friends) make a subject or a terminal show
text other than what it holds. So names and header values are checked against whole Unicode
categories, not a list of characters: controls (Cc), format characters (Cf: bidi controls,
zero-width characters, the BOM), line and paragraph separators (Zl, Zp) and surrogates (Cs).
"""

from __future__ import annotations

import unicodedata

from parallax.errors import ConfigError

UNSAFE_CATEGORIES = {"Cc", "Cf", "Zl", "Zp", "Cs"}


def unsafe_character(text: str) -> tuple[int, str] | None:
    """(position, character) of the first character that may not stand in a header, or None."""
    for i, c in enumerate(text):
        if unicodedata.category(c) in UNSAFE_CATEGORIES:
            return i, c
    return None


def describe(c: str) -> str:
    name = unicodedata.name(c, "") if unicodedata.category(c) != "Cs" else "lone surrogate: not UTF-8"
    return f"U+{ord(c):04X}" + (f" ({name})" if name else "")


def check_header_text(what: str, value: str, fix: str) -> str:
    """`value` unchanged, or `ConfigError` naming the character, its position and `fix`."""
    found = unsafe_character(value)
    if found is not None:
        pos, c = found
        raise ConfigError(f"{what} '{printable(value)}' contains {describe(c)} at position {pos}: "
                          "it must be one line of visible text (no line breaks, bidi or other "
                          f"invisible control characters); {fix}")
    return value


def printable(text: str) -> str:
    """`text` with every unsafe character written as an escape (\\u2028): safe for logs, terminals
    and subjects, and still recognisable."""
    return "".join(f"\\u{ord(c):04x}" if unicodedata.category(c) in UNSAFE_CATEGORIES else c
                   for c in text)
