"""Item pipelines: extract each fetched page and store it, in one transaction per document.

A page that cannot be extracted is still stored, with status `extract_failed`, its raw bytes and
the reason, so nothing fetched is silently dropped and it can be re-extracted after a fix.
"""

from __future__ import annotations

import logging
from datetime import datetime

from crawler.records import CrawlRecords
from crawler.dates import parse_date
from crawler.extract import ExtractionError, extract
from crawler.pdf import extract_pdf, is_pdf
from crawler.urls import canonical_url, resolve_canonical
from index.document import Document
from index.store import Store

log = logging.getLogger(__name__)


class StorePipeline:
    def __init__(self, crawler, store_path: str, max_page_bytes: int):
        self.crawler = crawler
        self.store_path = store_path
        self.max_page_bytes = max_page_bytes
        self.store: Store | None = None

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler, crawler.settings.get("PARALLAX_STORE_PATH"),
                   crawler.settings.getint("PARALLAX_MAX_PAGE_BYTES", 20_000_000))

    def open_spider(self, spider=None):
        self.store = Store(self.store_path)
        # Load the extractor before the first response arrives: importing it takes about a
        # second, during which the reactor would let every request in flight time out.
        import trafilatura  # noqa: F401

    def close_spider(self, spider=None):
        if self.store:
            self.store.close()

    def process_item(self, item, spider=None):
        spider = spider or self.crawler.spider
        source = spider.source
        doc = build_document(item, source, self.max_page_bytes)
        outcome = self.store.upsert_document(doc)
        CrawlRecords(self.store).save_aliases(doc.url, {canonical_url(item.url), canonical_url(item.requested_url)})
        spider.tally.stored(source.id, outcome, doc)
        return item


def build_document(item, source, max_page_bytes: int = 20_000_000) -> Document:
    """The document for one fetched page; extraction failures become a stored failure record."""
    fallback_url = canonical_url(item.url)
    if is_pdf(item.body, item.content_type):
        return _pdf_document(item, source, fallback_url, max_page_bytes)
    try:
        found = extract(
            item.body, item.url, content_type=item.content_type, tz=source.tz,
            encoding=source.encoding, selectors=source.selectors, date_format=source.date_format,
            max_bytes=max_page_bytes,
        )
    except ExtractionError as exc:
        return Document(
            url=fallback_url, source_id=source.id, title=item.feed_title or "", body="",
            declared_lang=source.language, kind=source.kind, country=source.country,
            raw_html=item.body[:max_page_bytes], status="extract_failed", error=str(exc),
        )
    published = found.published_at
    if published is None and item.feed_date:
        published = parse_date(item.feed_date, source.tz)
    return Document(
        url=resolve_canonical(item.url, found.canonical), source_id=source.id,
        title=found.title or item.feed_title or "", body=found.text, author=found.author,
        published_at=published, declared_lang=source.language, kind=source.kind,
        country=source.country, encoding=found.encoding, raw_html=item.body,
    )


def _pdf_document(item, source, url: str, max_page_bytes: int) -> Document:
    common = dict(url=url, source_id=source.id, declared_lang=source.language, kind=source.kind,
                  country=source.country, encoding="pdf", raw_html=item.body[:max_page_bytes])
    try:
        found = extract_pdf(item.body, source.tz, max_page_bytes)
    except ExtractionError as exc:
        return Document(title=item.feed_title or "", status="extract_failed", error=str(exc), **common)
    published = found.published_at
    if published is None and item.feed_date:
        published = parse_date(item.feed_date, source.tz)
    title = found.title or item.feed_title or url.rsplit("/", 1)[-1]
    if not found.has_text:
        return Document(title=title, body="", published_at=published, status="no_text",
                        error=f"scanned PDF without a text layer ({found.pages} pages)", **common)
    return Document(title=title, body=found.text, published_at=published, **common)


__all__ = ["StorePipeline", "build_document", "datetime"]
