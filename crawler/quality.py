"""Measuring extraction against text known to be on a page: precision and recall of body tokens.

Tokens are lower-cased English words (runs of letters and digits) and single Chinese characters
(so the measure does not depend on a segmenter's choices). Counts are multisets: a paragraph
extracted twice lowers precision, one dropped lowers recall.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

_TOKEN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]|[^\W_]+", re.UNICODE)


def body_tokens(text: str) -> Counter:
    return Counter(t.lower() for t in _TOKEN.findall(text or ""))


@dataclass(frozen=True)
class Score:
    precision: float
    recall: float
    extracted: int
    expected: int


def score(extracted: str, expected: str) -> Score:
    got, want = body_tokens(extracted), body_tokens(expected)
    overlap = sum((got & want).values())
    n_got, n_want = sum(got.values()), sum(want.values())
    return Score(precision=overlap / n_got if n_got else 0.0, recall=overlap / n_want if n_want else 1.0,
                 extracted=n_got, expected=n_want)


def micro_average(pairs: list[tuple[str, str]]) -> Score:
    """Precision and recall over all pages together (each token counts once, whatever its page)."""
    overlap = n_got = n_want = 0
    for extracted, expected in pairs:
        got, want = body_tokens(extracted), body_tokens(expected)
        overlap += sum((got & want).values())
        n_got += sum(got.values())
        n_want += sum(want.values())
    return Score(precision=overlap / n_got if n_got else 0.0, recall=overlap / n_want if n_want else 1.0,
                 extracted=n_got, expected=n_want)
