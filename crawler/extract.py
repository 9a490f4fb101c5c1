"""From the bytes a server sent to a document: charset, title, paragraphs, date, author.

Decoding is ours, not the extractor's: Chinese sites declare GBK, GB2312 or Big5, send no charset,
or send the wrong one, and a guess made on mangled text cannot be repaired later. Dates are ours
too: extractors misread 2025年7月19日. trafilatura finds the main text; a source may override any
field with CSS selectors.
"""

from __future__ import annotations

import codecs
import contextlib
import copy
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


# Every byte but the control bytes that never occur in text (tab, LF, FF, CR and ESC do).
_TEXT_BYTES = bytes(b for b in range(256) if b >= 0x20 or b in (0x09, 0x0A, 0x0C, 0x0D, 0x1B))
_NOT_XML_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_MAX_DEPTH = 256  # libxml2's nesting limit without XML_PARSE_HUGE


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
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        declared = []  # not UTF-8: what the page and the server say, then a guess
    meta = _META_CHARSET.search(body[:4096])
    if meta:
        declared.append(_codec(meta.group(1).decode("ascii", "ignore")))
    if header_content_type:
        header = _HEADER_CHARSET.search(header_content_type)
        if header:
            declared.append(_codec(header.group(1)))
    # A declared charset is believed only if the bytes decode under it without error: a page
    # labelled UTF-8 or ISO-8859-1 that is really GBK is common on older Chinese sites.
    for codec in declared:
        if codec and codec not in ("utf-8", "cp1252"):
            try:
                text = body.decode(codec)
            except UnicodeDecodeError:
                continue
            if codec in ("gb18030", "big5hkscs"):
                # GB18030 accepts Big5 bytes (and the reverse) as valid nonsense: a label is
                # overruled when the other reading is clearly ordinary Chinese.
                other = _guess_chinese(body)
                if other and other[1] != codec and \
                        _common_share(*other) > _common_share(text, codec) + 0.2:
                    return other
            return text, codec
    guessed = _guess_chinese(body)
    # A page declared Latin-1 keeps it unless its bytes read clearly as Chinese.
    if guessed and ("cp1252" not in declared or _common_share(*guessed) >= 0.6):
        return guessed
    if "cp1252" in declared:
        return body.decode("cp1252", errors="replace"), "cp1252"
    return body.decode("gb18030", errors="replace"), "gb18030"


def _guess_chinese(body: bytes) -> tuple[str, str] | None:
    """GB18030 or Big5 for undeclared (or wrongly declared) bytes, whichever reads as common text.

    Both codecs accept most byte strings of the other, so a strict decode alone cannot tell them
    apart. Each reading is scored by the share of its non-ASCII characters that fall in that
    standard's own frequent-character block (GB2312 level 1; Big5 level 1) or are CJK
    punctuation: real text scores above 0.9, a cross-reading around half.
    """
    readings = []
    for codec in ("gb18030", "big5hkscs"):
        try:
            readings.append((body.decode(codec), codec))
        except UnicodeDecodeError:
            continue
    if len(readings) < 2:
        return readings[0] if readings else None
    return max(readings, key=lambda r: _common_share(r[0], r[1]))


def _common_share(text: str, codec: str) -> float:
    wide = [c for c in text if ord(c) > 0x7F][:4000]
    if not wide:
        return 0.0
    good = 0
    for char in wide:
        if 0x3000 <= ord(char) <= 0x303F or 0xFF00 <= ord(char) <= 0xFFEF or char in "“”‘’…—·":
            good += 1
            continue
        try:
            if codec == "gb18030":
                raw = char.encode("gb2312")
                good += 0xB0 <= raw[0] <= 0xD7
            else:
                raw = char.encode("big5")
                good += 0xA440 <= int.from_bytes(raw[:2], "big") <= 0xC67E
        except UnicodeEncodeError:
            continue
    return good / len(wide)


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
        with contextlib.suppress(ValueError):  # a malformed ISO stamp: try the other patterns
            return _to_utc(datetime.fromisoformat(iso.group().replace("Z", "+00:00")), tz)
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


