"""The query syntax tree compiled into `tantivy.Query` objects.

Nothing is ever a query string: every user word becomes a term or phrase value, analysed by the
index's own analyzer (`tantivy_schema.analyzer`), so no text the user typed is syntax. Filters
score nothing (constant 0), so ranking is BM25 over the text fields with the fields' weights.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from index import query as q
from index.expand import EXPANSION_BOOST, Counterpart, Expanded
from index.tantivy_schema import BOOSTS, CJK_SLOP, analyzer
from nlp.normalize import has_cjk
from parallax.errors import QueryError

ORIGINAL_FIELDS = ("title", "body")
TRANSLATED_FIELDS = ("title_tr", "body_tr")
_KEYWORD = {"source": "source", "lang": "lang", "type": "kind", "country": "country", "entity": "entity"}


def _tantivy():
    import tantivy

    return tantivy


def text_query(words: tuple[str, ...], schema, translated: bool):
    """Words matched as one phrase (one word: a term) in every text field searched, weighted."""
    t = _tantivy()
    tokens = analyzer().analyze(" ".join(words))
    if not tokens:
        return t.Query.empty_query()
    slop = CJK_SLOP * (len(tokens) - 1) if len(tokens) > 1 and any(has_cjk(w) for w in tokens) else 0
    parts = []
    for field in ORIGINAL_FIELDS + (TRANSLATED_FIELDS if translated else ()):
        if len(tokens) == 1:
            one = t.Query.term_query(schema, field, tokens[0])
        else:
            one = t.Query.phrase_query(schema, field, tokens, slop)
        # A match in a machine translation is cross-language matching too: weighted as an expansion.
        weight = BOOSTS[field] * (EXPANSION_BOOST if field in TRANSLATED_FIELDS else 1.0)
        parts.append((t.Occur.Should, t.Query.boost_query(one, weight)))
    return t.Query.boolean_query(parts)


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


def compile_node(node: q.Node, schema, translated: bool = True):
    """The tantivy query for a syntax tree."""
    t = _tantivy()
    if isinstance(node, q.MatchAll):
        return t.Query.all_query()
    if isinstance(node, (q.Term, q.Phrase)):
        return text_query(node.words, schema, translated)
    if isinstance(node, q.Filter):
        return filter_query(node, schema)
    if isinstance(node, q.Not):
        return t.Query.boolean_query([(t.Occur.Must, t.Query.all_query()),
                                      (t.Occur.MustNot, compile_node(node.child, schema, translated))])
    if isinstance(node, q.Or):
        added = [c for c in node.children if isinstance(c, Counterpart)]
        parts = [(t.Occur.Should, compile_node(c, schema, translated)) for c in node.children if c not in added]
        if added:  # the best of the counterparts (not their sum), weighted below the words as typed
            best = t.Query.disjunction_max_query([compile_node(c, schema, translated) for c in added])
            parts.append((t.Occur.Should, t.Query.boost_query(best, EXPANSION_BOOST)))
        return t.Query.boolean_query(parts)
    if isinstance(node, q.And):
        parts = []
        for child in node.children:
            if isinstance(child, q.Not):
                parts.append((t.Occur.MustNot, compile_node(child.child, schema, translated)))
            else:
                parts.append((t.Occur.Must, compile_node(child, schema, translated)))
        if all(occur == t.Occur.MustNot for occur, _ in parts):
            parts.append((t.Occur.Must, t.Query.all_query()))
        return t.Query.boolean_query(parts)
    raise QueryError(f"cannot compile {type(node).__name__}", None, "simplify the query")


def compile_request(expanded: Expanded, schema, since_seq: int | None = None):
    """The query for an expanded tree, limited to documents stored after `since_seq` (alerts)."""
    t = _tantivy()
    query = compile_node(expanded.node, schema, expanded.translated)
    if since_seq is None:
        return query
    newer = t.Query.range_query(schema, "seq", t.FieldType.Integer, since_seq + 1, None)
    return t.Query.boolean_query([(t.Occur.Must, query), (t.Occur.Must, t.Query.const_score_query(newer, 0.0))])


def restrict(query, *others):
    """`query` AND every one of `others` (which add no score)."""
    t = _tantivy()
    return t.Query.boolean_query([(t.Occur.Must, query),
                                  *((t.Occur.Must, t.Query.const_score_query(o, 0.0)) for o in others)])
