"""The query language's parser: what each form means, and what malformed input is told."""

import re

import pytest

from index.query import And, Filter, MatchAll, Not, Or, Phrase, Term, parse
from parallax.errors import QueryError

CASES = [
    ("export", Term("export", ("export",))),
    ("export controls", And((Term("export", ("export",)), Term("controls", ("controls",))))),
    ('"export controls"', Phrase("export controls", ("export", "controls"))),
    ("SMIC OR Huawei", Or((Term("SMIC", ("smic",)), Term("Huawei", ("huawei",))))),
    ("chips -tariffs", And((Term("chips", ("chips",)), Not(Term("tariffs", ("tariffs",)))))),
    ("chips NOT tariffs", And((Term("chips", ("chips",)), Not(Term("tariffs", ("tariffs",)))))),
    ("lang:ZH", Filter("lang", "zh")),
    ("country:cn source:SIA", And((Filter("country", "CN"), Filter("source", "sia")))),
    ("after:2025-01-01", Filter("after", "2025-01-01")),
    ("", MatchAll()),
    ("   ", MatchAll()),
]


@pytest.mark.parametrize("query, tree", CASES)
def test_parse(query, tree):
    got = parse(query)
    assert _shape(got) == _shape(tree)


def _shape(node):
    if isinstance(node, (Term, Phrase)):
        return (type(node).__name__, node.text, tuple(w.lower() for w in node.words))
    if isinstance(node, (And, Or)):
        return (type(node).__name__, tuple(_shape(c) for c in node.children))
    if isinstance(node, Not):
        return ("Not", _shape(node.child))
    return node


def test_chinese_term_is_segmented_by_the_index_segmenter():
    from nlp.segment import query_words

    node = parse("出口管制")
    assert isinstance(node, Term) and node.words == tuple(query_words("出口管制"))


def test_traditional_query_is_normalised_to_simplified():
    assert parse("出口管製").words == parse("出口管制").words


def test_or_binds_looser_than_and():
    node = parse("a OR b c")
    assert isinstance(node, Or) and isinstance(node.children[1], And)


def test_parentheses_group():
    node = parse("(a OR b) c")
    assert isinstance(node, And) and isinstance(node.children[0], Or)


def test_unknown_field_is_searched_as_a_word():
    assert isinstance(parse("note:this"), Term)


@pytest.mark.parametrize("query, message", [
    ("(export", "unclosed ("),
    ("export)", "unmatched )"),
    ('"export controls', "unclosed quote"),
    ("a OR", "OR needs"),
    ("AND a", "cannot stand here"),
    ("NOT", "needs a word"),
    ("()", "empty parentheses"),
    ("lang:fr", "lang:en or lang:zh"),
    ("after:2025-13-40", "YYYY-MM-DD"),
    ("source:", "empty value"),
    ("(" * 40 + "a" + ")" * 40, "nested"),
    ("a\x00b", "NUL"),
    ("x" * 3000, "too long"),
    ("!!!", "no letters or digits"),
])
def test_malformed_queries_raise_query_error_with_position_and_hint(query, message):
    with pytest.raises(QueryError, match=re.escape(message)) as err:
        parse(query)
    assert err.value.position is not None
