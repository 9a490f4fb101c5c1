"""Which documents an alert owes each recipient: new or changed matches not sent before.

Matching goes through the search backend (`matches` with `since_seq`), so an alert finds exactly
what the same query finds in `parallax search` and the UI, with the same cross-language
expansion and the same highlighted snippets.

Two pieces of bookkeeping make it exact:

* `last_seq` (per alert) is a store sequence below which every searchable document has already been
  considered. It only advances to the backend's `indexed_through()`: the sequence just below the
  oldest document the index has not caught up with, so a document stored but not yet indexed is
  never skipped. New documents are found by a range on the index's `seq` field (`since_seq`).
* `alert_deliveries` (per alert, recipient and document) says what has gone out. A document is
  never sent twice to a recipient, even when it matches again after an edit; a near-duplicate
  (same `analyses.cluster_id`) of something already sent is folded in rather than sent again.

Speed: a run checks every saved search against the same few new documents, so the documents are
read from the store once per run (`NewDocuments`, by seq) and shared by every alert, instead of
once per alert and match; the backend answers each alert with sequence numbers in one pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from index.search import Found, Hit, Matches, SearchRequest, highlight_words, hits_from, prepare
from index.store import StoredDocument

CACHED_DOCUMENTS = 50_000  # documents kept between the alerts of one run (memory stays bounded)


@dataclass
class Item:
    """One entry of a digest: a document and the near-duplicates folded into it."""

    doc: StoredDocument
    similar: list[StoredDocument] = field(default_factory=list)
    hit: Hit | None = None


@dataclass
class Pending:
    """What one recipient of one alert is owed, newest first."""

    recipient: str
    items: list[Item]
    folded: list[StoredDocument]  # near-duplicates of something this recipient already has

    @property
    def count(self) -> int:
        return len(self.items)


def delivered(store, alert: str, recipient: str) -> tuple[set[str], set[str]]:
    """Document ids and near-duplicate clusters this recipient has already had from this alert."""
    ids, clusters = set(), set()
    for row in store.conn.execute(
        "SELECT doc_id, cluster_id FROM alert_deliveries WHERE alert = ? AND recipient = ?",
        (alert, recipient),
    ):
        ids.add(row[0])
        if row[1]:
            clusters.add(row[1])
    return ids, clusters


def request_for(saved, since_seq: int | None = None, **changes) -> SearchRequest:
    return SearchRequest(query=saved.query, since_seq=saved.last_seq if since_seq is None else since_seq,
                         expand=saved.expand, sort="date", collapse=False, **changes)


class NewDocuments:
    """The documents of one alert run, read from the store by seq once and shared by every alert.

    A seq names one stored version of a document (storing it again gives it a new one), so a
    document read for one alert is the same for the next. Matches the store has under another
    seq now (stored again since they were indexed) are read by id, as the index holds them.
    At most `limit` documents are kept; past that the cache starts again (a long backlog costs
    more reads, not more memory)."""

    def __init__(self, store, limit: int = CACHED_DOCUMENTS):
        self.store = store
        self.limit = limit
        self._by_seq: dict[int, StoredDocument] = {}
        self._sources: dict | None = None
        self._collections: dict | None = None

    def sources(self) -> dict:
        if self._sources is None:
            self._sources = self.store.sources()
        return self._sources

    def collections(self) -> dict:
        if self._collections is None:
            self._collections = self.store.collections()
        return self._collections

    def ordered(self, matches: Matches) -> list[StoredDocument]:
        """The matched documents in the matches' order (those gone from the store left out)."""
        cache = self._by_seq
        missing = [s for s in matches.seqs if s not in cache]
        if missing:
            if len(cache) + len(missing) > self.limit:
                cache.clear()
                missing = list(matches.seqs)
            cache.update(self.store.get_by_seq(missing))
        docs = [cache.get(seq) for seq in matches.seqs]
        moved = {i: matches.id_at(i) for i, doc in enumerate(docs) if doc is None}
        if not moved:
            return docs
        # Stored again since they were indexed: read as the index knows them, by id.
        found = self.store.get_many(list(moved.values()))
        for i, doc_id in moved.items():
            docs[i] = found.get(doc_id)
        return [doc for doc in docs if doc is not None]


def match(store, backend, saved, max_hits: int, documents: NewDocuments | None = None) -> list[Pending]:
    """For each recipient of `saved`, the documents it is owed (empty items: nothing to send).

    `documents` is shared by the alerts of one run (see `NewDocuments`); without it the
    documents are read for this alert alone."""
    documents = documents or NewDocuments(store)
    ordered = documents.ordered(backend.matches(request_for(saved)))
    owed: list[Pending] = []
    for recipient in saved.targets():
        sent_ids, sent_clusters = delivered(store, saved.name, recipient)
        groups: dict[str, Item] = {}
        folded: list[StoredDocument] = []
        for doc in ordered:
            if doc.id in sent_ids:
                continue
            cluster = doc.cluster_id
            if cluster and cluster in sent_clusters:
                folded.append(doc)
                continue
            key = f"cluster:{cluster}" if cluster else f"doc:{doc.id}"
            group = groups.get(key)
            if group is not None:
                group.similar.append(doc)
            else:
                groups[key] = Item(doc=doc)
        owed.append(Pending(recipient=recipient, items=list(groups.values()), folded=folded))
    _attach_hits(backend, documents, saved, owed, max_hits)
    return owed


def _attach_hits(backend, documents: NewDocuments, saved, owed: list[Pending], max_hits: int) -> None:
    """Give the items that will be shown in full their search hit (snippet with highlights)."""
    wanted = {item.doc.id: item.doc for p in owed for item in p.items[:max_hits]}
    if not wanted:
        return
    # The documents were found by the same search a moment ago: their hits are built from them
    # with the same highlighting, rather than paging through the search a second time.
    words = highlight_words(prepare(request_for(saved), backend.settings, documents.collections()))
    hits = {h.id: h for h in hits_from(wanted, documents.sources(), [Found(i, 0.0) for i in sorted(wanted)],
                                       words)}
    for pending in owed:
        for item in pending.items[:max_hits]:
            item.hit = hits[item.doc.id]
