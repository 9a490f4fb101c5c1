"""Alert matching on the embedded index: new documents by a range on `seq`, documents read once per run."""

from __future__ import annotations

import dataclasses

from alerts.matching import NewDocuments, match
from alerts.saved import SavedSearch
from index.backends import open_backend
from index.document import Document
from index.search import SearchRequest
from index.store import Store
from tests.alerts_fixtures import add_documents
from tests.conftest import make_settings


TOPICS = ["wafer fabrication capacity in Ohio", "licensing delays for lithography tools",
          "a joint workshop with university researchers", "tariff schedules on memory chips",
          "supply of rare gases for etching", "training programmes for technicians"]


def _statement(i: int) -> Document:
    """Six statements on export controls, each on its own topic (so none are near-duplicates)."""
    topic = TOPICS[i]
    return Document(
        url=f"https://sia.example.org/news/statement-{i}", source_id="sia", declared_lang="en",
        title=f"Statement {i} on export controls", kind="association", country="US",
        published_at=f"2026-10-{i + 1:02d}T09:00:00+00:00",
        body=f"Our members discussed {topic}. " * (i + 2) + f"Export controls came up {i + 1} times.")


def _store(tmp_path, n: int = 6):
    settings = make_settings(tmp_path / "data")
    store = Store.open(settings)
    add_documents(store, settings, *(_statement(i) for i in range(n)))
    return settings, store


def _seqs(store) -> dict[str, int]:
    return dict(store.conn.execute("SELECT id, seq FROM documents").fetchall())


def test_matches_are_the_documents_stored_after_the_cut_newest_first(tmp_path):
    settings, store = _store(tmp_path)
    with store:
        backend = open_backend(settings, store)
        seqs = _seqs(store)
        cut = sorted(seqs.values())[2]
        found = backend.matches(SearchRequest('"export controls"', since_seq=cut, sort="date", collapse=False))
        newest_first = list(backend.iter_ids(SearchRequest('"export controls"', sort="date", collapse=False)))
        assert found.seqs == [seqs[i] for i in newest_first if seqs[i] > cut]
        assert len(found) == 3
        assert found.words == ("export controls", "出口管制")  # the expansion lights up too
        assert backend.matches(SearchRequest("nothing-matches-this", since_seq=0)).seqs == []


def test_a_document_stored_again_but_not_yet_reindexed_is_still_matched_as_the_store_has_it(tmp_path):
    settings, store = _store(tmp_path, n=3)
    with store:
        backend = open_backend(settings, store)
        edited = dataclasses.replace(_statement(1), title="Statement 1 on export controls, corrected")
        store.upsert_document(edited)  # a new seq in the store; the index still holds the old one
        saved = SavedSearch("wg", '"export controls"', ["analyst@example.org"], last_seq=0)
        [owed] = match(store, backend, saved, 20)
        titles = [item.doc.title for item in owed.items]
        assert "Statement 1 on export controls, corrected" in titles and len(titles) == 3


def test_alerts_of_one_run_share_the_documents_and_get_what_each_would_get_alone(tmp_path):
    settings, store = _store(tmp_path)
    with store:
        backend = open_backend(settings, store)
        cut = sorted(_seqs(store).values())[1]
        alerts = [SavedSearch(f"a{i}", query, ["analyst@example.org"], last_seq=cut)
                  for i, query in enumerate(['"export controls"', "members", "wafer OR tariff"])]
        alone = [match(store, backend, a, 2) for a in alerts]
        shared = NewDocuments(store, limit=3)  # smaller than one alert's matches: the cache starts over
        together = [match(store, backend, a, 2, shared) for a in alerts]

        def shape(owed):
            return [(p.recipient, [(i.doc.id, [d.id for d in i.similar], i.hit.id if i.hit else None)
                                   for i in p.items]) for p in owed]

        assert [shape(o) for o in together] == [shape(o) for o in alone]
        assert [len(o[0].items) for o in alone] == [4, 4, 1]  # wafer: stored before the cut
        # Only the first two items (max_hits) of each digest carry a hit with its snippet.
        assert [i.hit is not None for i in alone[0][0].items] == [True, True, False, False]


