"""The store: migrations on open, idempotent transactional upsert, raw HTML kept compressed."""

import sqlite3

import pytest

from index.document import Document, document_id
from index.store import MIGRATIONS, Store
from parallax.errors import StoreError


def doc(**kw):
    base = dict(url="https://example.org/a", source_id="s", title="Title", body="One.\n\nTwo.",
                published_at="2025-07-19T04:00:00+00:00", raw_html=b"<html>page</html>")
    base.update(kw)
    return Document(**base)


def test_open_creates_wal_store_with_all_migrations(settings):
    with Store.open(settings) as store:
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store.applied_migrations() == sorted(name for name, _ in MIGRATIONS)
    assert settings.store_path.exists()


def test_reopening_applies_nothing_twice(settings):
    Store.open(settings).close()
    with Store.open(settings) as store:
        rows = store.conn.execute("SELECT COUNT(*) FROM schema_migrations").fetchone()[0]
        assert rows == len(MIGRATIONS)


def test_old_store_is_upgraded_on_open(settings):
    """A store written before the index migration existed gets it on the next open."""
    settings.data_dir.mkdir(parents=True)
    conn = sqlite3.connect(settings.store_path)
    conn.execute("CREATE TABLE schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    name, sql = MIGRATIONS[0]
    conn.executescript(sql)
    conn.execute("INSERT INTO schema_migrations VALUES (?, 'then')", (name,))
    conn.commit()
    conn.close()
    with Store.open(settings) as store:
        assert len(store.applied_migrations()) == len(MIGRATIONS)
        # Every later migration ran: the FTS5 tables of the old embedded index are gone again.
        assert store.conn.execute("SELECT value FROM tantivy_meta WHERE name = 'live'").fetchone()[0] == 0
        assert not store.conn.execute("SELECT name FROM sqlite_master WHERE name = 'doc_fts'").fetchall()


def test_store_from_a_newer_version_is_refused(settings):
    Store.open(settings).close()
    conn = sqlite3.connect(settings.store_path)
    conn.execute("INSERT INTO schema_migrations VALUES ('9999_future', 'later')")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="newer Parallax"):
        Store.open(settings)


def test_upsert_is_idempotent(settings):
    with Store.open(settings) as store:
        assert store.upsert_document(doc()) == "new"
        seq = store.get(document_id("https://example.org/a")).seq
        assert store.upsert_document(doc()) == "unchanged"
        assert store.count_documents() == 1
        assert store.get(document_id("https://example.org/a")).seq == seq


def test_changed_text_is_an_update_with_a_new_sequence_number(settings):
    with Store.open(settings) as store:
        store.upsert_document(doc())
        before = store.get(doc().id)
        assert store.upsert_document(doc(body="One.\n\nTwo, edited.")) == "updated"
        after = store.get(doc().id)
        assert after.seq > before.seq and after.first_seen_at == before.first_seen_at
        assert after.body.endswith("edited.")


def test_raw_html_is_kept_compressed_and_returned_intact(settings):
    html = ("<p>出口管制</p>" * 500).encode("gb18030")
    with Store.open(settings) as store:
        store.upsert_document(doc(raw_html=html))
        stored = store.conn.execute("SELECT length(raw_html) FROM documents").fetchone()[0]
        assert stored < len(html) / 5
        assert store.raw_html(doc().id) == html


def test_failed_upsert_leaves_nothing_half_written(settings):
    """A failure inside the transaction (here a NOT NULL violation) rolls the whole write back."""
    with Store.open(settings) as store:
        store.upsert_document(doc())
        with pytest.raises(sqlite3.IntegrityError):
            with store.transaction():
                store.conn.execute("UPDATE documents SET title = 'changed'")
                store.conn.execute("INSERT INTO documents (id) VALUES ('x')")
        assert store.get(doc().id).title == "Title"
        assert store.count_documents() == 1


def test_missing_data_directory_is_a_clear_error(tmp_path):
    with pytest.raises(StoreError, match="does not exist"):
        Store(tmp_path / "missing" / "parallax.sqlite3")


def test_store_file_that_is_not_sqlite_is_a_clear_error(settings):
    settings.data_dir.mkdir(parents=True)
    settings.store_path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="cannot open the store"):
        Store.open(settings)
