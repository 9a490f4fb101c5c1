"""Statements that disappear: marked withdrawn, never deleted.

Institutions sometimes take a statement down quietly. Two signs are trusted:

* a known article answers 404 or 410 when it is fetched again (`parallax crawl --recheck DAYS`);
* an article vanishes from the *middle* of its source's listings and feeds: every entry point
  answered in full this run, and articles published before and after it are still linked, but it
  is not. An article that merely scrolled off the last listing page is older than everything
  still listed, so it is not taken for a withdrawal; a listing that yields no links at all is a
  broken layout (see `crawler.health`), not a mass withdrawal, so it withdraws nothing.

A withdrawn document keeps its text and its place in the index, with `status = 'withdrawn'` and
`withdrawn_at` (the first time it was seen missing). If it answers again later it becomes 'ok'.
"""

from __future__ import annotations

from crawler.records import CrawlRecords
from index.document import document_id, utc_now

VANISHED = "no longer linked from its source's listings or feeds"


def _doc_ids(store, urls: set[str]) -> dict[str, str]:
    """{url: document id} for the URLs that are stored documents or aliases of one."""
    out = {}
    for url in urls:
        doc_id = document_id(url)
        if store.has_document(doc_id):
            out[url] = doc_id
            continue
        target = CrawlRecords(store).alias_of(url)
        if target is not None and store.has_document(document_id(target)):
            out[url] = document_id(target)
    return out


def record_listings_and_withdrawals(store, source_ids: list[str], tally, now: str | None = None) -> dict[str, int]:
    """After a crawl: note which articles are still listed, mark the withdrawn ones.

    Returns {source_id: documents newly marked withdrawn}.
    """
    now = now or utc_now()
    withdrawn: dict[str, int] = {}
    for source_id in source_ids:
        marked: list[str] = []
        gone = tally.missing.get(source_id, [])
        if gone:
            ids = _doc_ids(store, {url for url, _ in gone})
            for url, status in gone:
                if url in ids:
                    marked += CrawlRecords(store).mark_withdrawn([ids[url]], f"HTTP {status} on a re-check", now)
        marked += _vanished(store, source_id, tally, now)
        withdrawn[source_id] = len(set(marked))
    return withdrawn


def _vanished(store, source_id: str, tally, now: str) -> list[str]:
    links = tally.links.get(source_id, set())
    counts = tally.source_counts(source_id)
    complete = (links and not tally.entries_failed.get(source_id) and not counts.get("not_modified")
                and counts.get("entries_ok"))
    if not complete:
        return []
    listed = set(_doc_ids(store, links).values())
    CrawlRecords(store).mark_listed(listed, now)
    marks = ",".join("?" * len(listed))
    oldest = store.conn.execute(
        f"SELECT MIN(published_at) FROM documents WHERE id IN ({marks})", sorted(listed)).fetchone()[0]
    if oldest is None:
        return []
    candidates = [r[0] for r in store.conn.execute(
        "SELECT id FROM documents WHERE source_id = ? AND status = 'ok' AND listed_at IS NOT NULL "
        "AND published_at >= ?", (source_id, oldest))
        if r[0] not in listed]
    return CrawlRecords(store).mark_withdrawn(candidates, VANISHED, now) if candidates else []
