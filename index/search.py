"""What a search asks and what it returns, the same for every backend, and how a backend is chosen.

`open_backend(settings, store)` picks the backend named in settings (`index.backend`); everything
above `index/` (CLI, UI, alerts, export) talks to that interface and never to SQL or Elasticsearch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, Protocol

from index.highlight import Snippet

SORTS = ("relevance", "date")
FACETS = ("source", "lang", "type", "country", "entity", "month")


@dataclass(frozen=True)
class SearchRequest:
    query: str = ""
    limit: int = 20
    offset: int = 0
    sort: str = "relevance"
    expand: bool = True  # match the other language's counterparts (glossary, entities, translations)
    facets: bool = False
    collapse: bool = True  # show one hit per near-duplicate cluster
    since_seq: int | None = None  # only documents changed after this store sequence (alerts)


@dataclass(frozen=True)
class Hit:
    id: str
    url: str
    title: str
    lang: str | None
    source_id: str
    source_name: str
    country: str | None
    kind: str | None
    published_at: str | None
    score: float
    snippet: Snippet
    title_tr: str | None = None
    snippet_tr: Snippet | None = None
    entities: tuple[dict, ...] = ()
    cluster_id: str | None = None
    cluster_size: int = 1
    seq: int = 0

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "url": self.url,
            "title": self.title,
            "title_translated": self.title_tr,
            "lang": self.lang,
            "source": self.source_id,
            "source_name": self.source_name,
            "country": self.country,
            "type": self.kind,
            "published_at": self.published_at,
            "snippet": self.snippet.text,
            "highlights": [list(h) for h in self.snippet.highlights],
            "snippet_translated": self.snippet_tr.text if self.snippet_tr else None,
            "score": round(self.score, 4),
            "entities": [e.get("canonical_id") or e.get("text") for e in self.entities],
            "cluster_id": self.cluster_id,
            "cluster_size": self.cluster_size,
        }


@dataclass
class SearchResult:
    hits: list[Hit]
    total: int
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    expansions: list[str] = field(default_factory=list)  # e.g. "export controls → 出口管制 (glossary)"


class SearchBackend(Protocol):
    name: str

    def sync(self, store, progress=None) -> dict[str, int]:
        """Bring the index up to date with the store's analysed documents; returns counts."""

    def rebuild(self, store, progress=None) -> dict[str, int]:
        """Drop and rebuild the whole index from the store."""

    def search(self, request: SearchRequest) -> SearchResult: ...

    def iter_ids(self, request: SearchRequest) -> Iterator[str]:
        """Every matching document id in the request's order, streamed (for export and alerts)."""


def open_backend(settings, store) -> SearchBackend:
    backend = settings.index.backend
    if backend == "sqlite":
        from index.sqlite import SqliteBackend

        return SqliteBackend(store)
    if backend == "elasticsearch":
        from index.elastic import ElasticBackend

        return ElasticBackend(settings, store)
    raise AssertionError(f"settings validation let through backend {backend!r}")
