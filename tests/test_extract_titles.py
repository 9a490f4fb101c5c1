"""The article's own headline: og:title, the heading nearest the body, `<title>` without the
site's name; never the section name that portal pages put in their first <h1> or in <title>."""

from __future__ import annotations

from crawler.extract import extract

ZH_BODY = "".join(f"<p>第{i}段：协会组织会员企业座谈，听取对出口许可办理时限的意见，并形成书面报告。</p>" for i in range(4))
EN_BODY = "".join(f"<p>Paragraph {i}: the alliance published its survey of licence waiting times today.</p>"
                  for i in range(4))


def _title(html: str) -> str:
    return extract(f"<html><head><meta charset='utf-8'>{html}".encode(), "http://x/a.html").title


def test_og_title_names_the_headline_when_the_h1_is_the_section():
    assert _title("<meta property='og:title' content='协会听取会员企业意见'><title>某网</title></head>"
                  f"<body><h1>新闻中心</h1><div class='t'>协会听取会员企业意见</div>{ZH_BODY}</body></html>") \
        == "协会听取会员企业意见"


def test_the_heading_nearest_the_body_beats_the_section_h1():
    assert _title("<title>某市商务局</title></head><body><ul><li><a href='/news'>新闻中心</a></li></ul>"
                  "<h1>新闻中心</h1><div>首页 &gt; 新闻中心</div>"
                  f"<h2>协会听取会员企业意见</h2>{ZH_BODY}</body></html>") == "协会听取会员企业意见"


def test_title_without_the_site_name_suffix_when_no_heading_agrees():
    assert _title("<title>Alliance Publishes Licence Survey | Regional Semiconductor Alliance</title>"
                  "<meta property='og:site_name' content='Regional Semiconductor Alliance'></head>"
                  f"<body><div class='logo'>Regional Semiconductor Alliance</div>{EN_BODY}</body></html>") \
        == "Alliance Publishes Licence Survey"


def test_chinese_title_segments_drop_the_section_and_site():
    assert _title("<title>关于报送季度数据的通知_通知公告_某市商务局</title></head><body>"
                  f"<h1>通知公告</h1><td class='biaoti'><b>关于报送季度数据的通知</b></td>{ZH_BODY}</body></html>") \
        == "关于报送季度数据的通知"


def test_a_plain_article_keeps_its_h1():
    assert _title("<title>Alliance Publishes Licence Survey - RSA</title></head><body>"
                  f"<h1>Alliance Publishes Licence Survey</h1>{EN_BODY}</body></html>") == "Alliance Publishes Licence Survey"


def test_a_title_tag_that_names_only_the_section_does_not_pick_the_section_heading():
    assert _title("<title>新闻中心_某市新闻网</title></head><body><div class='menu'><a href='/news/'>新闻中心</a>"
                  "<a href='/biz/'>财经</a></div><h1>新闻中心</h1>"
                  f"<h2>协会听取会员企业意见</h2><p>2019-07-19</p>{ZH_BODY}</body></html>") == "协会听取会员企业意见"


def test_a_similar_headline_in_a_list_of_other_articles_is_not_taken():
    related = "<ul><li><a href='/1.html'><h3>上半年集成电路进口保持增长</h3></a></li></ul>"
    assert _title("<title>上半年集成电路出口保持增长_新闻_某网</title></head><body>"
                  f"<div class='side'>{related}</div><h2>上半年集成电路出口保持增长</h2>{ZH_BODY}</body></html>") \
        == "上半年集成电路出口保持增长"
