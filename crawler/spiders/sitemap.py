"""Sitemaps, sitemap indexes and news sitemaps, through Scrapy's own SitemapSpider.

Scrapy's SitemapSpider fetches, un-gzips and classifies the sitemap (and finds sitemaps listed in
robots.txt); it flattens each <url> to its direct children, which loses a news sitemap's
<news:publication_date> and <news:title>, and it requests <loc> as written, which fails on the
relative locations some sites publish. So the urlset/index walk is done here, on the tree Scrapy
parsed.
"""

from __future__ import annotations

import re

from scrapy.spiders import SitemapSpider
from scrapy.utils.sitemap import Sitemap

from crawler.spiders.base import SourceSpider


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


class NewsSitemap(Sitemap):
    """Scrapy's streaming sitemap parser, keeping <news:publication_date> and <news:title>."""

    __slots__ = ()

    def _process_sitemap_element(self, elem):
        news = {_local(sub.tag): sub.text.strip() for sub in elem.iter()
                if _local(sub.tag) in ("publication_date", "title") and sub.text and sub.text.strip()}
        entry = super()._process_sitemap_element(elem)
        if entry is not None:
            entry.pop("news", None)
            entry.update(news)
        return entry


class NewsSitemapSpider(SourceSpider, SitemapSpider):
    def __init__(self, source, entry, tally, known, recheck=None, fetch_state=None, **kwargs):
        SourceSpider.__init__(self, source, entry, tally, known, recheck, fetch_state, **kwargs)
        self.sitemap_urls = list(entry.urls)
        self.pattern = re.compile(entry.article_pattern or "")
        self.sitemaps_seen: set[str] = set()

    def start_requests(self):
        for url in self.entry.urls:
            yield self.entry_request(url, self._parse_sitemap)

    def _parse_sitemap(self, response):
        if response.url.endswith("/robots.txt"):
            yield from SitemapSpider._parse_sitemap(self, response)
            return
        body = self._get_sitemap_body(response)
        if not body:
            self.tally.failed(self.source.id, response.url, "not a sitemap (neither XML nor gzip)")
            return
        sitemap = NewsSitemap(body)
        for entry in self.sitemap_filter(self._entries(sitemap, response)):
            loc = entry["loc"]
            if sitemap.type == "sitemapindex":
                if loc not in self.sitemaps_seen:
                    self.sitemaps_seen.add(loc)
                    yield self.entry_request(loc, self._parse_sitemap)
            elif self.pattern.search(loc) and self.wants(loc):
                yield self.article_request(loc, feed_date=entry.get("publication_date") or entry.get("lastmod"),
                                           feed_title=entry.get("title"))

    @staticmethod
    def _entries(sitemap: NewsSitemap, response):
        for entry in sitemap:
            if entry.get("loc"):
                entry["loc"] = response.urljoin(entry["loc"])
                yield entry
