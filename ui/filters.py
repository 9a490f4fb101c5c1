"""The search page's filter widgets, turned into the query language.

The query language already has every filter (`source:`, `lang:`, `type:`, `country:`, `entity:`,
`after:`, `before:`), so the widgets do not add a second way of filtering: they append clauses to
what the researcher typed, and the backend sees one query string. That also makes a saved search
or an export of "what is on screen" exactly the string shown under the results.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

FACET_FIELDS = {"source": "sources", "collection": "collections", "lang": "langs", "type": "kinds",
                "country": "countries", "entity": "entities"}


@dataclass(frozen=True)
class Filters:
    sources: tuple[str, ...] = ()
    langs: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    entities: tuple[str, ...] = ()
    collections: tuple[str, ...] = ()
    after: date | None = None
    before: date | None = None

    def values(self, facet: str) -> tuple[str, ...]:
        return getattr(self, FACET_FIELDS[facet])

    def with_value(self, facet: str, value: str) -> "Filters":
        """These filters plus one more value of a facet (no duplicates)."""
        current = self.values(facet)
        if value in current:
            return self
        return replace(self, **{FACET_FIELDS[facet]: (*current, value)})

    def without_value(self, facet: str, value: str | None) -> "Filters":
        """These filters minus one value of a facet (`value` None: the whole facet); `facet` may
        also be "after" or "before"."""
        if facet in ("after", "before"):
            return replace(self, **{facet: None})
        kept = () if value is None else tuple(v for v in self.values(facet) if v != value)
        return replace(self, **{FACET_FIELDS[facet]: kept})

    def is_empty(self) -> bool:
        return self == Filters()


def _value(v: str) -> str:
    """A field value as the query tokenizer reads it back: quoted when it holds spaces or brackets."""
    if any(c.isspace() or c in '()（）"' for c in v):
        return '"' + v.replace('"', "") + '"'
    return v


def _any_of(name: str, values: tuple[str, ...]) -> str | None:
    if not values:
        return None
    parts = [f"{name}:{_value(v)}" for v in values]
    return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"


def compose_query(text: str, filters: Filters) -> str:
    """The typed query with the filters appended as clauses, e.g. `(chips) lang:zh after:2025-01-01`.

    The typed part is parenthesised so an `OR` in it cannot swallow a filter.
    """
    clauses = []
    if text.strip():
        clauses.append(f"({text.strip()})" if filters != Filters() else text.strip())
    # Values of one facet are alternatives (OR); different facets must all hold (AND).
    for name, values in (("source", filters.sources), ("collection", filters.collections),
                         ("lang", filters.langs),
                         ("type", filters.kinds), ("country", filters.countries),
                         ("entity", filters.entities)):
        clause = _any_of(name, values)
        if clause:
            clauses.append(clause)
    if filters.after:
        clauses.append(f"after:{filters.after.isoformat()}")
    if filters.before:
        clauses.append(f"before:{filters.before.isoformat()}")
    return " ".join(clauses)


def collection_counts(source_counts: list[tuple[str, int]], collections: dict[str, tuple[str, ...]]
                      ) -> list[tuple[str, int]]:
    """Matches per collection, from the matches per source: a document is in its source's
    collections, so no index holds collections and this needs no second search."""
    per_source = dict(source_counts)
    counts = [(name, sum(per_source.get(s, 0) for s in members)) for name, members in collections.items()]
    return sorted(((n, c) for n, c in counts if c), key=lambda kv: (-kv[1], kv[0]))


def facet_options(facet_counts: list[tuple[str, int]], chosen: tuple[str, ...]) -> list[str]:
    """Values to offer in a facet's picker: those with hits, plus any chosen ones that have none now."""
    values = [v for v, _ in facet_counts]
    return values + [v for v in chosen if v not in values]


def facet_label(value: str, counts: dict[str, int], names: dict[str, str] | None = None) -> str:
    """`Semiconductor Industry Association (4)`: the value's display name and its hit count."""
    name = (names or {}).get(value, value)
    return f"{name} ({counts.get(value, 0)})"


def entity_names(gazetteer) -> dict[str, str]:
    """`US Department of Commerce · 美国商务部` for each entity id: what the entity picker shows
    instead of the bare id, with both languages' names since one entity covers both."""
    return {e.id: " · ".join(dict.fromkeys(n for n in (e.en, e.zh) if n)) or e.id
            for e in gazetteer.entities.values()}
