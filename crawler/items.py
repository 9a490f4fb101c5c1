"""What spiders hand to the item pipelines: a fetched article page, not yet extracted."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class ArticlePage:
    source_id: str
    url: str
    requested_url: str
    status: int
    body: bytes
    content_type: str
    feed_date: str | None = None
    feed_title: str | None = None
