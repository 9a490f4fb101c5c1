"""Retries with exponential backoff: Scrapy's RetryMiddleware decides what to retry; this waits
base × 2^(attempt-1) seconds (capped) before the retry is sent, so a struggling server gets room."""

from __future__ import annotations

import asyncio

from scrapy.downloadermiddlewares.retry import RetryMiddleware


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
