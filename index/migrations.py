"""The store's schema: every migration of every package, in one list, in the order applied.

Numbered 0001, 0002, ... in list order; a number is never re-used and a shipped migration is
never edited: add a new one at the end. Each table has one owning package (`TABLE_OWNERS`): only
that package's own small class writes it (index.store.Store for documents and sources,
crawler.records.CrawlRecords, alerts.saved.SavedSearches, ...), and `tests/test_architecture.py`
checks that nobody else does.

Until the numbering was made strict, four `0003_*` migrations sat after 0004 and 0005; a store
created then has those old names in `schema_migrations`. `RENAMED` maps each old name to its
number now, and the store rewrites the bookkeeping on open (`Store._rename_old_migrations`), so such a store is neither migrated
twice nor refused.
"""

from __future__ import annotations

import sqlite3

# (name, SQL), applied in this order and recorded in `schema_migrations`.
MIGRATIONS: list[tuple[str, str]] = [
    (
        "0001_initial",
        """
        CREATE TABLE sources (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            name_en TEXT NOT NULL,
            language TEXT NOT NULL,
            kind TEXT NOT NULL,
            country TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE documents (
            id TEXT PRIMARY KEY,
            url TEXT NOT NULL,
            source_id TEXT NOT NULL,
            kind TEXT,
            country TEXT,
            declared_lang TEXT,
            title TEXT NOT NULL DEFAULT '',
            body TEXT NOT NULL DEFAULT '',
            author TEXT,
            published_at TEXT,
            encoding TEXT,
            raw_html BLOB,
            content_hash TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'ok',
            error TEXT,
            fetched_at TEXT NOT NULL,
            first_seen_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            seq INTEGER NOT NULL
        );
        CREATE INDEX documents_source ON documents(source_id);
        CREATE UNIQUE INDEX documents_seq ON documents(seq);
        CREATE TABLE analyses (
            doc_id TEXT PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
            content_hash TEXT NOT NULL,
            version TEXT NOT NULL,
            lang TEXT,
            script TEXT,
            title_seg TEXT NOT NULL DEFAULT '',
            body_seg TEXT NOT NULL DEFAULT '',
            entities TEXT NOT NULL DEFAULT '[]',
            title_tr TEXT,
            body_tr TEXT,
            translation_model TEXT,
            cluster_id TEXT,
            details TEXT NOT NULL DEFAULT '{}',
            processed_at TEXT NOT NULL
        );
        CREATE INDEX analyses_cluster ON analyses(cluster_id);
        CREATE TABLE crawl_runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            source_id TEXT NOT NULL,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            fetched INTEGER NOT NULL DEFAULT 0,
            new INTEGER NOT NULL DEFAULT 0,
            updated INTEGER NOT NULL DEFAULT 0,
            unchanged INTEGER NOT NULL DEFAULT 0,
            failed INTEGER NOT NULL DEFAULT 0,
            errors TEXT NOT NULL DEFAULT '[]'
        );
        CREATE INDEX crawl_runs_source ON crawl_runs(source_id, started_at);
        CREATE TABLE fetch_state (
            url TEXT PRIMARY KEY,
            etag TEXT,
            last_modified TEXT,
            last_status INTEGER,
            checked_at TEXT NOT NULL
        );
        """,
    ),
    (
        "0002_sqlite_index",
        """
        CREATE VIRTUAL TABLE doc_fts USING fts5(
            doc_id UNINDEXED, title, body, title_tr, body_tr,
            tokenize = 'porter unicode61 remove_diacritics 2'
        );
        CREATE TABLE index_state (
            doc_id TEXT PRIMARY KEY,
            content_hash TEXT NOT NULL,
            analysis_version TEXT NOT NULL,
            processed_at TEXT NOT NULL,
            indexed_at TEXT NOT NULL
        );
        CREATE TABLE doc_entities (
            doc_id TEXT NOT NULL,
            entity_id TEXT NOT NULL,
            PRIMARY KEY (doc_id, entity_id)
        ) WITHOUT ROWID;
        CREATE INDEX doc_entities_entity ON doc_entities(entity_id);
        """,
    ),
    (
        "0003_document_versions",
        """
        CREATE TABLE document_versions (
            doc_id TEXT NOT NULL,
            version INTEGER NOT NULL,
            content_hash TEXT NOT NULL,
            title TEXT NOT NULL,
            body TEXT NOT NULL,
            published_at TEXT,
            fetched_at TEXT NOT NULL,
            PRIMARY KEY (doc_id, version)
        ) WITHOUT ROWID;
        INSERT INTO document_versions (doc_id, version, content_hash, title, body, published_at, fetched_at)
            SELECT id, 1, content_hash, title, body, published_at, fetched_at FROM documents;
        """,
    ),
    (
        "0004_source_health",
        """
        CREATE TABLE health_events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            source_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            message TEXT NOT NULL,
            opened_at TEXT NOT NULL,
            notified_at TEXT,
            closed_at TEXT
        );
        CREATE INDEX health_events_open ON health_events(source_id, closed_at);
        """,
    ),
    (
        "0005_search",
        """
        -- What the Elasticsearch backend has indexed, so `parallax index` sends only what changed.
        CREATE TABLE es_index_state (
            doc_id TEXT PRIMARY KEY,
            content_hash TEXT NOT NULL,
            processed_at TEXT NOT NULL,
            indexed_at TEXT NOT NULL
        );
        -- A document deleted from the store leaves the embedded index in the same transaction.
        CREATE TRIGGER documents_delete_index AFTER DELETE ON documents BEGIN
            DELETE FROM doc_fts WHERE doc_id = old.id;
            DELETE FROM doc_entities WHERE doc_id = old.id;
            DELETE FROM index_state WHERE doc_id = old.id;
        END;
        """,
    ),
    (
        "0006_nlp",
        """
        CREATE TABLE translation_cache (
            model TEXT NOT NULL,
            sentence_hash TEXT NOT NULL,
            source TEXT NOT NULL,
            target TEXT NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (model, sentence_hash)
        ) WITHOUT ROWID;
        CREATE TABLE doc_signatures (
            doc_id TEXT PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
            signature BLOB NOT NULL,
            cluster_id TEXT NOT NULL
        );
        CREATE TABLE doc_bands (
            band INTEGER NOT NULL,
            bucket TEXT NOT NULL,
            doc_id TEXT NOT NULL,
            PRIMARY KEY (band, bucket, doc_id)
        ) WITHOUT ROWID;
        CREATE INDEX doc_bands_doc ON doc_bands(doc_id);
        """,
    ),
    (
        "0007_alerts",
        """
        CREATE TABLE saved_searches (
            name TEXT PRIMARY KEY,
            query TEXT NOT NULL,
            recipients TEXT NOT NULL,
            frequency TEXT NOT NULL,
            lang TEXT NOT NULL,
            active INTEGER NOT NULL DEFAULT 1,
            expand INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL,
            last_run_at TEXT,
            last_seq INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE alert_deliveries (
            alert TEXT NOT NULL REFERENCES saved_searches(name) ON DELETE CASCADE,
            doc_id TEXT NOT NULL,
            recipient TEXT NOT NULL,
            outcome TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            cluster_id TEXT,
            message_id TEXT,
            sent_at TEXT NOT NULL,
            PRIMARY KEY (alert, recipient, doc_id)
        ) WITHOUT ROWID;
        CREATE INDEX alert_deliveries_cluster ON alert_deliveries(alert, recipient, cluster_id);
        """,
    ),
    (
        "0008_crawler",
        """
        ALTER TABLE crawl_runs ADD COLUMN skipped_known INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE crawl_runs ADD COLUMN not_modified INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE crawl_runs ADD COLUMN entries_ok INTEGER NOT NULL DEFAULT 0;
        CREATE TABLE url_aliases (
            url TEXT PRIMARY KEY,
            doc_url TEXT NOT NULL,
            seen_at TEXT NOT NULL
        );
        """,
    ),
    (
        "0009_statements",
        """
        -- A statement taken down (404/410 on a re-check, or gone from the middle of its listing)
        -- keeps its text and stays searchable; withdrawn_at is the first time it was seen missing.
        ALTER TABLE documents ADD COLUMN withdrawn_at TEXT;
        -- The last crawl in which a listing, feed or sitemap of its source still linked to it.
        ALTER TABLE documents ADD COLUMN listed_at TEXT;
        -- Webhook channels ([{"url", "format"}]) and the opt-in to edit/withdrawal events.
        ALTER TABLE saved_searches ADD COLUMN channels TEXT NOT NULL DEFAULT '[]';
        ALTER TABLE saved_searches ADD COLUMN on_changes INTEGER NOT NULL DEFAULT 0;
        -- One row per change event (a new version, a withdrawal) sent to one recipient or channel.
        CREATE TABLE alert_changes (
            alert TEXT NOT NULL REFERENCES saved_searches(name) ON DELETE CASCADE,
            recipient TEXT NOT NULL,
            doc_id TEXT NOT NULL,
            change TEXT NOT NULL,
            sent_at TEXT NOT NULL,
            PRIMARY KEY (alert, recipient, doc_id, change)
        ) WITHOUT ROWID;
        """,
    ),
    (
        "0010_index_rowid",
        """
        -- Where each document sits in doc_fts: deleting by rowid is a lookup, deleting by the
        -- unindexed doc_id column scans the whole index (re-indexing slowed as the index grew).
        ALTER TABLE index_state ADD COLUMN fts_rowid INTEGER;
        UPDATE index_state SET fts_rowid = m.fts_rowid
            FROM (SELECT rowid AS fts_rowid, doc_id FROM doc_fts) AS m
            WHERE m.doc_id = index_state.doc_id;
        DROP TRIGGER IF EXISTS documents_delete_index;
        CREATE TRIGGER documents_delete_index AFTER DELETE ON documents BEGIN
            DELETE FROM doc_fts WHERE rowid = (SELECT fts_rowid FROM index_state WHERE doc_id = old.id);
            DELETE FROM doc_entities WHERE doc_id = old.id;
            DELETE FROM index_state WHERE doc_id = old.id;
        END;
        """,
    ),
    (
        "0011_reliability",
        """
        -- Why an alert was last not delivered (cleared by its next full delivery), and when the
        -- operators were told: once per problem, not once per run.
        CREATE TABLE alert_errors (
            alert TEXT PRIMARY KEY REFERENCES saved_searches(name) ON DELETE CASCADE,
            error TEXT NOT NULL,
            failed_at TEXT NOT NULL,
            notified_at TEXT
        );
        """,
    ),
    (
        "0012_sources",
        """
        -- The collections each source belongs to (a JSON list), as configured in the sources file:
        -- search rewrites collection:NAME into the member sources, exports and alerts show them.
        ALTER TABLE sources ADD COLUMN collections TEXT NOT NULL DEFAULT '[]';
        """,
    ),
    (
        "0013_tantivy",
        """
        -- The embedded index moved to tantivy (a directory beside the store): the FTS5 tables go.
        DROP TRIGGER IF EXISTS documents_delete_index;
        DROP TABLE IF EXISTS doc_fts;
        DROP TABLE IF EXISTS doc_entities;
        DROP TABLE IF EXISTS index_state;
        -- What each generation of the tantivy index holds (one row per document), so a sync sends
        -- only what changed and a crash between the index's commit and this table's costs a
        -- re-index, never a miss. A rebuild fills a new generation; `live` says which one serves.
        CREATE TABLE tantivy_docs (
            generation INTEGER NOT NULL,
            doc_id TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            processed_at TEXT NOT NULL,
            PRIMARY KEY (generation, doc_id)
        ) WITHOUT ROWID;
        -- live: the generation searches use (0: none yet); commits: bumped on every commit, so
        -- readers know when to reload.
        CREATE TABLE tantivy_meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
        INSERT INTO tantivy_meta (name, value) VALUES ('live', 0), ('commits', 0);
        -- Search results stream as index seq numbers; this index turns them into ids without
        -- reading the documents' rows.
        CREATE INDEX documents_seq_id ON documents(seq, id);
        """,
    ),
    (
        "0014_tier",
        """
        -- document_versions as a rowid table: a WITHOUT ROWID table keeps at most ~1 KB of a row on
        -- its page (SQLite's limit for such tables on 4 KB pages) and puts the rest of every text on
        -- an overflow page of its own, mostly empty: 4.5 KB of file per 2.2 KB text. Rows also went
        -- in by document id, all over the file; now they are appended, the key an index beside them.
        CREATE TABLE document_versions_rowid (
            doc_id TEXT NOT NULL,
            version INTEGER NOT NULL,
            content_hash TEXT NOT NULL,
            title TEXT NOT NULL,
            body TEXT NOT NULL,
            published_at TEXT,
            fetched_at TEXT NOT NULL,
            PRIMARY KEY (doc_id, version)
        );
        INSERT INTO document_versions_rowid (doc_id, version, content_hash, title, body, published_at, fetched_at)
            SELECT doc_id, version, content_hash, title, body, published_at, fetched_at FROM document_versions;
        DROP TABLE document_versions;
        ALTER TABLE document_versions_rowid RENAME TO document_versions;
        -- A segmented text that is the document's own text (nearly every English one) is not
        -- stored again: its column stays '' and its flag says "read the document's text".
        ALTER TABLE analyses ADD COLUMN title_is_text INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE analyses ADD COLUMN body_is_text INTEGER NOT NULL DEFAULT 0;
        """,
    ),
    (
        "0015_phrase_marks",
        """
        -- The known phrases found in the title and body (`nlp.phrases`: marks separated by
        -- spaces, '' for none, NULL when the text could not be marked exactly) and the
        -- fingerprint of the phrase table they were found with (NULL: not marked yet).
        ALTER TABLE analyses ADD COLUMN title_marks TEXT;
        ALTER TABLE analyses ADD COLUMN body_marks TEXT;
        ALTER TABLE analyses ADD COLUMN marks_table TEXT;
        """,
    ),
    (
        "0016_index_terms",
        """
        -- What the search index is fed for the title and body (`nlp.terms`: the analyzer's
        -- tokens, then the known phrases' marks) and the form and phrase table they were
        -- worked out with (NULL: not yet). The marks alone, stored here before, keep their
        -- old fingerprint, which is no terms form: the index works the terms out itself
        -- until the language stage `terms`, new to these analyses, has run on them.
        ALTER TABLE analyses RENAME COLUMN title_marks TO title_terms;
        ALTER TABLE analyses RENAME COLUMN body_marks TO body_terms;
        ALTER TABLE analyses RENAME COLUMN marks_table TO terms_table;
        """,
    ),
]


