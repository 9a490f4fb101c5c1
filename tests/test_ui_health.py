"""The status page's numbers: per-source health from crawl runs, and how far the index is behind."""

from __future__ import annotations

from types import SimpleNamespace

from index.document import Document
from index.backends import open_backend
from index.store import Store
from nlp.analyses import Analyses
from ui.health import freshness, source_health


def _source(source_id):
    return SimpleNamespace(id=source_id, name=source_id, name_en=source_id.upper(), language="en",
                           kind="news", country="US")


def test_failing_degraded_ok_and_never_crawled_sources(settings):
    with Store.open(settings) as store:
        for sid in ("good", "flaky", "down", "new"):
            store.upsert_source(_source(sid))
        run = store.start_crawl_run("good")
        store.finish_crawl_run(run, {"fetched": 3, "new": 3}, [])
        run = store.start_crawl_run("flaky")
        store.finish_crawl_run(run, {"fetched": 4, "new": 2, "failed": 1},
                               [{"url": "https://flaky.example/a", "error": "HTTP 503"}])
        run = store.start_crawl_run("down")
        store.finish_crawl_run(run, {"fetched": 2}, [])
        run = store.start_crawl_run("down")  # the latest run: every fetch failed
        store.finish_crawl_run(run, {"fetched": 2, "failed": 2},
                               [{"url": "https://down.example/", "error": "connection refused"}] * 2)
        rows = {r.source_id: r for r in source_health(store)}
    assert {k: r.state for k, r in rows.items()} == {
        "good": "ok", "flaky": "degraded", "down": "failing", "new": "never crawled"}
    assert rows["down"].last_success is not None  # the earlier run succeeded
    assert rows["down"].last_success <= rows["down"].last_run
    assert rows["flaky"].errors == [{"url": "https://flaky.example/a", "error": "HTTP 503"}]
    assert rows["new"].last_run is None and rows["new"].last_success is None
    assert rows["good"].name == "GOOD"


def test_freshness_counts_documents_not_yet_processed_or_indexed(settings):
    with Store.open(settings) as store:
        store.upsert_source(_source("good"))
        docs = [Document(url=f"https://good.example/{n}", source_id="good", title=f"t{n}",
                         body="chips and export controls") for n in range(3)]
        for doc in docs:
            store.upsert_document(doc)
        backend = open_backend(settings, store)
        before = freshness(store, backend)
        Analyses(store).save(docs[0].id, docs[0].content_hash, "v1", lang="en", title_seg="t0",
                             body_seg="chips and export controls")
        middle = freshness(store, backend)
        backend.sync()
        after = freshness(store, backend)
    assert (before.documents, before.not_processed, before.not_indexed) == (3, 3, 0)
    assert (middle.not_processed, middle.not_indexed) == (2, 1)
    assert (after.not_processed, after.not_indexed) == (2, 0)
    assert after.newest_fetch is not None
