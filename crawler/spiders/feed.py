"""RSS and Atom feeds: every entry's link is an article; the feed's date backs up the page's."""

from __future__ import annotations

import feedparser
import scrapy

from crawler.spiders.base import SourceSpider


class FeedSpider(SourceSpider):
    def start_requests(self):
        for url in self.entry.urls:
            yield scrapy.Request(url, callback=self.parse, errback=self.on_error, dont_filter=True)

    async def start(self):
        for request in self.start_requests():
            yield request

    def parse(self, response):
        feed = feedparser.parse(response.body)
        if feed.bozo and not feed.entries:
            self.tally.failed(self.source.id, response.url, f"feed not parseable: {feed.bozo_exception}")
            return
        for item in feed.entries:
            link = item.get("link")
            if not link:
                continue
            url = response.urljoin(link)
            if self.entry.article_pattern and not __import__("re").search(self.entry.article_pattern, url):
                continue
            if self.wants(url):
                yield self.article_request(url, feed_date=item.get("published") or item.get("updated"),
                                           feed_title=item.get("title"))
