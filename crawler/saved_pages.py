"""The crawler's extraction, run on pages saved to disk: how a researcher checks a new source's
selectors, or re-reads pages fetched by other tools, without crawling.

The bytes are read as saved (as served), so decoding follows the same order as in a crawl: the
forced encoding, a BOM, valid UTF-8, the page's own meta charset, then a GBK/Big5 guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from crawler.charset import decode
from crawler.dates import page_time_zone
from crawler.extract import ExtractionError, extract
from parallax.errors import ConfigError

_CANONICAL = re.compile(rb"""<(?:link[^>]+rel=["']?canonical["']?[^>]*href|meta[^>]+property=["']og:url["'][^>]*content)"""
                        rb"""\s*=\s*["']([^"']+)""", re.IGNORECASE)


@dataclass(frozen=True)
class AssumedZone:
    """The time zone that times written without one are read in, and why it was chosen."""

    tz: ZoneInfo
    reason: str

    def describe(self) -> str:
        said = f"times without a zone read as {self.tz.key} ({self.reason})"
        return said if self.reason.startswith("given") else said + "; use --tz to choose another"


def parse_time_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"time zone {name!r} is not an IANA time zone; use one such as Asia/Shanghai, "
                          "America/New_York or UTC") from None


def assumed_time_zone(body: bytes, url: str | None, *, tz: ZoneInfo | None = None, source=None,
                      sources=()) -> AssumedZone:
    """The zone a saved page's times are read in: the one asked for, the source's, that of a
    configured source whose address the page carries, UTC+8 for a page in Chinese (mainland
    China, Hong Kong and Taiwan all keep it), else UTC. A crawl reads the page in its source's
    zone, so the same page gives the same instant either way when the page says where it is from."""
    if tz is not None:
        return AssumedZone(tz, "given with --tz")
    if source is not None:
        return AssumedZone(source.tz, f"the time zone of source {source.id}")
    hosts = [urlsplit(url).hostname] if url else []
    hosts += [urlsplit(m.decode("ascii", "ignore")).hostname for m in _CANONICAL.findall(body[:65536])]
    for host in filter(None, hosts):
        for candidate in sources:
            if any(_same_site(host, urlsplit(u).hostname) for e in candidate.entries for u in e.urls):
                return AssumedZone(candidate.tz, f"the time zone of source {candidate.id}, whose site the page is from")
    return AssumedZone(*page_time_zone(decode(body[:200_000])[0]))


def _same_site(a: str, b: str | None) -> bool:
    if not b:
        return False
    a, b = a.lower().removeprefix("www."), b.lower().removeprefix("www.")
    return a == b or a.endswith("." + b) or b.endswith("." + a)


@dataclass(frozen=True)
class SavedPageResult:
    file: str
    url: str
    title: str | None
    published_at: str | None
    author: str | None
    lang: str | None
    text: str | None
    encoding: str | None = None
    error: str | None = None
    zone: AssumedZone | None = None

    def to_json(self) -> dict:
        out = {"file": self.file, "url": self.url, "title": self.title, "published_at": self.published_at,
               "author": self.author, "lang": self.lang, "text": self.text}
        if self.error:
            out["error"] = self.error
        return out


def extract_saved(files: Iterable[str | Path], source=None, url: str | None = None,
                  encoding: str | None = None, max_bytes: int = 20_000_000, tz: ZoneInfo | None = None,
                  sources=()) -> Iterator[SavedPageResult]:
    """One result per file, in order. A page without an article gives a result with `error` (the
    same reason the crawler would store), so one bad file does not stop a batch of hundreds.
    Each result carries the time zone its times were read in (see `assumed_time_zone`)."""
    from nlp.langid import detect

    if encoding:
        import codecs

        try:
            codecs.lookup(encoding)
        except LookupError:
            raise ConfigError(f"encoding {encoding!r} is not one Python knows; try gb18030, big5 or utf-8") from None
    selectors = source.selectors if source else {}
    date_format = source.date_format if source else None
    forced = encoding or (source.encoding if source else None)
    for file in files:
        path = Path(file)
        page_url = url or path.resolve().as_uri()
        try:
            body = path.read_bytes()
        except OSError as exc:
            yield SavedPageResult(str(file), page_url, None, None, None, None, None,
                                  error=f"cannot read {file}: {exc.strerror}")
            continue
        zone = assumed_time_zone(body, url, tz=tz, source=source, sources=sources)
        try:
            found = extract(body, page_url, tz=zone.tz, encoding=forced, selectors=selectors,
                            date_format=date_format, max_bytes=max_bytes)
        except ExtractionError as exc:
            yield SavedPageResult(str(file), page_url, None, None, None, None, None, error=str(exc), zone=zone)
            continue
        lang = detect(found.title + "\n" + found.text[:1000]) or (source.language if source else None)
        yield SavedPageResult(str(file), page_url, found.title, found.published_at, found.author, lang,
                              found.text, encoding=found.encoding, zone=zone)
