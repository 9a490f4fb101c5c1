"""From the bytes a server sent to a document: title, paragraphs, date, author.

The jobs live in their own modules: `charset` (bytes to text), `layout_tables` (tables that lay
out the page), `titles` (the headline), `dates` and `published` (reading dates, choosing the
publication date), `bylines`, `release_end` and `cleanup` (what surrounds the text).
trafilatura finds the main text; a source may override any field with CSS selectors.
"""

from __future__ import annotations

import codecs
import copy
import logging
import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from crawler.bylines import as_written, byline_in, clean_byline
from crawler.charset import decode
from crawler.cleanup import clean, is_furniture, strip_boilerplate
from crawler.dates import local_day, page_time_zone, parse_date
from crawler.layout_tables import unwrap_layout_tables
from crawler.published import choose_published, meta_dates
from crawler.titles import choose_headline

log = logging.getLogger(__name__)

# Every byte but the control bytes that never occur in text (tab, LF, FF, CR and ESC do).
_TEXT_BYTES = bytes(b for b in range(256) if b >= 0x20 or b in (0x09, 0x0A, 0x0C, 0x0D, 0x1B))
_NOT_XML_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_MAX_DEPTH = 256  # libxml2's nesting limit without XML_PARSE_HUGE
_AUTHOR_META = ("author", "article:author", "byl", "dc.creator", "sailthru.author", "parsely-author")


class ExtractionError(Exception):
    """The page has no extractable article (empty, binary, no text). Carries the reason."""


@dataclass
class Extracted:
    title: str
    text: str  # paragraphs separated by blank lines
    published_at: str | None
    author: str | None
    canonical: str | None
    encoding: str


def extract(body: bytes, url: str, *, content_type: str | None = None, tz: ZoneInfo | None = None,
            encoding: str | None = None, selectors: dict | None = None,
            date_format: str | None = None, max_bytes: int = 20_000_000,
            fetched_at: datetime | None = None) -> Extracted:
    """Extract one article. Raises `ExtractionError` with the reason when there is none.

    `tz` is the source's time zone; without one, times are read as `page_time_zone` says (UTC+8
    for a Chinese page, else UTC).

    `fetched_at` (default: now) bounds the publication date: a page cannot be published after it
    was fetched."""
    import lxml.html
    import trafilatura

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
    # XHTML pages (common on Chinese government sites) open with <?xml … encoding="gb2312"?>,
    # which lxml refuses on text it did not decode itself: the bytes are already decoded here.
    text = _XML_DECLARATION.sub("", text, count=1)
    if tz is None:
        tz = page_time_zone(text)[0]
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

    # trafilatura reads a copy (it prunes what it reads) in which layout tables are blocks, so
    # text inside <template>, <noscript> or <script> never reaches it, and a page built of
    # nested tables reads as paragraphs rather than rows. Selectors still see the page as served.
    laid_out = copy.deepcopy(tree)
    unwrap_layout_tables(laid_out)
    try:
        result = trafilatura.bare_extraction(
            copy.deepcopy(laid_out), url=url, include_comments=False, include_tables=True, with_metadata=True,
            favor_precision=False, deduplicate=False,
        )
    except (ValueError, TypeError, AttributeError, lxml.etree.LxmlError) as exc:
        # A tree the extractor trips over still has its text: the fallbacks below read it.
        log.warning("trafilatura failed on %s (%s: %s); using the densest block of text", url, type(exc).__name__, exc)
        result = None
    doc = result.as_dict() if result is not None and hasattr(result, "as_dict") else (result or {})

    paragraphs = _css_paragraphs(tree, selectors["body"]) if selectors.get("body") else []
    selected = list(paragraphs)
    if not paragraphs:
        # No body selector, or one that no longer matches after a redesign: the automatic
        # extraction still gets the article rather than losing it.
        paragraphs = [p for p in (clean(line) for line in (doc.get("text") or "").split("\n")) if p]
        if len(paragraphs) <= 1:
            # On short pages trafilatura falls back to a baseline that runs headline, date and
            # paragraphs into one line; the densest block of <p> elements keeps them apart.
            dense = _densest_paragraphs(laid_out)
            if len(dense) > 1 or (dense and not paragraphs):
                paragraphs = dense
        if not paragraphs:
            paragraphs = _densest_text_block(laid_out)

    order = {node: i for i, node in enumerate(tree.iter())}
    body_start = _locate(tree, paragraphs)
    title, headline_node = "", None
    if selectors.get("title"):
        nodes = _css_nodes(tree, selectors["title"])
        if nodes:
            title, headline_node = clean(nodes[0].text_content()), nodes[0]
    if not title:
        headline = choose_headline(tree, body_start, order, fallback=doc.get("title") or "")
        title, headline_node = headline.text, headline.element
    paragraphs, byline = strip_boilerplate(paragraphs, title, tz)
    if not paragraphs and selected:
        # The selector says where the text is: a notice of a few words is the text, not a kicker.
        paragraphs = [p for p in selected if p.strip() != title.strip() and not is_furniture(p)]
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
            precise = next(iter(meta_dates(tree, tz, date_format)), None)
            if precise and local_day(precise, tz) == local_day(published, tz):
                published = precise
    published = published or choose_published(tree, tz, date_format, headline=headline_node,
                                               body_start=body_start, url=url, fetched_at=fetched_at)

    if selectors.get("author"):
        author = clean(_css_text(tree, selectors["author"]))
    else:
        author = (_author_on_page(tree) or byline or _byline_near(headline_node, body_start)
                  or as_written(clean_byline(doc.get("author")), tree.text_content()))
    canonical = tree.xpath("//link[@rel='canonical']/@href")
    return Extracted(
        title=title, text="\n\n".join(paragraphs), published_at=published,
        author=author or None, canonical=str(canonical[0]) if canonical else None, encoding=codec,
    )


