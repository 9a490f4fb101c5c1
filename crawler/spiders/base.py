"""What every Parallax spider shares: its source, the known-URL check and article requests."""

from __future__ import annotations

import scrapy
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import DNSLookupError, TCPTimedOutError, TimeoutError

from crawler.items import ArticlePage
from crawler.urls import canonical_url


class SourceSpider(scrapy.Spider):
    """Base spider. Receives `source`, `entry`, `tally` (run accounting) and `known` (URLs stored)."""

    def __init__(self, source, entry, tally, known: set[str], recheck: set[str] | None = None, **kwargs):
        super().__init__(name=f"{source.id}-{entry.type}", **kwargs)
        self.source = source
        self.entry = entry
        self.tally = tally
        self.known = known
        self.recheck = recheck or set()
        # Shared by all entry points of one source, so a URL in both feed and listing is fetched once.
        self.requested: set[str] = tally.requested.setdefault(source.id, set())

    def wants(self, url: str) -> bool:
        """True for an article URL not yet stored (or due for a re-check) and not yet requested."""
        canon = canonical_url(url)
        if canon in self.requested:
            return False
        if canon in self.known and canon not in self.recheck:
            self.tally.skip_known(self.source.id)
            return False
        self.requested.add(canon)
        return True

    def article_request(self, url: str, **meta) -> scrapy.Request:
        return scrapy.Request(url, callback=self.parse_article, errback=self.on_error,
                              meta={"source_id": self.source.id, **meta})

    def parse_article(self, response):
        self.tally.fetched(self.source.id)
        yield ArticlePage(
            source_id=self.source.id,
            url=response.url,
            requested_url=response.request.meta.get("redirect_urls", [response.url])[0],
            status=response.status,
            body=response.body,
            content_type=response.headers.get(b"Content-Type", b"").decode("latin-1"),
            feed_date=response.meta.get("feed_date"),
            feed_title=response.meta.get("feed_title"),
        )

    def on_error(self, failure):
        request = failure.request
        if failure.check(HttpError):
            reason = f"HTTP {failure.value.response.status}"
        elif failure.check(DNSLookupError):
            reason = "DNS lookup failed"
        elif failure.check(TimeoutError, TCPTimedOutError):
            reason = "timed out"
        else:
            reason = failure.getErrorMessage() or failure.type.__name__
        self.tally.failed(self.source.id, request.url, reason)
