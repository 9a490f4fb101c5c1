"""Reading a site's pages for discovery: feed links, sitemaps, article-link and next-page patterns,
and the hints (language, country, time zone, name) a new `[[source]]` block needs.

Everything here works on bytes already fetched, so it is tested on pages written for the tests;
`crawler.discover` does the fetching. A listing page's article pattern is inferred from the shape
of its links: links whose paths differ only where digits or slugs differ form a group, and the
largest group of article-like links (a number or a long slug at the end, not a page number) wins.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/xml",
              "text/xml")
# Where sites put feeds and sitemaps when their pages do not say (tried in this order).
COMMON_FEED_PATHS = ("/feed", "/rss", "/rss.xml", "/feed.xml", "/atom.xml", "/index.xml")
COMMON_SITEMAP_PATHS = ("/sitemap.xml", "/sitemap_index.xml", "/news-sitemap.xml", "/sitemap-news.xml")
_NOT_PAGES = re.compile(r"\.(?:css|js|json|png|jpe?g|gif|svg|webp|ico|zip|rar|docx?|xlsx?|mp[34]|woff2?)$", re.I)
_PAGINATION_URL = re.compile(r"(?:/page/\d+/?$|[?&](?:page|p|pn|pg)=\d+|(?:^|/)(?:index|list|default)[_-]\d+\.s?html?$)",
                             re.I)
_PAGINATION_TEXT = re.compile(r"^(?:\d{1,3}|下一?页|下页|后页|next|next page|older|older posts|more|›|»|>|>>)$",
                              re.I)
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+){2,}(?:\.[a-z]{2,5})?$")
_DIGITS = re.compile(r"\d+")
MIN_GROUP = 3  # links of one shape before it counts as a pattern


@dataclass(frozen=True)
class Link:
    url: str
    text: str


def page_links(html: str, base_url: str) -> list[Link]:
    """Every <a href> of the page as an absolute URL (fragment dropped), with its text."""
    import lxml.html

    try:
        tree = lxml.html.fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return []
    base = tree.xpath("//base/@href")
    base_url = urljoin(base_url, str(base[0])) if base else base_url
    out, seen = [], set()
    for a in tree.xpath("//a[@href]"):
        href = (a.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:", "tel:")):
            continue
        url = urljoin(base_url, href).split("#", 1)[0]
        if not url.startswith(("http://", "https://")) or url in seen:
            continue
        seen.add(url)
        out.append(Link(url, " ".join(a.text_content().split())))
    return out


def feed_links(html: str, base_url: str) -> list[str]:
    """Feeds a page declares with <link rel="alternate" type="application/rss+xml|atom+xml">.

    Comment feeds (WordPress adds one per post) are left out: they are not statements."""
    import lxml.html

    try:
        tree = lxml.html.fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return []
    out = []
    for link in tree.xpath("//link[@href]"):
        rel = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").lower().split(";")[0].strip()
        title = (link.get("title") or "").lower()
        if "alternate" in rel and kind in FEED_TYPES and "comment" not in title:
            url = urljoin(base_url, link.get("href").strip())
            if url not in out:
                out.append(url)
    return out


def same_site(url: str, site: str) -> bool:
    return urlsplit(url).netloc.lower() == urlsplit(site).netloc.lower()


def _segment_template(segment: str) -> str:
    """A path segment as a regular expression: digit runs become \\d+, long slugs a slug class."""
    if _SLUG.fullmatch(segment.lower()) and not segment.isdigit():
        ext = re.search(r"\.[a-z]{2,5}$", segment.lower())
        return "[a-z0-9-]+" + (re.escape(ext.group()) if ext else "")
    parts, pos = [], 0
    for m in _DIGITS.finditer(segment):
        parts.append(re.escape(segment[pos:m.start()]))
        parts.append(r"\d+")
        pos = m.end()
    parts.append(re.escape(segment[pos:]))
    return "".join(parts)


def url_template(url: str) -> str:
    """The regular expression an address and its siblings share, e.g. `/news/\\d+/\\d+\\.html$`."""
    parts = urlsplit(url)
    path = "/".join(_segment_template(s) for s in parts.path.split("/"))
    if parts.query:
        pairs = sorted(p.partition("=") for p in parts.query.split("&") if p)
        query = "&".join(f"{re.escape(k)}={_segment_template(v)}" if eq else re.escape(k) for k, eq, v in pairs)
        return f"{path}\\?{query}$"
    return f"{path}$"


def _article_like(template: str) -> bool:
    last = template.rstrip("$").rsplit("/", 1)[-1]
    return ("\\d+" in last or "[a-z0-9-]+" in last) and not _looks_paginated(template)


def _looks_paginated(template: str) -> bool:
    sample = template.replace("\\d+", "2").replace("[a-z0-9-]+", "x").replace("\\", "").rstrip("$")
    return bool(_PAGINATION_URL.search(sample))


@dataclass(frozen=True)
class LinkPattern:
    pattern: str
    urls: tuple[str, ...]  # the matching links, in page order


def article_pattern(urls: list[str], site: str, exclude: set[str] = frozenset()) -> LinkPattern | None:
    """The largest group of article-like same-site links sharing one shape, as a regex.

    None when no shape has `MIN_GROUP` links (a page of navigation only)."""
    groups: dict[str, list[str]] = defaultdict(list)
    for url in urls:
        if url in exclude or not same_site(url, site) or _NOT_PAGES.search(urlsplit(url).path):
            continue
        template = url_template(url)
        if url not in groups[template]:
            groups[template].append(url)
    candidates = [(t, us) for t, us in groups.items() if len(us) >= MIN_GROUP and _article_like(t)]
    if not candidates:
        return None
    # Most links first; among equals the deeper path (articles sit below their sections).
    template, members = max(candidates, key=lambda c: (len(c[1]), c[0].count("/")))
    return LinkPattern(template, tuple(members))


def next_pattern(links: list[Link], site: str, page_url: str, articles: set[str]) -> LinkPattern | None:
    """The shape of the listing's own page links (`index_2.html`, `?page=2`, `/page/3/`), or None."""
    groups: dict[str, list[str]] = defaultdict(list)
    for link in links:
        if link.url in articles or link.url == page_url or not same_site(link.url, site):
            continue
        path_and_query = link.url.split(urlsplit(link.url).netloc, 1)[-1]
        if _PAGINATION_URL.search(path_and_query) or (_PAGINATION_TEXT.match(link.text) and
                                                     urlsplit(link.url).path.startswith(_directory(page_url))):
            groups[url_template(link.url)].append(link.url)
    if not groups:
        return None
    template, members = max(groups.items(), key=lambda kv: len(kv[1]))
    return LinkPattern(template, tuple(members))


