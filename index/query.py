"""The query language, parsed once into a small syntax tree that every backend compiles.

    export controls            both words (AND is implied)
    "export controls"          the exact phrase
    SMIC OR 中芯国际            either
    chips NOT tariffs, -tariffs without
    (a OR b) c                 grouping
    source:sia lang:zh type:government country:CN entity:csia collection:us-associations
    after:2025-01-01 before:2025-12-31

Chinese in a term is cut by the same segmenter as the index (`nlp.segment.query_words`) and matched
as a phrase of words; Traditional characters are normalised, so they find Simplified documents.
Anything malformed raises `QueryError` with the position and a hint; nothing the user typed ever
reaches SQL or Elasticsearch except as a bound value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from index.filters import check_value, not_a_filter
from parallax.errors import QueryError

FIELDS = ("source", "lang", "type", "country", "entity", "collection", "after", "before")
MAX_QUERY_LENGTH = 2000
MAX_DEPTH = 32


@dataclass(frozen=True)
class Term:
    text: str
    words: tuple[str, ...]  # normalised, segmented; matched as a phrase when more than one


@dataclass(frozen=True)
class Phrase:
    text: str
    words: tuple[str, ...]


@dataclass(frozen=True)
class Filter:
    field: str
    value: str


@dataclass(frozen=True)
class And:
    children: tuple["Node", ...]


@dataclass(frozen=True)
class Or:
    children: tuple["Node", ...]


@dataclass(frozen=True)
class Not:
    child: "Node"


@dataclass(frozen=True)
class MatchAll:
    """The empty query: every document (filters may still narrow it)."""


Node = Term | Phrase | Filter | And | Or | Not | MatchAll


@dataclass(frozen=True)
class Token:
    kind: str  # WORD PHRASE FIELD LPAREN RPAREN AND OR NOT MINUS
    text: str
    pos: int
    field_name: str | None = None


_TOKEN_RE = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<lparen>[(（])
  | (?P<rparen>[)）])
  | (?P<phrase>["“”](?P<phrase_body>[^"“”]*)(?P<phrase_end>["“”])?)
  | (?P<field>(?P<field_name>[A-Za-z]+):(?:"(?P<field_quoted>[^"]*)"|(?P<field_value>[^\s()（）"]*)))
  | (?P<minus>-(?=[^\s\-]))
  | (?P<word>[^\s()（）"“”]+)
    """,
    re.VERBOSE,
)


