"""The list of sources, read from `sources.toml` and checked before any request is made.

Each source is one institution or outlet; each of its entry points names a discovery strategy
(`feed`, `sitemap` or `listing`) that one generic spider implements. A bad entry is a `ConfigError`
naming the source and the key, so a typo in a regular expression fails `parallax sources check`
rather than a crawl at 3 a.m.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from parallax.errors import ConfigError

KINDS = ("association", "government", "company", "news")
LANGUAGES = ("en", "zh")
ENTRY_TYPES = ("feed", "sitemap", "listing")
SELECTOR_KEYS = ("title", "date", "body", "author")
_SOURCE_KEYS = {"id", "name", "name_en", "language", "kind", "country", "timezone", "encoding",
                "date_format", "selectors", "entry", "cadence_days", "url", "collections"}
_SLUG = re.compile(r"[a-z0-9][a-z0-9_-]*")
_ENTRY_KEYS = {"type", "url", "urls", "article_pattern", "next_pattern", "max_pages"}


@dataclass(frozen=True)
class Entry:
    type: str
    urls: tuple[str, ...]
    article_pattern: str | None = None
    next_pattern: str | None = None
    max_pages: int = 5


@dataclass(frozen=True)
class SourceIdentity:
    """What names a source wherever one appears: configured (`Source`), proposed by discovery
    (`crawler.discover.Proposal`) or generated for a benchmark; the rest differs by use."""

    id: str
    name: str
    name_en: str
    language: str
    kind: str
    country: str


@dataclass(frozen=True)
class Source(SourceIdentity):
    timezone: str = "UTC"
    encoding: str | None = None
    date_format: str | None = None
    selectors: dict = field(default_factory=dict)
    entries: tuple[Entry, ...] = ()
    cadence_days: float | None = None
    url: str | None = None  # the site's home page, as a reader would visit it
    collections: tuple[str, ...] = ()  # groups a researcher searches by: collection:NAME

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def bundled_sources_path() -> Path:
    return Path(str(resources.files("crawler").joinpath("sources.toml")))


def load_sources(path: str | Path | None = None, base: str | None = None) -> list[Source]:
    """Read and validate a sources file; `{base}` in URLs is replaced by `base` (the demo site)."""
    path = Path(path) if path else bundled_sources_path()
    if not path.is_file():
        raise ConfigError(f"sources file {path} does not exist; check the 'sources' setting")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"sources file {path} is not UTF-8 text (byte {exc.start}); is it the right "
                          "file? Save it as UTF-8 TOML") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"sources file {path} is not valid TOML: {exc}") from None
    raw_sources = data.get("source")
    if not isinstance(raw_sources, list) or not raw_sources:
        raise ConfigError(f"sources file {path} has no [[source]] entries")
    sources, seen = [], set()
    for i, raw in enumerate(raw_sources):
        source = _parse_source(raw, i, base)
        if source.id in seen:
            raise ConfigError(f"source {source.id!r} appears twice in {path}; ids must be unique")
        seen.add(source.id)
        sources.append(source)
    return sources


def _fail(where: str, key: str, problem: str) -> ConfigError:
    return ConfigError(f"source {where}: key {key!r} {problem}")


def _parse_source(raw: dict, index: int, base: str | None) -> Source:
    where = repr(raw.get("id")) if isinstance(raw.get("id"), str) else f"#{index + 1}"
    unknown = set(raw) - _SOURCE_KEYS
    if unknown:
        raise _fail(where, sorted(unknown)[0], f"is not known; known keys: {', '.join(sorted(_SOURCE_KEYS))}")
    for key in ("id", "name", "name_en", "language", "kind", "country"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise _fail(where, key, "is missing or empty")
    if not _SLUG.fullmatch(raw["id"]):
        raise _fail(where, "id", "must be a lowercase slug (a-z, 0-9, - and _)")
    if raw["language"] not in LANGUAGES:
        raise _fail(where, "language", f"is {raw['language']!r}; choose one of: {', '.join(LANGUAGES)}")
    if raw["kind"] not in KINDS:
        raise _fail(where, "kind", f"is {raw['kind']!r}; choose one of: {', '.join(KINDS)}")
    timezone = raw.get("timezone", "UTC")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise _fail(where, "timezone", f"is {timezone!r}, not an IANA time zone such as Asia/Shanghai") from None
    encoding = raw.get("encoding")
    if encoding is not None:
        import codecs

        try:
            codecs.lookup(encoding)
        except LookupError:
            raise _fail(where, "encoding", f"is {encoding!r}, not an encoding Python knows") from None
    if raw.get("date_format") is not None:
        from crawler.date_formats import date_format_problem

        if problem := date_format_problem(raw["date_format"]):
            raise _fail(where, "date_format", problem)
    selectors = raw.get("selectors", {})
    if not isinstance(selectors, dict) or set(selectors) - set(SELECTOR_KEYS):
        raise _fail(where, "selectors", f"may only have the keys {', '.join(SELECTOR_KEYS)}")
    for key, css in selectors.items():
        try:
            from parsel import Selector

            Selector(text="<html></html>").css(css)
        except Exception as exc:  # parsel raises several types for bad CSS
            raise _fail(where, f"selectors.{key}", f"is not a valid CSS selector: {exc}") from None
    raw_entries = raw.get("entry")
    if not isinstance(raw_entries, list) or not raw_entries:
        raise _fail(where, "entry", "is missing: add at least one [[source.entry]]")
    entries = tuple(_parse_entry(e, where, j, base) for j, e in enumerate(raw_entries))
    cadence = raw.get("cadence_days")
    if cadence is not None and (not isinstance(cadence, (int, float)) or cadence <= 0):
        raise _fail(where, "cadence_days", "must be a positive number of days")
    collections = raw.get("collections", [])
    if not isinstance(collections, list) or not all(isinstance(c, str) and _SLUG.fullmatch(c) for c in collections):
        raise _fail(where, "collections", "must be a list of lowercase slugs, e.g. collections = [\"us-associations\"]")
    url = raw.get("url")
    if base is not None and isinstance(url, str):
        url = url.replace("{base}", base.rstrip("/"))
    if url is not None and (not isinstance(url, str) or not re.match(r"https?://", url)):
        raise _fail(where, "url", f"{url!r} is not an http(s) URL")
    return Source(
        id=raw["id"], name=raw["name"], name_en=raw["name_en"], language=raw["language"],
        kind=raw["kind"], country=raw["country"].upper(), timezone=timezone, encoding=encoding,
        date_format=raw.get("date_format"), selectors=dict(selectors), entries=entries,
        cadence_days=cadence, url=url, collections=tuple(dict.fromkeys(collections)),
    )


def collections_of(sources: list[Source]) -> dict[str, tuple[str, ...]]:
    """{collection: member source ids}, collections and members in a stable (sorted) order."""
    out: dict[str, list[str]] = {}
    for source in sources:
        for name in source.collections:
            out.setdefault(name, []).append(source.id)
    return {name: tuple(sorted(ids)) for name, ids in sorted(out.items())}


def _parse_entry(raw: dict, where: str, index: int, base: str | None) -> Entry:
    label = f"entry {index + 1}"
    if not isinstance(raw, dict):
        raise _fail(where, label, "must be a table")
    unknown = set(raw) - _ENTRY_KEYS
    if unknown:
        raise _fail(where, f"{label}.{sorted(unknown)[0]}", f"is not known; known: {', '.join(sorted(_ENTRY_KEYS))}")
    kind = raw.get("type")
    if kind not in ENTRY_TYPES:
        raise _fail(where, f"{label}.type", f"is {kind!r}; choose one of: {', '.join(ENTRY_TYPES)}")
    urls = raw.get("urls") or ([raw["url"]] if raw.get("url") else [])
    if not urls or not all(isinstance(u, str) for u in urls):
        raise _fail(where, f"{label}.url", "is missing: give url = \"...\" or urls = [...]")
    if base is not None:
        urls = [u.replace("{base}", base.rstrip("/")) for u in urls]
    for url in urls:
        if not re.match(r"https?://", url):
            raise _fail(where, f"{label}.url", f"{url!r} is not an http(s) URL")
    for key in ("article_pattern", "next_pattern"):
        if raw.get(key) is not None:
            try:
                re.compile(raw[key])
            except re.error as exc:
                raise _fail(where, f"{label}.{key}", f"is not a valid regular expression: {exc}") from None
    if kind == "listing" and not raw.get("article_pattern"):
        raise _fail(where, f"{label}.article_pattern", "is required for a listing entry")
    max_pages = raw.get("max_pages", 5)
    if not isinstance(max_pages, int) or max_pages < 1:
        raise _fail(where, f"{label}.max_pages", "must be a whole number of at least 1")
    return Entry(type=kind, urls=tuple(urls), article_pattern=raw.get("article_pattern"),
                 next_pattern=raw.get("next_pattern"), max_pages=max_pages)
