"""`parallax sources add`: discovery against fixture sites on 127.0.0.1 (pages written for these
tests, `tests/sites/discovery/`), through the real Scrapy engine with robots.txt obeyed.

Four sites: one with only a feed, one with only a sitemap index (named in robots.txt, news
sitemaps), one with only a paginated GBK listing reached from its home page, and one with nothing
to find. The block discovery writes is then crawled by the real crawler and must store the site's
articles.
"""

from __future__ import annotations

import re
import sqlite3
import tomllib
from pathlib import Path

import pytest

from crawler import site_analysis as sa
from crawler.discover import Wishes, discover, suggest_id
from parallax.errors import ConfigError, DiscoveryError
from parallax.sample_server import SiteServer
from tests.conftest import make_settings, run_cli

SITES = Path(__file__).parent / "sites" / "discovery"
FAST = {"crawl.download_delay": 0.0, "crawl.autothrottle": False, "crawl.retries": 0}
FAST_ENV = {"PARALLAX_CRAWL_DOWNLOAD_DELAY": "0", "PARALLAX_CRAWL_AUTOTHROTTLE": "false",
            "PARALLAX_CRAWL_RETRIES": "0"}
FEED_TITLES = {"Harbor cranes wait on licence rules", "Chip tool exporters seek clarity",
               "Tariff review hearing set for March", "Warehouse vacancies fall near the port"}
SITEMAP_TITLES = {"Statement on water permits for new fabs", "Apprenticeship program expands to four colleges",
                  "Comments on the proposed export licence rule", "Board elects a new chair"}
GBK_TITLES = {"协会召开第三届理事会第二次会议", "协会组织会员企业参加供应链对接会", "关于开展二〇二五年度行业统计工作的通知",
              "协会发布集成电路人才发展报告", "协会代表团赴外地考察先进封装项目", "协会就出口管制新规征求会员意见",
              "协会年度工作会议在东港召开"}


@pytest.fixture
def site(request):
    with SiteServer(SITES / request.param) as server:
        yield server


def _discover(tmp_path, url, **wishes):
    return discover(make_settings(tmp_path / "data", **FAST), url, Wishes(**wishes))


@pytest.mark.parametrize("site", ["feed_only"], indirect=True)
def test_a_site_with_only_a_feed_gets_its_declared_feed_and_not_the_comment_feed(tmp_path, site):
    proposal = _discover(tmp_path, site.url + "/")
    assert proposal.entries == [{"type": "feed", "url": f"{site.url}/stories/rss.xml"}]
    assert site.hits["comments/rss.xml"] == 0
    assert [s.title for s in proposal.samples] == ["Harbor cranes wait on licence rules",
                                                   "Chip tool exporters seek clarity",
                                                   "Tariff review hearing set for March"]
    first = proposal.samples[0]
    assert first.published_at == "2025-11-04T14:30:00+00:00"
    assert first.lines[0].startswith("Port operators along the coast")
    assert (proposal.language, proposal.country, proposal.timezone, proposal.kind) == \
        ("en", "US", "America/New_York", "news")
    assert proposal.name == "Tidewater Trade Ledger"
    # the sitemap was looked for too, and said so
    assert f"sitemap {site.url}/sitemap.xml: HTTP 404" in proposal.tried


@pytest.mark.parametrize("site", ["sitemap_only"], indirect=True)
def test_a_site_with_only_a_sitemap_index_gets_it_from_robots_txt_with_an_article_pattern(tmp_path, site):
    proposal = _discover(tmp_path, site.url + "/", collections=("us-associations",))
    (entry,) = proposal.entries
    assert entry["type"] == "sitemap" and entry["url"] == f"{site.url}/sitemap_index.xml"
    pattern = re.compile(entry["article_pattern"])
    assert pattern.search(f"{site.url}/statements/2027/new-statement-next-year.html")
    assert not pattern.search(f"{site.url}/about.html") and not pattern.search(f"{site.url}/members.html")
    # newest first, from the news sitemap's publication dates
    assert [s.title for s in proposal.samples] == ["Board elects a new chair",
                                                   "Comments on the proposed export licence rule",
                                                   "Apprenticeship program expands to four colleges"]
    assert any("news sitemap" in t for t in proposal.tried)
    assert any("feed " in t and "/rss.xml: HTTP 404" in t for t in proposal.tried)  # feeds were tried first
    assert proposal.kind == "association" and proposal.collections == ["us-associations"]
    assert proposal.name == "Harbor Valley Chipmakers Association"
    assert proposal.timezone == "America/New_York"