# Old name -> name now (the same SQL): rewritten in `schema_migrations` before migrating.
RENAMED: dict[str, str] = {
    "0004_document_versions": "0003_document_versions",
    "0005_source_health": "0004_source_health",
    "0003_search": "0005_search",
    "0003_nlp": "0006_nlp",
    "0003_alerts": "0007_alerts",
    "0003_crawler": "0008_crawler",
    "0006_statements": "0009_statements",
    "0007_index_rowid": "0010_index_rowid",
    "0008_reliability": "0011_reliability",
    "0009_sources": "0012_sources",
    "0010_tantivy": "0013_tantivy",
}

# The package that owns (creates and alone writes) each table. Columns added to another
# package's table are listed as "table.column".
TABLE_OWNERS: dict[str, str] = {
    "sources": "index",
    "documents": "index",
    "document_versions": "index",
    "documents.withdrawn_at": "crawler",
    "documents.listed_at": "crawler",
    "analyses": "nlp",
    "translation_cache": "nlp",
    "doc_signatures": "nlp",
    "doc_bands": "nlp",
    "crawl_runs": "crawler",
    "fetch_state": "crawler",
    "url_aliases": "crawler",
    "health_events": "crawler",
    "saved_searches": "alerts",
    "alert_deliveries": "alerts",
    "alert_changes": "alerts",
    "alert_errors": "alerts",
    "es_index_state": "index",
    "tantivy_docs": "index",
    "tantivy_meta": "index",
}


def split_sql(script: str) -> list[str]:
    """Split a migration into complete statements (trigger bodies keep their inner semicolons)."""
    statements, current = [], ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    if current.strip():
        statements.append(current.strip())
    return statements
