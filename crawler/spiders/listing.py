"""Listing pages: follow article links matching a pattern, and next-page links up to a page limit."""

from __future__ import annotations

from scrapy.linkextractors import LinkExtractor

from crawler.spiders.base import SourceSpider


class ListingSpider(SourceSpider):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # deny_extensions=[]: statements are often PDFs, which LinkExtractor ignores by default.
        self.articles = LinkExtractor(allow=self.entry.article_pattern, unique=True, deny_extensions=[])
        self.pages = LinkExtractor(allow=self.entry.next_pattern, unique=True) if self.entry.next_pattern else None
        self.listing_seen: set[str] = set(self.entry.urls)

    def parse(self, response):
        for link in self.articles.extract_links(response):
            if self.wants(link.url):
                yield self.article_request(link.url)
        page = response.meta.get("page", 1)
        if self.pages is None or page >= self.entry.max_pages:
            return
        for link in self.pages.extract_links(response):
            # Page 1 often links to itself as "1"; every listing page is fetched once per crawl.
            if link.url in self.listing_seen or len(self.listing_seen) >= self.entry.max_pages * len(self.entry.urls):
                continue
            self.listing_seen.add(link.url)
            yield self.entry_request(link.url, self.parse, page=page + 1)
