"""What a search asks and what it returns: the contract every backend meets.

`index.backends.open_backend(settings, store)` picks the backend named in settings
(`index.backend`); everything above `index/` (CLI, UI, alerts, export) talks to the interface
below (`SearchBackend`) and never to tantivy, SQL or Elasticsearch. This module imports no backend,
so a backend may import it freely.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterator, Protocol

from index.highlight import Snippet, snippet
from parallax.errors import ConfigError

SORTS = ("relevance", "date")
FACETS = ("source", "lang", "type", "country", "entity", "month")
PERIODS = ("day", "week", "month")  # attention over time: weeks start on Monday, months on the 1st
SPLITS = ("lang", "source")  # what attention over time may be split by


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
    also_published_by: tuple[str, ...] = ()  # sources of the near-duplicates folded into this hit
    seq: int = 0
    status: str = "ok"  # ok | withdrawn | no_text (a scanned PDF)
    withdrawn_at: str | None = None

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
            "also_published_by": list(self.also_published_by),
            "status": self.status,
            "withdrawn_at": self.withdrawn_at,
        }


@dataclass
class SearchResult:
    """One result page and the counts around it.

    `total` is what the page list runs over: stories when near-duplicates are collapsed, documents
    otherwise. `total_stories` (near-duplicate clusters) and `total_documents` are always both
    given, so a reader can say "12 stories, 31 documents". Facets and the timeline count
    documents under every filter of the query. `exact` is False when the backend estimated the
    story count and facets from a sample of a very large result set (the document count is always
    exact; see the backend for how it samples).
    """

    hits: list[Hit]
    total: int
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    expansions: list[str] = field(default_factory=list)  # e.g. "export controls → 出口管制 (glossary)"
    total_documents: int = 0
    total_stories: int = 0
    timeline: list[tuple[str, int]] = field(default_factory=list)  # (Monday of the week, documents)
    exact: bool = True

    def to_json(self) -> dict:
        return {
            "total": self.total,
            "total_stories": self.total_stories,
            "total_documents": self.total_documents,
            "exact": self.exact,
            "expansions": list(self.expansions),
            "hits": [h.to_json() for h in self.hits],
            "facets": {name: [list(v) for v in values] for name, values in self.facets.items()},
            "timeline": [list(v) for v in self.timeline],
        }

    def counts_line(self) -> str:
        """"12 stories, 31 documents" (with "about" when estimated): the same words everywhere."""
        about = "" if self.exact else "about "
        stories = f"{about}{self.total_stories:,} stor{'y' if self.total_stories == 1 else 'ies'}"
        return f"{stories}, {self.total_documents:,} document{'' if self.total_documents == 1 else 's'}"


@dataclass(frozen=True)
class Attention:
    """Matching documents per period (near-duplicates included: every publication counts), the
    data of an attention-over-time chart, counted by the index's own aggregations.

    `counts` holds (first day of the period as YYYY-MM-DD, series, documents) in period order,
    series being the language or source code when split, "" otherwise; periods without documents
    are left out. `undated` is the number of matching documents without a publication date."""

    counts: list[tuple[str, str, int]]
    undated: int = 0


def check_attention(per: str, split: str | None) -> None:
    """Reject an attention request no backend could honour, naming the value and the choices."""
    if per not in PERIODS:
        raise ConfigError(f"period {per!r} is not known; choose one of: {', '.join(PERIODS)}")
    if split is not None and split not in SPLITS:
        raise ConfigError(f"split {split!r} is not known; choose one of: {', '.join(SPLITS)} (or none)")


def check_request(request: SearchRequest) -> None:
    """Reject request values no backend could honour, naming the value and the choices."""
    if request.sort not in SORTS:
        raise ConfigError(f"sort {request.sort!r} is not known; choose one of: {', '.join(SORTS)}")
    if request.limit < 0 or request.offset < 0:
        raise ConfigError(f"limit ({request.limit}) and offset ({request.offset}) must not be negative")


def prepare(request: SearchRequest, settings=None, collections=None):
    """The request's query parsed and rewritten for cross-language matching (`index.expand`).

    With `settings`, the user's entity list (`nlp.entities_file`) joins the bundled one, so a
    name the entity stage tags is also expanded in search; backends pass their settings here.
    `collections` ({name: source ids}, from `Store.collections()`) resolves `collection:` filters.
    """
    from index import query as q
    from index.expand import expand, load_lexicon

    entities_file = settings.nlp.entities_file if settings is not None else ""
    return expand(q.parse(request.query), enabled=request.expand,
                  lexicon=load_lexicon(entities_path=entities_file or ""), collections=collections)


def highlight_words(expanded) -> list[str]:
    """The terms to light up in snippets: every positive term and phrase, expansions included.

    A term of several words is one entry (words joined by spaces) so that "China Semiconductor
    Industry Association" lights up where the whole name stands, not every "China".
    """
    from index import query as q

    return [" ".join(t.words) for t in q.positive_terms(expanded.node)]


@dataclass(frozen=True)
class Found:
    """One hit as a backend found it, before the store fills in what a reader sees."""

    id: str
    score: float
    cluster_size: int = 1
    also_published_by: tuple[str, ...] = ()
    extra_words: tuple[str, ...] = ()  # what the backend's own highlighter marked, if anything


@dataclass(frozen=True)
class Matches:
    """Matching documents as the index holds them: store sequence numbers, in the request's order.

    Alerts and export read the documents from the store by `seq` (one query per batch, no id
    strings from the index). A document re-stored since it was indexed has another seq in the
    store now; `id_at(i)` reads the id of the i-th match from the index for those. `words` are
    the query's highlight words as it was expanded for this search, so a caller showing the
    matches need not expand it again."""

    seqs: list[int]
    id_at: Callable[[int], str]
    words: tuple[str, ...] = ()  # what to light up in their snippets (`highlight_words`)

    def __len__(self) -> int:
        return len(self.seqs)


def build_hits(store, found: list[Found], words: list[str]) -> list[Hit]:
    """Hits read from the store (the truth) with snippets on the original and translated text."""
    return hits_from(store.get_many([f.id for f in found]), store.sources(), found, words)


def hits_from(docs: dict, sources: dict, found: list[Found], words: list[str]) -> list[Hit]:
    """`build_hits` for documents already read ({id: StoredDocument}; a missing one is left out)."""
    hits = []
    for item in found:
        doc = docs.get(item.id)
        if doc is None:  # deleted from the store after the index saw it
            continue
        source = sources.get(doc.source_id, {})
        marks = [*words, *item.extra_words]
        hits.append(Hit(
            id=doc.id, url=doc.url, title=doc.title, lang=doc.lang or doc.declared_lang,
            source_id=doc.source_id, source_name=source.get("name_en", doc.source_id),
            country=doc.country, kind=doc.kind, published_at=doc.published_at,
            score=item.score, snippet=snippet(doc.body, marks),
            title_tr=doc.title_tr,
            snippet_tr=snippet(doc.body_tr, marks) if doc.body_tr else None,
            entities=doc.entities, cluster_id=doc.cluster_id, cluster_size=item.cluster_size,
            also_published_by=item.also_published_by, seq=doc.seq, status=doc.status,
            withdrawn_at=doc.withdrawn_at,
        ))
    return hits


def sort_facet(name: str, values: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """Months in calendar order; every other facet by count, then value (the same for every backend)."""
    if name == "month":
        return sorted(values)
    return sorted(values, key=lambda kv: (-kv[1], kv[0]))


class SearchBackend(Protocol):
    name: str

    def sync(self, store=None, progress=None) -> dict[str, int]:
        """Bring the index up to date with the store's analysed documents; returns counts."""

    def rebuild(self, store=None, progress=None) -> dict[str, int]:
        """Build the whole index again from the store; searches keep working meanwhile."""

    def search(self, request: SearchRequest) -> SearchResult: ...

    def iter_ids(self, request: SearchRequest) -> Iterator[str]:
        """Every matching document id in the request's order, streamed (for export and alerts)."""

    def matches(self, request: SearchRequest) -> Matches:
        """Every match (with `since_seq`: stored after it) in the request's order, in one pass
        over one searcher: what an alert run asks of each saved search."""

    def match_pages(self, request: SearchRequest) -> Iterator[Matches]:
        """Every match in the request's order, a page at a time from one snapshot (export)."""

    def pending(self) -> int:
        """Documents the next sync would add, replace or remove (0: the index is up to date)."""

    def indexed_through(self) -> int:
        """The highest store sequence at or below which every searchable document is indexed.

        Alerts only advance their watermark to here, so a stored document that the index has not
        caught up with is never skipped."""

    def attention(self, request: SearchRequest, per: str = "week", split: str | None = None) -> Attention:
        """Documents matching `request.query` per day, week or month (`PERIODS`), each period
        split by language or source (`SPLITS`) when `split` is given: one aggregation in the
        index, never a walk over the matches."""

    def stamp(self) -> str:
        """A token that changes whenever what searches see changes (a commit, a rebuild), read
        cheaply: callers that keep results (the app's caches) key them on it."""
