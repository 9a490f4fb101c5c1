"""Which date on a page is the article's publication date.

Portal pages carry many dates: the article's, the dates of the latest-news lists in the sidebar,
the copyright year, a date in the body's text. The order of belief: the page's metadata
(`article:published_time`, `PubDate`, `<time datetime>`), then the date written nearest the
headline, then any other. A candidate is refused when it lies after the fetch, disagrees with a
date in the page's address (`/2019/07/19/`, `t20190719_…`), or lies years before the dates of the
site's other articles listed on the same page.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from crawler.dates import find_date, parse_date

META_DATE_KEYS = ("article:published_time", "og:published_time", "og:article:published_time",
                  "datepublished", "pubdate", "publishdate", "publish_date", "publishtime", "publish-date",
                  "publication_date", "sailthru.date", "parsely-pub-date", "dc.date.issued", "dc.date",
                  "dcterms.created", "date", "firstpublishedtime", "og:updated_time")
# The same separator (or none) between year, month and day (2025-09-03, 2025/09/03, 20250903), the
# month joined to the year before a day folder (202509/03, common on Chinese portals), or one- or
# two-digit folders (/2025/9/3/). A year folder then a number (/2025/1001.html) is an article
# number, not 1 October.
_URL_DATE = re.compile(r"(?<!\d)((?:19|20)\d{2})([-/_]?)(0[1-9]|1[0-2])\2(0[1-9]|[12]\d|3[01])(?!\d)"
                       r"|(?<!\d)((?:19|20)\d{2})(0[1-9]|1[0-2])/(0[1-9]|[12]\d|3[01])(?!\d)"
                       r"|/((?:19|20)\d{2})/(\d{1,2})/(\d{1,2})/")
_AFTER_HEADLINE_TEXTS = 40
_BEFORE_HEADLINE_TEXTS = 8


def url_date(url: str | None, tz: ZoneInfo) -> str | None:
    """A date in the page's address, as noon local time in UTC, or None."""
    if not url:
        return None
    path = re.sub(r"^[a-z]+://[^/]+", "", url)
    for m in _URL_DATE.finditer(path):
        g = m.groups()
        parts = (g[0], g[2], g[3]) if g[0] else g[4:7] if g[4] else g[7:10]
        y, mo, d = (int(x) for x in parts)
        try:
            datetime(y, mo, d)
        except ValueError:
            continue
        return parse_date(f"{y:04d}-{mo:02d}-{d:02d}", tz)
    return None


def meta_dates(tree, tz: ZoneInfo, date_format: str | None) -> list[str]:
    """Dates the page's metadata gives for the article, most trusted first."""
    found = []
    lower = "translate({},'ABCDEFGHIJKLMNOPQRSTUVWXYZ','abcdefghijklmnopqrstuvwxyz')"
    for key in META_DATE_KEYS:
        for node in tree.xpath(f"//meta[{lower.format('@property')}='{key}' or {lower.format('@name')}='{key}' "
                               f"or {lower.format('@itemprop')}='{key}']/@content"):
            value = parse_date(str(node), tz, date_format)
            if value:
                found.append(value)
    for node in tree.xpath("//time[@datetime]|//*[@itemprop='datePublished'][@datetime or @content]"):
        if node.xpath("ancestor::a|ancestor::li|ancestor::nav|ancestor::aside|ancestor::footer"):
            continue  # the time of another article in a list
        value = parse_date(node.get("datetime") or node.get("content") or "", tz, date_format)
        if value:
            found.append(value)
    return found


def _texts_near(headline, body_start, tree) -> list[str]:
    """Texts after the headline (up to a little past the start of the body), then just before it."""
    if headline is None:
        return []
    after = []
    for text in headline.xpath("following::text()")[:_AFTER_HEADLINE_TEXTS]:
        if _in_link_list(text):
            continue
        after.append(str(text))
        parent = text.getparent()
        if body_start is not None and parent is not None and (parent is body_start or body_start in parent.iterancestors()):
            break
    before = [str(t) for t in headline.xpath("preceding::text()")[-_BEFORE_HEADLINE_TEXTS:][::-1]
              if not _in_link_list(t)]
    return after + before


def _in_link_list(text) -> bool:
    parent = text.getparent()
    return parent is not None and bool(parent.xpath("ancestor-or-self::a|ancestor::li|ancestor::nav|ancestor::footer"))


def _listed_dates(tree, tz: ZoneInfo) -> list[str]:
    """Dates of other articles: written in list items or next to links."""
    found = []
    for node in tree.xpath("//li|//a")[:400]:
        text = node.text_content()
        if len(text) <= 200:
            value = parse_date(text, tz)
            if value:
                found.append(value)
        if len(found) >= 40:
            break
    return found


def choose_published(tree, tz: ZoneInfo, date_format: str | None, *, headline=None, body_start=None,
                     url: str | None = None, fetched_at: datetime | None = None) -> str | None:
    """The publication date of the article on `tree` as ISO 8601 UTC, or None."""
    fetched_at = fetched_at or datetime.now(timezone.utc)
    latest = fetched_at + timedelta(days=1)
    in_url = url_date(url, tz)
    listed = sorted(_listed_dates(tree, tz))

    def plausible(value: str, check_age: bool = True) -> bool:
        when = datetime.fromisoformat(value)
        if when > latest:
            return False
        if in_url and abs(when - datetime.fromisoformat(in_url)) > timedelta(days=3):
            return False
        if check_age and len(listed) >= 3 and \
                when < datetime.fromisoformat(listed[len(listed) // 2]) - timedelta(days=5 * 365):
            return False  # years before the other articles the site lists: an old date on the page
        return True

    for value in meta_dates(tree, tz, date_format):
        if plausible(value, check_age=False):
            return value
    old_near_headline = None
    for text in _texts_near(headline, body_start, tree):
        found = find_date(text, tz, date_format)
        if found and plausible(found.utc):
            return found.utc
        if found and old_near_headline is None and plausible(found.utc, check_age=False):
            old_near_headline = found.utc
    for text in tree.xpath("//body//text()")[:300]:
        if _in_link_list(text):
            continue
        found = find_date(str(text), tz, date_format)
        if found and plausible(found.utc):
            return found.utc
    # An old article whose only date is beside its headline keeps that date.
    return in_url or old_near_headline
