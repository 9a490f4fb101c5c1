"""Times kept to the second, in the source's time zone: 12-hour clocks, seconds, a source's own
date format, feed dates, zones written beside the time; and which date on a page is the
publication date (metadata first, then the one nearest the headline, never one after the fetch,
against the page's address, or years before the site's other articles)."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from crawler.dates import parse_date
from crawler.extract import extract

SHANGHAI, NEW_YORK, LONDON = ZoneInfo("Asia/Shanghai"), ZoneInfo("America/New_York"), ZoneInfo("Europe/London")
FETCHED = datetime(2026, 1, 31, tzinfo=timezone.utc)

TIMES = [
    # (written, source time zone, source's date format, UTC)
    ("Monday, Apr 27, 2020, 2:16pm", NEW_YORK, None, "2020-04-27T18:16:00+00:00"),
    ("April 27, 2020 2:16PM", NEW_YORK, "%B %d, %Y %I:%M%p", "2020-04-27T18:16:00+00:00"),  # %I, no %H
    ("April 27, 2020 at 2:16 p.m.", NEW_YORK, "%B %d, %Y", "2020-04-27T18:16:00+00:00"),  # time beside a date format
    ("2023-07-19 15:22:28", SHANGHAI, None, "2023-07-19T07:22:28+00:00"),  # seconds kept
    ("发布时间：2023年07月19日 15:22:28", SHANGHAI, None, "2023-07-19T07:22:28+00:00"),
    ("2023年7月19日 下午2:16", SHANGHAI, None, "2023-07-19T06:16:00+00:00"),
    ("2023年7月19日14时19分", SHANGHAI, None, "2023-07-19T06:19:00+00:00"),
    ("12:05 a.m., 19 July 2023", LONDON, None, "2023-07-18T23:05:00+00:00"),  # time before the date
    ("July 19, 2023 9:30 AM ET", LONDON, None, "2023-07-19T13:30:00+00:00"),  # the zone written wins
    ("Updated 15:22:28 on 2022-09-14", LONDON, None, "2022-09-14T14:22:28+00:00"),
    ("Mon, 27 Apr 2020 18:16:00 GMT", SHANGHAI, None, "2020-04-27T18:16:00+00:00"),  # a feed's RFC 822 date
    ("Mon, 27 Apr 2020 14:16:00 -0400", SHANGHAI, None, "2020-04-27T18:16:00+00:00"),
    ("2023-07-19 14:19:00+08:00", NEW_YORK, None, "2023-07-19T06:19:00+00:00"),
    ("July 19, 2023, 12 people attended", NEW_YORK, None, "2023-07-19T16:00:00+00:00"),  # 12 is not a time
    ("2023年7月19日", SHANGHAI, None, "2023-07-19T04:00:00+00:00"),  # no time: noon local
]


@pytest.mark.parametrize("written,tz,fmt,utc", TIMES, ids=[t[0] for t in TIMES])
def test_times_are_kept_to_the_second_in_the_right_zone(written, tz, fmt, utc):
    assert parse_date(written, tz, fmt) == utc


def _page(head: str, body: str, encoding: str = "utf-8") -> bytes:
    return (f"<html><head><meta charset='{encoding}'>{head}</head><body>{body}</body></html>").encode(encoding)


ARTICLE = "".join(f"<p>第{i}段正文，协会就出口管制问题听取了会员企业的意见和建议，并将汇总后报送主管部门。</p>" for i in range(4))


def test_article_published_time_meta_beats_a_date_in_the_text():
    page = _page('<meta property="article:published_time" content="2019-07-19T09:05:00+08:00">',
                 f"<h1>标题</h1><p>2009-03-02</p>{ARTICLE}")
    assert extract(page, "http://x/a.html", tz=SHANGHAI, fetched_at=FETCHED).published_at == "2019-07-19T01:05:00+00:00"


def test_the_date_nearest_the_headline_beats_a_sidebar_date_on_a_portal():
    sidebar = "".join(f"<tr><td>旧闻{i}</td><td>2009-03-0{i}</td></tr>" for i in range(1, 6))
    page = _page("<title>协会听取会员意见_新闻中心_某网</title>",
                 f"<h1>新闻中心</h1><table>{sidebar}</table><div><h2>协会听取会员意见</h2>"
                 f"<div class='info'>2019-07-19 10:30 来源：本网</div>{ARTICLE}</div>")
    assert extract(page, "http://x/a.html", tz=SHANGHAI, fetched_at=FETCHED).published_at == "2019-07-19T02:30:00+00:00"


def test_a_date_after_the_fetch_is_not_the_publication_date():
    page = _page("", f"<h1>标题</h1><p>活动预告：2027年5月1日举行年会</p><p>发布时间：2025-11-03 08:00</p>{ARTICLE}")
    assert extract(page, "http://x/a.html", tz=SHANGHAI, fetched_at=FETCHED).published_at == "2025-11-03T00:00:00+00:00"


def test_a_date_that_disagrees_with_the_address_is_refused():
    page = _page("", f"<h1>标题</h1><p>2009-03-02</p>{ARTICLE}")
    found = extract(page, "http://x.gov.cn/art/2019/7/19/art_12_345.html", tz=SHANGHAI, fetched_at=FETCHED)
    assert found.published_at == "2019-07-19T04:00:00+00:00"


def test_a_date_years_before_the_sites_other_articles_is_refused():
    """A stale date in the page template under the headline (2009) against a notice signed in 2019
    on a page that lists the site's other 2019 articles."""
    listed = "".join(f"<li><a href='/{i}.html'>其他文章{i}</a> 2019-07-{10 + i}</li>" for i in range(5))
    page = _page("", f"<h1>标题</h1><div class='tool'>更新日期：2009年3月2日</div>{ARTICLE}"
                     f"<p>某市商务局</p><p>2019年7月19日</p><ul>{listed}</ul>")
    found = extract(page, "http://x/a.html", tz=SHANGHAI, fetched_at=FETCHED)
    assert found.published_at == "2019-07-19T04:00:00+00:00"