def _find_date(tree, tz: ZoneInfo, date_format: str | None, metadata_only: bool = False) -> str | None:
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
    if metadata_only:
        return None
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
    # Binary files are full of NUL and other control bytes; a page with a stray one (a CMS bug)
    # is still a page.
    head = body[:4096]
    if len(head.translate(None, _TEXT_BYTES)) > max(2, len(head) // 20) and not body.startswith(
            (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ExtractionError("page is binary, not HTML")
    text, codec = decode(body, content_type, encoding)
    # Control characters and U+FFFE/U+FFFF are not allowed in XML text: lxml refuses to move such
    # text when a <script> before it is dropped. Browsers show nothing for them either.
    text = _NOT_XML_TEXT.sub("", text)
    parser = lxml.html.HTMLParser()
    try:
        tree = lxml.html.fromstring(text, parser=parser)
    except (ValueError, lxml.etree.ParserError) as exc:
        raise ExtractionError(f"page is not parseable HTML: {exc}") from None
    # libxml2 stops reading below 256 levels of nesting (a hostile or broken page can nest 50,000
    # divs); what lies deeper is not seen, and the failure must say so rather than blame selectors.
    too_deep = any("Excessive depth" in e.message for e in parser.error_log)
    # Also the elements whose content browsers never show as text: an unclosed <iframe> (or
    # <noembed>, <noframes>) swallows the rest of the page as raw text, scripts included.
    for bad in tree.xpath("//script|//style|//noscript|//template|//iframe|//noembed|//noframes"):
        bad.drop_tree()

    # trafilatura reads the cleaned tree (a copy: it prunes what it reads), so text inside
    # <template>, <noscript> or <script> never reaches it even where its own cleaning keeps it.
    result = trafilatura.bare_extraction(
        copy.deepcopy(tree), url=url, include_comments=False, include_tables=True, with_metadata=True,
        favor_precision=False, deduplicate=False,
    )
    doc = result.as_dict() if result is not None and hasattr(result, "as_dict") else (result or {})

    title = _clean(_css_text(tree, selectors.get("title"))) if selectors.get("title") else ""
    if not title:
        h1 = tree.xpath("//h1")
        title = _clean(h1[0].text_content()) if h1 else _clean(doc.get("title"))
    if not title:
        title = _clean(" ".join(tree.xpath("//title/text()")))

    paragraphs = _css_paragraphs(tree, selectors["body"]) if selectors.get("body") else []
    selected = list(paragraphs)
    if not paragraphs:
        # No body selector, or one that no longer matches after a redesign: the automatic
        # extraction still gets the article rather than losing it.
        paragraphs = [p for p in (_clean(line) for line in (doc.get("text") or "").split("\n")) if p]
        if len(paragraphs) <= 1:
            # On short pages trafilatura falls back to a baseline that runs headline, date and
            # paragraphs into one line; the densest block of <p> elements keeps them apart.
            dense = _densest_paragraphs(tree)
            if len(dense) > 1:
                paragraphs = dense
    paragraphs, byline = strip_boilerplate(paragraphs, title, tz)
    if not paragraphs and selected:
        # The selector says where the text is: a notice of a few words is the text, not a kicker.
        paragraphs = [p for p in selected if p.strip() != title.strip() and not _FURNITURE.match(p.strip())]
    if not paragraphs:
        if too_deep:
            raise ExtractionError(f"no article text found: the page nests elements more than {_MAX_DEPTH} "
                                  "deep and the parser does not read below that")
        raise ExtractionError("no article text found (check the source's body selector)")

    published = None
    if selectors.get("date"):
        nodes = _css_nodes(tree, selectors["date"])
        if nodes:
            stamp = nodes[0].get("datetime") or nodes[0].get("content") or ""
            published = parse_date(stamp, tz, None) or parse_date(nodes[0].text_content(), tz, date_format)
        if published:
            # A date-only selector loses the time that the page's metadata may carry.
            precise = _find_date(tree, tz, date_format, metadata_only=True)
            if precise and _local_day(precise, tz) == _local_day(published, tz):
                published = precise
    published = published or _find_date(tree, tz, date_format)

    author = _clean(_css_text(tree, selectors["author"])) if selectors.get("author") else _clean(doc.get("author"))
    author = author or byline
    canonical = tree.xpath("//link[@rel='canonical']/@href")
    return Extracted(
        title=title, text="\n\n".join(paragraphs), published_at=published,
        author=author or None, canonical=str(canonical[0]) if canonical else None, encoding=codec,
    )


def _local_day(iso: str, tz: ZoneInfo) -> str:
    return datetime.fromisoformat(iso).astimezone(tz).date().isoformat()


# Page furniture that extractors let through: kicker labels, datelines, bylines, share and print
# links, "next article" links, press-release end marks, editor credits.
_FURNITURE = re.compile(
    r"^(?:share( this)?( on \w+)?[:：]?|print( this page)?|email this page|"
    r"微信|微博|qq|qq空间|facebook|twitter|x|linkedin|whatsapp|email|weibo|wechat|"
    r"(?:您的位置|当前位置|當前位置|所在位置|位置|you are here)[：:].*|"
    r"(?:[^>›»\n]{1,12}\s*[>›»]\s*){1,5}[^>›»\n]{1,14}|"
    r"(?:来源|來源|source|稿源|作者|编辑)[：:]\s*\S.{0,30}|[【\[]?字(?:体|號|号)[：:].{0,12}|"
    r"tweet|related (?:articles|news|stories|posts)|read more|back to top|"
    r"[【\[(（]?(?:打印|关闭|关闭窗口|打印本页|返回顶部|收藏|分享到?)[】\])）]?|"
    r"(?:上一篇|下一篇|上一条|下一条|相关新闻|相关阅读|相关文章|分享到)[：:].*|"
    r"[（(]?(?:责任编辑|责编|编辑|審校|审校|校对)[：:][^。]{0,20}[)）]?)$",
    re.IGNORECASE,
)
_END_MARK = re.compile(
    r"^(?:#{3,}|-\s*30\s*-|-?\s*[Ee][Nn][Dd]\s*-?|"
    r"(?:相关稿件|相关新闻|相关阅读|相关推荐|相关文章|相關新聞|延伸阅读|"
    r"[Rr]elated (?:[Aa]rticles|[Pp]osts|[Nn]ews|[Ss]tories)|[Mm]ore on this|[Mm]ost read)[：:]?|"
    r"[Aa]bout (?:the )?[A-Z][\w&.-]*(?: [A-Z][\w&.-]*){0,3})$"
)
_BYLINE = re.compile(
    r"^(?:[Bb]y|[Ww]ritten [Bb]y|[Aa]uthor[:：])\s+([A-Z][\w.'-]+(?:\s+[A-Z][\w.'-]+){0,3})(?:[,|].*)?$"
    r"|^(?:作者|记者|記者|撰文)[：:\s]\s*([\u4e00-\u9fff·]{2,8})",
)
_DATE_LINE_LABELS = re.compile(
    r"published|updated|posted|release date|date|source|发布时间|发布日期|發佈時間|發布時間|发表时间|时间|時間|"
    r"日期|来源|來源|浏览次数|阅读|星期[一二三四五六日天]|周[一二三四五六日]|"
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|\b[ap]\.?m\.?|\b(?:et|edt|est|hkt|bst|gmt|utc)\b",
    re.IGNORECASE,
)


def strip_boilerplate(paragraphs: list[str], title: str, tz: ZoneInfo) -> tuple[list[str], str | None]:
    """Drop what sits around the article rather than in it; returns the paragraphs and any byline.

    Above the text: the headline repeated, kicker labels ("Press Release"), a standalone date or
    date-and-source line, a byline. Anywhere: share, print and "next article" links, end marks,
    editor credits. A date written at the start of the first paragraph and followed only by a
    space (not a press dateline such as "WASHINGTON—July 19, 2025—") is cut off as well.
    """
    tz = tz or ZoneInfo("UTC")
    byline = None
    kept = []
    for p in paragraphs:
        if _END_MARK.match(p.strip()) and kept:
            break  # what follows "###" or an "About <organisation>" heading is boilerplate
        if not _FURNITURE.match(p.strip()):
            kept.append(p)
    while kept:
        first = kept[0].strip()
        found = _BYLINE.match(first)
        if first == title.strip() or _is_date_line(first, tz):
            kept.pop(0)
        elif found and len(first) <= 80:
            byline = byline or (found.group(1) or found.group(2))
            kept.pop(0)
        elif _is_kicker(first):
            kept.pop(0)
        else:
            break
    if kept:
        kept[0] = _strip_leading_date(kept[0], tz)
    return [p for p in kept if p], byline


def _is_date_line(line: str, tz: ZoneInfo) -> bool:
    if len(line) > 80 or re.search(r"[。！？!?]$", line) or not parse_date(line, tz):
        return False
    rest = line
    for pattern, _ in _DATE_PATTERNS:
        rest = pattern.sub(" ", rest)
    rest = re.sub(r"\d{1,2}[:：]\d{2}(?::\d{2})?", " ", rest)
    # What is left once dates, times and labels are gone may be a source's name, not a sentence.
    rest = re.sub(r"[\s|·•/:：,，\-–—()（）]+", " ", _DATE_LINE_LABELS.sub(" ", rest)).strip()
    return len(rest) <= 16 and len(rest.split()) <= 2


def _is_kicker(line: str) -> bool:
    """A short label above the text: a few words, no sentence punctuation, no trailing colon."""
    if re.search(r"[.!?。！？:：;；,，\"“”]$", line):
        return False
    if re.search(r"[\u4e00-\u9fff]", line):
        return len(line) <= 8
    return len(line.split()) <= 6


def _strip_leading_date(paragraph: str, tz: ZoneInfo) -> str:
    for pattern, _ in _DATE_PATTERNS:
        m = pattern.match(paragraph)
        if m:
            rest = re.sub(r"^\s+\d{1,2}[:：]\d{2}(?::\d{2})?", "", paragraph[m.end():])
            if rest[:1].isspace() and rest.strip():
                return rest.strip()
            return paragraph
    return paragraph


def _densest_paragraphs(tree) -> list[str]:
    """The <p> children of the element holding the most paragraph text on the page."""
    totals: dict = {}
    for p in tree.xpath("//body//p"):
        parent = p.getparent()
        if parent is not None:
            totals[parent] = totals.get(parent, 0) + len(_clean(p.text_content()))
    if not totals:
        return []
    best = max(totals, key=totals.get)
    return [t for t in (_clean(node.text_content()) for node in best.xpath("./p|./h2|./h3|./ul/li|./ol/li|./blockquote")) if t]


def _css_nodes(tree, css: str):
    from lxml.cssselect import CSSSelector

    return CSSSelector(css)(tree)


def _css_text(tree, css: str) -> str:
    nodes = _css_nodes(tree, css)
    return nodes[0].text_content() if nodes else ""


def _css_paragraphs(tree, css: str) -> list[str]:
    out, taken = [], []
    for node in _css_nodes(tree, css):
        # "a, b" may match a container and its child: read each part of the page once.
        if any(node in set(t.iterdescendants()) for t in taken):
            continue
        taken.append(node)
        blocks = node.xpath(".//p|.//li|.//h2|.//h3|.//blockquote")
        if blocks:
            out.extend(_clean(b.text_content()) for b in blocks)
        else:
            out.extend(_clean(line) for line in node.text_content().split("\n"))
    return [p for p in out if p]
