"""Word-level differences between two versions of a statement.

Chinese has no spaces, so its words come from the same segmenter as the index (precise mode);
a diff by characters would be noise and a diff by lines would hide a changed word.
"""

from __future__ import annotations

import difflib
import re

from nlp.normalize import has_cjk

_EN_WORD = re.compile(r"\s+|[^\s\w]|\w+")


def words(text: str) -> list[str]:
    """Tokens that concatenate back to `text` exactly (whitespace and punctuation kept)."""
    if not has_cjk(text):
        return _EN_WORD.findall(text)
    from nlp.segment import cut

    return cut(text)


def word_diff(old: str, new: str) -> list[tuple[str, str]]:
    """[(op, text)] with op in 'same', 'removed', 'added'; joining same+added gives `new`."""
    a, b = words(old), words(new)
    out: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            out.append(("same", "".join(a[i1:i2])))
            continue
        if i2 > i1:
            out.append(("removed", "".join(a[i1:i2])))
        if j2 > j1:
            out.append(("added", "".join(b[j1:j2])))
    return out
