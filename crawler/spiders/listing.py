"""Listing pages: follow article links matching a pattern, and next-page links up to a limit."""

from __future__ import annotations

import scrapy
from scrapy.linkextractors import LinkExtractor

from crawler.spiders.base import SourceSpider


class ListingSpider(SourceSpider):
    def start_requests(self):
        for url in self.entry.urls:
            yield scrapy.Request(url, callback=self.parse, errback=self.on_error, meta={"page": 1},
                                 dont_filter=True)

    async def start(self):
        for request in self.start_requests():
            yield request

    def parse(self, response):
        # deny_extensions=[]: statements are often PDFs, which LinkExtractor ignores by default.
        articles = LinkExtractor(allow=self.entry.article_pattern, unique=True, deny_extensions=[])
        for link in articles.extract_links(response):
            if self.wants(link.url):
                yield self.article_request(link.url)
        page = response.meta.get("page", 1)
        if self.entry.next_pattern and page < self.entry.max_pages:
            pages = LinkExtractor(allow=self.entry.next_pattern, unique=True)
            for link in pages.extract_links(response):
                yield scrapy.Request(link.url, callback=self.parse, errback=self.on_error,
                                     meta={"page": page + 1})