def test_an_old_article_keeps_its_only_date():
    listed = "".join(f"<li><a href='/{i}.html'>最新文章{i}</a> 2025-07-{10 + i}</li>" for i in range(5))
    page = _page("", f"<h1>标题</h1><p>发布时间：2012-05-04 09:00</p>{ARTICLE}<ul>{listed}</ul>")
    found = extract(page, "http://x/a.html", tz=SHANGHAI, fetched_at=FETCHED)
    assert found.published_at == "2012-05-04T01:00:00+00:00"


def test_todays_date_in_a_portals_top_bar_is_not_the_publication_date():
    """The headline is known from og:title only (shown in a <div>): the date beside it wins over the
    date of the day that the page's top bar shows."""
    page = _page("<meta property='og:title' content='协会听取会员企业意见'>",
                 "<div class='topbar'>2026年1月30日 星期五</div><div class='tit'>协会听取会员企业意见</div>"
                 f"<div class='info'>2019-07-19 10:30</div>{ARTICLE}")
    assert extract(page, "http://x/a.html", tz=SHANGHAI, fetched_at=FETCHED).published_at == "2019-07-19T02:30:00+00:00"


URL_DATES = [  # (address, the date it carries, as noon in Shanghai in UTC, or None)
    ("http://a.example/2025-09-03/statement.html", "2025-09-03T04:00:00+00:00"),
    ("http://a.example/202509/t20250903_1.html", "2025-09-03T04:00:00+00:00"),
    ("http://a.example/202509/03/statement.html", "2025-09-03T04:00:00+00:00"),
    ("http://a.example/art/2025/9/3/statement.html", "2025-09-03T04:00:00+00:00"),
    ("http://a.example/news/20250903.html", "2025-09-03T04:00:00+00:00"),
    # A year folder then an article number is not a date (it read as 1 October and overruled the
    # page's own 2025年9月3日).
    ("http://a.example/xwzx/2025/1001.html", None),
    ("http://a.example/2025/0903.html", None),
]


@pytest.mark.parametrize("url, expected", URL_DATES)
def test_a_date_in_the_address_needs_one_consistent_shape(url, expected):
    from crawler.published import url_date

    assert url_date(url, ZoneInfo("Asia/Shanghai")) == expected
