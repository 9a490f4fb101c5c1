"""Pages written for the project that reproduce the structures of real sites (old portals built of
nested tables in GB2312, Big5 association pages, forum posts in table cells, news portals whose
section name is the first <h1>, press releases with their end marks): each field the page writes
must come out as written, and the page's chrome must not reach the text."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from crawler.extract import extract
from crawler.quality import score

SITE = Path(__file__).resolve().parent / "sites" / "page_structures"
PAGES = json.loads((SITE / "expected.json").read_text("utf-8"))["page"]
FETCHED = datetime(2026, 1, 31, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def extracted():
    return {name: extract((SITE / name).read_bytes(), f"http://127.0.0.1/{name}", tz=ZoneInfo(page["tz"]),
                          fetched_at=FETCHED) for name, page in PAGES.items()}


@pytest.mark.parametrize("name", sorted(PAGES))
def test_title_date_and_author_are_those_the_page_writes(extracted, name):
    found, page = extracted[name], PAGES[name]
    assert (found.title, found.published_at, found.author) == (page["title"], page["published"], page["author"])


@pytest.mark.parametrize("name", sorted(PAGES))
def test_body_is_the_written_text_without_the_pages_chrome(extracted, name):
    found, page = extracted[name], PAGES[name]
    assert found.text.split("\n\n") == page["paragraphs"]
    leaked = [phrase for phrase in page["must_not"] if phrase in found.text]
    assert not leaked


def test_layout_tables_come_out_as_paragraphs_not_rows():
    """A portal built of nested tables: no pipe-separated rows and no menu cells in the text."""
    name = "gov-portal-gb2312.html"
    found = extract((SITE / name).read_bytes(), "http://127.0.0.1/a.html", tz=ZoneInfo("Asia/Shanghai"))
    assert "|" not in found.text and "首页" not in found.text
    assert score(found.text, "\n\n".join(PAGES[name]["paragraphs"])).precision == 1.0


def test_a_data_table_inside_an_article_stays_a_table():
    rows = "".join(f"<tr><td>{m}月</td><td>{v}</td><td>{g}%</td></tr>" for m, v, g in [(1, 120, 5), (2, 98, -3), (3, 131, 8)])
    page = ("<html><head><meta charset='utf-8'></head><body><h1>一季度进出口数据</h1>"
            "<p>一季度全市集成电路进出口总体平稳，各月数据如下表所示，其中三月增幅最大。</p>"
            "<p>从企业类型看，设计企业出口增长较快，封装测试企业进口设备有所减少，制造企业保持稳定。</p>"
            "<p>从贸易伙伴看，对东盟出口继续增长，对欧洲出口与上年同期基本持平。</p>"
            f"<table><tr><th>月份</th><th>金额（亿元）</th><th>同比</th></tr>{rows}</table>"
            "<p>有关部门表示，将继续跟踪重点企业的进出口情况，及时发布统计信息。</p></body></html>").encode()
    found = extract(page, "http://x/a.html")
    assert "| 2月 | 98 | -3% |" in found.text


def test_article_written_as_text_and_line_breaks_in_a_cell_is_found():
    """No <p> on the page at all: the text sits in a table cell between <br>s (old forums, blogs)."""
    name = "forum-br-gbk.html"
    found = extract((SITE / name).read_bytes(), "http://127.0.0.1/t.html", tz=ZoneInfo("Asia/Shanghai"))
    assert found.text.split("\n\n") == PAGES[name]["paragraphs"]
