"""The discovery child process (`python -m crawler.discover_child`): runs the discovery spider
for `crawler.discover.discover` and prints the proposal as one JSON line.

A module of its own so that `crawler.discover` (what the CLI and the app import) never imports
the spider, which imports `crawler.discover`'s data classes: no import cycle.
"""

from __future__ import annotations

import json
import pickle
import sys
from dataclasses import asdict

from crawler.discover import Proposal, Wishes
from parallax.errors import DiscoveryError, ParallaxError


def _child_main() -> None:
    from crawler.run import _exit_with_parent

    settings, url, wishes = pickle.loads(sys.stdin.buffer.read())
    _exit_with_parent()
    result: dict = {}
    try:
        proposal = _run_spider(settings, url, wishes)
        result = {"proposal": asdict(proposal)}
    except ParallaxError as exc:
        result = {"error": str(exc)}
    print(json.dumps(result, ensure_ascii=False))


def _run_spider(settings, url: str, wishes: Wishes) -> Proposal:
    from scrapy.crawler import CrawlerProcess

    from crawler.spiders.discovery import DiscoverySpider
    from crawler.settings import scrapy_settings

    outcome: dict = {}
    process = CrawlerProcess({**scrapy_settings(settings), "ITEM_PIPELINES": {}, "HTTPCACHE_ENABLED": False})
    process.crawl(DiscoverySpider, url=url, wishes=wishes, outcome=outcome,
                  max_bytes=settings.crawl.max_page_bytes)
    process.start()
    if "proposal" in outcome:
        return outcome["proposal"]
    raise DiscoveryError(outcome.get("error") or f"nothing could be fetched from {url}")


if __name__ == "__main__":
    _child_main()
