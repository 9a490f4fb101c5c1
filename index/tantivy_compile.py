"""The query syntax tree compiled into `tantivy.Query` objects.

Nothing is ever a query string: every user word becomes a term or phrase value, analysed by the
index's own analyzer (`nlp.phrases.analyzer`), so no text the user typed is syntax. Filters
score nothing (constant 0), so ranking is BM25 over the text fields with the fields' weights.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta, timezone

from index import query as q
from index.expand import EXPANSION_BOOST, Counterpart, Expanded
from index.tantivy_schema import BOOSTS, CJK_SLOP
from nlp.normalize import has_cjk
from nlp.phrases import analyzer, clean
from parallax.errors import QueryError

ORIGINAL_FIELDS = ("title", "body")
TRANSLATED_FIELDS = ("title_tr", "body_tr")
_KEYWORD = {"source": "source", "lang": "lang", "type": "kind", "country": "country", "entity": "entity"}


def _tantivy():
    import tantivy

    return tantivy


def analysed(words: tuple[str, ...]) -> tuple[tuple[str, ...], int]:
    """(tokens, slop) of words matched as one phrase: the index's own analysis; Chinese words,
    segmented apart by the query parser, may stand a few tokens apart (`CJK_SLOP` each)."""
    tokens = tuple(analyzer().analyze(clean(" ".join(words))))
    slop = CJK_SLOP * (len(tokens) - 1) if len(tokens) > 1 and any(has_cjk(w) for w in tokens) else 0
    return tokens, slop


class Marks:
    """The known phrases of the index searched (`nlp.phrases`), for one searcher: a phrase in
    the table is compiled to its mark's term, boosted to score as the phrase does."""

    def __init__(self, table, searcher):
        self.table = table
        self.searcher = searcher
        self._freqs: dict[tuple[str, str], int] = {}  # a page compiles its query three times

    def unmarked(self, field: str) -> bool:
        """Whether any document is flagged as not marked in this field (a translation that could
        hold a token the analyzer drops: its phrases there are checked by positions)."""
        return self._doc_freq("flags", field) > 0

    def _doc_freq(self, field: str, term: str) -> int:
        freq = self._freqs.get((field, term))
        if freq is None:
            freq = self._freqs[(field, term)] = self.searcher.doc_freq(field, term)
        return freq

    def _idf(self, field: str, term: str) -> float:
        """tantivy's BM25 idf of a term in a field."""
        n, df = self.searcher.num_docs, self._doc_freq(field, term)
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))

    def phrase(self, schema, field: str, tokens: tuple[str, ...]):
        """The query for an exact phrase of these tokens in the field through its mark, or None
        when it is not a known phrase."""
        term = self.table.term(tokens)
        if term is None:
            return None
        t = _tantivy()
        query = t.Query.term_query(schema, field, term)
        if self._doc_freq(field, term):
            query = t.Query.boost_query(query, sum(self._idf(field, w) for w in tokens) / self._idf(field, term))
        if self.unmarked(field):
            by_positions = restrict(t.Query.phrase_query(schema, field, list(tokens)),
                                    t.Query.term_query(schema, "flags", field))
            query = t.Query.boolean_query([(t.Occur.Should, query), (t.Occur.Should, by_positions)])
        return query


def text_query(words: tuple[str, ...], schema, translated: bool, within=None, marks: Marks | None = None):
    """Words matched as one phrase (one word: a term) in every text field searched, weighted.

    `within` (a query) restricts each field's phrase or term itself, not only their union: a
    phrase intersected with a small set of documents is checked only on those (the set leads the
    intersection), while a union restricted from outside still walks every member's postings.
    With `marks`, a known phrase is found through its mark (`Marks.phrase`)."""
    return _text_query(*analysed(words), schema, translated, within, marks)


def _text_query(tokens: tuple[str, ...], slop: int, schema, translated: bool, within=None, marks=None):
    t = _tantivy()
    if not tokens:
        return t.Query.empty_query()
    parts = []
    for field in ORIGINAL_FIELDS + (TRANSLATED_FIELDS if translated else ()):
        if len(tokens) == 1:
            one = t.Query.term_query(schema, field, tokens[0])
        else:
            one = marks.phrase(schema, field, tokens) if marks is not None and slop == 0 else None
            if one is None:
                one = t.Query.phrase_query(schema, field, list(tokens), slop)
        if within is not None:
            one = restrict(one, within)
        # A match in a machine translation is cross-language matching too: weighted as an expansion.
        weight = BOOSTS[field] * (EXPANSION_BOOST if field in TRANSLATED_FIELDS else 1.0)
        parts.append((t.Occur.Should, t.Query.boost_query(one, weight)))
    return t.Query.boolean_query(parts)


def _contains(longer: tuple[str, ...], shorter: tuple[str, ...]) -> bool:
    n = len(shorter)
    return any(longer[i:i + n] == shorter for i in range(len(longer) - n + 1))


def _subsumed(key, other) -> bool:
    """Whether every document the (tokens, slop) `key` matches is matched by `other` already:
    a phrase containing a one-word `other`, or an exact phrase containing an exact `other`."""
    (tokens, slop), (shorter, other_slop) = key, other
    if other == key or len(shorter) >= len(tokens):
        return False
    if len(shorter) == 1:
        return shorter[0] in tokens
    return slop == 0 and other_slop == 0 and _contains(tokens, shorter)


