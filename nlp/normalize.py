"""Chinese normalisation for matching: Traditional to Simplified, full-width Latin to half-width.

The original text is always kept for display; these functions produce the form that is indexed and
queried, so 出口管制 and 出口管製, or ＳＭＩＣ and SMIC, meet. Conversion is character by character
(OpenCC's character tables, not its phrase tables), so offsets in the normalised text are offsets in
the original: highlights computed on one can be shown on the other.
"""

from __future__ import annotations

import functools
import re

VERSION = "1"

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# Full-width ASCII block (！ to ～) maps to ASCII by a fixed offset; the ideographic space to a space.
_FULLWIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_FULLWIDTH[0x3000] = 0x20
# Keep Chinese punctuation (，。：；！？（）) as it is: only letters and digits need to meet their ASCII forms.
for _ch in "，。：；！？（）【】「」、":
    _FULLWIDTH.pop(ord(_ch), None)


@functools.lru_cache(maxsize=1)
def _converter():
    import opencc

    return opencc.OpenCC("t2s")


def has_cjk(text: str) -> bool:
    return _CJK.search(text) is not None


def to_halfwidth(text: str) -> str:
    return text.translate(_FULLWIDTH)


_CJK_RANGES = ((0x3400, 0x4DC0), (0x4E00, 0xA000), (0xF900, 0xFB00))


@functools.lru_cache(maxsize=1)
def _simplified_table() -> dict[int, str]:
    """Every Han character OpenCC changes to one other character, as a `str.translate` table.

    Built once from OpenCC's character conversions (one call over every character, separated by
    newlines, which no dictionary entry spans), so conversion runs at `str.translate` speed instead
    of one OpenCC call per character. A character that would become several stays as it is.
    """
    chars = [chr(i) for start, end in _CJK_RANGES for i in range(start, end)]
    converted = _converter().convert("\n".join(chars)).split("\n")
    if len(converted) != len(chars):  # never seen; fall back to asking one character at a time
        converted = [_converter().convert(ch) for ch in chars]
    return {ord(a): b for a, b in zip(chars, converted) if a != b and len(b) == 1}


def _char_to_simplified(ch: str) -> str:
    return _simplified_table().get(ord(ch), ch)


def to_simplified(text: str) -> str:
    """Traditional to Simplified, one character for one character (length is preserved)."""
    return text.translate(_simplified_table())


@functools.lru_cache(maxsize=1)
def _matching_table() -> tuple[re.Pattern, dict[int, int | str]]:
    """The characters normalisation changes (as a pattern, to skip texts without any: most
    Simplified text) and what each becomes."""
    table = {**_FULLWIDTH, **{code: ord(ch) for code, ch in _simplified_table().items()}}
    pattern = re.compile("[" + "".join(re.escape(chr(code)) for code in sorted(table)) + "]")
    return pattern, table


@functools.lru_cache(maxsize=1)
def _long_text_converter():
    """The table as an array over the Basic Multilingual Plane, and the call that applies it to a
    long text; it answers None for a text with characters beyond the BMP or a lone surrogate
    (rare; the dict does those).

    `str.translate` looks each character up in a dict (about 50 ns a character); one array look-up
    over the text's code units does the whole text. The array is indexed by UTF-16 code units (half
    the bytes of UTF-32, and a text without surrogate pairs has as many code units as characters,
    so one length comparison replaces a scan for the largest code point) and holds UTF-32 code
    points, since a few rare characters become one beyond the BMP.
    """
    import numpy as np

    codes = np.arange(0x10000, dtype=np.uint32)
    for code, to in _matching_table()[1].items():
        codes[code] = to
    take, frombuffer, uint16 = codes.take, np.frombuffer, np.uint16

    def convert(text: str) -> str | None:
        try:
            units = text.encode("utf-16-le")
        except UnicodeEncodeError:  # a lone surrogate (text decoded with surrogateescape)
            return None
        if len(units) != 2 * len(text):
            return None
        return take(frombuffer(units, dtype=uint16)).tobytes().decode("utf-32-le")

    return convert


def normalize(text: str) -> str:
    """The matching form of any text: half-width Latin, Simplified Chinese, same length.

    A text with nothing to change (most Simplified text: one scan of the pattern) comes back as
    the same object."""
    pattern, table = _matching_table()
    if pattern.search(text) is None:
        return text
    if len(text) >= 64:  # below that the dict is cheaper than the array calls' fixed cost
        converted = _long_text_converter()(text)
        if converted is not None:
            return converted
    return text.translate(table)


def traditional_share(text: str) -> float:
    """Share of Chinese characters that change under Traditional-to-Simplified conversion."""
    chars = _CJK.findall(text)
    if not chars:
        return 0.0
    changed = sum(1 for ch in chars if _char_to_simplified(ch) != ch)
    return changed / len(chars)
