"""What every Parallax spider shares: its source, the known-URL check, conditional entry requests
and article requests."""

from __future__ import annotations

import scrapy
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import DNSLookupError, TCPTimedOutError, TimeoutError

from crawler.items import ArticlePage
from crawler.urls import canonical_url


class SourceSpider(scrapy.Spider):
    """Base spider. Receives `source`, `entry`, `tally` (run accounting), `known` (URLs stored),
    `recheck` (stored URLs to fetch again) and `fetch_state` ({url: (etag, last_modified)})."""

    def __init__(self, source, entry, tally, known: set[str], recheck: set[str] | None = None,
                 fetch_state: dict | None = None, **kwargs):
        super().__init__(name=f"{source.id}-{entry.type}", **kwargs)
        self.source = source
        self.entry = entry
        self.tally = tally
        self.known = known
        self.recheck = recheck or set()
        self.fetch_state = fetch_state or {}
        # Shared by every spider of the crawl, so a URL in two feeds or in a feed and a listing
        # (of one source or two) is fetched once.
        self.requested: set[str] = tally.requested

    async def start(self):
        for request in self.start_requests():
            yield request

    def start_requests(self):
        for url in self.entry.urls:
            yield self.entry_request(url, self.parse, page=1)

    def wants(self, url: str) -> bool:
        """True for an article URL not yet stored (or due for a re-check) and not yet requested."""
        canon = canonical_url(url)
        self.tally.listed(self.source.id, canon)
        if canon in self.requested:
            return False
        if canon in self.known and canon not in self.recheck:
            self.tally.skip_known(self.source.id)
            return False
        self.requested.add(canon)
        return True

    def entry_request(self, url: str, callback, **meta) -> scrapy.Request:
        """A request for a feed, sitemap or listing page: conditional when we have seen it before,
        so an unchanged listing costs the site a 304 and us nothing."""
        headers = {}
        # A re-check needs the article links again, so it reads listings even when unchanged.
        etag, modified = self.fetch_state.get(url, (None, None)) if not self.recheck else (None, None)
        if etag:
            headers["If-None-Match"] = etag
        if modified:
            headers["If-Modified-Since"] = modified
        return scrapy.Request(url, callback=self._entry_response, errback=self.on_error,
                              headers=headers, dont_filter=True,
                              meta={"handle_httpstatus_list": [304], "entry_callback": callback,
                                    "source_id": self.source.id, **meta},
                              cb_kwargs={})

    def _entry_response(self, response):
        self.tally.entry_answered(self.source.id, response.url, response.status,
                                  _header(response, b"ETag"), _header(response, b"Last-Modified"))
        if response.status == 304:
            return
        result = response.meta["entry_callback"](response)
        if result is not None:
            yield from result

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
            content_type=_header(response, b"Content-Type") or "",
            feed_date=response.meta.get("feed_date"),
            feed_title=response.meta.get("feed_title"),
        )

    def on_error(self, failure):
        request = failure.request
        if "entry_callback" in request.meta:
            self.tally.entry_failed(self.source.id)
        if failure.check(HttpError):
            status = failure.value.response.status
            reason = f"HTTP {status}"
            if status in (404, 410) and "entry_callback" not in request.meta:
                # A known article that is gone now: the statement may have been withdrawn.
                self.tally.gone(self.source.id, canonical_url(request.url), status)
        elif failure.check(DNSLookupError):
            reason = "DNS lookup failed"
        elif failure.check(TimeoutError, TCPTimedOutError) or "Timeout" in failure.type.__name__ \
                or "took longer than" in failure.getErrorMessage():
            reason = f"timed out ({failure.getErrorMessage()})"
        else:
            reason = failure.getErrorMessage() or failure.type.__name__
        self.tally.failed(self.source.id, request.url, reason)


def _header(response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
