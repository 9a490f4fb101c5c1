"""The document as the crawler hands it to the store, and the identities derived from it.

A document's id comes from its canonical URL, so the same article reached through a feed, a sitemap
and a listing (or with tracking parameters) is stored once. Its content hash covers what a reader
sees (title, body, date), so a re-crawl that only changes the page's chrome is "unchanged".
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timezone


def document_id(canonical_url: str) -> str:
    return hashlib.sha1(canonical_url.encode("utf-8")).hexdigest()[:16]


def content_hash(title: str, body: str, published_at: str | None) -> str:
    h = hashlib.sha256()
    for part in (title, body, published_at or ""):
        h.update(part.encode("utf-8"))
        h.update(b"\x00")
    return h.hexdigest()[:32]


def utc_now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


@dataclass
class Document:
    """One fetched article. `body` keeps paragraphs separated by blank lines."""

    url: str
    source_id: str
    title: str = ""
    body: str = ""
    author: str | None = None
    published_at: str | None = None  # ISO 8601, UTC
    declared_lang: str | None = None  # the source's language; the langid stage decides per text
    kind: str | None = None
    country: str | None = None
    encoding: str | None = None
    raw_html: bytes | None = None
    status: str = "ok"  # ok | extract_failed | withdrawn
    error: str | None = None
    fetched_at: str = field(default_factory=utc_now)

    @property
    def id(self) -> str:
        return document_id(self.url)

    @property
    def content_hash(self) -> str:
        return content_hash(self.title, self.body, self.published_at)

    @property
    def paragraphs(self) -> list[str]:
        return [p for p in self.body.split("\n\n") if p.strip()]