@pytest.mark.parametrize("site", ["gbk_listing"], indirect=True)
def test_a_site_with_only_a_gbk_listing_gets_article_and_next_page_patterns_from_its_links(tmp_path, site):
    proposal = _discover(tmp_path, site.url + "/", id="donggang")
    (entry,) = proposal.entries
    assert entry["type"] == "listing" and entry["url"] == f"{site.url}/xwzx/"  # found from the home page's nav
    assert entry["article_pattern"] == r"/xwzx/\d+/\d+\.html$"
    assert entry["next_pattern"] == r"/xwzx/index_\d+\.html$"
    assert [s.title for s in proposal.samples] == ["协会召开第三届理事会第二次会议", "协会组织会员企业参加供应链对接会",
                                                   "关于开展二〇二五年度行业统计工作的通知"]
    assert proposal.samples[0].published_at == "2025-09-03T04:00:00+00:00"  # noon in Shanghai
    assert proposal.samples[0].lines[0] == "会议审议了年度工作报告，并讨论了明年的重点工作。"
    assert (proposal.id, proposal.language, proposal.country, proposal.timezone) == \
        ("donggang", "zh", "CN", "Asia/Shanghai")
    assert "encoding: gb18030 (the page declares gbk)" in proposal.hints
    assert "language: zh, Simplified script (the text)" in proposal.hints
    assert proposal.name == "东港集成电路产业协会"


@pytest.mark.parametrize("site", ["nothing"], indirect=True)
def test_a_site_with_nothing_to_find_says_what_was_tried(tmp_path, site):
    with pytest.raises(DiscoveryError) as error:
        _discover(tmp_path, site.url + "/")
    message = str(error.value)
    assert message.startswith(f"no feed, sitemap or listing page found for {site.url}/")
    for tried in ("<link rel=alternate> feeds on", f"feed {site.url}/feed: HTTP 404",
                  f"robots.txt {site.url}/robots.txt: no Sitemap: lines", f"sitemap {site.url}/sitemap.xml: HTTP 404",
                  f"listing {site.url}/: 2 links, no 3 or more article-like links"):
        assert tried in message


@pytest.mark.parametrize("site", ["nothing"], indirect=True)
def test_a_page_robots_txt_forbids_is_not_fetched(tmp_path, site):
    with pytest.raises(DiscoveryError, match="robots.txt of 127.0.0.1:\\d+ does not allow fetching"):
        _discover(tmp_path, site.url + "/private/list.html")
    assert site.hits["private/list.html"] == 0


def test_an_address_that_is_not_a_web_address_is_refused_before_any_request(tmp_path):
    with pytest.raises(ConfigError, match="not a web address"):
        _discover(tmp_path, "ftp://example.org/")


@pytest.mark.parametrize("links, expected", [
    # article links beside navigation and page numbers
    (["/news/202509/t20250912_1001.shtml", "/news/202509/t20250913_1002.shtml", "/news/202510/t20251001_1003.shtml",
      "/about/", "/news/index_2.shtml", "/news/index_3.shtml", "/news/index_4.shtml"], r"/news/\d+/t\d+_\d+\.shtml$"),
    (["/press/chips-act-statement-today", "/press/working-group-meets-again", "/press/new-board-members-named",
      "/press/", "/contact"], r"/press/[a-z0-9-]+$"),
    (["/Article/Show.asp?ArticleID=12", "/Article/Show.asp?ArticleID=13", "/Article/Show.asp?ArticleID=200",
      "/Article/List.asp?page=2"], r"/Article/Show\.asp\?ArticleID=\d+$"),
])
def test_article_pattern_is_inferred_from_the_shape_of_the_links(links, expected):
    site = "http://127.0.0.1:9"
    found = sa.article_pattern([site + link for link in links], site)
    assert found is not None and found.pattern == expected


def test_navigation_alone_gives_no_article_pattern():
    site = "http://127.0.0.1:9"
    assert sa.article_pattern([site + p for p in ("/", "/about", "/contact", "/news/page/2/", "/news/page/3/",
                                                   "/news/page/4/")], site) is None


@pytest.mark.parametrize("url, expected", [
    ("https://www.semiconductors.org/news/", "semiconductors"),
    ("http://www.csia.net.cn/", "csia"),
    ("http://127.0.0.1:8780/", "127-0-0-1"),
])
def test_suggested_id_comes_from_the_domain(url, expected):
    assert suggest_id(url) == expected