def _directory(url: str) -> str:
    path = urlsplit(url).path
    return path if path.endswith("/") else path.rsplit("/", 1)[0] + "/"


def html_title(html: str) -> str:
    m = re.search(r"<title[^>]*>(.*?)</title>", html, re.I | re.S)
    return " ".join(m.group(1).split()) if m else ""


def meta_content(html: str, *names: str) -> str | None:
    """The content of the first <meta name|property=…> among `names`."""
    for name in names:
        for pattern in (rf"""<meta[^>]+(?:name|property)\s*=\s*["']{re.escape(name)}["'][^>]*content\s*=\s*["']([^"']*)""",
                        rf"""<meta[^>]+content\s*=\s*["']([^"']*)["'][^>]*(?:name|property)\s*=\s*["']{re.escape(name)}["']"""):
            m = re.search(pattern, html, re.I)
            if m and m.group(1).strip():
                return m.group(1).strip()
    return None


def html_lang(html: str) -> str | None:
    m = re.search(r"""<html[^>]*\blang\s*=\s*["']?([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*)""", html, re.I)
    return m.group(1).replace("_", "-") if m else None


_SEPARATORS = re.compile(r"\s+[-|–—_·:]\s+|\s*[|_–—·]\s*|——")


def site_name(html_titles: list[str], og_site_name: str | None) -> str:
    """The site's name: og:site_name, else the title part most pages share (`Article - Site`)."""
    if og_site_name:
        return og_site_name
    parts = [[p.strip() for p in _SEPARATORS.split(t) if p.strip()] for t in html_titles if t]
    if not parts:
        return ""
    counts = Counter(p for ps in parts for p in set(ps))
    shared = [p for p, n in counts.most_common() if n > 1]
    return shared[0] if shared else parts[0][-1] if len(parts[0]) > 1 else parts[0][0]