def distinct_counterparts(counterparts: list[Counterpart], typed: list[tuple[tuple[str, ...], int]] = (),
                          ) -> list[tuple[tuple[str, ...], int]]:
    """The (tokens, slop) of the counterparts worth searching: one of each after analysis
    ("export controls" and "export control" stem alike), none the same as a word or phrase typed
    beside them (`typed`, analysed), and none that only matches documents another one or a typed
    one matches already — an exact phrase containing another's exact phrase (or a phrase
    containing a one-word one), such as "U.S. Semiconductor Industry Association" beside
    "Semiconductor Industry Association". The counterparts are scored as their best
    (`disjunction_max`) and below the typed words, so what is dropped can only change how much
    more a document naming the longer form scores; which documents match does not change.
    Phrases of Chinese words, matched with slop, are kept unless the same as another."""
    keys = list(dict.fromkeys(analysed(c.words) for c in counterparts))
    keys = [k for k in keys if k[0] and k not in typed]
    covering = [*keys, *typed]
    return [k for k in keys if not any(_subsumed(k, other) for other in covering)]


def _day(value: str) -> datetime:
    return datetime.combine(date.fromisoformat(value), datetime.min.time(), tzinfo=timezone.utc)


def filter_query(node: q.Filter, schema):
    t = _tantivy()
    if node.field in _KEYWORD:
        inner = t.Query.term_query(schema, _KEYWORD[node.field], node.value)
    elif node.field == "after":
        inner = t.Query.range_query(schema, "published", t.FieldType.Date, _day(node.value), None)
    elif node.field == "before":
        inner = t.Query.range_query(schema, "published", t.FieldType.Date, None,
                                    _day(node.value) + timedelta(days=1), include_upper=False)
    else:
        raise QueryError(f"unknown filter {node.field}:", None, f"use one of: {', '.join(q.FIELDS)}")
    return t.Query.const_score_query(inner, 0.0)


def compile_node(node: q.Node, schema, translated: bool = True, within=None, marks: Marks | None = None):
    """The tantivy query for a syntax tree; with `within`, only the documents it matches, pushed
    down to every leaf (`text_query`). Leaves under an exclusion are restricted too: every
    candidate they are checked against is already inside `within`, so excluding the restricted
    leaf excludes the same documents, and the exclusion is checked only on the sample."""
    t = _tantivy()

    def sub(child):
        return compile_node(child, schema, translated, within, marks)

    def everything():
        return t.Query.all_query() if within is None else t.Query.const_score_query(within, 1.0)

    if isinstance(node, q.MatchAll):
        return everything()
    if isinstance(node, (q.Term, q.Phrase)):
        return text_query(node.words, schema, translated, within, marks)
    if isinstance(node, q.Filter):
        query = filter_query(node, schema)
        return query if within is None else restrict(query, within)
    if isinstance(node, q.Not):
        return t.Query.boolean_query([(t.Occur.Must, everything()), (t.Occur.MustNot, sub(node.child))])
    if isinstance(node, q.Or):
        added = [c for c in node.children if isinstance(c, Counterpart)]
        parts = [(t.Occur.Should, sub(c)) for c in node.children if c not in added]
        if added:  # the best of the counterparts (not their sum), weighted below the words as typed
            typed = [analysed(c.words) for c in node.children
                     if c not in added and isinstance(c, (q.Term, q.Phrase))]
            kept = distinct_counterparts(added, typed)
            if kept:
                best = t.Query.disjunction_max_query(
                    [_text_query(tokens, slop, schema, translated, within, marks) for tokens, slop in kept])
                parts.append((t.Occur.Should, t.Query.boost_query(best, EXPANSION_BOOST)))
        if not parts:
            return t.Query.empty_query()
        return t.Query.boolean_query(parts)
    if isinstance(node, q.And):
        parts = []
        for child in node.children:
            if isinstance(child, q.Not):
                parts.append((t.Occur.MustNot, sub(child.child)))
            else:
                parts.append((t.Occur.Must, sub(child)))
        if all(occur == t.Occur.MustNot for occur, _ in parts):
            parts.append((t.Occur.Must, everything()))
        return t.Query.boolean_query(parts)
    raise QueryError(f"cannot compile {type(node).__name__}", None, "simplify the query")


def compile_request(expanded: Expanded, schema, since_seq: int | None = None, within=None,
                    marks: Marks | None = None):
    """The query for an expanded tree, limited to documents stored after `since_seq` (alerts)
    and, with `within`, to the documents that query matches (`compile_node`); known phrases
    through their `marks`."""
    t = _tantivy()
    query = compile_node(expanded.node, schema, expanded.translated, within, marks)
    if since_seq is None:
        return query
    newer = t.Query.range_query(schema, "seq", t.FieldType.Integer, since_seq + 1, None)
    return t.Query.boolean_query([(t.Occur.Must, query), (t.Occur.Must, t.Query.const_score_query(newer, 0.0))])


def restrict(query, *others):
    """`query` AND every one of `others` (which add no score)."""
    t = _tantivy()
    return t.Query.boolean_query([(t.Occur.Must, query),
                                  *((t.Occur.Must, t.Query.const_score_query(o, 0.0)) for o in others)])
