"""What a crawl did, per source: counted in the crawl process, kept in `crawl_runs` and
`fetch_state`, read back for `parallax sources list`.

`entries_ok` counts entry points (feeds, sitemaps, listing pages) that answered 200 or 304: a run
with none is a failed run even when it raised no error, and "last success" is the end of the latest
run that had one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from index.document import utc_now

COUNT_KEYS = ("fetched", "new", "updated", "unchanged", "failed", "skipped_known", "not_modified",
              "entries_ok")


@dataclass
class Tally:
    """Per-source counts for one crawl run, kept in the crawl process."""

    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    errors: dict[str, list[dict]] = field(default_factory=dict)
    requested: set[str] = field(default_factory=set)
    fetch_state: dict[str, tuple] = field(default_factory=dict)
    # Article links seen in listings, feeds and sitemaps this run, per source (for withdrawals).
    links: dict[str, set[str]] = field(default_factory=dict)
    # Articles that answered 404/410, per source: [(url, status)].
    missing: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    entries_failed: dict[str, int] = field(default_factory=dict)

    def listed(self, source_id: str, url: str) -> None:
        self.links.setdefault(source_id, set()).add(url)

    def gone(self, source_id: str, url: str, status: int) -> None:
        self.missing.setdefault(source_id, []).append((url, status))

    def entry_failed(self, source_id: str) -> None:
        self.entries_failed[source_id] = self.entries_failed.get(source_id, 0) + 1

    def source_counts(self, source_id: str) -> dict[str, int]:
        return self.counts.setdefault(source_id, {k: 0 for k in COUNT_KEYS})

    def fetched(self, source_id: str) -> None:
        self.source_counts(source_id)["fetched"] += 1

    def skip_known(self, source_id: str) -> None:
        self.source_counts(source_id)["skipped_known"] += 1

    def entry_answered(self, source_id: str, url: str, status: int, etag: str | None,
                       last_modified: str | None) -> None:
        counts = self.source_counts(source_id)
        counts["entries_ok"] += 1
        if status == 304:
            counts["not_modified"] += 1
        else:
            self.fetch_state[url] = (etag, last_modified, status)

    def stored(self, source_id: str, outcome: str, doc) -> None:
        self.source_counts(source_id)[outcome] += 1
        if doc.status == "extract_failed":
            self.failed(source_id, doc.url, doc.error or "extraction failed")

    def failed(self, source_id: str, url: str, reason: str) -> None:
        self.source_counts(source_id)["failed"] += 1
        self.errors.setdefault(source_id, []).append({"url": url, "reason": reason})


def known_urls(store) -> set[str]:
    """Every stored article URL and every address that led to one (a redirect's old address, a
    page whose rel=canonical names another): none of them needs fetching again."""
    urls = store.known_urls()
    urls.update(r[0] for r in store.conn.execute("SELECT url FROM url_aliases"))
    return urls


def save_aliases(store, doc_url: str, addresses: set[str]) -> None:
    aliases = addresses - {doc_url}
    if not aliases:
        return
    now = utc_now()
    with store.transaction():
        for url in aliases:
            store.conn.execute(
                "INSERT INTO url_aliases (url, doc_url, seen_at) VALUES (?, ?, ?) "
                "ON CONFLICT(url) DO UPDATE SET doc_url=excluded.doc_url, seen_at=excluded.seen_at",
                (url, doc_url, now))


def load_fetch_state(store) -> dict[str, tuple[str | None, str | None]]:
    """{url: (etag, last_modified)} of every feed, sitemap and listing page seen before."""
    rows = store.conn.execute("SELECT url, etag, last_modified FROM fetch_state")
    return {r[0]: (r[1], r[2]) for r in rows}


def save_fetch_state(store, states: dict[str, tuple]) -> None:
    now = utc_now()
    with store.transaction():
        for url, (etag, modified, status) in states.items():
            store.conn.execute(
                """INSERT INTO fetch_state (url, etag, last_modified, last_status, checked_at)
                   VALUES (?, ?, ?, ?, ?) ON CONFLICT(url) DO UPDATE SET etag=excluded.etag,
                   last_modified=excluded.last_modified, last_status=excluded.last_status,
                   checked_at=excluded.checked_at""",
                (url, etag, modified, status, now),
            )


INTERRUPTED = ("interrupted: the crawl process ended before finishing (killed, out of memory or "
               "the machine stopped); what it stored is kept and the next crawl fetches the rest")


def close_interrupted_runs(store) -> int:
    """Close every `crawl_runs` row a dead crawl left open, as interrupted; returns how many.

    Call only while holding the crawl lock exclusively (`crawler.run`): then no open row can
    belong to a crawl that is still running. An interrupted run had no successful entry point
    as far as anyone knows, so it never counts as a last success.
    """
    now = utc_now()
    rows = store.conn.execute("SELECT id, errors FROM crawl_runs WHERE finished_at IS NULL").fetchall()
    with store.transaction():
        for run_id, errors in rows:
            listed = [*json.loads(errors or "[]"), {"url": "", "reason": INTERRUPTED}]
            store.conn.execute("UPDATE crawl_runs SET finished_at = ?, entries_ok = 0, errors = ? WHERE id = ?",
                               (now, json.dumps(listed, ensure_ascii=False), run_id))
    return len(rows)


def finish_run(store, run_id: int, counts: dict[str, int], errors: list[dict]) -> None:
    store.finish_crawl_run(run_id, counts, errors)
    with store.transaction():
        store.conn.execute(
            "UPDATE crawl_runs SET skipped_known=?, not_modified=?, entries_ok=? WHERE id=?",
            (counts.get("skipped_known", 0), counts.get("not_modified", 0),
             counts.get("entries_ok", 0), run_id),
        )


@dataclass(frozen=True)
class SourceHealth:
    source_id: str
    documents: int
    failed_documents: int
    last_run: str | None
    last_success: str | None
    counts: dict
    last_error: str | None


def source_health(store, source_ids: list[str]) -> list[SourceHealth]:
    """One row per source: its documents, its latest run's counts and its last successful run."""
    latest = {r["source_id"]: r for r in store.latest_crawl_runs()}
    docs = dict(store.conn.execute("SELECT source_id, COUNT(*) FROM documents GROUP BY 1").fetchall())
    bad = dict(store.conn.execute(
        "SELECT source_id, COUNT(*) FROM documents WHERE status != 'ok' GROUP BY 1").fetchall())
    success = dict(store.conn.execute(
        "SELECT source_id, MAX(finished_at) FROM crawl_runs WHERE entries_ok > 0 GROUP BY 1").fetchall())
    out = []
    for sid in source_ids:
        run = latest.get(sid)
        errors = json.loads(run["errors"]) if run else []
        out.append(SourceHealth(
            source_id=sid, documents=docs.get(sid, 0), failed_documents=bad.get(sid, 0),
            last_run=run["finished_at"] if run else None, last_success=success.get(sid),
            counts={k: run[k] for k in COUNT_KEYS} if run else {},
            last_error=(": ".join(x for x in (errors[-1]["reason"], errors[-1]["url"]) if x)
                        if errors else None),
        ))
    return out


def recent_urls(store, source_ids: list[str], days: float) -> set[str]:
    """Stored articles published in the last `days` days (first seen then, when undated): the
    statements a re-check fetches again, since that is when associations edit or withdraw them."""
    marks = ",".join("?" * len(source_ids))
    rows = store.conn.execute(
        f"SELECT url FROM documents WHERE source_id IN ({marks}) "
        "AND julianday(COALESCE(published_at, first_seen_at)) >= julianday('now') - ?",
        (*source_ids, days))
    return {r[0] for r in rows}
