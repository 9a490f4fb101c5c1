"""Discovering how to watch a site from its address: feeds, sitemaps, or a listing page.

`discover(settings, url)` proposes a `[[source]]` block for a site a researcher names, the way
news-please and newspaper find feeds themselves: the page's `<link rel=alternate>` feeds and the
common feed paths; the sitemaps robots.txt names, `/sitemap.xml` and news sitemaps; failing both,
the page itself as a listing, with the article-link and next-page patterns inferred from its links
(`crawler.site_analysis`). Three sample articles are fetched and run through the crawler's own
extraction, so the researcher sees what a crawl would store before anything is written.

Fetching goes through Scrapy with the crawl's own settings (User-Agent, robots.txt, delays,
retries, size limits), in a child process as `crawler.run` does: Twisted cannot restart, and the
app calls this many times. A site where nothing is found raises `DiscoveryError` listing every
address tried and what each answered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from crawler.sources import SourceIdentity
from parallax.errors import ConfigError, DiscoveryError, ParallaxError

SAMPLES = 3
MAX_SECTION_PAGES = 3  # section links of a home page tried as listings when the page itself is none


@dataclass
class Sample:
    url: str
    title: str = ""
    published_at: str | None = None
    lines: list[str] = field(default_factory=list)  # the first paragraphs, cut short
    error: str | None = None


@dataclass(frozen=True)
class Proposal(SourceIdentity):
    """A source block as discovery proposes it, with the evidence behind each choice."""

    url: str
    timezone: str
    collections: list[str] = field(default_factory=list)
    entries: list[dict] = field(default_factory=list)  # as in sources.toml: type, urls, patterns
    samples: list[Sample] = field(default_factory=list)
    hints: list[str] = field(default_factory=list)  # "language zh (Simplified): <html lang=zh-CN> …"
    tried: list[str] = field(default_factory=list)  # every address asked and what it answered

    def source_table(self) -> dict:
        """The block's keys as `crawler.sources` reads them."""
        table = {"id": self.id, "name": self.name, "name_en": self.name_en, "language": self.language,
                 "kind": self.kind, "country": self.country, "timezone": self.timezone, "url": self.url}
        if self.collections:
            table["collections"] = list(self.collections)
        table["entry"] = [dict(e) for e in self.entries]
        return table

    @classmethod
    def from_json(cls, data: dict) -> "Proposal":
        data = dict(data)
        data["samples"] = [Sample(**s) for s in data.get("samples", [])]
        return cls(**data)


@dataclass(frozen=True)
class Wishes:
    """What the researcher already said: each given value overrides what discovery finds."""

    id: str | None = None
    language: str | None = None
    kind: str | None = None
    country: str | None = None
    name_en: str | None = None
    collections: tuple[str, ...] = ()


def discover(settings, url: str, wishes: Wishes | None = None) -> Proposal:
    """Propose a source for `url` (see the module docstring); raises `DiscoveryError`."""
    wishes = wishes or Wishes()
    check_url(url)
    from crawler.run import run_child

    code, outcome = run_child("crawler.discover_child", (settings, url, wishes))
    if code != 0 or outcome is None:
        raise ParallaxError(f"the discovery process stopped unexpectedly (exit code {code})")
    if "error" in outcome:
        raise DiscoveryError(outcome["error"])
    return Proposal.from_json(outcome["proposal"])


def check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"{url!r} is not a web address; give one starting with http:// or https://")


def suggest_id(url: str) -> str:
    """A slug for the site: `www.semiconductors.org` → `semiconductors`, `127.0.0.1` → `127-0-0-1`."""
    import re

    host = (urlsplit(url).hostname or "site").lower()
    labels = [l for l in host.split(".") if l not in ("www", "en", "m")]
    if all(l.isdigit() for l in labels):
        return "-".join(labels)
    generic = {"com", "org", "net", "gov", "edu", "cn", "hk", "tw", "uk", "co", "ac", "int", "info"}
    meaningful = [l for l in labels if l not in generic] or labels
    return re.sub(r"[^a-z0-9_-]", "-", meaningful[-1])
