"""Which text on a page is the article's own headline.

On portal pages the first `<h1>` is often the section ("新闻中心") and the headline sits in an
`<h2>` or a `<div class="title">` beside the body. The page says elsewhere what its headline is:
og:title (or the ArticleTitle meta of Chinese government sites) and `<title>` with the site-name
suffix cut off. So a heading that agrees with those wins; without agreement, og:title; then the
heading nearest above the body; then `<title>` minus the site's name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from crawler.cleanup import clean

_META_TITLES = ("og:title", "twitter:title", "articletitle", "title", "headline", "dc.title")
_HEADING_CLASS = re.compile(
    r"(?:^|[\s_-])(?:title|headline|heading|biaoti|bt|tit|art_?title|news_?title|article_?title|"
    r"content_?title|detail_?title|show_?title|atitle)(?:$|[\s_-]|\d)", re.IGNORECASE)
_NOT_HEADING_CLASS = re.compile(r"sub|small|side|list|nav|menu|foot|crumb|related|recommend|logo|"
                                r"channel|column|lanmu|section|sitename", re.IGNORECASE)
# Separators between the headline and the site's name in <title>: " | ", " - ", "_", "｜", " — ".
_TITLE_SEPARATORS = re.compile(
    r"\s+[|\-–—:·•»]{1,2}\s+|\s*[_｜|]\s*|(?<=[\u4e00-\u9fff）」”》])\s*[-–—]{1,2}\s*(?=[\u4e00-\u9fff（「“《])"
    r"|\s*::\s*")
_CHROME = ("ancestor-or-self::*[self::nav or self::footer or self::aside or self::menu or self::li or self::a or "
           "(self::header and not(ancestor::article or ancestor::main))]")


@dataclass
class Headline:
    text: str
    element: object | None  # the element it was read from, when it is on the page


def _norm(text: str) -> str:
    return re.sub(r"[\W_]+", "", text).lower()


def _agrees(a: str, b: str, reworded: bool = True) -> bool:
    """One is the other, or contains it and is not much longer (a kicker or a site suffix), or
    (`reworded`) shares most of its character pairs with it."""
    a, b = _norm(a), _norm(b)
    if not a or not b:
        return False
    if a == b:
        return True
    short, long_ = sorted((a, b), key=len)
    if short in long_ and len(short) >= 0.6 * len(long_) and len(short) >= 4:
        return True
    if not reworded:
        return False
    # The same headline reworded a little (social titles): most character pairs in common.
    pairs_a, pairs_b = {a[i:i + 2] for i in range(len(a) - 1)}, {b[i:i + 2] for i in range(len(b) - 1)}
    return len(short) >= 8 and len(pairs_a & pairs_b) >= 0.7 * min(len(pairs_a), len(pairs_b)) \
        and len(short) >= 0.6 * len(long_)


def _short(text: str) -> bool:
    if re.search(r"[\u4e00-\u9fff]", text):
        return len(text) <= 12
    return len(text.split()) <= 5


def _meta(tree, names) -> list[str]:
    found = []
    lower = "translate({},'ABCDEFGHIJKLMNOPQRSTUVWXYZ','abcdefghijklmnopqrstuvwxyz')"
    for name in names:
        for value in tree.xpath(
                f"//meta[{lower.format('@property')}='{name}' or {lower.format('@name')}='{name}' "
                f"or @itemprop='{name}']/@content"):
            value = clean(str(value))
            if value:
                found.append(value)
    return found


def site_names(tree) -> set[str]:
    """What the page calls its site: og:site_name, application-name, the home link and logo."""
    names = set(_meta(tree, ("og:site_name", "application-name", "sitename", "site_name")))
    for value in tree.xpath("//a[@href='/' or @href='./' or @href='index.html' or @href='/index.html' "
                            "or contains(@class,'logo') or contains(@id,'logo')]//text()"
                            "|//img[contains(@class,'logo') or contains(@id,'logo') or contains(@src,'logo')]/@alt"):
        value = clean(str(value))
        if 2 <= len(value) <= 40:
            names.add(value)
    return names


def title_segments(title: str, sites: set[str]) -> list[str]:
    """The parts of `<title>` that are not the site's name, headline first."""
    parts = [clean(p) for p in _TITLE_SEPARATORS.split(title) if clean(p)]
    if len(parts) <= 1:
        return parts
    rest = [p for p in parts if not any(_agrees(p, s) or _norm(p) in _norm(s) for s in sites)]
    return rest or parts[:1]


