"""Dependencies failing: Elasticsearch unreachable, a corrupt translation cache, a missing model.

Faults tried:
- `index.backend = elasticsearch` with PARALLAX_ES_URL on a closed 127.0.0.1 port, through
  `parallax run` and `parallax index`: one clear `BackendUnavailable` line naming how many documents
  the index is behind, no traceback, and the SQLite store keeps every document and analysis.
  Elasticsearch cannot run here, so the catch-up is checked through its bookkeeping
  (`es_index_state`): what a successful bulk records, and what a changed document puts back behind.
- garbage bytes and wrong types in `translation_cache.target`: the stage translates those sentences
  again with the real (tiny, built here) MarianMT model and repairs the entries.
- translation models that are not on this machine: `parallax process` says so once per model and
  the other stages fill every document.
"""

from __future__ import annotations

import dataclasses

import pytest

from index.elastic import ElasticBackend
from index.store import Store
from nlp.pipeline import process
from parallax.errors import BackendUnavailable
from tests.alerts_fixtures import DOCS, add_documents, free_port
from tests.conftest import make_settings, run_cli
from tests.test_nlp_translate import _settings as translate_settings
from tests.test_run_loop import write_assoc_sources, write_site


def _es_settings(data_dir, port):
    return make_settings(data_dir, **{"index.backend": "elasticsearch",
                                      "elasticsearch.url": f"http://127.0.0.1:{port}"})


def _counts(path) -> dict[str, int]:
    with Store(path) as store:
        return {table: store.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
                for table in ("documents", "analyses", "es_index_state")}


@pytest.mark.slow
def test_parallax_run_with_elasticsearch_unreachable_reports_index_lag_and_keeps_the_store(tmp_path):
    """Fault: Elasticsearch down (closed port) during `parallax run` and then `parallax index`."""
    from parallax.sample_server import SiteServer

    root = tmp_path / "site"
    write_site(root)
    closed = free_port()
    with SiteServer(root) as site:
        sources = tmp_path / "sources.toml"
        write_assoc_sources(sources, site.url)
        env = {"PARALLAX_DATA_DIR": str(tmp_path / "data"), "PARALLAX_SOURCES": str(sources),
               "PARALLAX_CRAWL_DOWNLOAD_DELAY": "0", "PARALLAX_CRAWL_AUTOTHROTTLE": "false",
               "PARALLAX_NLP_TRANSLATE": "false", "PARALLAX_INDEX_BACKEND": "elasticsearch",
               "PARALLAX_ES_URL": f"http://127.0.0.1:{closed}"}
        ran = run_cli("run", env=env, timeout=300)
    assert ran.returncode == 1
    assert "Traceback" not in ran.stderr
    assert f"cannot reach Elasticsearch at http://127.0.0.1:{closed}" in ran.stderr
    assert "The index is 2 document(s) behind the store" in ran.stderr
    assert "PARALLAX_ES_URL" in ran.stderr  # the fix is named
    store_path = tmp_path / "data" / "parallax.sqlite3"
    assert _counts(store_path) == {"documents": 2, "analyses": 2, "es_index_state": 0}

    again = run_cli("index", env=env, timeout=120)
    assert again.returncode == 1
    error_lines = [line for line in again.stderr.splitlines() if line.startswith("Error:")]
    assert len(error_lines) == 1 and "2 document(s) behind" in error_lines[0]
    assert "Traceback" not in again.stderr and "Retrying request" not in again.stderr
    assert _counts(store_path) == {"documents": 2, "analyses": 2, "es_index_state": 0}


