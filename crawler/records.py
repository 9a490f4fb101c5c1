"""The crawler's tables, written only through this class.

`crawl_runs` (what each run did per source), `fetch_state` (validators of feeds, sitemaps and
listings), `url_aliases` (addresses that led to a stored article), `health_events` (problems the
operators are told of once) and the two crawler columns of `documents` (`listed_at`,
`withdrawn_at`). The store holds the file and its transactions; which rows the crawler keeps, and
how a run's row is finished, is decided here and nowhere else.
"""

from __future__ import annotations

import json

from index.document import utc_now

COUNT_KEYS = ("fetched", "new", "updated", "unchanged", "failed", "skipped_known", "not_modified",
              "entries_ok")

INTERRUPTED = ("interrupted: the crawl process ended before finishing (killed, out of memory or "
               "the machine stopped); what it stored is kept and the next crawl fetches the rest")

# A run that read content and worked (see `crawler.health.SourceHealth`): at least one entry point
# answered, and it fetched more articles than failed or found known ones still linked.
SUCCESS_SQL = "finished_at IS NOT NULL AND entries_ok > 0 AND (fetched > failed OR skipped_known > 0)"
# A run in which every entry point that answered said 304 Not Modified and nothing else happened:
# it read nothing, so it is as good as the last run that did read content.
UNCHANGED_SQL = ("(entries_ok > 0 AND not_modified = entries_ok AND fetched = 0 AND skipped_known = 0 "
                 "AND failed = 0)")