def _headings(tree) -> list:
    nodes = tree.xpath("//body//h1|//body//h2|//body//h3|//body//*[@class or @id][not(self::body)]")
    out = []
    for node in nodes:
        if not isinstance(node.tag, str):
            continue
        if node.tag not in ("h1", "h2", "h3"):
            marker = f"{node.get('class', '')} {node.get('id', '')}"
            if not _HEADING_CLASS.search(marker) or _NOT_HEADING_CLASS.search(marker):
                continue
            if node.tag in ("body", "html", "table", "ul", "ol", "form") or len(node) > 6:
                continue
        text = clean(node.text_content())
        if not 2 <= len(text) <= 250 or node.xpath(_CHROME):
            continue
        out.append((node, text))
    return out


def choose_headline(tree, body_start=None, order: dict | None = None, fallback: str = "") -> Headline:
    """The article's headline. `body_start` is the element where the body text begins and `order`
    maps elements to their position in the document, so the heading nearest above the body can be
    told from a section name at the top of the page."""
    sites = site_names(tree)
    page_title = clean(" ".join(str(t) for t in tree.xpath("//head/title//text()|//title/text()")[:1]))
    segments = title_segments(page_title, sites) if page_title else []
    metas = [m for m in _meta(tree, _META_TITLES) if not any(_agrees(m, s) for s in sites)]
    metas = [title_segments(m, sites)[0] if title_segments(m, sites) else m for m in metas]
    # A section name is also a link in the menu or the breadcrumb; a headline rarely is.
    links = {_norm(clean(a.text_content())) for a in tree.iter("a")}

    def section_like(text: str) -> bool:
        return _norm(text) in links and _short(text)

    metas = [m for m in metas if not section_like(m)]
    references = metas + [seg for seg in segments[:1] if not section_like(seg)]
    headings = _headings(tree)
    if body_start is not None and order:
        limit = order.get(body_start, len(order))
        above = [(n, t) for n, t in headings if order.get(n, 0) <= limit]
        # Nearest above the body first: on portal pages the section name is the first heading.
        ranked = sorted(above, key=lambda h: limit - order.get(h[0], 0)) + \
            [h for h in headings if h not in above]
    else:
        ranked = headings
    for reworded in (False, True):
        for ref in references:
            for node, text in ranked:
                if _agrees(text, ref, reworded):
                    return Headline(text, node)
    own = [(n, t) for n, t in ranked if not any(_agrees(t, s) for s in sites) and not section_like(t)]
    # A full-length <h1> above the text is the headline as shown, even if og:title words it otherwise.
    for node, text in own:
        if node.tag == "h1" and (len(text) >= 8 if re.search(r"[\u4e00-\u9fff]", text) else len(text.split()) >= 4):
            return Headline(text, node)
    if metas:
        return Headline(metas[0], _element_with(tree, metas[0]))
    for wanted in (("h1",), ("h2", "h3", "div", "p", "td", "span", "strong", "font")):
        for node, text in own:
            if node.tag in wanted and (node.tag in ("h1", "h2") or _HEADING_CLASS.search(
                    f"{node.get('class', '')} {node.get('id', '')}")):
                return Headline(text, node)
    if segments:
        return Headline(segments[0], _element_with(tree, segments[0]))
    return Headline(clean(fallback), None)


def _element_with(tree, text: str):
    """The element in the body that shows `text` (a headline read from metadata), so the dates
    beside it can be read; None when the page does not show it."""
    probe = text[:12]
    if len(probe) < 4 or ("'" in probe and '"' in probe):
        return None
    quote = '"' if "'" in probe else "'"
    for node in tree.xpath(f"//body//text()[contains(., {quote}{probe}{quote})]"):
        parent = node.getparent()
        if parent is None or parent.xpath("ancestor-or-self::a|ancestor-or-self::li|ancestor-or-self::title"):
            continue
        if _agrees(clean(parent.text_content()), text):
            return parent
    return None
