"""Edited and withdrawn statements in the app: the withdrawn mark, and a document's versions with a
word-level diff (added words highlighted, removed ones struck through).

All crawled text goes through `ui.markup.escape_markdown`; only the diff markers are markdown.
"""

from __future__ import annotations

import re

import streamlit as st

from index.revisions import word_diff
from ui.markup import escape_markdown

ADDED = ":green-background[{}]"
REMOVED = ":red[~~{}~~]"
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


def withdrawn_note(status: str | None, withdrawn_at: str | None) -> str | None:
    """The line shown on a withdrawn statement's result card and document page (None otherwise)."""
    if status != "withdrawn":
        return None
    return f"Withdrawn: missing from its source since {(withdrawn_at or 'an unknown date')[:10]}"


def diff_markdown(old: str, new: str) -> str:
    """Markdown of the word diff from `old` to `new`; paragraphs kept, every word escaped."""
    out: list[str] = []
    previous = None
    for op, text in word_diff(old, new):
        if op == "added" and previous == "removed":
            out.append(" ")  # a replaced word: keep the struck and the new word apart
        previous = op
        pieces = _PARAGRAPH_BREAK.split(text)
        rendered = []
        for piece in pieces:
            escaped = escape_markdown(piece)
            if op == "same" or not escaped.strip():
                rendered.append(escaped)
                continue
            # Markers hug the words: "~~ word~~" would not render as struck through.
            lead = " " if escaped.startswith(" ") else ""
            tail = " " if escaped.endswith(" ") and len(escaped.strip()) else ""
            rendered.append(lead + (ADDED if op == "added" else REMOVED).format(escaped.strip()) + tail)
        out.append("\n\n".join(rendered))
    return "".join(out)


def version_label(version: dict) -> str:
    return f"Version {version['version']} · fetched {version['fetched_at'][:16].replace('T', ' ')}"


def render_versions(store, doc) -> None:
    """The withdrawn mark and, for an edited statement, its versions and what changed."""
    note = withdrawn_note(doc.status, doc.withdrawn_at)
    if note:
        st.error(escape_markdown(note), icon=":material/block:")
    versions = store.versions(doc.id)
    if len(versions) < 2:
        return
    with st.expander(f"Edited: {len(versions)} versions", expanded=True):
        labels = [version_label(v) for v in versions]
        pair = st.select_slider("Compare versions", options=list(range(len(versions))),
                                value=(len(versions) - 2, len(versions) - 1),
                                format_func=lambda i: labels[i], key=f"versions_{doc.id}")
        older, newer = versions[min(pair)], versions[max(pair)]
        st.caption(f"{escape_markdown(labels[min(pair)])} → {escape_markdown(labels[max(pair)])}: "
                   "added words highlighted, removed words struck through")
        if older["title"] != newer["title"]:
            st.markdown("**" + diff_markdown(older["title"], newer["title"]) + "**")
        st.markdown(diff_markdown(older["body"], newer["body"]))
