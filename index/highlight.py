"""Snippets and highlights computed on the original text, for every backend alike.

The index holds normalised, segmented text (Simplified characters, spaces between Chinese words);
a reader wants to see the page as published. Normalisation keeps length, so a match found in the
normalised text is at the same offsets in the original, and the snippet shows the original.
"""

from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass

from nlp.normalize import has_cjk, normalize


@dataclass(frozen=True)
class Snippet:
    text: str
    highlights: tuple[tuple[int, int], ...]  # [start, end) offsets into text

    def marked(self, open_: str = "[", close: str = "]", escape=lambda s: s) -> str:
        """The snippet with each highlight wrapped; `escape` is applied to every piece of text."""
        out, pos = [], 0
        for start, end in self.highlights:
            out.append(escape(self.text[pos:start]))
            out.append(open_ + escape(self.text[start:end]) + close)
            pos = end
        out.append(escape(self.text[pos:]))
        return "".join(out)


# Chinese text glues Latin words to Chinese characters (包括AI芯片), which are word characters to
# `\w`: a Latin word may start right after one and must not run on into one. So the word
# boundaries here are Latin letters and digits (ASCII and Latin-1's accented letters), not `\w`.
# A class of "word characters but not Chinese" would say it for every script, but sre takes
# milliseconds to compile a class that wide, per term, and an alert run compiles thousands.
# Case-blind already (both cases listed), so scoped out of IGNORECASE, which would fold each one.
_LATIN = r"(?-i:[0-9A-Za-z_\u00aa\u00b5\u00ba\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff])"
_LATIN_TAIL = _LATIN + "*"  # the rest of a Latin word
# The same in lower-cased text, for the case-sensitive patterns (fewer ranges: cheaper to compile).
_LATIN_LOWER = r"[0-9a-z_\u00aa\u00b5\u00ba\u00df-\u00f6\u00f8-\u00ff]"


def _word_pattern(word: str, last: bool) -> str:
    if has_cjk(word):
        return re.escape(word)
    # English words are stemmed in the index: let "control" light up "controls".
    stem = word[:-1] if last and len(word) > 4 and word.endswith("s") else word
    return re.escape(stem) + (_LATIN_TAIL if last else "")


def _patterns(words: list[str]) -> tuple["_Term", ...]:
    return _compiled(tuple(sorted({w.lower() for w in words if w.strip()})))


class _Term:
    """A term's pattern (case-insensitive), and when it provably finds the same matches in
    lower-cased text, a case-sensitive one with the word-start check after the first word: the
    regex engine then scans for the literal word, tens of times faster than trying the
    look-behind at every position under IGNORECASE. The case-insensitive one is compiled when
    first used: with a fast one it is needed only for text holding ı or ſ, and compiling costs
    about as much as matching a term in a few documents."""

    __slots__ = ("_body", "_exact", "fast")

    def __init__(self, body: str, fast: re.Pattern | None):
        self._body, self._exact, self.fast = body, None, fast

    @property
    def exact(self) -> re.Pattern:
        if self._exact is None:
            self._exact = re.compile(self._body, re.IGNORECASE)
        return self._exact


def _caseless(char: str) -> bool:
    return char.lower() == char == char.upper() and char.casefold() == char


def _fast_safe(term: str) -> bool:
    """Case-insensitive equals case-sensitive matching of this (lower-case) term in lower-case
    text when each of its characters is ASCII or has no case at all: the only lower-case
    characters that match ASCII letters under IGNORECASE are ı and ſ (`_UNSAFE_IN_TEXT`)."""
    return all(c.isascii() or _caseless(c) for c in term)


_UNSAFE_IN_TEXT = ("\u0131", "\u017f")  # ı matches i, ſ matches s under IGNORECASE


@functools.lru_cache(maxsize=256)
def _compiled(terms: tuple[str, ...]) -> tuple[_Term, ...]:
    """One pattern per term (see `_term`). Built once per set of terms (a page of hits shares them)."""
    return tuple(_term(term) for term in terms)