def _author_on_page(tree) -> str | None:
    """The byline the page marks as one: author metadata, rel/itemprop author, a byline element."""
    lower = "translate({},'ABCDEFGHIJKLMNOPQRSTUVWXYZ','abcdefghijklmnopqrstuvwxyz')"
    for key in _AUTHOR_META:
        for value in tree.xpath(f"//meta[{lower.format('@name')}='{key}' or {lower.format('@property')}='{key}']/@content"):
            if not str(value).startswith("http"):
                name = clean_byline(str(value))
                if name:
                    return name
    for node in tree.xpath("//*[@rel='author' or @itemprop='author' or contains(@class,'byline') "
                           "or contains(@class,'author-name') or contains(@class,'article-author')]"):
        name = clean_byline(clean(node.text_content()))
        if name:
            return name
    return None


def _byline_near(headline, body_start) -> str | None:
    """A labelled byline ("作者：李明", "By Jane Doe") in the lines between headline and body."""
    if headline is None:
        return None
    for text in headline.xpath("following::text()")[:20]:
        parent = text.getparent()
        if body_start is not None and parent is not None and (parent is body_start or body_start in parent.iterancestors()):
            break
        name = byline_in(clean(str(text)))
        if name:
            return name
    return None


def _locate(tree, paragraphs: list[str]):
    """The element where the body text begins on the page as served (None if not found)."""
    for paragraph in paragraphs[:3]:
        probe = paragraph[:16]
        if len(probe) < 4 or "'" in probe and '"' in probe:
            continue
        quote = '"' if "'" in probe else "'"
        nodes = tree.xpath(f"//body//text()[contains(normalize-space(.), {quote}{probe}{quote})]")
        for node in nodes:
            parent = node.getparent()
            if parent is not None and not parent.xpath("ancestor-or-self::title|ancestor-or-self::a"):
                return parent
    return None


def _densest_paragraphs(tree) -> list[str]:
    """The <p> children of the element holding the most paragraph text on the page."""
    totals: dict = {}
    for p in tree.xpath("//body//p"):
        parent = p.getparent()
        if parent is not None:
            totals[parent] = totals.get(parent, 0) + len(clean(p.text_content()))
    if not totals:
        return []
    best = max(totals, key=totals.get)
    return [t for t in (clean(node.text_content()) for node in best.xpath("./p|./h2|./h3|./ul/li|./ol/li|./blockquote")) if t]


def _densest_text_block(tree) -> list[str]:
    """Lines of the element holding the most text of its own (not in links or child blocks), for
    pages that write the article as text and <br>s in a <div> or <td> with no <p> at all."""
    best, best_len = None, 0
    for node in tree.xpath("//body//*"):
        if not isinstance(node.tag, str) or node.tag in ("a", "script", "style"):
            continue
        own = (node.text or "") + "".join((child.tail or "") for child in node)
        own += "".join(child.text_content() for child in node
                       if isinstance(child.tag, str) and child.tag in ("font", "span", "strong", "b", "em", "i"))
        size = len(re.sub(r"\s+", "", own))
        if size > best_len:
            best, best_len = node, size
    if best is None or best_len < 20:
        return []
    for br in best.iter("br"):
        br.tail = "\n" + (br.tail or "")
    return [line for line in (clean(x) for x in best.text_content().split("\n")) if line]


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
            out.extend(clean(b.text_content()) for b in blocks)
        else:
            out.extend(clean(line) for line in node.text_content().split("\n"))
    return [p for p in out if p]