def test_index_lag_bookkeeping_is_what_the_catch_up_sends(tmp_path):
    """Fault: Elasticsearch unreachable after part of the store was indexed, then a document
    changes. The lag counts exactly the documents the next sync would send, from `es_index_state`."""
    settings = _es_settings(tmp_path / "data", free_port())
    with Store.open(settings) as store:
        add_documents(store, settings, DOCS["en"], DOCS["zh"], index=False)
        backend = ElasticBackend(settings, store)
        en_id, zh_id = (store.conn.execute("SELECT id FROM documents WHERE url = ?", (DOCS[k].url,)).fetchone()[0]
                        for k in ("en", "zh"))
        assert backend.lag() == 2
        with pytest.raises(BackendUnavailable) as down:
            backend.sync(store)
        assert down.value.lag == 2

        backend._mark_indexed([en_id])  # what a bulk request the server accepted records
        assert backend.lag() == 1
        with pytest.raises(BackendUnavailable) as down:
            backend.sync(store)
        assert down.value.lag == 1 and "1 document(s) behind" in str(down.value)

        # The English page changes on the site: re-crawled and processed, it is behind again.
        store.upsert_document(dataclasses.replace(DOCS["en"], body=DOCS["en"].body + "\n\nA correction was added."))
        process(store, settings)
        assert set(backend._behind()) == {en_id, zh_id}
        with pytest.raises(BackendUnavailable):
            backend.rebuild(store)
        assert backend.lag() == 2
        assert store.conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0] == 2
        assert "correction" in store.get(en_id).body


@pytest.mark.slow
def test_corrupt_translation_cache_entries_are_translated_again_not_fatal(tiny_marian, tmp_path):
    """Fault: garbage bytes, an integer and a float stored as cached translations."""
    settings = translate_settings(tmp_path, tiny_marian, translate_scope="full")
    with Store.open(settings) as store:
        add_documents(store, settings, DOCS["en"], DOCS["zh"], index=False)
        rows = store.conn.execute("SELECT model, sentence_hash FROM translation_cache ORDER BY 2").fetchall()
        assert len(rows) >= 4
        damage = [b"\xff\xfe\x00garbage", 42, 3.5, b""]
        with store.transaction() as conn:
            for (model, key), bad in zip(rows, damage):
                conn.execute("UPDATE translation_cache SET target = ? WHERE model = ? AND sentence_hash = ?",
                             (bad, model, key))
        # The same sentences arrive again in new documents: the cache is consulted.
        for key, doc in DOCS.items():
            store.upsert_document(dataclasses.replace(doc, url=doc.url + "?copy=1"))
        report = process(store, settings)
        assert report.processed == 2
        copies = store.conn.execute(
            "SELECT d.id FROM documents d WHERE d.url LIKE '%?copy=1'").fetchall()
        for (doc_id,) in copies:
            doc = store.get(doc_id)
            assert isinstance(doc.title_tr, str) and isinstance(doc.body_tr, str)
            assert doc.translation_model == str(tiny_marian)
        types = {r[0] for r in store.conn.execute("SELECT typeof(target) FROM translation_cache")}
        assert types == {"text"}  # the damaged entries were replaced


@pytest.mark.slow
def test_missing_translation_models_are_reported_once_and_the_pipeline_continues(tmp_path):
    """Fault: both translation models point at directories that do not exist."""
    settings = make_settings(tmp_path / "data")
    with Store.open(settings) as store:
        add_documents(store, settings, index=False)
        for doc in (DOCS["en"], DOCS["zh"], dataclasses.replace(DOCS["en"], url=DOCS["en"].url + "/2")):
            store.upsert_document(doc)
    env = {"PARALLAX_DATA_DIR": str(settings.data_dir),
           "PARALLAX_NLP_TRANSLATE_ZH_EN": str(tmp_path / "no-such-zh-en"),
           "PARALLAX_NLP_TRANSLATE_EN_ZH": str(tmp_path / "no-such-en-zh")}
    result = run_cli("process", env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    for name in ("no-such-zh-en", "no-such-en-zh"):
        assert result.stderr.count(name) == 1, result.stderr
    with Store(settings.store_path) as store:
        docs = [store.get(r[0]) for r in store.conn.execute("SELECT id FROM documents")]
    assert len(docs) == 3
    assert all(d.lang in ("en", "zh") and d.analysis_version and d.body_seg and d.title_tr is None for d in docs)
