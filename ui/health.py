"""What the status page shows: each source's health (`crawler.health`), and how far processing
and the index are behind the store."""

from __future__ import annotations

from dataclasses import dataclass

from crawler.health import SourceHealth, source_healths
from crawler.records import CrawlRecords
from parallax.errors import ParallaxError


@dataclass(frozen=True)
class SourceRow:
    """A row of the status page's sources table: the source's names beside its `SourceHealth`."""

    source_id: str
    name: str
    language: str
    country: str
    health: SourceHealth


def source_health(store, settings=None) -> list[SourceRow]:
    """One row per source the store knows (configured, crawled or holding documents), with the
    same `crawler.health.SourceHealth` the CLI and the operators' emails use. With `settings`, the
    configured sources' cadences apply (a sources file that does not load leaves them learned)."""
    configured = {}
    if settings is not None:
        from parallax.stages import selected_sources

        try:
            configured = {s.id: s for s in selected_sources(settings)}
        except ParallaxError:
            configured = {}
    sources = store.sources()
    runs = {r["source_id"] for r in CrawlRecords(store).latest_runs()}
    counts = set(store.documents_per_source())
    ids = sorted(set(sources) | runs | counts)
    healths = source_healths(store, [configured.get(i, i) for i in ids])
    return [SourceRow(h.source_id, sources.get(h.source_id, {}).get("name_en", h.source_id),
                      sources.get(h.source_id, {}).get("language", ""),
                      sources.get(h.source_id, {}).get("country", ""), h) for h in healths]


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
    return Freshness(documents, not_processed, backend.pending(), store.newest_fetch())


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
