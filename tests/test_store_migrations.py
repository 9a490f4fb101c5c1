"""Migrations: numbered in order without gaps or re-use, and a store made under the old names
(four `0003_*` entries after 0004 and 0005) opens without being migrated twice."""

import sqlite3

from index.migrations import MIGRATIONS, RENAMED, TABLE_OWNERS, split_sql
from index.store import Store

# The order and names an older Parallax applied and recorded.
OLD_ORDER = ["0001_initial", "0002_sqlite_index", "0004_document_versions", "0005_source_health",
             "0003_search", "0003_nlp", "0003_alerts", "0003_crawler", "0006_statements",
             "0007_index_rowid", "0008_reliability", "0009_sources", "0010_tantivy"]


def _old_store(path, upto: int) -> None:
    """A store file as an older Parallax left it: the first `upto` old migrations, old names."""
    sql = dict(MIGRATIONS)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("CREATE TABLE schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    for old in OLD_ORDER[:upto]:
        conn.execute("BEGIN")
        for statement in split_sql(sql[RENAMED.get(old, old)]):
            conn.execute(statement)
        conn.execute("INSERT INTO schema_migrations VALUES (?, 'then')", (old,))
        conn.execute("COMMIT")
    conn.execute("INSERT INTO documents (id, url, source_id, content_hash, fetched_at, first_seen_at, "
                 "updated_at, seq) VALUES ('d1', 'https://example.org/a', 's', 'h', 't', 't', 't', 1)")
    conn.close()


def test_migrations_are_numbered_in_order_without_reuse():
    numbers = [int(name.split("_", 1)[0]) for name, _ in MIGRATIONS]
    assert numbers == list(range(1, len(MIGRATIONS) + 1))
    assert len({name for name, _ in MIGRATIONS}) == len(MIGRATIONS)


def test_every_old_name_maps_to_a_migration_with_the_same_sql():
    names = {name for name, _ in MIGRATIONS}
    assert set(RENAMED.values()) <= names
    assert not set(RENAMED) & names  # an old name never comes back as a new one
    assert set(OLD_ORDER) == set(RENAMED) | {"0001_initial", "0002_sqlite_index"}


def test_store_made_with_the_old_names_opens_without_migrating_twice(tmp_path):
    path = tmp_path / "store.db"
    _old_store(path, upto=len(OLD_ORDER))
    # Running 0008_crawler (was 0003_crawler) again would fail on "duplicate column skipped_known".
    with Store(path) as store:
        assert store.applied_migrations() == sorted(name for name, _ in MIGRATIONS)
        assert store.has_document("d1")
        applied_at = dict(store.conn.execute("SELECT name, applied_at FROM schema_migrations"))
        assert {applied_at[RENAMED.get(old, old)] for old in OLD_ORDER} == {"then"}  # nothing ran again
    with Store(path) as store:  # and a second open changes nothing
        assert len(store.applied_migrations()) == len(MIGRATIONS)


def test_store_made_halfway_under_the_old_names_gets_the_rest(tmp_path):
    path = tmp_path / "store.db"
    _old_store(path, upto=4)  # 0001, 0002, 0004_document_versions, 0005_source_health
    with Store(path) as store:
        assert store.applied_migrations() == sorted(name for name, _ in MIGRATIONS)
        assert store.has_document("d1")
        columns = {r[1] for r in store.conn.execute("PRAGMA table_info(crawl_runs)")}
        assert {"skipped_known", "entries_ok"} <= columns
        ran = {r[0] for r in store.conn.execute("SELECT name FROM schema_migrations WHERE applied_at != 'then'")}
        assert ran == {name for name, _ in MIGRATIONS[4:]}


def test_every_table_the_migrations_create_has_an_owner(tmp_path):
    with Store(tmp_path / "store.db") as store:
        tables = {r[0] for r in store.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")}
    assert tables - {"schema_migrations"} == {t for t in TABLE_OWNERS if "." not in t}


def test_versions_kept_when_their_table_becomes_a_rowid_table(tmp_path):
    """0014 rebuilds document_versions (a WITHOUT ROWID table put most of every text on an overflow
    page of its own): every version survives, in order, and the store still records new ones."""
    from index.document import Document

    path = tmp_path / "store.db"
    _old_store(path, upto=len(OLD_ORDER))
    conn = sqlite3.connect(path, isolation_level=None)
    body = "長い本文 long body " * 300  # longer than a page: the rows that overflowed
    conn.executemany("INSERT INTO document_versions VALUES ('d1', ?, ?, 'T', ?, NULL, 't')",
                     [(1, "h1", body), (2, "h2", body + " edited")])
    conn.close()
    with Store(path) as store:
        sql = store.conn.execute("SELECT sql FROM sqlite_schema WHERE name = 'document_versions'").fetchone()[0]
        assert "WITHOUT ROWID" not in sql.upper()
        assert [(v["version"], v["content_hash"], v["body"]) for v in store.versions("d1")] == \
            [(1, "h1", body), (2, "h2", body + " edited")]
        store.upsert_source(type("S", (), {"id": "s", "name": "S", "name_en": "S", "language": "en",
                                           "kind": "news", "country": "US", "collections": ()})())
        doc = Document(url="https://example.org/b", source_id="s", title="T", body="first text")
        store.upsert_document(doc)
        store.upsert_document(Document(url=doc.url, source_id="s", title="T", body="edited text"))
        assert [(v["version"], v["body"]) for v in store.versions(doc.id)] == [(1, "first text"), (2, "edited text")]
