"""The store under faults: a full disk and a locked database give a clear error and lose nothing."""

import os

import pytest

from index.document import Document
from index.store import Store
from parallax.errors import StoreError
from tests.conftest import small_tmpfs


def _doc(n: int, size: int = 2000) -> Document:
    return Document(url=f"https://example.org/{n}", source_id="s", title=f"T{n}",
                    body=("出口管制 export controls " * size)[: size * 10], raw_html=os.urandom(size))


def _fill_until_error(store: Store) -> tuple[int, StoreError]:
    for n in range(100_000):
        try:
            store.upsert_document(_doc(n))
        except StoreError as exc:
            return n, exc
    pytest.fail("the store never filled up")


def test_full_database_is_a_clear_error_and_keeps_what_was_committed(settings):
    """Fault tried: SQLite's page limit reached mid-write (SQLITE_FULL, as on a full disk)."""
    with Store.open(settings) as store:
        store.conn.execute("PRAGMA max_page_count = 400")
        stored, error = _fill_until_error(store)
        assert "full" in str(error) and "free space" in str(error)
        assert stored > 0
        assert store.count_documents() == stored
        assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with Store.open(settings) as store:  # reopens fine, every committed document readable
        assert store.count_documents() == stored
        assert store.get(_doc(0).id).title == "T0"


def test_full_filesystem_under_the_data_directory(tmp_path):
    """Fault tried: the data directory's filesystem (a 3 MB tmpfs: an empty store on 16 KB pages is
    ~0.7 MB, its first WAL as much again) runs out of space."""
    with small_tmpfs(tmp_path / "small", "3m") as mount_point:
        store = Store(mount_point / "parallax.sqlite3")
        stored, error = _fill_until_error(store)
        assert "free space" in str(error)
        store.close()
        with Store(mount_point / "parallax.sqlite3") as reopened:
            assert reopened.count_documents() == stored
            assert reopened.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_locked_store_is_a_clear_error(settings):
    """Fault tried: another process holds the write lock longer than our busy timeout."""
    with Store.open(settings) as holder, Store.open(settings) as other:
        other.conn.execute("PRAGMA busy_timeout = 100")
        holder.conn.execute("BEGIN IMMEDIATE")
        with pytest.raises(StoreError, match="another Parallax process"):
            other.upsert_document(_doc(1))
        holder.conn.execute("ROLLBACK")
        assert other.upsert_document(_doc(1)) == "new"
