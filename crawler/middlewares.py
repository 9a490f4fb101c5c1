"""Downloader middlewares: retries with exponential backoff, redirects that cannot loop unseen, and
meta refreshes only to http(s).

Scrapy's RetryMiddleware decides what to retry; ours waits base × 2^(attempt-1) seconds (capped)
before the retry is sent, so a struggling server gets room.

Scrapy stops a redirect cycle with its duplicate filter, which drops the request without a word:
a two-page cycle (A → B → A) left no document, no error and no count. Here a redirect back to an
address already in its own chain is a failure with the chain as the reason, and every other
redirect passes the duplicate filter, so an address redirecting to an article fetched under
another address still ends as that document (and its alias) instead of vanishing."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware, RedirectMiddleware
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse
from scrapy.utils.response import get_meta_refresh


class BackoffRetryMiddleware(RetryMiddleware):
    def __init__(self, settings):
        super().__init__(settings)
        self.base = settings.getfloat("PARALLAX_RETRY_BACKOFF", 1.0)
        self.cap = settings.getfloat("PARALLAX_RETRY_BACKOFF_MAX", 60.0)

    def _retry(self, request, reason, *args, **kwargs):
        retry = super()._retry(request, reason, *args, **kwargs)
        if retry is not None:
            attempt = retry.meta.get("retry_times", 1)
            retry.meta["retry_delay"] = min(self.cap, self.base * 2 ** (attempt - 1))
        return retry

    async def process_request(self, request, spider=None):
        delay = request.meta.pop("retry_delay", 0)
        if delay:
            await asyncio.sleep(delay)
        return None


def _without_fragment(url: str) -> str:
    return url.split("#", 1)[0]


class _NoSilentCycles:
    """The redirect step shared by HTTP redirects and meta refreshes: cycles fail loudly."""

    def _redirect(self, redirected, request, reason):
        chain = [*request.meta.get("redirect_urls", []), request.url]
        seen = [_without_fragment(u) for u in chain]
        target = _without_fragment(redirected.url)
        if target in seen:
            loop = " → ".join([*chain[seen.index(target):], redirected.url])
            raise IgnoreRequest(f"redirect cycle ({reason}): {loop}")
        follow = super()._redirect(redirected, request, reason)
        follow.dont_filter = True  # cycles are caught above; the duplicate filter would drop it silently
        return follow


class CycleSafeRedirectMiddleware(_NoSilentCycles, RedirectMiddleware):
    """Scrapy's RedirectMiddleware, with redirect cycles reported as failures."""


class SafeMetaRefreshMiddleware(_NoSilentCycles, MetaRefreshMiddleware):
    """Follows a <meta http-equiv="refresh"> only to an http(s) address.

    Scrapy builds the redirect request before checking its scheme, so a page refreshing to
    `javascript:…` (hostile, or just broken) raised "Missing scheme" and the page itself was lost.
    Such a refresh is now ignored and the page is kept as fetched. So is a page that refreshes to
    itself (a "live" page reloading every minute): what it shows is the page itself. A refresh
    that leads back through other pages is a redirect cycle, reported as a failure.
    """

    def process_response(self, request, response):
        """Scrapy 2.13+'s middleware signature (no spider argument: passing one is deprecated)."""
        if isinstance(response, HtmlResponse):
            try:
                _, url = get_meta_refresh(response, ignore_tags=self._ignore_tags)
            except ValueError:
                return response
            if url and urlsplit(url).scheme.lower() not in ("http", "https"):
                return response
            if url and _without_fragment(url) in (_without_fragment(response.url),
                                                  _without_fragment(request.url)):
                return response
        return super().process_response(request, response)