# Countries Parallax's users watch, with the zone their institutions date statements in.
COUNTRY_ZONES = {"CN": "Asia/Shanghai", "HK": "Asia/Hong_Kong", "TW": "Asia/Taipei", "MO": "Asia/Macau",
                 "SG": "Asia/Singapore", "US": "America/New_York", "GB": "Europe/London",
                 "JP": "Asia/Tokyo", "KR": "Asia/Seoul", "DE": "Europe/Berlin", "FR": "Europe/Paris",
                 "BE": "Europe/Brussels", "NL": "Europe/Amsterdam", "AU": "Australia/Sydney"}
_TLD_COUNTRY = {"cn": "CN", "hk": "HK", "tw": "TW", "mo": "MO", "sg": "SG", "uk": "GB", "jp": "JP",
                "kr": "KR", "de": "DE", "fr": "FR", "be": "BE", "nl": "NL", "au": "AU", "gov": "US",
                "mil": "US", "us": "US"}
# UTC offsets seen in a site's dates, and the zone to propose when the country says nothing.
_OFFSET_ZONES = {"+08:00": "Asia/Shanghai", "+09:00": "Asia/Tokyo", "+00:00": "UTC", "+01:00": "Europe/London",
                 "+02:00": "Europe/Berlin", "-04:00": "America/New_York", "-05:00": "America/New_York",
                 "-07:00": "America/Los_Angeles", "-08:00": "America/Los_Angeles", "+10:00": "Australia/Sydney",
                 "+11:00": "Australia/Sydney"}
_OFFSET = re.compile(r"(?:T|\s)\d{1,2}:\d{2}(?::\d{2})?(?:\.\d+)?\s*(Z|[+-]\d{2}:?\d{2}|GMT|UTC)\b|"
                     r"\b\d{2}:\d{2}:\d{2}\s+([+-]\d{4})\b")


def country_hint(url: str, lang_tag: str | None) -> tuple[str | None, str]:
    """(country, why): the language tag's region (zh-CN, en-US), else the domain's ending."""
    if lang_tag and "-" in lang_tag:
        region = lang_tag.split("-")[-1].upper()
        if len(region) == 2 and region.isalpha():
            return region, f"<html lang={lang_tag}>"
        if lang_tag.lower() in ("zh-hans",):
            return "CN", f"<html lang={lang_tag}>"
        if lang_tag.lower() in ("zh-hant",):
            return "TW", f"<html lang={lang_tag}>"
    host = urlsplit(url).hostname or ""
    labels = host.lower().split(".")
    for label in reversed(labels[-2:]):
        if label in _TLD_COUNTRY:
            return _TLD_COUNTRY[label], f"the domain ends in .{label}"
    return None, ""


def offsets_in(texts: list[str]) -> Counter:
    """UTC offsets written in dates (`2025-07-19T14:19:00+08:00`, `Sat, 19 Jul 2025 14:19:00 +0800`)."""
    seen: Counter = Counter()
    for text in texts:
        for m in _OFFSET.finditer(text or ""):
            raw = m.group(1) or m.group(2)
            if raw in ("Z", "GMT", "UTC"):
                seen["+00:00"] += 1
            else:
                raw = raw.replace(":", "")
                seen[f"{raw[:3]}:{raw[3:]}"] += 1
    return seen


def timezone_hint(country: str | None, offsets: Counter) -> tuple[str, str]:
    """(IANA zone, why) from the dates' offsets and the country."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    zone = COUNTRY_ZONES.get(country or "")
    if offsets:
        offset, count = offsets.most_common(1)[0]
        if zone:
            # The zone's offsets in winter and in summer (daylight saving time).
            local = {datetime(2025, month, 15, tzinfo=ZoneInfo(zone)).strftime("%z") for month in (1, 7)}
            if offset.replace(":", "") in local:
                return zone, f"{count} dates written with {offset}, the offset of {country}"
        if offset != "+00:00" and offset in _OFFSET_ZONES:
            return _OFFSET_ZONES[offset], f"{count} dates written with {offset}"
    if zone:
        return zone, f"the country ({country})"
    return "UTC", "no offset in the dates and no known country"
