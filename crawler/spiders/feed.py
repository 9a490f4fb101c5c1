"""RSS and Atom feeds: every entry's link is an article; the feed's date and title back up the page's."""

from __future__ import annotations

import re

import feedparser

from crawler.spiders.base import SourceSpider


class FeedSpider(SourceSpider):
    def parse(self, response):
        feed = feedparser.parse(response.body, response_headers={
            "content-type": response.headers.get(b"Content-Type", b"").decode("latin-1"),
            "content-location": response.url})
        if feed.bozo and not feed.entries:
            self.tally.failed(self.source.id, response.url, f"feed not parseable: {feed.bozo_exception}")
            return
        for item in feed.entries:
            link = item.get("link") or next(
                (l.get("href") for l in item.get("links", []) if l.get("href")), None)
            if not link:
                continue
            url = response.urljoin(link)
            if self.entry.article_pattern and not re.search(self.entry.article_pattern, url):
                continue
            if self.wants(url):
                yield self.article_request(url, feed_date=item.get("published") or item.get("updated"),
                                           feed_title=item.get("title"))