def _stored(data_dir: Path) -> dict[str, tuple[str, str]]:
    with sqlite3.connect(data_dir / "parallax.sqlite3") as conn:
        return {url: (title, status) for url, title, status in conn.execute("SELECT url, title, status FROM documents")}


@pytest.mark.slow
@pytest.mark.parametrize("site, source_id, titles", [
    ("feed_only", "ledger", FEED_TITLES),
    ("sitemap_only", "hvca", SITEMAP_TITLES),
    ("gbk_listing", "donggang", GBK_TITLES),
], indirect=["site"])
def test_the_written_block_crawls_and_extracts_the_sites_articles(tmp_path, site, source_id, titles):
    sources = tmp_path / "my-sources.toml"
    sources.write_text("# My watch list: keep this comment.\n\n[[source]]\nid = \"other\"  # a note on other\n"
                       "name = \"Other\"\nname_en = \"Other\"\nlanguage = \"en\"\nkind = \"news\"\ncountry = \"US\"\n"
                       "[[source.entry]]\ntype = \"feed\"\nurl = \"http://127.0.0.1:9/feed\"\n", encoding="utf-8")
    env = {**FAST_ENV, "PARALLAX_DATA_DIR": str(tmp_path / "data"), "PARALLAX_SOURCES": str(sources)}
    added = run_cli("sources", "add", site.url + "/", "--id", source_id, "--collection", "watched", "--yes", env=env)
    assert added.returncode == 0, added.stderr
    assert "Sample articles, as a crawl would store them:" in added.stdout
    assert f"Added {source_id!r} to {sources}" in added.stdout
    text = sources.read_text("utf-8")
    assert text.startswith("# My watch list: keep this comment.") and "# a note on other" in text
    block = next(s for s in tomllib.loads(text)["source"] if s["id"] == source_id)
    assert block["collections"] == ["watched"] and block["url"] == site.url + "/"

    crawled = run_cli("crawl", "--source", source_id, env=env)
    assert crawled.returncode == 0, crawled.stderr
    stored = _stored(tmp_path / "data")
    assert {title for title, _ in stored.values()} == titles
    assert {status for _, status in stored.values()} == {"ok"}
    assert "ScrapyDeprecationWarning" not in crawled.stderr + added.stderr


@pytest.mark.parametrize("site", ["feed_only"], indirect=True)
def test_nothing_is_written_unless_confirmed(tmp_path, site):
    sources = tmp_path / "my-sources.toml"
    env = {**FAST_ENV, "PARALLAX_DATA_DIR": str(tmp_path / "data"), "PARALLAX_SOURCES": str(sources)}
    declined = run_cli("sources", "add", site.url + "/", "--id", "ledger", env=env, input="n\n")
    assert declined.returncode == 0, declined.stderr
    assert "Nothing written." in declined.stdout and not sources.exists()


def test_adding_without_a_sources_file_of_ones_own_names_the_setting(tmp_path):
    result = run_cli("sources", "add", "http://127.0.0.1:9/", "--yes",
                     env={"PARALLAX_DATA_DIR": str(tmp_path / "data")})
    assert result.returncode == 1
    assert "no sources file of your own is set" in result.stderr and "PARALLAX_SOURCES" in result.stderr


@pytest.mark.parametrize("country, offsets, expected", [
    ("US", {"-05:00": 3}, ("America/New_York", "3 dates written with -05:00, the offset of US")),
    ("US", {"-04:00": 2}, ("America/New_York", "2 dates written with -04:00, the offset of US")),  # summer
    ("US", {"-08:00": 4}, ("America/Los_Angeles", "4 dates written with -08:00")),  # a West Coast body
    ("CN", {}, ("Asia/Shanghai", "the country (CN)")),
    (None, {"+08:00": 1}, ("Asia/Shanghai", "1 dates written with +08:00")),
    (None, {}, ("UTC", "no offset in the dates and no known country")),
])
def test_time_zone_hint_weighs_the_dates_offsets_against_the_country(country, offsets, expected):
    from collections import Counter

    assert sa.timezone_hint(country, Counter(offsets)) == expected


@pytest.mark.parametrize("url, lang, expected", [
    ("https://www.mofcom.gov.cn/", None, "CN"),
    ("https://www.scmp.com/", "en-HK", "HK"),
    ("https://www.bis.gov/", "en", "US"),
    ("http://127.0.0.1:8780/", "zh-Hant", "TW"),
    ("http://127.0.0.1:8780/", "en", None),
])
def test_country_hint_reads_the_language_tag_then_the_domain(url, lang, expected):
    assert sa.country_hint(url, lang)[0] == expected
