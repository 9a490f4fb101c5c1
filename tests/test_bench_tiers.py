"""The benchmark tiers are built in bulk; these check that the shortcut changes nothing a search
sees: the corpus is the same whether generated in one process or several, and the bulk rows are
the rows `Store.upsert_document` writes for new documents, with analyses the pipeline takes as
current. (Speed is measured in benchmarks/, not here.)"""

from __future__ import annotations

from benchmarks import stores
from benchmarks.corpus import Corpus
from benchmarks.vocabulary import builtin

TIMES = {"fetched_at", "first_seen_at", "updated_at"}


def _rows(store, table: str, key: str, skip: set[str]) -> list[dict]:
    rows = [dict(r) for r in store.conn.execute(f"SELECT * FROM {table} ORDER BY {key}")]
    return [{k: v for k, v in r.items() if k not in skip} for r in rows]


def test_the_corpus_is_the_same_generated_in_one_process_or_several(tmp_path):
    one, two = Corpus(builtin(), cache_dir=tmp_path / "one"), Corpus(builtin(), cache_dir=tmp_path / "two")
    one.ensure(60, workers=1)
    two.ensure(25, workers=1)
    two.ensure(60, workers=2, chunk=10)  # in four chunks; grows from a smaller cache, as the benchmark's does
    assert list(one.documents(60)) == list(two.documents(60))
    assert sum(d.duplicate_of is not None for d in one.documents(60)) > 0  # copies are in the sample


def test_bulk_tier_rows_are_the_rows_the_store_writes_and_need_no_processing(tmp_path):
    from nlp.pipeline import behind_condition, pipeline_version

    corpus = Corpus(builtin(), cache_dir=tmp_path / "corpus")
    corpus.ensure(40, workers=1)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with stores.open_store(tmp_path / "a" / "s.sqlite3") as one, stores.open_store(tmp_path / "b" / "s.sqlite3") as bulk:
        stores.ingest(one, corpus.documents(40))
        added, _ = stores.add_analysed(bulk, corpus.documents(40), workers=2, batch=7, window=14)  # 3 windows
        assert added == 40
        for pragma in ("synchronous", "cache_size"):  # the bulk build's settings end with it
            assert bulk.conn.execute(f"PRAGMA {pragma}").fetchone() == one.conn.execute(f"PRAGMA {pragma}").fetchone()
        assert _rows(bulk, "documents", "seq", TIMES) == _rows(one, "documents", "seq", TIMES)
        assert _rows(bulk, "document_versions", "doc_id", {"fetched_at"}) == \
            _rows(one, "document_versions", "doc_id", {"fetched_at"})
        where, args = behind_condition(pipeline_version())
        assert bulk.count_documents(where, args) == 0 and one.count_documents(where, args) == 40
        zh = bulk.conn.execute("SELECT body_seg FROM analyses a JOIN documents d ON d.id = a.doc_id "
                               "WHERE d.declared_lang = 'zh' LIMIT 1").fetchone()[0]
        assert " " in zh  # Chinese stored segmented, as the index wants it
