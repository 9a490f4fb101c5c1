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

import gc
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Sequence
from itertools import compress, repeat
from operator import itemgetter

from index.search import Found, Hit, Matches, SearchRequest, hits_from
from index.store import StoredDocument

CACHED_DOCUMENTS = 50_000  # documents kept between the alerts of one run (memory stays bounded)


@dataclass(slots=True)
class Item:
    """One entry of a digest: a document and the near-duplicates folded into it."""

    doc: StoredDocument
    similar: Sequence[StoredDocument] = ()  # shared empty default: an alert run makes a million items
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
        self._by_seq: dict[int, tuple[StoredDocument, str]] = {}
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

    def entries(self, matches: Matches) -> list[tuple[StoredDocument, str]]:
        """(document, its group key) of each match, in the matches' order (those gone from the
        store left out). The key groups near-duplicates: one digest item per cluster."""
        cache = self._by_seq
        entries = list(map(cache.get, matches.seqs))
        if None not in entries:
            return entries
        missing = [s for s, entry in zip(matches.seqs, entries) if entry is None]
        if len(cache) + len(missing) > self.limit:
            cache.clear()
            missing = list(matches.seqs)
        cache.update((seq, _entry(doc)) for seq, doc in self.store.get_by_seq(missing).items())
        entries = list(map(cache.get, matches.seqs))
        moved = {i: matches.id_at(i) for i, entry in enumerate(entries) if entry is None}
        if moved:  # stored again since they were indexed: read as the index knows them, by id
            found = self.store.get_many(list(moved.values()))
            for i, doc_id in moved.items():
                entries[i] = _entry(found[doc_id]) if doc_id in found else None
        return [entry for entry in entries if entry is not None]


def _entry(doc: StoredDocument) -> tuple[StoredDocument, str]:
    return doc, (f"cluster:{doc.cluster_id}" if doc.cluster_id else f"doc:{doc.id}")


def match(store, backend, saved, max_hits: int, documents: NewDocuments | None = None) -> list[Pending]:
    """For each recipient of `saved`, the documents it is owed (empty items: nothing to send).

    `documents` is shared by the alerts of one run (see `NewDocuments`); without it the
    documents are read for this alert alone."""
    documents = documents or NewDocuments(store)
    found = backend.matches(request_for(saved))
    entries = documents.entries(found)
    owed: list[Pending] = []
    for recipient in saved.targets():
        sent_ids, sent_clusters = delivered(store, saved.name, recipient)
        fresh = [e for e in entries if e[0].id not in sent_ids] if sent_ids else entries
        folded: list[StoredDocument] = []
        if sent_clusters:
            folded = [doc for doc, _ in fresh if doc.cluster_id in sent_clusters]
            fresh = [e for e in fresh if e[0].cluster_id not in sent_clusters]
        items = _items(fresh)
        owed.append(Pending(recipient=recipient, items=items, folded=folded))
    _attach_hits(found.words, documents, owed, max_hits)
    return owed


@contextmanager
def _collector_paused():
    """Python's cycle collector paused while a million small objects are made: none of them can
    be garbage yet, and its passes over them would take two thirds of the time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _items(entries: list[tuple[StoredDocument, str]]) -> list[Item]:
    """One digest item per near-duplicate cluster (its first match, the others as `similar`) and
    per document outside any cluster, in the matches' order. Built with whole-list operations: an
    alert run goes through every new match of every saved search here."""
    with _collector_paused():
        items = list(map(Item, map(itemgetter(0), entries), repeat((), len(entries))))
    clustered = [i for i, (_, key) in enumerate(entries) if key[0] == "c"]  # "cluster:…", not "doc:…"
    if not clustered:
        return items
    first: dict[str, Item] = {}
    keep = bytearray(b"\x01") * len(items)
    for i in clustered:
        key = entries[i][1]
        lead = first.get(key)
        if lead is None:
            first[key] = items[i]
        else:
            if not lead.similar:
                lead.similar = []  # the shared empty default is a tuple
            lead.similar.append(items[i].doc)
            keep[i] = 0
    return list(compress(items, keep)) if len(first) < len(clustered) else items


def _attach_hits(words: tuple[str, ...], documents: NewDocuments, owed: list[Pending], max_hits: int) -> None:
    """Give the items that will be shown in full their search hit (snippet with highlights).

    The documents were found by the same search a moment ago: their hits are built from them with
    the search's highlight words, rather than paging through the search a second time."""
    wanted = {item.doc.id: item.doc for p in owed for item in p.items[:max_hits]}
    if not wanted:
        return
    hits = {h.id: h for h in hits_from(wanted, documents.sources(), [Found(i, 0.0) for i in sorted(wanted)],
                                       list(words))}
    for pending in owed:
        for item in pending.items[:max_hits]:
            item.hit = hits[item.doc.id]
