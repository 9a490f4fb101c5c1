"""Where an article or press release ends, and the boilerplate after it begins.

Newsrooms mark the end of a release in several ways: `###`, `# # #`, `-###-`, `- 30 -`, `-END-`,
`（完）`, an editor's credit `【责任编辑：…】`. What follows (media contacts, "About SIA…", the
same paragraphs on every release of that organisation) is not the statement, and keeping it makes
unrelated releases of one source look alike. A related-articles heading ends the text as well.
"""

from __future__ import annotations

import re

_MARK = (r"(?:#\s*#\s*#[#\s]*|[-–—]+\s*#{3,}\s*[-–—]+|[-–—]\s*30\s*[-–—]|[-–—]?\s*END\s*[-–—]|"
         r"[（(【\[]\s*完\s*[）)】\]]|[（(【\[]\s*全文完\s*[）)】\]]|"
         r"[（(【\[]\s*(?:责任编辑|責任編輯|责编|编辑|編輯|审核|審核|审校|審校|校对|校對|终审|监制|统筹)"
         r"\s*[：:]\s*[^）)】\]]{1,30}[）)】\]])")
# A paragraph that is an end mark and nothing else.
END_LINE = re.compile(rf"^\s*{_MARK}\s*$", re.IGNORECASE)
# An end mark written at the end of the last paragraph: "…会议。（完）", "…said. ###".
_TRAILING = re.compile(rf"(?<=\S)\s*{_MARK}\s*$", re.IGNORECASE)
# Headings of what comes after the text.
_AFTER_HEADING = re.compile(
    r"^(?:相关稿件|相关新闻|相关阅读|相关推荐|相关文章|相关链接|相關新聞|相關閱讀|延伸阅读|推荐阅读|热点推荐|"
    r"热门文章|更多新闻|往期回顾|网友评论|发表评论|免责声明|版权声明|热门评论|最新评论|猜你喜欢|为你推荐|"
    r"精彩推荐|图片新闻|热点新闻|点击排行|阅读排行|"
    r"[Rr]elated (?:[Aa]rticles|[Pp]osts|[Nn]ews|[Ss]tories|[Cc]ontent|[Rr]eading)|[Mm]ore on this(?: story)?|"
    r"[Mm]ost (?:read|popular)|[Rr]ead [Nn]ext|[Yy]ou [Mm]ay [Aa]lso [Ll]ike|"
    r"(?:[Mm]edia|[Pp]ress) [Cc]ontacts?|[Cc]ontacts?(?=[：:])|[Mm]edia [Ii]nquiries|媒体联系人?|新闻联系人?|"
    r"[Aa]bout (?:the )?[A-Z][\w&.-]*(?: [A-Z&][\w&.-]*){0,5})[：:]?\s*$"
)
# The site's footer: copyright, licence numbers, the site's sponsor.
_FOOTER = re.compile(
    r"^(?:版权所有|版權所有|copyright\s*(?:©|\(c\)|\d{4})|©|\(c\)\s*\d{4}|主办单位|主办[：:]|主辦|承办单位|技术支持[：:]|网站标识码|"
    r"[京沪津渝冀晋辽吉黑苏浙皖闽赣鲁豫鄂湘粤琼川贵云陕甘青蒙桂藏宁新]ICP[备证]|.{0,20}ICP[备证]\s*\d|"
    r"[京沪津渝冀晋辽吉黑苏浙皖闽赣鲁豫鄂湘粤琼川贵云陕甘青蒙桂藏宁新]公网安备|all rights reserved)",
    re.IGNORECASE)

def cut_at_end(paragraphs: list[str]) -> list[str]:
    """The paragraphs before the end of the text. An end mark that comes before any text (a page
    that starts with a related-articles list) ends nothing."""
    kept: list[str] = []
    for p in paragraphs:
        line = p.strip()
        if _has_text(kept) and (END_LINE.match(line) or _AFTER_HEADING.match(line) or _FOOTER.match(line)):
            break
        if END_LINE.match(line) or _FOOTER.match(line):
            continue
        trailing = _TRAILING.search(line)
        if trailing:
            kept.append(line[:trailing.start()].rstrip())
            break
        kept.append(p)
    return kept


def _has_text(kept: list[str]) -> bool:
    """Some of the article is already there: an end mark above all text (under a menu of short
    links) ends nothing."""
    return any(len(p) >= 40 or len(re.findall(r"[\u4e00-\u9fff]", p)) >= 15 or re.search(r"[.!?。！？]$", p.strip())
               for p in kept)
