"""Sitemaps, sitemap indexes and news sitemaps, through Scrapy's own SitemapSpider."""

from __future__ import annotations

import re

from scrapy.spiders import SitemapSpider

from crawler.spiders.base import SourceSpider


class NewsSitemapSpider(SourceSpider, SitemapSpider):
    def __init__(self, source, entry, tally, known, recheck=None, **kwargs):
        SourceSpider.__init__(self, source, entry, tally, known, recheck, **kwargs)
        self.sitemap_urls = list(entry.urls)
        pattern = entry.article_pattern or ""
        self.sitemap_rules = [(pattern, "parse_article")]
        self._cbs = [(re.compile(pattern), self.parse_article)]
        self._follow = [re.compile("")]
        self.sitemap_follow = [""]
        self.sitemap_alternate_links = False

    def sitemap_filter(self, entries):
        for entry in entries:
            loc = entry.get("loc", "")
            # Sub-sitemaps of an index always pass; article URLs only when new.
            if loc.endswith(".xml") or loc.endswith(".xml.gz") or "sitemap" in loc.rsplit("/", 1)[-1]:
                yield entry
            elif self.wants(loc):
                yield entry

    def _parse_sitemap(self, response):
        for request in super()._parse_sitemap(response):
            if request.callback == self.parse_article:
                request = request.replace(errback=self.on_error, meta={"source_id": self.source.id})
            yield request
