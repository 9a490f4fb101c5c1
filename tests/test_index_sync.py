"""Keeping the tantivy index in step with the store: a changed document replaces its entry (delete
by id, then add), one removed from the store leaves the index at the next sync, nothing is held
twice, and the store records what the index holds."""

from index.backends import open_backend
from index.document import Document
from index.search import SearchRequest
from index.store import Store
from nlp.pipeline import process


def _doc(body: str) -> Document:
    return Document(url="https://example.org/s", source_id="s", title="Statement", body=body)


def _all_ids(backend) -> list[str]:
    return list(backend.iter_ids(SearchRequest("", collapse=False)))


def test_reindexing_a_changed_document_replaces_its_entry(settings):
    with Store.open(settings) as store:
        backend = open_backend(settings, store)
        store.upsert_document(_doc("The association discussed wafers."))
        store.upsert_document(Document(url="https://example.org/t", source_id="s", title="Other",
                                       body="Nothing about that."))
        process(store, settings)
        assert backend.sync()["indexed"] == 2
        assert backend.pending() == 0

        store.upsert_document(_doc("The association discussed lithography."))
        process(store, settings)
        assert backend.pending() == 1
        assert backend.sync()["indexed"] == 1
        assert backend.search(SearchRequest("wafers", expand=False)).total == 0
        assert backend.search(SearchRequest("lithography", expand=False)).total == 1
        assert sorted(_all_ids(backend)) == sorted({_doc("").id, Document(url="https://example.org/t",
                                                                           source_id="s").id})
        assert backend.held() == 2
        assert backend.sync() == {"indexed": 0, "removed": 0}


def test_a_document_deleted_from_the_store_leaves_the_index_at_the_next_sync(settings):
    with Store.open(settings) as store:
        store.upsert_document(_doc("Export controls were discussed."))
        process(store, settings)
        backend = open_backend(settings, store)
        backend.sync()
        with store.transaction():
            store.conn.execute("DELETE FROM documents WHERE id = ?", (_doc("").id,))
        # Hits are read from the store: a document gone from it is never shown, even before a sync.
        assert backend.search(SearchRequest("export", expand=False)).hits == []
        assert backend.pending() == 1
        assert backend.sync()["removed"] == 1
        assert backend.held() == 0 and _all_ids(backend) == []
        assert backend.pending() == 0


def test_a_reader_sees_a_writers_commits_without_reopening(settings):
    """Two backends over two store connections (as the app and `parallax index` are): the reader
    finds a document committed after its first search, with no restart."""
    with Store.open(settings) as store, Store.open(settings) as other:
        writer, reader = open_backend(settings, store), open_backend(settings, other)
        store.upsert_document(_doc("Wafers first."))
        process(store, settings)
        writer.sync()
        assert reader.search(SearchRequest("wafers", expand=False)).total == 1
        store.upsert_document(Document(url="https://example.org/u", source_id="s", title="Later",
                                       body="Wafers again."))
        process(store, settings)
        writer.sync()
        assert reader.search(SearchRequest("wafers", expand=False)).total == 2


def test_indexed_through_stops_below_the_first_document_not_indexed(settings):
    with Store.open(settings) as store:
        backend = open_backend(settings, store)
        assert backend.indexed_through() == 0
        store.upsert_document(_doc("One."))
        process(store, settings)
        backend.sync()
        first = store.get(_doc("").id).seq
        assert backend.indexed_through() == first
        store.upsert_document(Document(url="https://example.org/v", source_id="s", title="Two", body="Two."))
        # Stored, not yet analysed nor indexed: the mark stays below it.
        assert backend.indexed_through() == first
        process(store, settings)
        backend.sync()
        assert backend.indexed_through() == first + 1
