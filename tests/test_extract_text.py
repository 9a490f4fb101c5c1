"""Dates in English and Chinese formats converted to UTC with the source's time zone, and the page
furniture that must not reach the body (kickers, standalone date lines, bylines, share links)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from crawler.cleanup import strip_boilerplate
from crawler.dates import parse_date
from crawler.extract import extract

SHANGHAI, NEW_YORK, LONDON = ZoneInfo("Asia/Shanghai"), ZoneInfo("America/New_York"), ZoneInfo("Europe/London")

DATES = [
    # (written, source time zone, date format, UTC)
    ("2023年7月19日", SHANGHAI, None, "2023-07-19T04:00:00+00:00"),  # no time: noon local
    ("发布时间：2023年07月19日 14:19", SHANGHAI, None, "2023-07-19T06:19:00+00:00"),
    ("2023-07-19 14:19", SHANGHAI, None, "2023-07-19T06:19:00+00:00"),
    ("2023/7/19", SHANGHAI, None, "2023-07-19T04:00:00+00:00"),
    ("July 19, 2023", NEW_YORK, None, "2023-07-19T16:00:00+00:00"),
    ("Jan. 5, 2024", NEW_YORK, None, "2024-01-05T17:00:00+00:00"),  # EST in winter
    ("19 July 2023", LONDON, None, "2023-07-19T11:00:00+00:00"),
    ("2023-07-19T14:19:00+08:00", NEW_YORK, None, "2023-07-19T06:19:00+00:00"),  # offset wins
    ("2023-07-19T06:19:00Z", SHANGHAI, None, "2023-07-19T06:19:00+00:00"),
    ("19.07.2023 14:19", SHANGHAI, "%d.%m.%Y %H:%M", "2023-07-19T06:19:00+00:00"),
    ("no date here", SHANGHAI, None, None),
    ("1875年1月1日", SHANGHAI, None, None),  # out of range: not a publication date
]


@pytest.mark.parametrize("written,tz,fmt,utc", DATES, ids=[d[0] for d in DATES])
def test_dates_are_read_and_converted_to_utc(written, tz, fmt, utc):
    assert parse_date(written, tz, fmt) == utc


BOILERPLATE = [
    # (paragraphs as an extractor returns them, what must remain, byline found)
    (["Press Release", "Title", "July 19, 2025", "Body one.", "Body two."], ["Body one.", "Body two."], None),
    (["FOR IMMEDIATE RELEASE", "Office of Public Affairs", "Body."], ["Body."], None),
    (["2025年7月19日 星期六", "正文第一段。"], ["正文第一段。"], None),
    (["发布时间：2025-07-19 14:19 来源：商务部", "正文。"], ["正文。"], None),
    (["By Jane Doe", "Body text."], ["Body text."], "Jane Doe"),
    (["July 19, 2025 The association said today it would meet."], ["The association said today it would meet."], None),
    (["WASHINGTON—July 19, 2025—The association said."], ["WASHINGTON—July 19, 2025—The association said."], None),
    (["2025年7月19日，协会召开会议。"], ["2025年7月19日，协会召开会议。"], None),
    (["Body.", "Share on X", "Share this:", "Related articles", "Other story"], ["Body."], None),
    (["正文。", "【打印】", "上一篇：旧闻", "（责任编辑：张伟）"], ["正文。"], None),
    (["Body.", "###", "About SIA", "SIA represents..."], ["Body."], None),
    (["各会员单位：", "现将有关事项通知如下。"], ["各会员单位：", "现将有关事项通知如下。"], None),
    (["首页 | 新闻 | 财经 | 科技", "正文第一段。", "Privacy Policy | Terms of Use | Contact Us"], ["正文第一段。"], None),
    (["Body.", "| 2月 | 98 | -3% |"], ["Body.", "| 2月 | 98 | -3% |"], None),
    (["正文第一段。", "相关阅读：另一篇文章", "正文第二段。", "READ MORE: Another story", "Last."],
     ["正文第一段。", "正文第二段。", "Last."], None),
]


@pytest.mark.parametrize("paragraphs,kept,byline", BOILERPLATE, ids=[b[0][0][:20] for b in BOILERPLATE])
def test_furniture_around_the_article_is_dropped(paragraphs, kept, byline):
    assert strip_boilerplate(paragraphs, "Title", NEW_YORK) == (kept, byline)


def test_date_selector_keeps_the_time_from_the_page_metadata():
    page = b"""<html><head><meta charset="utf-8"><meta property="article:published_time"
    content="2025-07-19T10:00:00-04:00"></head><body><h1>T</h1><time class="d">July 19, 2025</time>
    <div class="b"><p>One paragraph of text that is long enough.</p><p>Another one.</p></div></body></html>"""
    found = extract(page, "http://x/a", tz=NEW_YORK, selectors={"date": "time.d", "body": "div.b"})
    assert found.published_at == "2025-07-19T14:00:00+00:00"
    assert found.text == "One paragraph of text that is long enough.\n\nAnother one."


def test_body_selector_that_matches_nothing_falls_back_to_automatic_extraction():
    page = ("<html><head><meta charset='utf-8'></head><body><h1>Heading</h1><article>"
            + "".join(f"<p>Paragraph number {i} of an article whose layout changed after a redesign.</p>"
                      for i in range(6)) + "</article></body></html>").encode()
    found = extract(page, "http://x/a", selectors={"body": "div.old-layout"})
    assert found.text.count("\n\n") == 5


def test_a_list_of_names_separated_by_spaces_is_text_not_a_menu():
    names = "张三　李四　王五　赵六"
    assert strip_boilerplate(["获奖个人名单如下。", names], "Title", SHANGHAI)[0] == ["获奖个人名单如下。", names]
