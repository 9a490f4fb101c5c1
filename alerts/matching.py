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
read from the store once per run (`NewDocuments`, by seq) and shared by every alert, each as one
frozen digest item that every alert's list points to (a run of a thousand alerts goes through a
million matches: no object is made per match); the backend answers each alert with sequence
numbers in one pass, once for the alerts that ask the same; and the hits shown in full are built
once per document and highlight words.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from collections import Counter
from itertools import compress
from typing import Iterable, Sequence

from index.search import Found, Hit, Matches, SearchRequest, hits_from
from index.store import StoredDocument

CACHED_DOCUMENTS = 50_000  # documents kept between the alerts of one run (memory stays bounded)
CACHED_HITS = 20_000  # shown hits (document, highlight words) kept between the alerts of one run


@dataclass(frozen=True, slots=True, eq=False)
class Item:
    """One entry of a digest: a document and the near-duplicates folded into it.

    Frozen, so that one plain item (a document with nothing folded in and no hit) can stand in
    every alert of a run that matches the document; compared by identity."""

    doc: StoredDocument
    similar: Sequence[StoredDocument] = ()
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
    document read for one alert is the same for the next. Each is kept as the plain digest item
    of that document (`Item`, frozen), so an alert's items are a list of shared objects rather
    than a million new ones per run. Matches the store has under another seq now (stored again
    since they were indexed) are read by id, as the index holds them. At most `limit` documents
    are kept; past that the cache starts again (a long backlog costs more reads, not more
    memory). The hits shown in full are kept the same way, by document and highlight words:
    the newest documents lead many alerts' digests."""

    def __init__(self, store, limit: int = CACHED_DOCUMENTS, hits_limit: int = CACHED_HITS,
                 alerts: Iterable = ()):
        self.store = store
        # Saved searches of the run asking the same (query, expansion, last run): searched once
        # while the index stays as it was (`backend.stamp()`), kept until the last of them asks.
        asked = Counter(map(_asked, alerts))
        self._uses = {key: n for key, n in asked.items() if n > 1}
        self._found: dict[tuple, tuple[str, Matches]] = {}
        self.limit = limit
        self.hits_limit = hits_limit
        self._by_seq: dict[int, Item] = {}
        self.cluster_of: dict[Item, str] = {}  # the items of clustered documents: their cluster
        self._hits: dict[tuple[int, str, tuple[str, ...]], Hit] = {}
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

    def found(self, backend, saved) -> Matches:
        """The backend's new matches of `saved` (`backend.matches`), searched once for the saved
        searches of the run that ask the same while the index has not changed."""
        key = _asked(saved)
        if key not in self._uses:
            return backend.matches(request_for(saved))
        stamp = backend.stamp()
        held = self._found.get(key)
        found = held[1] if held is not None and held[0] == stamp else backend.matches(request_for(saved))
        self._uses[key] -= 1
        if self._uses[key]:
            self._found[key] = (stamp, found)
        else:
            del self._uses[key]
            self._found.pop(key, None)
        return found

    def items(self, matches: Matches) -> list[Item]:
        """The plain item of each match, in the matches' order (those gone from the store left out)."""
        cache = self._by_seq
        items = list(map(cache.get, matches.seqs))
        if None not in items:
            return items
        missing = [s for s, item in zip(matches.seqs, items) if item is None]
        if len(cache) + len(missing) > self.limit:
            cache.clear()
            self.cluster_of.clear()
            missing = list(matches.seqs)
        cache.update((seq, self._item(doc)) for seq, doc in self.store.get_by_seq(missing).items())
        items = list(map(cache.get, matches.seqs))
        moved = {i: matches.id_at(i) for i, item in enumerate(items) if item is None}
        if moved:  # stored again since they were indexed: read as the index knows them, by id
            found = self.store.get_many(list(moved.values()))
            for i, doc_id in moved.items():
                items[i] = self._item(found[doc_id]) if doc_id in found else None
        return list(filter(None, items))

    def _item(self, doc: StoredDocument) -> Item:
        item = Item(doc)
        if doc.cluster_id:
            self.cluster_of[item] = doc.cluster_id
        return item

    def hits(self, docs: list[StoredDocument], words: tuple[str, ...]) -> list[Hit]:
        """The search hit (snippet with `words` lit up) of each document, built once per run.

        Digests and webhook notices show the snippet of the text as published, never one of its
        translation, so that one is not built (`snippet_tr` stays None): half the work."""
        cache = self._hits
        keys = [(doc.seq, doc.id, words) for doc in docs]
        wanted = {doc.id: doc for doc, key in zip(docs, keys) if key not in cache}
        if wanted:
            if len(cache) + len(wanted) > self.hits_limit:
                cache.clear()
                wanted = {doc.id: doc for doc in docs}
            wanted = {doc_id: replace(doc, body_tr=None) if doc.body_tr else doc for doc_id, doc in wanted.items()}
            found = [Found(doc_id, 0.0) for doc_id in sorted(wanted)]
            for hit in hits_from(wanted, self.sources(), found, list(words)):
                cache[(hit.seq, hit.id, words)] = hit
        return list(map(cache.__getitem__, keys))


