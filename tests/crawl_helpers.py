"""Helpers for crawl tests: fast crawl settings for sites on 127.0.0.1, and the re-hosting of real
sources onto the local fixture server."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from urllib.parse import urlsplit

from tests.conftest import make_settings
from tests.sources_fixtures import fast_crawl

SITES = Path(__file__).resolve().parent / "sites"


def local_crawl_settings(data_dir: Path, **crawl_changes):
    """Politeness off (the sites are ours), no retries unless asked. The time-out is 15 s: a page on
    127.0.0.1 answers in milliseconds, but on a loaded 2-core machine running the tests in parallel
    a 3 s time-out failed pages that were merely waiting for a core; tests of time-outs set their own."""
    changes = {"concurrency_per_domain": 8, "timeout": 15, "retries": 0, **crawl_changes}
    return fast_crawl(make_settings(data_dir), **changes)


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
