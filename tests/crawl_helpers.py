"""Helpers for crawl tests: fast crawl settings for sites on 127.0.0.1, and the re-hosting of real
sources onto the local fixture server."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from urllib.parse import urlsplit

from tests.conftest import make_settings

SITES = Path(__file__).resolve().parent / "sites"


def local_crawl_settings(data_dir: Path, **crawl_changes):
    """Politeness off (the sites are ours), short time-outs, no retries unless asked."""
    settings = make_settings(data_dir)
    changes = {"download_delay": 0.0, "autothrottle": False, "concurrency_per_domain": 8,
               "timeout": 3, "retries": 0, **crawl_changes}
    crawl = dataclasses.replace(settings.crawl, **changes)
    return settings.replace(crawl=crawl)


def rehost(url: str, base: str) -> str:
    """https://www.example.org/a/b?x=1 → {base}/www.example.org/a/b?x=1 (the fixture's mirror)."""
    parts = urlsplit(url)
    return f"{base}/{parts.hostname}{parts.path}" + (f"?{parts.query}" if parts.query else "")


def rehost_sources(sources, base: str):
    """The same sources, selectors and patterns, with every entry URL pointing at the local mirror."""
    out = []
    for source in sources:
        entries = tuple(dataclasses.replace(e, urls=tuple(rehost(u, base) for u in e.urls))
                        for e in source.entries)
        out.append(dataclasses.replace(source, entries=entries))
    return out