def _asked(saved) -> tuple:
    """What decides an alert's matches besides the index: its query, expansion and last run."""
    return saved.query, saved.expand, saved.last_seq


def match(store, backend, saved, max_hits: int, documents: NewDocuments | None = None) -> list[Pending]:
    """For each recipient of `saved`, the documents it is owed (empty items: nothing to send).

    `documents` is shared by the alerts of one run (see `NewDocuments`); without it the
    documents are read for this alert alone."""
    documents = documents or NewDocuments(store)
    found = documents.found(backend, saved)
    matched = documents.items(found)
    owed: list[Pending] = []
    for recipient in saved.targets():
        sent_ids, sent_clusters = delivered(store, saved.name, recipient)
        fresh = [item for item in matched if item.doc.id not in sent_ids] if sent_ids else matched
        folded: list[StoredDocument] = []
        if sent_clusters:
            folded = [item.doc for item in fresh if item.doc.cluster_id in sent_clusters]
            fresh = [item for item in fresh if item.doc.cluster_id not in sent_clusters]
        owed.append(Pending(recipient=recipient, items=_grouped(fresh, documents.cluster_of), folded=folded))
    _attach_hits(found.words, documents, owed, max_hits)
    return owed


def _grouped(items: list[Item], cluster_of: dict[Item, str]) -> list[Item]:
    """One digest item per near-duplicate cluster (its first match, the others as `similar`) and
    per document outside any cluster, in the matches' order. `cluster_of` gives the cluster of
    each clustered item (`NewDocuments.cluster_of`), so only those are looked at one by one, the
    others pass in C-level passes over the list: an alert run goes through every new match of
    every saved search here."""
    flags = list(map(cluster_of.__contains__, items))
    if True not in flags:
        return items
    positions = list(compress(range(len(items)), flags))
    keys = list(map(cluster_of.__getitem__, compress(items, flags)))
    if len(set(keys)) == len(keys):  # no two matches share a cluster: nothing to fold
        return items
    members: dict[str, list[int]] = {}
    for i, key in zip(positions, keys):
        members.setdefault(key, []).append(i)
    out = list(items)
    for group in members.values():
        if len(group) == 1:
            continue
        lead = out[group[0]]
        out[group[0]] = Item(lead.doc, [items[i].doc for i in group[1:]], lead.hit)
        for i in group[1:]:
            out[i] = None
    return list(filter(None, out))


def _attach_hits(words: tuple[str, ...], documents: NewDocuments, owed: list[Pending], max_hits: int) -> None:
    """Give the items that will be shown in full their search hit (snippet with highlights).

    The documents were found by the same search a moment ago: their hits are built from them with
    the search's highlight words (once per run for a document and those words, `NewDocuments.hits`),
    rather than paging through the search a second time. The items shown are replaced by copies
    carrying the hit: the plain ones are shared with other alerts."""
    for pending in owed:
        shown = pending.items[:max_hits]
        if not shown:
            continue
        hits = documents.hits([item.doc for item in shown], words)
        pending.items = [*(Item(item.doc, item.similar, hit) for item, hit in zip(shown, hits)),
                         *pending.items[len(shown):]]
