"""One generic spider per discovery strategy; each is parametrised by a source and an entry point.

Spiders only find and fetch article pages; extracting and storing them is the item pipeline's job
(`crawler.pipelines`). Every spider skips URLs the store already has (unless re-checking), so a
second crawl fetches listings, feeds and sitemaps but no known article.
"""

from crawler.spiders.feed import FeedSpider
from crawler.spiders.listing import ListingSpider
from crawler.spiders.sitemap import NewsSitemapSpider

SPIDERS = {"feed": FeedSpider, "listing": ListingSpider, "sitemap": NewsSitemapSpider}

__all__ = ["SPIDERS", "FeedSpider", "ListingSpider", "NewsSitemapSpider"]