@functools.lru_cache(maxsize=4096)
def _term(term: str) -> _Term:
    """The pattern of one term; a term of several words ("export controls") is lit up as a whole.

    Words are separated by spaces; Chinese words of one term may also follow each other directly
    (the query segmenter cut them apart), English words by any run of non-letters. Kept per term:
    the saved searches of an alert run share many terms.
    """
    parts = term.split()
    pieces = []
    for i, part in enumerate(parts):
        piece = ""
        if i:
            both_cjk = has_cjk(parts[i - 1][-1]) and has_cjk(part[0])
            piece += r"\W{0,3}" if both_cjk else r"\W+"
        pieces.append(piece + _word_pattern(part, i == len(parts) - 1))
    body = "".join(pieces)
    fast = None
    if not has_cjk(parts[0][0]):
        body = "(?<!" + _LATIN + ")" + body
        if _fast_safe(term):
            first = _word_pattern(parts[0], len(parts) == 1)
            literal = first[:-len(_LATIN_TAIL)] if first.endswith(_LATIN_TAIL) else first
            fast = re.compile((literal + "(?<!" + _LATIN_LOWER + literal + ")" + first[len(literal):]
                               + "".join(pieces[1:])).replace(_LATIN, _LATIN_LOWER))
    elif _fast_safe(term):
        fast = re.compile(body)
    return _Term(body, fast)


def find_spans(text: str, words: list[str]) -> list[tuple[int, int]]:
    """Non-overlapping spans of `text` where any of the (normalised) words occur."""
    if not text or not words:
        return []
    folded, plain = _folded(text)
    if folded is None:  # normalisation changed length: offsets would lie
        return []
    spans = sorted({span for p in _patterns(words) for span in _pattern_spans(p, folded, plain)})
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


# An alert run shows the same new documents to many saved searches, and the same terms recur
# among them: the folded text of a document and each term's matches in it are kept for a while
# (a few hundred documents; the caches hold references, so their size is bounded by the entries).
@functools.lru_cache(maxsize=512)
def _folded(text: str) -> tuple[str | None, bool]:
    """(the text normalised and lower-cased, or None if that changed its length; whether the fast
    case-sensitive patterns apply to it)."""
    folded = normalize(text).lower()
    if len(folded) != len(text):
        return None, False
    return folded, not any(c in folded for c in _UNSAFE_IN_TEXT)


@functools.lru_cache(maxsize=2048)
def _pattern_spans(term: _Term, folded: str, plain: bool) -> tuple[tuple[int, int], ...]:
    pattern = term.fast if plain and term.fast is not None else term.exact
    return tuple(m.span() for m in pattern.finditer(folded))


@functools.lru_cache(maxsize=512)
def _one_line(text: str) -> str:
    return _LINE_BREAKS.sub(" ", text).strip()


_LINE_BREAKS = re.compile(r"\s*\n\s*")


def snippet(text: str, words: list[str], width: int = 220) -> Snippet:
    """The window of `text` (about `width` characters) with the most hits, hits marked."""
    text = _one_line(text) if text else ""
    spans = find_spans(text, words)
    if not spans:
        cut = text[:width]
        return Snippet(cut + ("…" if len(text) > width else ""), ())
    # The window holding the most whole hits, tried at each hit; spans are sorted and disjoint, so
    # the hits inside a window are a run of them, counted by two binary searches.
    starts = [s for s, _ in spans]
    ends = [e for _, e in spans]
    best_start, best_count = 0, -1
    for start in starts:
        window_start = max(0, start - width // 4)
        count = max(0, bisect.bisect_right(ends, window_start + width) - bisect.bisect_left(starts, window_start))
        if count > best_count:
            best_start, best_count = window_start, count
    first_hit = next(s for s, _ in spans if s >= best_start)
    if best_start and not has_cjk(text[best_start:first_hit]):
        space = text.find(" ", best_start, first_hit)
        if space != -1:  # start the window at a word boundary, never after the first hit
            best_start = space + 1
    end = min(len(text), best_start + width)
    prefix = "…" if best_start > 0 else ""
    suffix = "…" if end < len(text) else ""
    inside = [(s - best_start + len(prefix), e - best_start + len(prefix))
              for s, e in spans if s >= best_start and e <= end]
    return Snippet(prefix + text[best_start:end] + suffix, tuple(inside))
