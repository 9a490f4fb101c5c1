"""The status page's numbers: per-source health from crawl runs, and how far the index is behind."""

from __future__ import annotations

from types import SimpleNamespace

from index.document import Document
from index.backends import open_backend
from index.store import Store
from crawler.records import CrawlRecords
from nlp.analyses import Analyses
from ui.health import freshness, source_health


def _source(source_id):
    return SimpleNamespace(id=source_id, name=source_id, name_en=source_id.upper(), language="en",
                           kind="news", country="US")


def test_status_rows_carry_the_one_source_health(settings):
    with Store.open(settings) as store:
        for sid in ("good", "flaky", "down", "new"):
            store.upsert_source(_source(sid))
        records = CrawlRecords(store)
        records.finish_run(records.start_run("good"), {"entries_ok": 1, "fetched": 3, "new": 3}, [])
        records.finish_run(records.start_run("flaky"), {"entries_ok": 1, "fetched": 4, "new": 2, "failed": 1},
                           [{"url": "https://flaky.example/a", "reason": "HTTP 503"}])
        records.finish_run(records.start_run("down"), {"entries_ok": 1, "fetched": 2}, [])
        for _ in range(2):  # then two runs in which the site did not answer at all
            records.finish_run(records.start_run("down"), {"failed": 1},
                               [{"url": "https://down.example/", "reason": "connection refused"}])
        rows = {r.source_id: r for r in source_health(store)}
    assert {k: r.health.status for k, r in rows.items()} == {
        "good": "ok", "flaky": "degraded", "down": "failing", "new": "never"}
    assert rows["down"].health.last_success is not None  # the first run succeeded
    assert rows["down"].health.last_success <= rows["down"].health.last_run
    assert rows["flaky"].health.errors == ({"url": "https://flaky.example/a", "reason": "HTTP 503"},)
    assert rows["new"].health.last_run is None and rows["new"].health.last_success is None
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
