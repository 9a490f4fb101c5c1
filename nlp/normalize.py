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


@functools.lru_cache(maxsize=65536)
def _char_to_simplified(ch: str) -> str:
    out = _converter().convert(ch)
    return out if len(out) == 1 else ch


class _SimplifiedTable(dict):
    """Code point -> its Simplified character, filled on first sight: `str.translate` then maps
    every character it has seen before in C (snippets normalise whole documents per search)."""

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        self[code] = out = _char_to_simplified(ch) if _CJK.match(ch) else ch
        return out


_SIMPLIFIED = _SimplifiedTable()


def to_simplified(text: str) -> str:
    """Traditional to Simplified, one character for one character (length is preserved)."""
    if not has_cjk(text):
        return text
    return text.translate(_SIMPLIFIED)


def normalize(text: str) -> str:
    """The matching form of any text: half-width Latin, Simplified Chinese, same length."""
    return to_simplified(to_halfwidth(text))


def traditional_share(text: str) -> float:
    """Share of Chinese characters that change under Traditional-to-Simplified conversion."""
    chars = _CJK.findall(text)
    if not chars:
        return 0.0
    changed = sum(1 for ch in chars if _char_to_simplified(ch) != ch)
    return changed / len(chars)
