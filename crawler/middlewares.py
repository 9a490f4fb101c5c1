"""Downloader middlewares: retries with exponential backoff, and meta refreshes only to http(s).

Scrapy's RetryMiddleware decides what to retry; ours waits base × 2^(attempt-1) seconds (capped)
before the retry is sent, so a struggling server gets room."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware
from scrapy.downloadermiddlewares.retry import RetryMiddleware
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


class SafeMetaRefreshMiddleware(MetaRefreshMiddleware):
    """Follows a <meta http-equiv="refresh"> only to an http(s) address.

    Scrapy builds the redirect request before checking its scheme, so a page refreshing to
    `javascript:…` (hostile, or just broken) raised "Missing scheme" and the page itself was lost.
    Such a refresh is now ignored and the page is kept as fetched.
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
        return super().process_response(request, response)
