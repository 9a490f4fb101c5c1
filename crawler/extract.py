"""From the bytes a server sent to a document: charset, title, paragraphs, date, author.

Decoding is ours, not the extractor's: Chinese sites declare GBK, GB2312 or Big5, send no charset,
or send the wrong one, and a guess made on mangled text cannot be repaired later. Dates are ours
too: extractors misread 2025年7月19日. trafilatura finds the main text; a source may override any
field with CSS selectors.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from datetime import datetime, time, timezone
from zoneinfo import ZoneInfo

# Superset codecs: a page labelled GB2312 routinely contains GBK characters, and Big5 HKSCS ones.
_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "gb18030": "gb18030",
              "big5": "big5hkscs", "big5-hkscs": "big5hkscs", "cp950": "big5hkscs",
              "iso-8859-1": "cp1252", "latin-1": "cp1252", "ascii": "cp1252", "us-ascii": "cp1252"}
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.IGNORECASE)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_\-]+)", re.IGNORECASE)


class ExtractionError(Exception):
    """The page has no extractable article (empty, binary, no text). Carries the reason."""


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    name = name.strip().lower()
    name = _SUPERSETS.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode(body: bytes, header_content_type: str | None = None, forced: str | None = None) -> tuple[str, str]:
    """Text and the codec used. Order: the source's setting, a BOM, valid UTF-8, the page's own
    meta charset, the HTTP header, then GB18030 (which decodes any byte string without loss of the
    Chinese that is there)."""
    if forced:
        codec = _codec(forced) or forced
        return body.decode(codec, errors="replace"), codec
    for bom, codec in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16"),
                       (codecs.BOM_UTF16_BE, "utf-16")):
        if body.startswith(bom):
            return body.decode(codec, errors="replace").lstrip("\ufeff"), codec
    try:
        text = body.decode("utf-8")
        return text, "utf-8"
    except UnicodeDecodeError:
        pass
    candidates = []
    meta = _META_CHARSET.search(body[:4096])
    if meta:
        candidates.append(_codec(meta.group(1).decode("ascii", "ignore")))
    if header_content_type:
        header = _HEADER_CHARSET.search(header_content_type)
        if header:
            candidates.append(_codec(header.group(1)))
    candidates += ["gb18030", "big5hkscs"]
    for codec in candidates:
        if codec and codec != "utf-8":
            try:
                return body.decode(codec), codec
            except UnicodeDecodeError:
                continue
    return body.decode("gb18030", errors="replace"), "gb18030"


@dataclass
class Extracted:
    title: str
    text: str  # paragraphs separated by blank lines
    published_at: str | None
    author: str | None
    canonical: str | None
    encoding: str


_DATE_PATTERNS = [
    # 2025年7月19日 14:19 / 2025年07月19日
    (re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日(?:\s*(\d{1,2})[:：](\d{2}))?"), "ymd"),
    # 2025-07-19 14:19, 2025/07/19, 2025.07.19
    (re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]+(\d{1,2}):(\d{2}))?(?!\d)"), "ymd"),
    # July 19, 2025 / Jul. 19, 2025
    (re.compile(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\s+(\d{1,2}),?\s+(\d{4})\b"), "mdy"),
    # 19 July 2025
    (re.compile(r"\b(\d{1,2})\s+(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\s+(\d{4})\b"), "dmy"),
]
_MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1)}
_META_DATE_KEYS = ("article:published_time", "og:published_time", "pubdate", "publishdate",
                   "publish_date", "publishtime", "date", "dc.date", "dc.date.issued", "datePublished")


def parse_date(text: str, tz: ZoneInfo, date_format: str | None = None) -> str | None:
    """The first date in `text` as ISO 8601 UTC. A date without a time is taken as noon local time,
    so the calendar date survives conversion to UTC for every time zone a source is likely in."""
    if not text:
        return None
    text = text.strip()
    if date_format:
        match = _parse_with_format(text, date_format)
        if match:
            return _to_utc(match, tz)
    iso = re.match(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?(\.\d+)?(Z|[+-]\d{2}:?\d{2})?", text)
    if iso:
        try:
            value = datetime.fromisoformat(iso.group().replace("Z", "+00:00"))
            return _to_utc(value, tz)
        except ValueError:
            pass
    best = None
    for pattern, order in _DATE_PATTERNS:
        m = pattern.search(text)
        if m and (best is None or m.start() < best[0]):
            best = (m.start(), m, order)
    if best is None:
        return None
    _, m, order = best
    try:
        if order == "ymd":
            y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
            hh = int(m.group(4)) if m.lastindex and m.lastindex >= 5 and m.group(4) else None
            mm = int(m.group(5)) if hh is not None else None
        elif order == "mdy":
            mo, d, y = _MONTHS[m.group(1)[:3].lower()], int(m.group(2)), int(m.group(3))
            hh = mm = None
        else:
            d, mo, y = int(m.group(1)), _MONTHS[m.group(2)[:3].lower()], int(m.group(3))
            hh = mm = None
        value = datetime(y, mo, d, hh if hh is not None else 12, mm or 0)
    except (ValueError, KeyError):
        return None
    if not 1990 <= value.year <= 2100:
        return None
    return _to_utc(value, tz)


def _parse_with_format(text: str, fmt: str) -> datetime | None:
    for start in range(len(text)):
        for end in range(len(text), start, -1):
            try:
                value = datetime.strptime(text[start:end].strip(), fmt)
            except ValueError:
                continue
            if "%H" not in fmt:
                value = datetime.combine(value.date(), time(12))
            return value
        if start > 200:
            break
    return None


def _to_utc(value: datetime, tz: ZoneInfo) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value.astimezone(timezone.utc).replace(microsecond=0).isoformat()


def _clean(text: str | None) -> str:
    return re.sub(r"[ \t\u00a0\u3000]+", " ", text or "").strip()


def _find_date(tree, tz: ZoneInfo, date_format: str | None) -> str | None:
    for key in _META_DATE_KEYS:
        for node in tree.xpath(
            f"//meta[translate(@property,'ABCDEFGHIJKLMNOPQRSTUVWXYZ','abcdefghijklmnopqrstuvwxyz')="
            f"'{key.lower()}' or translate(@name,'ABCDEFGHIJKLMNOPQRSTUVWXYZ','abcdefghijklmnopqrstuvwxyz')="
            f"'{key.lower()}' or @itemprop='{key}']/@content"
        ):
            found = parse_date(str(node), tz, date_format)
            if found:
                return found
    for node in tree.xpath("//time/@datetime"):
        found = parse_date(str(node), tz, date_format)
        if found:
            return found
    # The first date written after the headline, before the related-articles lists further down.
    h1 = tree.xpath("//h1")
    texts = []
    if h1:
        texts = [t for t in h1[0].xpath("following::text()")][:60]
    texts = texts or tree.xpath("//body//text()")[:200]
    for text in texts:
        found = parse_date(str(text), tz, date_format)
        if found:
            return found
    return None


def extract(body: bytes, url: str, *, content_type: str | None = None, tz: ZoneInfo | None = None,
            encoding: str | None = None, selectors: dict | None = None,
            date_format: str | None = None, max_bytes: int = 20_000_000) -> Extracted:
    """Extract one article. Raises `ExtractionError` with the reason when there is none."""
    import lxml.html
    import trafilatura

    tz = tz or ZoneInfo("UTC")
    selectors = selectors or {}
    if len(body) > max_bytes:
        raise ExtractionError(f"page is {len(body):,} bytes, over the limit of {max_bytes:,}")
    if not body.strip():
        raise ExtractionError("page is empty")
    if b"\x00" in body[:2048] and not body.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ExtractionError("page is binary, not HTML")
    text, codec = decode(body, content_type, encoding)
    text = text.replace("\x00", "")
    try:
        tree = lxml.html.fromstring(text)
    except (ValueError, lxml.etree.ParserError) as exc:
        raise ExtractionError(f"page is not parseable HTML: {exc}") from None
    for bad in tree.xpath("//script|//style|//noscript|//template"):
        bad.drop_tree()

    result = trafilatura.bare_extraction(
        text, url=url, include_comments=False, include_tables=True, with_metadata=True,
        favor_precision=False, deduplicate=False,
    )
    doc = result.as_dict() if result is not None and hasattr(result, "as_dict") else (result or {})

    title = _clean(_css_text(tree, selectors.get("title"))) if selectors.get("title") else ""
    if not title:
        h1 = tree.xpath("//h1")
        title = _clean(h1[0].text_content()) if h1 else _clean(doc.get("title"))
    if not title:
        title = _clean(" ".join(tree.xpath("//title/text()")))

    if selectors.get("body"):
        paragraphs = _css_paragraphs(tree, selectors["body"])
    else:
        paragraphs = [p for p in (_clean(line) for line in (doc.get("text") or "").split("\n")) if p]
    # trafilatura sometimes repeats the headline as the first line of the text.
    if paragraphs and paragraphs[0] == title:
        paragraphs = paragraphs[1:]
    if not paragraphs:
        raise ExtractionError("no article text found (check the source's body selector)")

    published = None
    if selectors.get("date"):
        published = parse_date(_css_text(tree, selectors["date"]), tz, date_format)
    published = published or _find_date(tree, tz, date_format)

    author = _clean(_css_text(tree, selectors["author"])) if selectors.get("author") else _clean(doc.get("author"))
    canonical = tree.xpath("//link[@rel='canonical']/@href")
    return Extracted(
        title=title, text="\n\n".join(paragraphs), published_at=published,
        author=author or None, canonical=str(canonical[0]) if canonical else None, encoding=codec,
    )


def _css_nodes(tree, css: str):
    from lxml.cssselect import CSSSelector

    return CSSSelector(css)(tree)


def _css_text(tree, css: str) -> str:
    nodes = _css_nodes(tree, css)
    return nodes[0].text_content() if nodes else ""


def _css_paragraphs(tree, css: str) -> list[str]:
    out = []
    for node in _css_nodes(tree, css):
        blocks = node.xpath(".//p|.//li|.//h2|.//h3|.//blockquote")
        if blocks:
            out.extend(_clean(b.text_content()) for b in blocks)
        else:
            out.extend(_clean(line) for line in node.text_content().split("\n"))
    return [p for p in out if p]
