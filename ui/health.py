"""Per-source health and index freshness, read from the store's crawl accounting."""

from __future__ import annotations

import json
from dataclasses import dataclass

from parallax.errors import ParallaxError


@dataclass(frozen=True)
class SourceHealth:
    source_id: str
    name: str
    language: str
    country: str
    documents: int
    last_run: str | None
    last_success: str | None
    fetched: int
    new: int
    failed: int
    errors: list[dict]

    @property
    def state(self) -> str:
        """'ok', 'failing' (last run fetched nothing and failed), 'degraded' or 'never crawled'."""
        if self.last_run is None:
            return "never crawled"
        if self.failed and self.failed >= self.fetched:
            return "failing"
        if self.failed:
            return "degraded"
        return "ok"


def source_health(store) -> list[SourceHealth]:
    """One row per known source: documents stored, the last run's counts and errors, and when a
    run last finished without every fetch failing."""
    conn = store.conn
    counts = dict(conn.execute("SELECT source_id, COUNT(*) FROM documents GROUP BY 1").fetchall())
    success = dict(conn.execute(
        "SELECT source_id, MAX(finished_at) FROM crawl_runs WHERE finished_at IS NOT NULL "
        "AND (failed = 0 OR fetched > failed) GROUP BY 1").fetchall())
    runs = {r["source_id"]: r for r in store.latest_crawl_runs()}
    sources = store.sources()
    out = []
    for source_id in sorted(set(sources) | set(runs) | set(counts)):
        src, run = sources.get(source_id, {}), runs.get(source_id, {})
        out.append(SourceHealth(
            source_id=source_id, name=src.get("name_en", source_id), language=src.get("language", ""),
            country=src.get("country", ""), documents=counts.get(source_id, 0),
            last_run=run.get("finished_at") or run.get("started_at"),
            last_success=success.get(source_id), fetched=run.get("fetched", 0), new=run.get("new", 0),
            failed=run.get("failed", 0), errors=json.loads(run.get("errors") or "[]"),
        ))
    return out


@dataclass(frozen=True)
class Freshness:
    documents: int
    not_processed: int  # stored, but the nlp stages have not caught up with the current content
    not_indexed: int | None  # processed, but not (re)indexed; None when the backend cannot say
    newest_fetch: str | None


def freshness(store, backend) -> Freshness:
    documents = store.count_documents()
    not_processed = store.count_documents(
        "d.status = 'ok' AND (a.doc_id IS NULL OR a.content_hash != d.content_hash)")
    newest = store.conn.execute("SELECT MAX(fetched_at) FROM documents").fetchone()[0]
    return Freshness(documents, not_processed, backend.pending(), newest)


def ago(iso: str | None, now=None, lang: str | None = None) -> str:
    """`3 h ago` (or `3 小时前`) for an ISO UTC time: the same wherever the reader is, unlike a
    clock time in UTC; the exact time goes in a tooltip. "never" for None."""
    from datetime import datetime, timezone

    from ui.i18n import t

    if not iso:
        return t("status.never", lang)
    try:
        then = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso
    if then.tzinfo is None:
        then = then.replace(tzinfo=timezone.utc)
    seconds = ((now or datetime.now(timezone.utc)) - then).total_seconds()
    if seconds < 60:
        return t("ago.now", lang)
    if seconds < 3600:
        return t("ago.minutes", lang, n=int(seconds // 60))
    if seconds < 2 * 86400:
        return t("ago.hours", lang, n=int(seconds // 3600))
    return t("ago.days", lang, n=int(seconds // 86400))


@dataclass(frozen=True)
class IndexHealth:
    backend: str
    indexed: int | None  # documents the index holds (None: the backend cannot say cheaply)
    pending: int | None  # documents the next sync would add, replace or remove
    searchable: int  # documents in the store that search should find (processed, ok)

    @property
    def state(self) -> str:
        """'ok', 'behind' (a sync is due) or 'empty' (nothing indexed yet)."""
        if self.indexed == 0 and self.searchable:
            return "empty"
        return "behind" if self.pending else "ok"


def index_health(store, backend) -> IndexHealth:
    held = getattr(backend, "held", None)
    try:
        indexed = held() if held else None
    except ParallaxError:
        indexed = None
    searchable = store.count_documents("d.status != 'extract_failed' AND a.doc_id IS NOT NULL")
    return IndexHealth(backend.name, indexed, backend.pending(), searchable)