class CrawlRecords:
    """Crawl runs, fetch validators, URL aliases, health events and withdrawals in one store."""

    def __init__(self, store):
        self.store = store
        self.conn = store.conn

    # -- runs -----------------------------------------------------------------------------------

    def start_run(self, source_id: str) -> int:
        with self.store.transaction():
            return self.conn.execute("INSERT INTO crawl_runs (source_id, started_at) VALUES (?, ?)",
                                     (source_id, utc_now())).lastrowid

    def finish_run(self, run_id: int, counts: dict[str, int], errors: list[dict]) -> None:
        """Write a run's counts, errors and end in one transaction: a reader never sees a run that
        is finished but whose entry-point counts are still zero."""
        with self.store.transaction():
            self.conn.execute(
                f"UPDATE crawl_runs SET finished_at = ?, {', '.join(f'{k} = ?' for k in COUNT_KEYS)}, "
                "errors = ? WHERE id = ?",
                (utc_now(), *[counts.get(k, 0) for k in COUNT_KEYS],
                 json.dumps(errors[:200], ensure_ascii=False), run_id))

    def close_interrupted(self) -> int:
        """Close every run a dead crawl left open, as interrupted; returns how many.

        Call only while holding the crawl lock exclusively (`crawler.run`): then no open row can
        belong to a crawl that is still running. An interrupted run had no successful entry point
        as far as anyone knows, so it never counts as a last success.
        """
        now = utc_now()
        with self.store.transaction():
            rows = self.conn.execute("SELECT id, errors FROM crawl_runs WHERE finished_at IS NULL").fetchall()
            for run_id, errors in rows:
                listed = [*json.loads(errors or "[]"), {"url": "", "reason": INTERRUPTED}]
                self.conn.execute("UPDATE crawl_runs SET finished_at = ?, entries_ok = 0, errors = ? WHERE id = ?",
                                  (now, json.dumps(listed, ensure_ascii=False), run_id))
        return len(rows)

    def latest_runs(self) -> list[dict]:
        """Each source's latest run (finished or not), by source id."""
        rows = self.conn.execute(
            """SELECT r.* FROM crawl_runs r JOIN (SELECT source_id, MAX(id) AS id FROM crawl_runs
               GROUP BY source_id) last ON last.id = r.id ORDER BY r.source_id""")
        return [dict(r) for r in rows]

    def finished_runs(self, source_id: str, limit: int = 10) -> list[dict]:
        """A source's last `limit` finished runs, newest first."""
        return [dict(r) for r in self.conn.execute(
            "SELECT * FROM crawl_runs WHERE source_id = ? AND finished_at IS NOT NULL "
            "ORDER BY id DESC LIMIT ?", (source_id, limit))]

    def last_successes(self) -> dict[str, str]:
        """{source_id: end of its latest successful run}: a run that read content and worked
        (`SUCCESS_SQL`), or a 304-only run (`UNCHANGED_SQL`) after such a run with nothing between.

        Each run that read content starts a group with the 304-only runs after it; a group
        succeeds when its first run does."""
        return dict(self.conn.execute(f"""
            WITH runs AS (
                SELECT source_id, finished_at, {UNCHANGED_SQL} AS unchanged, ({SUCCESS_SQL}) AS ok,
                       SUM(CASE WHEN {UNCHANGED_SQL} THEN 0 ELSE 1 END)
                           OVER (PARTITION BY source_id ORDER BY id) AS grp
                FROM crawl_runs WHERE finished_at IS NOT NULL),
            groups AS (
                SELECT source_id, grp, MAX(CASE WHEN NOT unchanged THEN ok END) AS ok
                FROM runs GROUP BY source_id, grp)
            SELECT r.source_id, MAX(r.finished_at) FROM runs r JOIN groups g USING (source_id, grp)
            WHERE g.ok = 1 GROUP BY r.source_id""").fetchall())

    # -- addresses and validators ---------------------------------------------------------------

    def known_urls(self) -> set[str]:
        """Every stored article URL and every address that led to one (a redirect's old address, a
        page whose rel=canonical names another): none of them needs fetching again."""
        urls = self.store.known_urls()
        urls.update(r[0] for r in self.conn.execute("SELECT url FROM url_aliases"))
        return urls

    def save_aliases(self, doc_url: str, addresses: set[str]) -> None:
        aliases = addresses - {doc_url}
        if not aliases:
            return
        now = utc_now()
        with self.store.transaction():
            self.conn.executemany(
                "INSERT INTO url_aliases (url, doc_url, seen_at) VALUES (?, ?, ?) "
                "ON CONFLICT(url) DO UPDATE SET doc_url=excluded.doc_url, seen_at=excluded.seen_at",
                [(url, doc_url, now) for url in sorted(aliases)])

    def alias_of(self, url: str) -> str | None:
        """The stored article URL an address led to, if it was an alias."""
        row = self.conn.execute("SELECT doc_url FROM url_aliases WHERE url = ?", (url,)).fetchone()
        return row[0] if row else None

    def fetch_state(self) -> dict[str, tuple[str | None, str | None]]:
        """{url: (etag, last_modified)} of every feed, sitemap and listing page seen before."""
        rows = self.conn.execute("SELECT url, etag, last_modified FROM fetch_state")
        return {r[0]: (r[1], r[2]) for r in rows}

    def save_fetch_state(self, states: dict[str, tuple]) -> None:
        now = utc_now()
        with self.store.transaction():
            self.conn.executemany(
                """INSERT INTO fetch_state (url, etag, last_modified, last_status, checked_at)
                   VALUES (?, ?, ?, ?, ?) ON CONFLICT(url) DO UPDATE SET etag=excluded.etag,
                   last_modified=excluded.last_modified, last_status=excluded.last_status,
                   checked_at=excluded.checked_at""",
                [(url, etag, modified, status, now) for url, (etag, modified, status) in states.items()])

    # -- listings and withdrawals ---------------------------------------------------------------

    def mark_listed(self, doc_ids: set[str], when: str) -> None:
        """These documents were still linked from a listing, feed or sitemap at `when`."""
        with self.store.transaction():
            self.conn.executemany("UPDATE documents SET listed_at = ? WHERE id = ?",
                                  [(when, doc_id) for doc_id in sorted(doc_ids)])

    def mark_withdrawn(self, doc_ids: list[str], reason: str, when: str | None = None) -> list[str]:
        """Mark documents withdrawn (text and index entry kept); returns those newly marked.

        A document already withdrawn keeps its first `withdrawn_at`; one whose fetch failed
        (`extract_failed`) has no statement to withdraw and is left alone. (A withdrawn page that
        answers again is made 'ok' by the store's upsert, which clears `withdrawn_at`.)
        """
        when = when or utc_now()
        marked = []
        with self.store.transaction():
            for doc_id in doc_ids:
                cur = self.conn.execute(
                    "UPDATE documents SET status = 'withdrawn', withdrawn_at = ?, error = ? "
                    "WHERE id = ? AND status NOT IN ('withdrawn', 'extract_failed')",
                    (when, reason, doc_id))
                if cur.rowcount:
                    marked.append(doc_id)
        return marked

    # -- health events --------------------------------------------------------------------------

    def update_events(self, states: list[tuple[str, str, str]], bad: tuple[str, ...]) -> list[dict]:
        """For each (source_id, status, message): open an event when the status is in `bad` and
        none of that kind is open; close an open one that no longer applies. Returns the open
        events not yet notified, oldest first."""
        now = utc_now()
        with self.store.transaction():
            for source_id, status, message in states:
                open_event = self.conn.execute(
                    "SELECT id, kind FROM health_events WHERE source_id = ? AND closed_at IS NULL",
                    (source_id,)).fetchone()
                is_bad = status in bad
                if open_event and (not is_bad or open_event["kind"] != status):
                    self.conn.execute("UPDATE health_events SET closed_at = ? WHERE id = ?",
                                      (now, open_event["id"]))
                    open_event = None
                if is_bad and open_event is None:
                    self.conn.execute(
                        "INSERT INTO health_events (source_id, kind, message, opened_at) VALUES (?, ?, ?, ?)",
                        (source_id, status, message, now))
        return [dict(r) for r in self.conn.execute(
            "SELECT * FROM health_events WHERE closed_at IS NULL AND notified_at IS NULL ORDER BY id")]

    def mark_notified(self, event_ids: list[int]) -> None:
        with self.store.transaction():
            self.conn.executemany("UPDATE health_events SET notified_at = ? WHERE id = ?",
                                  [(utc_now(), i) for i in event_ids])

    def open_events(self) -> dict[str, dict]:
        """{source_id: {"kind", "message", "opened_at"}} for every source with an open event."""
        rows = self.conn.execute(
            "SELECT source_id, kind, message, opened_at FROM health_events WHERE closed_at IS NULL "
            "ORDER BY id")
        return {r["source_id"]: dict(r) for r in rows}
