"""Keeping the FTS5 index in step with the store: a changed document replaces its index row (found
by its stored rowid, not by scanning), a removed one leaves the index, nothing is indexed twice."""

from index.document import Document
from index.search import SearchRequest, open_backend
from index.store import Store
from nlp.pipeline import process


def _doc(body: str) -> Document:
    return Document(url="https://example.org/s", source_id="s", title="Statement", body=body)


def test_reindexing_a_changed_document_replaces_its_row(settings):
    with Store.open(settings) as store:
        backend = open_backend(settings, store)
        store.upsert_document(_doc("The association discussed wafers."))
        store.upsert_document(Document(url="https://example.org/t", source_id="s", title="Other",
                                       body="Nothing about that."))
        process(store, settings)
        backend.sync()
        first = store.conn.execute("SELECT fts_rowid FROM index_state WHERE doc_id = ?", (_doc("").id,)).fetchone()[0]
        assert first is not None

        store.upsert_document(_doc("The association discussed lithography."))
        process(store, settings)
        assert backend.sync()["indexed"] == 1
        assert backend.search(SearchRequest("wafers", expand=False)).total == 0
        assert backend.search(SearchRequest("lithography", expand=False)).total == 1
        assert store.conn.execute("SELECT COUNT(*) FROM doc_fts").fetchone()[0] == 2
        assert store.conn.execute(
            "SELECT fts_rowid FROM index_state WHERE doc_id = ?", (_doc("").id,)).fetchone()[0] != first


def test_deleting_a_document_removes_its_index_rows(settings):
    with Store.open(settings) as store:
        store.upsert_document(_doc("Export controls were discussed."))
        process(store, settings)
        open_backend(settings, store).sync()
        with store.transaction():
            store.conn.execute("DELETE FROM documents WHERE id = ?", (_doc("").id,))
        assert store.conn.execute("SELECT COUNT(*) FROM doc_fts").fetchone()[0] == 0
        assert store.conn.execute("SELECT COUNT(*) FROM index_state").fetchone()[0] == 0
