"""Which documents an alert owes each recipient: new or changed matches not sent before.

Matching goes through the search backend (`iter_ids` and `search` with `since_seq`), so an alert
finds exactly what the same query finds in `parallax search` and the UI, with the same
cross-language expansion and the same highlighted snippets.

Two pieces of bookkeeping make it exact:

* `last_seq` (per alert) is a store sequence below which every searchable document has already been
  considered. It only advances to the backend's `indexed_through()`: the sequence just below the
  oldest document the index has not caught up with, so a document stored but not yet indexed is
  never skipped. New documents are found by a range on the index's `seq` field (`since_seq`).
* `alert_deliveries` (per alert, recipient and document) says what has gone out. A document is
  never sent twice to a recipient, even when it matches again after an edit; a near-duplicate
  (same `analyses.cluster_id`) of something already sent is folded in rather than sent again.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from index import query as q
from index.highlight import snippet
from index.search import Found, Hit, SearchRequest, build_hits, highlight_words, prepare
from index.store import StoredDocument


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


def match(store, backend, saved, max_hits: int) -> list[Pending]:
    """For each recipient of `saved`, the documents it is owed (empty items: nothing to send)."""
    request = request_for(saved)
    ids = list(backend.iter_ids(request))
    docs = store.get_many(ids)
    ordered = [docs[i] for i in ids if i in docs]
    owed: list[Pending] = []
    for recipient in saved.targets():
        sent_ids, sent_clusters = delivered(store, saved.name, recipient)
        groups: dict[str, Item] = {}
        folded: list[StoredDocument] = []
        for doc in ordered:
            if doc.id in sent_ids:
                continue
            if doc.cluster_id and doc.cluster_id in sent_clusters:
                folded.append(doc)
                continue
            key = f"cluster:{doc.cluster_id}" if doc.cluster_id else f"doc:{doc.id}"
            if key in groups:
                groups[key].similar.append(doc)
            else:
                groups[key] = Item(doc=doc)
        owed.append(Pending(recipient=recipient, items=list(groups.values()), folded=folded))
    _attach_hits(backend, store, saved, owed, max_hits)
    return owed


def _attach_hits(backend, store, saved, owed: list[Pending], max_hits: int) -> None:
    """Give the items that will be shown in full their search hit (snippet with highlights)."""
    wanted = {item.doc.id for p in owed for item in p.items[:max_hits]}
    if not wanted:
        return
    # The ids were found by the same search a moment ago: build their hits from the store with
    # the same highlighting, rather than paging through the search a second time.
    words = highlight_words(prepare(request_for(saved), backend.settings, store.collections()))
    hits: dict[str, Hit] = {h.id: h for h in build_hits(store, [Found(i, 0.0) for i in sorted(wanted)], words)}
    for pending in owed:
        for item in pending.items[:max_hits]:
            item.hit = hits.get(item.doc.id) or _hit_from_document(store, saved, item.doc)


def _hit_from_document(store, saved, doc: StoredDocument) -> Hit:
    """A hit built from the store when the index no longer lists the document (changed meanwhile)."""
    words = [w for t in q.positive_terms(q.parse(saved.query)) for w in t.words]
    source = store.sources().get(doc.source_id, {})
    return Hit(
        id=doc.id, url=doc.url, title=doc.title, lang=doc.lang or doc.declared_lang,
        source_id=doc.source_id, source_name=source.get("name_en", doc.source_id),
        country=doc.country, kind=doc.kind, published_at=doc.published_at, score=0.0,
        snippet=snippet(doc.body, words), title_tr=doc.title_tr,
        snippet_tr=snippet(doc.body_tr, words) if doc.body_tr else None,
        entities=doc.entities, cluster_id=doc.cluster_id, seq=doc.seq, status=doc.status,
        withdrawn_at=doc.withdrawn_at,
    )
