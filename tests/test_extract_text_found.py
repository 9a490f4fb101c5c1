"""Chinese article pages whose text is there must not come out as "no article text found":
XHTML pages opening with an XML declaration, text in <font> inside table cells, short notices
without <p>, texts that open with a numbered heading."""

from __future__ import annotations

import pytest

from crawler.extract import extract

XHTML = ('<?xml version="1.0" encoding="{enc}"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
         '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd"><html xmlns="http://www.w3.org/1999/xhtml"><head>'
         '<meta http-equiv="Content-Type" content="text/html; charset={enc}"/><title>关于召开季度会议的通知</title></head>'
         '<body><h1>关于召开季度会议的通知</h1><div class="TRS_Editor"><p>各会员单位：</p>'
         '<p>协会定于下月召开季度会议，听取会员企业对出口许可办理时限的意见，请各单位派员参加。</p></div></body></html>')
FONT_CELL = ('<html><head><meta charset="gbk"><title>通知</title></head><body><table><tr><td>'
             '<font size="3">协会定于下月召开季度会议，听取会员企业对出口许可办理时限的意见。<br>'
             '请各单位于本月底前报送参会人员名单。<br>联系人：秘书处</font></td></tr></table></body></html>')
SHORT_DIV = ('<html><head><meta charset="utf-8"><title>公告</title></head><body><div class="nav"><a href="/">首页</a></div>'
             '<div id="zoom">本会秘书处办公地址自下月一日起迁至新址，电话号码不变。特此公告。</div></body></html>')
NUMBERED = ('<html><head><meta charset="utf-8"><title>工作要点</title></head><body><h1>工作要点</h1>'
            '<p>一、总体要求</p><p>围绕行业发展大局，做好会员服务，加强国际交流与合作，提升协会的影响力。</p>'
            '<p>二、重点任务</p><p>组织开展出口管制政策解读，编写术语对照表，举办两场专题培训。</p></body></html>')

CASES = [
    # (what is tried, page bytes, text that must be found)
    ("XHTML in GB2312 with an XML declaration", XHTML.format(enc="gb2312").encode("gb2312"), "请各单位派员参加"),
    ("XHTML in UTF-8 with an XML declaration", XHTML.format(enc="utf-8").encode("utf-8"), "请各单位派员参加"),
    ("text in <font> between <br>s in a cell", FONT_CELL.encode("gbk"), "请各单位于本月底前报送参会人员名单"),
    ("a short notice in a <div> without <p>", SHORT_DIV.encode("utf-8"), "电话号码不变"),
]


@pytest.mark.parametrize("case,page,phrase", CASES, ids=[c[0] for c in CASES])
def test_article_text_on_the_page_is_found(case, page, phrase):
    assert phrase in extract(page, "http://x/a.html").text


def test_a_text_that_opens_with_a_numbered_heading_keeps_it():
    assert extract(NUMBERED.encode(), "http://x/a.html").text.split("\n\n")[0] == "一、总体要求"
