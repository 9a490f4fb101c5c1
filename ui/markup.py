"""Turning crawled text into safe Streamlit markdown.

Everything a crawled page supplies (titles, paragraphs, snippets, entity names, URLs) is untrusted.
Streamlit renders markdown, so text is shown verbatim only if every character that markdown, HTML or
Streamlit's own directives (`:red[...]`, `$math$`) could act on is backslash-escaped first. This
module is the one place that does it; views never put crawled text into markdown any other way, and
nothing here ever asks for `unsafe_allow_html`.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# Every ASCII punctuation character may be backslash-escaped in CommonMark; escaping all of them
# (rather than a hand-picked list) leaves no construct — emphasis, links, HTML tags, tables,
# Streamlit colour directives, LaTeX — that crawled text could start.
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
_SPACES = re.compile(r"[ \t\r\n\f\v]+")

# Query hits: bold on the orange background, so they stand out in Latin and Chinese text alike
# (a pale background alone is hard to see on CJK glyphs); entities keep the lighter blue.
HIGHLIGHT = ":orange-background[**{}**]"
ENTITY = ":blue-background[{}]"


def escape_markdown(text: str | None) -> str:
    """`text` as markdown that renders as exactly that text on one line (whitespace collapsed)."""
    if not text:
        return ""
    return _PUNCTUATION.sub(r"\\\1", _SPACES.sub(" ", text))


def marked(text: str, spans, template: str = HIGHLIGHT) -> str:
    """Escaped `text` with each [start, end) span wrapped in `template` (a Streamlit directive).

    Spans are sorted, clipped to the text and merged where they touch or overlap (a Chinese phrase
    matched word by word is one highlight), so malformed offsets cannot unbalance the markup.
    """
    merged: list[list[int]] = []
    for start, end in sorted((int(s), int(e)) for s, e in spans):
        start, end = max(start, 0), min(end, len(text))
        if start >= end:
            continue
        if merged and start <= merged[-1][1]:  # touching or overlapping: one highlight
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out, pos = [], 0
    for start, end in merged:
        out.append(escape_markdown(text[pos:start]))
        out.append(template.format(escape_markdown(text[start:end])))
        pos = end
    out.append(escape_markdown(text[pos:]))
    return "".join(out)


def snippet_markdown(snippet) -> str:
    """An `index.highlight.Snippet` with its hits highlighted."""
    if snippet is None:
        return ""
    return marked(snippet.text, snippet.highlights)


def entity_spans(text: str, entities) -> list[tuple[int, int, dict]]:
    """Where each entity's surface text occurs in `text` (a paragraph), longest names first.

    Offsets stored with entities refer to the text they were found in; a paragraph is a slice of
    it, so the mention is located again by its text, which also finds repeats.
    """
    found: list[tuple[int, int, dict]] = []
    taken = [False] * len(text)
    names = {}
    for entity in entities:
        surface = (entity.get("text") or "").strip()
        if len(surface) >= 2 and surface not in names:
            names[surface] = entity
    for surface in sorted(names, key=len, reverse=True):
        for m in re.finditer(re.escape(surface), text):
            if not any(taken[m.start():m.end()]):
                taken[m.start():m.end()] = [True] * (m.end() - m.start())
                found.append((m.start(), m.end(), names[surface]))
    return sorted(found, key=lambda f: f[0])


def paragraph_markdown(text: str, entities=(), words=()) -> str:
    """A paragraph with its entity mentions and the search's words highlighted (a word hit wins
    where the two overlap, so the researcher sees why the document matched)."""
    from index.highlight import find_spans

    hits = find_spans(text, list(words)) if words else []
    spans = [(s, e) for s, e, _ in entity_spans(text, entities)
             if not any(s < he and hs < e for hs, he in hits)]
    return _marked_both(text, spans, hits)


def _marked_both(text: str, entity_spans_: list, hit_spans: list) -> str:
    """`marked` with two kinds of non-overlapping spans: entities and query hits."""
    if not hit_spans:
        return marked(text, entity_spans_, ENTITY)
    out, pos = [], 0
    for start, end in sorted(hit_spans):
        start = max(start, pos)
        if start >= end:
            continue
        out.append(marked(text[pos:start], [(s - pos, e - pos) for s, e in entity_spans_
                                             if s >= pos and e <= start], ENTITY))
        out.append(HIGHLIGHT.format(escape_markdown(text[start:end])))
        pos = end
    out.append(marked(text[pos:], [(s - pos, e - pos) for s, e in entity_spans_ if s >= pos], ENTITY))
    return "".join(out)


def title_markdown(title: str | None, words=()) -> str:
    """A title with the search's words highlighted."""
    from index.highlight import find_spans

    return marked(title or "", find_spans(title or "", list(words)) if words else [])


def safe_link(url: str | None) -> str | None:
    """The URL if it is an absolute http(s) address a browser can open safely, else None.

    `javascript:`, `data:` and other schemes from a crawled page never become a link.
    """
    if not url or any(ord(c) < 33 for c in url):
        return None
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url
