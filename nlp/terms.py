"""The search index's tokens of each title and body, worked out once by the language stage.

Why here and not in the engine: tantivy spends most of its indexing CPU analysing text, and
English stemming alone was about 40 % of it (0.21 ms per document of the benchmark mix with the
analyzer in the engine, 0.13 without stemming). Indexing from the store has to reach 10,000
documents a second on two cores, which leaves the engine about 0.15 ms per document. So the
stage that already runs the index's analyzer for the known phrases (`nlp.phrases`) keeps its
output: the tokens, in order, with the text's marks after them (`analyses.title_terms`,
`body_terms`), and the index only splits them at spaces (`index.tantivy_schema`). Measured on
the same documents: 0.06–0.10 ms per document in the engine instead of 0.17–0.21.

Exact, not approximate: the tokens are the analyzer's own (`nlp.phrases.analyzer`, which queries
are analysed with too). The analyzer drops a token of `LONG` bytes or more and its position with
it; a text that could hold one is split token by token so that each dropped token keeps its place
as `GAP`, a token no query can ask for (every query is cleaned of the joining letter), so a
phrase does not match across it here either. Translations, which arrive after this stage, are
still analysed by the engine (`index.tantivy_schema`).

`fingerprint` names the form: a stored stream of another version or phrase table is worked out
again while indexing (about 0.2 ms a document: the slow path after an upgrade, until `parallax
process` has run this stage again).
"""

from __future__ import annotations

import functools

from nlp.phrases import COULD_BE_LONG, JOIN, LONG, PhraseTable, analyzer, clean

VERSION = 1  # of the stream's form
GAP = JOIN  # holds the position of a token the analyzer drops


@functools.lru_cache(maxsize=1)
def _splitter():
    """The analyzer's tokenizer alone: the raw tokens, before any is dropped."""
    from tantivy import TextAnalyzerBuilder, Tokenizer

    return TextAnalyzerBuilder(Tokenizer.simple()).build()


def tokens(text: str) -> list[str]:
    """The analyzer's tokens of the text, one per position (`GAP` where it drops one)."""
    text = clean(text or "")
    if not COULD_BE_LONG.search(text):
        return analyzer().analyze(text)
    analyse = analyzer().analyze
    out: list[str] = []
    for raw in _splitter().analyze(text):
        out.extend([GAP] if len(raw.encode("utf-8")) >= LONG else analyse(raw))
    return out


def indexed(text: str, table: PhraseTable) -> str:
    """What the index is fed for the text: its tokens, then its marks, separated by spaces."""
    found = tokens(text)
    return " ".join(found + table.marks_in(found))


def fingerprint(table: PhraseTable) -> str:
    """Of the stream's form and the phrase table its marks come from."""
    return f"{VERSION}.{table.fingerprint}"