def tokenize(query: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(query):
        m = _TOKEN_RE.match(query, pos)
        if m is None:  # pragma: no cover - the word alternative matches any other character
            raise QueryError("unexpected character", pos, "remove it or put the text in quotes")
        if m.group("space"):
            pos = m.end()
            continue
        if m.group("lparen"):
            tokens.append(Token("LPAREN", m.group(), pos))
        elif m.group("rparen"):
            tokens.append(Token("RPAREN", m.group(), pos))
        elif m.group("phrase") is not None:
            if m.group("phrase_end") is None:
                raise QueryError("unclosed quote", pos, 'close the phrase with a second "')
            tokens.append(Token("PHRASE", m.group("phrase_body"), pos))
        elif m.group("field"):
            name = m.group("field_name").lower()
            value = m.group("field_quoted") if m.group("field_quoted") is not None else m.group("field_value")
            if name not in FIELDS:
                mistaken = not_a_filter(name, value, pos, FIELDS) if value else None
                if mistaken:
                    raise mistaken
                # Not one of ours (e.g. a URL-ish word like "note:"): search it as a plain word.
                tokens.append(Token("WORD", m.group(), pos))
            else:
                if not value:
                    raise QueryError(f"empty value for {name}:", pos, f"write {name}:VALUE with no space after the colon")
                tokens.append(Token("FIELD", value, pos, field_name=name))
        elif m.group("minus"):
            tokens.append(Token("MINUS", "-", pos))
        else:
            word = m.group("word")
            upper = word.upper()
            if word in ("AND", "OR", "NOT") or upper in ("&&", "||"):
                tokens.append(Token({"&&": "AND", "||": "OR"}.get(upper, upper), word, pos))
            else:
                tokens.append(Token("WORD", word, pos))
        pos = m.end()
    return tokens


class _Parser:
    def __init__(self, query: str, segment):
        self.query = query
        self.tokens = tokenize(query)
        self.i = 0
        self.depth = 0
        self.segment = segment

    def peek(self) -> Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def parse(self) -> Node:
        if not self.tokens:
            return MatchAll()
        node = self.or_expr()
        tok = self.peek()
        if tok is not None:
            if tok.kind == "RPAREN":
                raise QueryError("unmatched )", tok.pos, "remove it or add a ( before it")
            raise QueryError(f"unexpected {tok.text!r}", tok.pos, "check the operators around it")
        return node

    def or_expr(self) -> Node:
        children = [self.and_expr()]
        while (tok := self.peek()) is not None and tok.kind == "OR":
            self.take()
            if self.peek() is None or self.peek().kind in ("RPAREN", "OR", "AND"):
                raise QueryError("OR needs something after it", tok.pos, "write a OR b")
            children.append(self.and_expr())
        return children[0] if len(children) == 1 else Or(tuple(children))

    def and_expr(self) -> Node:
        children = [self.unary()]
        while (tok := self.peek()) is not None and tok.kind not in ("OR", "RPAREN"):
            if tok.kind == "AND":
                self.take()
                if self.peek() is None or self.peek().kind in ("RPAREN", "OR", "AND"):
                    raise QueryError("AND needs something after it", tok.pos, "write a AND b")
                continue
            children.append(self.unary())
        children = [c for c in children if c is not None]
        return children[0] if len(children) == 1 else And(tuple(children))

    def unary(self) -> Node:
        tok = self.peek()
        if tok is None:
            raise QueryError("the query ends too early", len(self.query), "finish the expression")
        if tok.kind in ("NOT", "MINUS"):
            self.take()
            if self.peek() is None or self.peek().kind in ("RPAREN", "OR", "AND"):
                raise QueryError(f"{tok.text} needs a word after it", tok.pos, f"write {tok.text} word")
            return Not(self.unary())
        return self.primary()

    def primary(self) -> Node:
        tok = self.take()
        if tok.kind == "LPAREN":
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise QueryError("too many nested parentheses", tok.pos, f"use at most {MAX_DEPTH} levels")
            if self.peek() is None:
                raise QueryError("unclosed (", tok.pos, "add a ) to close the group")
            if self.peek().kind == "RPAREN":
                raise QueryError("empty parentheses", tok.pos, "put a word inside or remove them")
            node = self.or_expr()
            closing = self.peek()
            if closing is None or closing.kind != "RPAREN":
                raise QueryError("unclosed (", tok.pos, "add a ) to close the group")
            self.take()
            self.depth -= 1
            return node
        if tok.kind == "PHRASE":
            words = tuple(self.segment(tok.text))
            if not words:
                raise QueryError("empty phrase", tok.pos, "put words between the quotes")
            return Phrase(tok.text, words)
        if tok.kind == "FIELD":
            return Filter(tok.field_name, _check_filter(tok.field_name, tok.text, tok.pos))
        if tok.kind == "WORD":
            words = tuple(self.segment(tok.text))
            if not words:
                raise QueryError(f"{tok.text!r} has no letters or digits to search for", tok.pos,
                                 "remove it or put it in a phrase with words")
            return Term(tok.text, words)
        if tok.kind == "RPAREN":
            raise QueryError("unmatched )", tok.pos, "remove it or add a ( before it")
        raise QueryError(f"{tok.text} cannot stand here", tok.pos, "put a word before and after it")


def _check_filter(name: str, value: str, pos: int) -> str:
    if name in ("after", "before"):
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            raise QueryError(f"{name}:{value} is not a date", pos, "write dates as YYYY-MM-DD") from None
    if name == "lang":
        value = value.lower()
        if value not in ("en", "zh"):
            raise QueryError(f"lang:{value} is not a language Parallax indexes", pos, "use lang:en or lang:zh")
    if name in ("type", "country"):
        return check_value(name, value, pos)
    if name in ("source", "entity", "collection"):
        return value.lower()
    return value


def parse(query: str, segment=None) -> Node:
    """Parse a query string into its syntax tree, or raise `QueryError`."""
    if not isinstance(query, str):
        raise QueryError("the query must be text")
    if len(query) > MAX_QUERY_LENGTH:
        raise QueryError("the query is too long", MAX_QUERY_LENGTH, f"keep it under {MAX_QUERY_LENGTH} characters")
    if "\x00" in query:
        raise QueryError("the query contains a NUL character", query.index("\x00"), "remove it")
    if segment is None:
        from nlp.segment import query_words as segment
    return _Parser(query, segment).parse()


def restrict(query: str, field: str, value: str | None) -> str:
    """`query` limited to documents whose `field` is `value` (`--lang zh` on the command line):
    the query in brackets AND the filter, so `a OR b` stays one alternative under the filter."""
    if not value:
        return query
    return f"({query}) {field}:{value}" if query.strip() else f"{field}:{value}"


def walk(node: Node):
    """Every node of the tree, parents before children."""
    yield node
    if isinstance(node, (And, Or)):
        for child in node.children:
            yield from walk(child)
    elif isinstance(node, Not):
        yield from walk(node.child)


def filters(node: Node) -> list[Filter]:
    return [n for n in walk(node) if isinstance(n, Filter)]


def positive_terms(node: Node, negated: bool = False) -> list[Term | Phrase]:
    """Terms and phrases that a hit must or may contain (for highlighting), not the negated ones."""
    if isinstance(node, (Term, Phrase)):
        return [] if negated else [node]
    if isinstance(node, Not):
        return positive_terms(node.child, not negated)
    if isinstance(node, (And, Or)):
        return [t for c in node.children for t in positive_terms(c, negated)]
    return []


def is_text(node: Node) -> bool:
    """Only words and phrases (with AND, OR, NOT between them): no filters inside."""
    return isinstance(node, (Term, Phrase)) or (
        isinstance(node, (And, Or)) and all(is_text(c) for c in node.children)
    ) or (isinstance(node, Not) and is_text(node.child))


def _rankable(node: Node) -> bool:
    if isinstance(node, (Term, Phrase)):
        return True
    if isinstance(node, Or):
        return all(_rankable(c) for c in node.children)
    if isinstance(node, And):
        positive = [c for c in node.children if not isinstance(c, Not)]
        negative = [c.child for c in node.children if isinstance(c, Not)]
        return bool(positive) and all(_rankable(c) for c in positive) and all(_rankable(c) for c in negative)
    return False


def is_ranked(node: Node) -> bool:
    """Whether results are ordered by relevance (else newest first), the same rule for every backend.

    A query is ranked when its top-level text (the words beside any filters) can be scored as one
    full-text expression; a query of filters only, or of negations only, has nothing to score.
    """
    children = node.children if isinstance(node, And) else (node,)
    text = [c for c in children if is_text(c)]
    if not text:
        return False
    return _rankable(text[0] if len(text) == 1 else And(tuple(text)))
