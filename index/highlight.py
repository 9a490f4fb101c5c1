"""Snippets and highlights computed on the original text, for every backend alike.

The index holds normalised, segmented text (Simplified characters, spaces between Chinese words);
a reader wants to see the page as published. Normalisation keeps length, so a match found in the
normalised text is at the same offsets in the original, and the snippet shows the original.
"""

from __future__ import annotations

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


def _word_pattern(word: str, last: bool) -> str:
    if has_cjk(word):
        return re.escape(word)
    # English words are stemmed in the index: let "control" light up "controls".
    stem = word[:-1] if last and len(word) > 4 and word.endswith("s") else word
    return re.escape(stem) + (r"\w*" if last else "")


def _patterns(words: list[str]) -> tuple[re.Pattern, ...]:
    return _compiled(tuple(sorted({w.lower() for w in words if w.strip()})))


@functools.lru_cache(maxsize=256)
def _compiled(terms: tuple[str, ...]) -> tuple[re.Pattern, ...]:
    """One pattern per term; a term of several words ("export controls") is lit up as a whole.

    Words are separated by spaces; Chinese words of one term may also follow each other directly
    (the query segmenter cut them apart), English words by any run of non-letters. Built once per
    set of terms (a page of hits shares them).
    """
    pats = []
    for term in terms:
        parts = term.split()
        body = ""
        for i, part in enumerate(parts):
            if i:
                both_cjk = has_cjk(parts[i - 1][-1]) and has_cjk(part[0])
                body += r"\W{0,3}" if both_cjk else r"\W+"
            body += _word_pattern(part, i == len(parts) - 1)
        if not has_cjk(parts[0][0]):
            body = r"(?<!\w)" + body
        pats.append(re.compile(body, re.IGNORECASE))
    return tuple(pats)


def find_spans(text: str, words: list[str]) -> list[tuple[int, int]]:
    """Non-overlapping spans of `text` where any of the (normalised) words occur."""
    if not text or not words:
        return []
    folded = normalize(text).lower()
    if len(folded) != len(text):  # normalisation changed length: offsets would lie
        return []
    spans = sorted({m.span() for p in _patterns(words) for m in p.finditer(folded)})
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def snippet(text: str, words: list[str], width: int = 220) -> Snippet:
    """The window of `text` (about `width` characters) with the most hits, hits marked."""
    text = re.sub(r"\s*\n\s*", " ", text or "").strip()
    spans = find_spans(text, words)
    if not spans:
        cut = text[:width]
        return Snippet(cut + ("…" if len(text) > width else ""), ())
    best_start, best_count = 0, -1
    for start, _ in spans:
        window_start = max(0, start - width // 4)
        count = sum(1 for s, e in spans if s >= window_start and e <= window_start + width)
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