def test_near_duplicates_of_a_match_are_folded_into_its_first_item(tmp_path):
    settings, store = _store(tmp_path)
    with store:
        ids = list(_seqs(store))
        with store.transaction():
            store.conn.execute("UPDATE analyses SET cluster_id = 'c1' WHERE doc_id IN (?, ?, ?)", ids[:3])
        backend = open_backend(settings, store)
        backend.sync(store)
        [owed] = match(store, backend, SavedSearch("wg", '"export controls"', ["a@example.org"]), 20)
        assert len(owed.items) == 4  # one for the cluster of three, three standing alone
        [cluster] = [i for i in owed.items if i.doc.cluster_id == "c1"]
        assert sorted([cluster.doc.id, *(d.id for d in cluster.similar)]) == sorted(ids[:3])
        assert cluster.doc.published_at > max(d.published_at for d in cluster.similar)  # newest first


def test_a_document_two_alerts_of_one_run_share_shows_each_alerts_own_highlights_and_folds(tmp_path):
    settings, store = _store(tmp_path)
    with store:
        ids = list(_seqs(store))
        with store.transaction():  # statements 3 and 4 are near-duplicates
            store.conn.execute("UPDATE analyses SET cluster_id = 'c1' WHERE doc_id IN (?, ?)", ids[3:5])
        backend = open_backend(settings, store)
        backend.sync(store)
        shared = NewDocuments(store)
        broad = SavedSearch("broad", '"export controls"', ["a@example.org"], last_seq=0)
        narrow = SavedSearch("narrow", "wafer OR tariff", ["a@example.org"], last_seq=0)
        [first] = match(store, backend, broad, 20, shared)
        before = [(i.doc.id, [d.id for d in i.similar], i.hit.snippet.marked()) for i in first.items]
        [second] = match(store, backend, narrow, 20, shared)

        assert [(i.doc.id, [d.id for d in i.similar], i.hit.snippet.marked()) for i in first.items] == before
        assert len(first.items) == 5 and [len(i.similar) for i in first.items].count(1) == 1
        # In the narrow alert statement 3 matches without its near-duplicate: nothing folded into it.
        assert sorted(i.doc.id for i in second.items) == sorted([ids[0], ids[3]])
        assert all(i.similar == () for i in second.items)
        by_id = {i.doc.id: i.hit.snippet.marked() for i in first.items}
        shown = {i.doc.id: i.hit.snippet.marked() for i in second.items}
        assert "[Export controls]" in by_id[ids[0]] and "[wafer]" not in by_id[ids[0]]
        assert "[wafer]" in shown[ids[0]] and "[Export controls]" not in shown[ids[0]]


class _Counting:
    """The real backend, counting the searches an alert run makes."""

    def __init__(self, backend):
        self.backend, self.searches = backend, 0

    def __getattr__(self, name):
        return getattr(self.backend, name)

    def matches(self, request):
        self.searches += 1
        return self.backend.matches(request)


def test_alerts_asking_the_same_are_searched_once_until_the_index_changes(tmp_path):
    settings, store = _store(tmp_path, n=4)
    with store:
        backend = _Counting(open_backend(settings, store))
        same = [SavedSearch(f"s{i}", '"export controls"', [f"r{i}@example.org"], last_seq=0) for i in range(3)]
        other = SavedSearch("later", '"export controls"', ["r@example.org"], last_seq=_seqs(store)[list(_seqs(store))[1]])
        shared = NewDocuments(store, alerts=[*same, other])
        [first] = match(store, backend, same[0], 20, shared)
        [second] = match(store, backend, same[1], 20, shared)
        assert backend.searches == 1
        assert [i.doc.id for i in second.items] == [i.doc.id for i in first.items] and len(first.items) == 4
        match(store, backend, other, 20, shared)  # another last run: its own search
        assert backend.searches == 2
        add_documents(store, settings, _statement(4))  # a commit: the index has changed
        [third] = match(store, backend, same[2], 20, shared)
        assert backend.searches == 3 and len(third.items) == 5
