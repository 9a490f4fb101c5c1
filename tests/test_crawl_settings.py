"""Politeness and caching come from Parallax's settings into Scrapy's: robots.txt, AutoThrottle,
per-domain concurrency, the User-Agent, retries with backoff, the optional HTTP cache."""

from __future__ import annotations

import dataclasses

from crawler.settings import scrapy_settings
from tests.conftest import make_settings


def test_scrapy_settings_follow_the_crawl_section(tmp_path):
    settings = make_settings(tmp_path / "data")
    scrapy = scrapy_settings(settings)
    crawl = settings.crawl
    assert scrapy["USER_AGENT"] == crawl.user_agent
    assert scrapy["ROBOTSTXT_OBEY"] is True
    assert scrapy["AUTOTHROTTLE_ENABLED"] is True
    assert scrapy["CONCURRENT_REQUESTS_PER_DOMAIN"] == crawl.concurrency_per_domain
    assert scrapy["DOWNLOAD_DELAY"] == crawl.download_delay
    assert scrapy["RETRY_TIMES"] == crawl.retries and scrapy["PARALLAX_RETRY_BACKOFF"] == crawl.retry_backoff
    assert scrapy["DOWNLOADER_MIDDLEWARES"]["crawler.middlewares.BackoffRetryMiddleware"]
    assert scrapy["DOWNLOADER_MIDDLEWARES"]["scrapy.downloadermiddlewares.retry.RetryMiddleware"] is None
    assert scrapy["HTTPCACHE_ENABLED"] is False


def test_http_cache_is_opt_in_and_lives_in_the_data_directory(tmp_path):
    settings = make_settings(tmp_path / "data")
    settings = settings.replace(crawl=dataclasses.replace(settings.crawl, http_cache=True))
    scrapy = scrapy_settings(settings)
    assert scrapy["HTTPCACHE_ENABLED"] is True
    assert scrapy["HTTPCACHE_DIR"] == str(tmp_path / "data" / "httpcache")


def test_retry_backoff_is_a_documented_setting_with_an_environment_name(tmp_path):
    from parallax.settings import load_settings

    settings = load_settings(env={"PARALLAX_CRAWL_RETRY_BACKOFF": "2.5"}, overrides={"data_dir": str(tmp_path)})
    assert settings.crawl.retry_backoff == 2.5
