"""The spider behind `parallax sources add`: asks a site a few questions, one request at a time.

It is not an entry-point spider (those crawl a configured source): it runs once per discovery,
through the crawl's downloader middlewares (robots.txt, User-Agent, retries, size limit), and
fills `outcome` with a `Proposal` or an error. Discovery is a sequence of decisions (a feed? a
sitemap? else a listing), so it is written as one coroutine that awaits each download.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.exceptions import IgnoreRequest

from crawler import site_analysis as sa
from crawler.discover import MAX_SECTION_PAGES, SAMPLES, Proposal, Sample, Wishes, suggest_id
from parallax.errors import DiscoveryError

log = logging.getLogger(__name__)
_SECTION_WORDS = re.compile(r"news|press|release|statement|media|update|notice|新闻|动态|公告|发布|资讯|通知|要闻",
                            re.I)
_ASSOCIATION = re.compile(r"association|institute|council|federation|alliance|society|chamber|协会|学会|联盟|商会",
                          re.I)
_GOVERNMENT = re.compile(r"ministry|department|bureau|office of|commission|government|部$|政府|委员会|办公室|局$")


class DiscoverySpider(scrapy.Spider):
    name = "discover"

    def __init__(self, url: str, wishes: Wishes, outcome: dict, max_bytes: int = 20_000_000, **kwargs):
        super().__init__(**kwargs)
        self.url = url
        self.wishes = wishes
        self.outcome = outcome
        self.max_bytes = max_bytes
        self.tried: list[str] = []

    async def start(self):
        yield scrapy.Request(self.url, callback=self.discover, errback=self.failed, dont_filter=True,
                             meta={"handle_httpstatus_list": list(range(400, 600))})

    def failed(self, failure):
        if failure.check(IgnoreRequest):
            self.outcome["error"] = (f"robots.txt of {urlsplit(self.url).netloc} does not allow fetching "
                                     f"{self.url}; Parallax obeys robots.txt (crawl.obey_robots)")
        else:
            self.outcome["error"] = f"{self.url} could not be fetched: {failure.getErrorMessage()}"

    async def discover(self, response):
        try:
            self.outcome["proposal"] = await self._discover(response)
        except DiscoveryError as exc:
            self.outcome["error"] = str(exc)
        except Exception as exc:  # a bug: its traceback goes to the log, the user gets one line
            log.exception("discovery of %s failed", self.url)
            self.outcome["error"] = f"discovery of {self.url} failed ({exc.__class__.__name__}: {exc}); " \
                                    "run with --debug and report it"

    # -- fetching ---------------------------------------------------------------------------------

    async def fetch(self, url: str, what: str):
        """The response for `url` when it answers 200, else None with what happened noted."""
        try:
            response = await self.crawler.engine.download_async(scrapy.Request(url, dont_filter=True))
        except IgnoreRequest:
            self.tried.append(f"{what} {url}: robots.txt does not allow it")
            return None
        except Exception as exc:  # any download failure is an answer to note, not a crash
            self.tried.append(f"{what} {url}: {exc.__class__.__name__} {exc}".strip())
            return None
        if response.status != 200:
            self.tried.append(f"{what} {url}: HTTP {response.status}")
            return None
        return response

    @staticmethod
    def text(response) -> tuple[str, str]:
        from crawler.extract import decode

        content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1")
        return decode(response.body, content_type)

    # -- the decisions ----------------------------------------------------------------------------

    async def _discover(self, response) -> Proposal:
        if response.status != 200:
            raise DiscoveryError(f"{self.url} answered HTTP {response.status}; check the address")
        html, codec = self.text(response)
        page_url = response.url
        root = f"{urlsplit(page_url).scheme}://{urlsplit(page_url).netloc}"
        entries, article_urls, dates = [], [], []

        feeds = await self.find_feeds(html, page_url, root)
        if feeds:
            entries.append(_entry("feed", [f for f, _ in feeds]))
            for _, items in feeds:
                article_urls += [link for link, _ in items]
                dates += [date for _, date in items if date]
        sitemap = await self.find_sitemap(root)
        if sitemap:
            sitemap_url, locs, news = sitemap
            pattern = sa.article_pattern([loc for loc, _ in locs], root)
            entries.append(_entry("sitemap", [sitemap_url], article_pattern=pattern.pattern if pattern else None))
            wanted = [(loc, d) for loc, d in locs if not pattern or re.search(pattern.pattern, loc)]
            wanted.sort(key=lambda item: item[1] or "", reverse=True)
            if not feeds:
                article_urls += [loc for loc, _ in wanted]
            dates += [d for _, d in locs if d]
            if news:
                self.tried.append(f"sitemap {sitemap_url}: a news sitemap (publication dates and titles)")
        if not entries:
            listing = await self.find_listing(html, page_url, root)
            if listing:
                listing_url, articles, pages = listing
                entries.append(_entry("listing", [listing_url], article_pattern=articles.pattern,
                                      next_pattern=pages.pattern if pages else None))
                article_urls += list(articles.urls)
        if not entries:
            lines = "\n".join(f"  - {t}" for t in self.tried)
            raise DiscoveryError(f"no feed, sitemap or listing page found for {self.url}. Tried:\n{lines}\n"
                                 "Write the [[source]] block by hand (see crawler/sources.toml) or give the "
                                 "address of the site's news listing page")
        samples = await self.fetch_samples(list(dict.fromkeys(article_urls))[:SAMPLES])
        return self.propose(html, codec, response, entries, samples, dates)

    async def find_feeds(self, html: str, page_url: str, root: str) -> list[tuple[str, list]]:
        declared = sa.feed_links(html, page_url)
        self.tried.append(f"<link rel=alternate> feeds on {page_url}: {len(declared) or 'none'}")
        found = []
        for url in declared[:3]:
            items = await self.read_feed(url)
            if items:
                found.append((url, items))
        if found:
            return found
        for path in sa.COMMON_FEED_PATHS:
            url = urljoin(root, path)
            items = await self.read_feed(url)
            if items:
                return [(url, items)]
        return []

    async def read_feed(self, url: str) -> list[tuple[str, str | None]]:
        import feedparser

        response = await self.fetch(url, "feed")
        if response is None:
            return []
        feed = feedparser.parse(response.body)
        items = []
        for item in feed.entries:
            link = item.get("link")
            if link:
                items.append((urljoin(url, link), item.get("published") or item.get("updated")))
        if not items:
            self.tried.append(f"feed {url}: not a feed with entries")
        return items

    async def find_sitemap(self, root: str):
        from protego import Protego

        robots = await self.fetch(urljoin(root, "/robots.txt"), "robots.txt")
        named = []
        if robots is not None:
            named = [urljoin(root, s) for s in Protego.parse(self.text(robots)[0]).sitemaps]
            self.tried.append(f"robots.txt {urljoin(root, '/robots.txt')}: "
                              f"{len(named) or 'no'} Sitemap: line{'s' if len(named) != 1 else ''}")
        for url in [*named, *(urljoin(root, p) for p in sa.COMMON_SITEMAP_PATHS if urljoin(root, p) not in named)]:
            read = await self.read_sitemap(url)
            if read:
                locs, news = read
                return url, locs, news
        return None

    async def read_sitemap(self, url: str, depth: int = 0):
        """(locations with dates, is a news sitemap) of a sitemap; an index is followed to its
        first and last sitemaps (sites list them oldest or newest first)."""
        from crawler.spiders.sitemap import NewsSitemap

        response = await self.fetch(url, "sitemap")
        if response is None:
            return None
        body = response.body
        if body[:2] == b"\x1f\x8b":
            import gzip

            body = gzip.decompress(body)
        try:
            sitemap = NewsSitemap(body)
        except Exception as exc:  # lxml's errors for text that is not XML
            self.tried.append(f"sitemap {url}: not XML ({exc.__class__.__name__})")
            return None
        entries = [e for e in sitemap if e.get("loc")]
        news = b"sitemap-news" in body[:2000]
        if sitemap.type == "sitemapindex" and depth == 0:
            children = [urljoin(url, e["loc"]) for e in entries]
            locs = []
            for child in dict.fromkeys([*children[:1], *children[-1:]]):
                read = await self.read_sitemap(child, depth + 1)
                if read:
                    locs += read[0]
                    news = news or read[1]
            return (locs, news) if locs else None
        if sitemap.type != "urlset" or not entries:
            self.tried.append(f"sitemap {url}: no <url> entries")
            return None
        return [(urljoin(url, e["loc"]), e.get("publication_date") or e.get("lastmod")) for e in entries], news

    async def find_listing(self, html: str, page_url: str, root: str):
        links = sa.page_links(html, page_url)
        result = self.read_listing(page_url, html)
        if result:
            return result
        sections = [l.url for l in links if sa.same_site(l.url, root) and l.url != page_url
                    and (_SECTION_WORDS.search(l.text) or _SECTION_WORDS.search(urlsplit(l.url).path))]
        for url in list(dict.fromkeys(sections))[:MAX_SECTION_PAGES]:
            response = await self.fetch(url, "section page")
            if response is None:
                continue
            result = self.read_listing(response.url, self.text(response)[0])
            if result:
                return result
        return None

    def read_listing(self, url: str, html: str):
        links = sa.page_links(html, url)
        articles = sa.article_pattern([l.url for l in links], url)
        if articles is None:
            self.tried.append(f"listing {url}: {len(links)} links, no {sa.MIN_GROUP} or more article-like "
                              "links of one shape")
            return None
        pages = sa.next_pattern(links, url, url, set(articles.urls))
        self.tried.append(f"listing {url}: {len(articles.urls)} links like {articles.pattern}"
                          + (f", next pages like {pages.pattern}" if pages else ", no next-page links"))
        return url, articles, pages

    async def fetch_samples(self, urls: list[str]) -> list[tuple[str, object]]:
        out = []
        for url in urls:
            response = await self.fetch(url, "sample article")
            out.append((url, response))
        return out

    # -- the proposal -----------------------------------------------------------------------------

    def propose(self, html: str, codec: str, response, entries, fetched, dates) -> Proposal:
        from zoneinfo import ZoneInfo

        from crawler.extract import ExtractionError, extract
        from nlp.langid import detect, script

        wishes = self.wishes
        hints = []
        declared = _declared_charset(html, response)
        hints.append(f"encoding: {codec}" + (f" (the page declares {declared})" if declared else ""))
        sample_pages = [(url, r, self.text(r)[0]) for url, r in fetched if r is not None]
        lang_tag = sa.html_lang(html) or sa.meta_content(html, "og:locale")
        texts = [sa.html_title(html), *(_visible_text(h) for _, _, h in sample_pages)]
        detected = detect(" ".join(texts)[:4000])
        language = wishes.language or detected or (lang_tag or "en")[:2].lower()
        if language not in ("en", "zh"):
            raise DiscoveryError(f"the site's text reads as {language!r}; Parallax watches en and zh sources. "
                                 "Pass --lang en or --lang zh if that is wrong")
        why = "given" if wishes.language else f"the text{' and <html lang=' + lang_tag + '>' if lang_tag else ''}"
        written = script(" ".join(texts)) if language == "zh" else None
        hints.append(f"language: {language}" + (f", {'Traditional' if written == 'Hant' else 'Simplified'} script"
                                                if written else "") + f" ({why})")
        country, country_why = (wishes.country.upper(), "given") if wishes.country else sa.country_hint(self.url, lang_tag)
        if not country:
            country = {"zh": "TW" if written == "Hant" else "CN", "en": "US"}[language]
            country_why = f"a guess from the language; pass --country if wrong"
        hints.append(f"country: {country} ({country_why})")
        offsets = sa.offsets_in([*dates, *(h[:20000] for _, _, h in sample_pages)])
        timezone, tz_why = sa.timezone_hint(country, offsets)
        hints.append(f"time zone: {timezone} ({tz_why})")

        samples = []
        for url, r in fetched:
            if r is None:
                samples.append(Sample(url=url, error="could not be fetched"))
                continue
            content_type = (r.headers.get(b"Content-Type") or b"").decode("latin-1")
            try:
                found = extract(r.body, r.url, content_type=content_type, tz=ZoneInfo(timezone),
                                max_bytes=self.max_bytes)
            except ExtractionError as exc:
                samples.append(Sample(url=r.url, error=str(exc)))
                continue
            lines = [p if len(p) <= 160 else p[:157] + "…" for p in found.text.split("\n\n")[:2]]
            samples.append(Sample(url=r.url, title=found.title, published_at=found.published_at, lines=lines))

        titles = [sa.html_title(html), *(sa.html_title(h) for _, _, h in sample_pages)]
        name = sa.site_name(titles, sa.meta_content(html, "og:site_name")) or urlsplit(self.url).netloc
        name_en = wishes.name_en or (name if language == "en" else urlsplit(self.url).netloc)
        kind = wishes.kind or _guess_kind(name, self.url)
        return Proposal(
            url=self.url, id=wishes.id or suggest_id(self.url), name=name, name_en=name_en,
            language=language, kind=kind, country=country, timezone=timezone,
            collections=list(wishes.collections), entries=entries, samples=samples, hints=hints,
            tried=self.tried,
        )


def _entry(kind: str, urls: list[str], **patterns) -> dict:
    entry = {"type": kind}
    if len(urls) == 1:
        entry["url"] = urls[0]
    else:
        entry["urls"] = list(urls)
    entry.update({k: v for k, v in patterns.items() if v})
    return entry


def _declared_charset(html: str, response) -> str | None:
    m = re.search(r"charset\s*=\s*[\"']?([A-Za-z0-9_-]+)", html[:4000], re.I)
    if m:
        return m.group(1).lower()
    header = (response.headers.get(b"Content-Type") or b"").decode("latin-1")
    m = re.search(r"charset=([A-Za-z0-9_-]+)", header, re.I)
    return m.group(1).lower() if m else None


def _visible_text(html: str) -> str:
    text = re.sub(r"(?is)<(script|style)[^>]*>.*?</\1>", " ", html)
    return " ".join(re.sub(r"<[^>]+>", " ", text).split())[:3000]


def _guess_kind(name: str, url: str) -> str:
    host = urlsplit(url).hostname or ""
    if _GOVERNMENT.search(name) or ".gov" in host:
        return "government"
    if _ASSOCIATION.search(name):
        return "association"
    return "news"
