"""Where a press release or article ends: the marks newsrooms write (`###`, `# # #`, `-###-`,
`- 30 -`, `（完）`, an editor's credit) and the headings of what follows. What comes after the end
(contacts, "About …", footers) is not the statement."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from crawler.cleanup import strip_boilerplate

BODY = ["The association welcomed the decision.", "Members will file comments next month."]
ZH_BODY = ["协会欢迎这一决定，并将组织会员企业提出意见。", "会员单位将于下月提交书面意见。"]
TAIL = ["About SIA", "SIA represents 99% of the industry.", "Media contact: Jane Doe, press@sia.example"]
ZH_TAIL = ["联系人：王芳 电话：010-00000000", "关于本会：本会成立于1990年。"]

ENDINGS = [
    # (what is tried, paragraphs, what must remain)
    ("three hashes", BODY + ["###"] + TAIL, BODY),
    ("spaced hashes", BODY + ["# # #"] + TAIL, BODY),
    ("hashes between dashes", BODY + ["-###-"] + TAIL, BODY),
    ("dash 30 dash", BODY + ["- 30 -"] + TAIL, BODY),
    ("-30- without spaces", BODY + ["-30-"] + TAIL, BODY),
    ("-END-", BODY + ["-END-"] + TAIL, BODY),
    ("hashes at the end of the last paragraph", BODY[:1] + [BODY[1] + " ###"] + TAIL, BODY),
    ("（完） on its own line", ZH_BODY + ["（完）"] + ZH_TAIL, ZH_BODY),
    ("（完） closing the last paragraph", ZH_BODY[:1] + [ZH_BODY[1] + "（完）"] + ZH_TAIL, ZH_BODY),
    ("【责任编辑：…】 line", ZH_BODY + ["【责任编辑：张伟】"] + ZH_TAIL, ZH_BODY),
    ("【责任编辑：…】 after the last sentence", ZH_BODY[:1] + [ZH_BODY[1] + " 【责任编辑：张伟】"] + ZH_TAIL, ZH_BODY),
    ("(编辑：…) credit", ZH_BODY + ["（编辑：李明）"] + ZH_TAIL, ZH_BODY),
    ("About heading with no mark", BODY + TAIL, BODY),
    ("site footer", ZH_BODY + ["版权所有：某市商务局 地址：人民路100号", "京ICP备00000000号"], ZH_BODY),
    ("related news heading", ZH_BODY + ["相关新闻", "另一篇文章的标题"], ZH_BODY),
]


@pytest.mark.parametrize("case,paragraphs,kept", ENDINGS, ids=[e[0] for e in ENDINGS])
def test_text_ends_at_the_release_end_mark(case, paragraphs, kept):
    assert strip_boilerplate(paragraphs, "Title", ZoneInfo("UTC"))[0] == kept


def test_an_end_mark_before_any_text_ends_nothing():
    """A menu of short links above the article, ending in "Contact", must not end it."""
    paragraphs = ["News", "About us", "Contact", *BODY]
    assert strip_boilerplate(paragraphs, "Title", ZoneInfo("UTC"))[0] == BODY


def test_copyright_as_a_word_in_the_text_does_not_end_it():
    paragraphs = [BODY[0], "Copyright law was the second topic of the meeting.", BODY[1]]
    assert strip_boilerplate(paragraphs, "Title", ZoneInfo("UTC"))[0] == paragraphs


def test_releases_of_one_source_do_not_share_their_boilerplate():
    """Two unrelated releases with the same "About" tail keep nothing in common."""
    one = strip_boilerplate(["The alliance opened an office in Austin."] + ["# # #"] + TAIL, "T", None)[0]
    two = strip_boilerplate(["Membership dues will not change next year."] + ["- 30 -"] + TAIL, "T", None)[0]
    assert not set(one) & set(two)
