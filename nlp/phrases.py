"""Known phrases indexed as one token each: the lexicon's names and terms of several words.

Why: at a million documents, a phrase of two common words ("export controls", matched in about
half the documents of a monitor on that topic) costs tantivy 85 ms, nearly all of it reading
positions; the same documents found through one term cost about 10 ms. The phrases that matter
most are the lexicon's: every cross-language expansion is one (出口管制 → "export controls"), and so
are the names researchers type. So each text's occurrences of known phrases are noted as *marks*
(one token per occurrence, `exportǂcontrol`), which the index appends to the text after its last
word: real words keep their positions, so every other phrase matches as before. A query for a
known phrase becomes a term query on its mark, boosted to score as the phrase would (tantivy's
phrase scorer is BM25 with the phrase count as frequency and the sum of the words' idf; the mark's
frequency is that count, so the boost is the ratio of the two idfs). Elasticsearch's
`index_phrases` does this for every pair of words; here a field of every pair (from texts analysed
beforehand) took the CPU of indexing the text fields from 0.13 to 0.37 ms per document, measured,
hence only the lexicon's phrases.

Exact, not approximate:
- Marks are found on the index's own token stream (`analyzer`, here because the language stage
  runs it: the index is fed its tokens of titles and bodies, `nlp.terms`, and analyses
  translations with it), so a mark is there exactly where the phrase query would match: same
  stemming, same adjacency.
- The analyzer drops tokens of 120 bytes or more, leaving a gap in the positions that its output
  list does not show. A title or body that could hold one is analysed token by token, keeping the
  gap (`nlp.terms`). A translation that could is not marked (`marks` returns None): the document
  is flagged with the field's name in `flags`, and a query for a known phrase checks the phrase
  by positions in that field of flagged documents.
- The table a generation was built with is recorded beside it; a phrase the lexicon gained later
  is checked by positions until the next `parallax index --rebuild`.
- The joining letter ǂ is taken out of every text before it is analysed, so no word of a document
  or a query can be a mark.

The language stage finds the marks of each title and body and stores them after its tokens
(`nlp.terms`); translations, which arrive later, are marked when indexed.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from dataclasses import dataclass, field

from nlp import gazetteer, glossary
from nlp.files import cached_per_file_state
from nlp.normalize import has_cjk, normalize

JOIN = "ǂ"  # a letter (so the analyzer keeps a mark whole) that no English or Chinese text uses
LONG = 120  # bytes: the analyzer drops a token this long or longer
COULD_BE_LONG = re.compile(r"[^\s!-/:-@\[-`{-~]{30,}")  # holds every token of >= LONG bytes
VERSION = 1  # of the marking itself; the table's fingerprint covers the phrases


@functools.lru_cache(maxsize=1)
def analyzer():
    """The search index's analyzer of every text field, also run on query words: split at
    anything that is not a letter or digit, drop tokens of `LONG` bytes or more, lower-case,
    English (Snowball) stemming — tantivy's `en_stem`, what the Elasticsearch backend's `english`
    analyzer does to English. Chinese reaches it already cut by `nlp.segment`."""
    from tantivy import Filter, TextAnalyzerBuilder, Tokenizer

    return (TextAnalyzerBuilder(Tokenizer.simple()).filter(Filter.remove_long(LONG))
            .filter(Filter.lowercase()).filter(Filter.stemmer("english")).build())


def clean(text: str) -> str:
    """The text as analysed for indexing or querying: without the joining letter."""
    return text.replace(JOIN, " ") if JOIN in text else text


@dataclass(frozen=True)
class PhraseTable:
    """The known phrases (each a tuple of analysed tokens) and the indexed term of each's mark."""

    phrases: tuple[tuple[str, ...], ...]
    terms: dict[tuple[str, ...], str] = field(default_factory=dict, compare=False, repr=False)
    _starts: frozenset = field(default=frozenset(), compare=False, repr=False)
    _by_start: dict = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def of(cls, phrases) -> "PhraseTable":
        """The table of these phrases, less those whose mark the analyzer would not keep whole
        or would make the same as another's (both are then checked by positions)."""
        analyse = analyzer().analyze
        wanted = sorted({tuple(p) for p in phrases if len(p) >= 2})
        marked: dict[str, list[tuple[str, ...]]] = {}
        for phrase in wanted:
            indexed = analyse(JOIN.join(phrase))
            if len(indexed) == 1:
                marked.setdefault(indexed[0], []).append(phrase)
        terms = {ps[0]: term for term, ps in marked.items() if len(ps) == 1}
        kept = tuple(sorted(terms))
        by_start: dict[str, list[tuple[str, ...]]] = {}
        for phrase in kept:
            by_start.setdefault(phrase[0], []).append(phrase)
        return cls(kept, terms, frozenset(by_start), {k: tuple(v) for k, v in by_start.items()})

    @functools.cached_property
    def fingerprint(self) -> str:
        """Of the phrases and the marking's `VERSION`; asked for every document indexed."""
        digest = hashlib.blake2b(json.dumps([VERSION, self.phrases], ensure_ascii=False).encode("utf-8"),
                                 digest_size=8)
        return digest.hexdigest()

    def term(self, tokens: tuple[str, ...]) -> str | None:
        """The indexed term of the mark of these analysed tokens, or None if not a known phrase."""
        return self.terms.get(tokens)

    def marks(self, text: str) -> str | None:
        """Every occurrence of a known phrase in the text, as marks separated by spaces ('' for
        none); None when the text may hold a token the analyzer drops (see the module docstring).
        For texts the engine analyses itself (translations); `nlp.terms` does titles and bodies."""
        if not text:
            return ""
        text = clean(text)
        if COULD_BE_LONG.search(text):
            return None
        return " ".join(self.marks_in(analyzer().analyze(text)))

    def marks_in(self, tokens: list[str]) -> list[str]:
        """The marks of every occurrence of a known phrase in this token stream, in order."""
        if self._starts.isdisjoint(tokens):
            return []
        out = []
        n = len(tokens)
        for i, token in enumerate(tokens):
            for phrase in self._by_start.get(token, ()):
                end = i + len(phrase)
                if end <= n and tuple(tokens[i:end]) == phrase:
                    out.append(JOIN.join(phrase))
        return out

    def to_json(self) -> list:
        return [list(p) for p in self.phrases]

    @classmethod
    def from_json(cls, value) -> "PhraseTable":
        return cls.of(tuple(p) for p in value or ())


EMPTY = PhraseTable(())


def known_phrases(entities_file: str = "") -> set[tuple[str, ...]]:
    """Every English name and term of the lexicon query expansion uses (the glossary's terms and
    spellings, the bundled entity list's names and the user's, `nlp.entities_file`) that is
    several analysed tokens: the phrases matched exactly (Chinese ones allow words between their
    words, and are mostly one token anyway)."""
    names = [name for en, zh, variants in glossary.load() for name in (en, zh, *variants)]
    names += [name for entity in gazetteer.load(entities_file).entities.values() for name in entity.names]
    analyse = analyzer().analyze
    out = set()
    for name in names:
        if not has_cjk(name):
            tokens = tuple(analyse(clean(normalize(name))))
            if len(tokens) >= 2:
                out.add(tokens)
    return out


@cached_per_file_state(maxsize=4)
def table_for(entities_file: str = "") -> PhraseTable:
    """The table of the lexicon the settings name (the bundled one plus `nlp.entities_file`),
    built again when that file changes."""
    return PhraseTable.of(known_phrases(entities_file))
