"""What a crawl did, per source: counted in the crawl process (`Tally`), then written once at
the end of the run by `crawler.records.CrawlRecords` and read back by `crawler.health`.

`entries_ok` counts entry points (feeds, sitemaps, listing pages) that answered 200 or 304: a run
with none is a failed run even when it raised no error (see `crawler.health.SourceHealth`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from crawler.records import COUNT_KEYS


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


def recent_urls(store, source_ids: list[str], days: float) -> set[str]:
    """Stored articles published in the last `days` days (first seen then, when undated): the
    statements a re-check fetches again, since that is when associations edit or withdraw them."""
    marks = ",".join("?" * len(source_ids))
    rows = store.conn.execute(
        f"SELECT url FROM documents WHERE source_id IN ({marks}) "
        "AND julianday(COALESCE(published_at, first_seen_at)) >= julianday('now') - ?",
        (*source_ids, days))
    return {r[0] for r in rows}
