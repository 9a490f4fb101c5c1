"""What extractors let through around an article, and how it is recognised and dropped.

Above the text: the headline repeated, kicker labels ("Press Release"), a standalone date or
"来源：… 发布时间：…" line, a byline. Anywhere: share, print and "next article" links, font-size
switches, visit counters. After the text: end marks, editor credits, contacts, related-article
lists and the site's footer (see `crawler.release_end`). Every rule looks at the shape of a line
(a label and a short value, a run of link words), not at the words of one site.
"""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from crawler.bylines import byline_in, clean_byline, is_byline_line
from crawler.dates import DATE_PATTERNS, parse_date
from crawler.release_end import cut_at_end

# Words that are page furniture when a line holds nothing else (share networks, print, close, …).
_FURNITURE_WORDS = (
    r"share(?: this(?: article| page| story)?)?(?: on \w+)?|print(?: this page| article)?|email(?: this page)?|"
    r"tweet|facebook|twitter|x|linkedin|whatsapp|reddit|weibo|wechat|copy link|"
    r"微信|微博|新浪微博|腾讯微博|qq|qq空间|空间|朋友圈|豆瓣|人人网|"
    r"打印|打印本页|打印此页|打印文章|关闭|关闭窗口|關閉窗口|關閉|返回顶部|回到顶部|返回|收藏|收藏本页|加入收藏|"
    r"分享|分享到|我要纠错|纠错|我要评论|评论|推荐|推荐给朋友|保存|复制链接|大|中|小|默认|"
    r"字体|字號|字号|打印本文|关闭本页|发送|发邮件|推荐本文|返回列表|返回首页|收藏本文|关注我们|点击阅读原文|阅读原文|"
    r"top|back to top|read more|advertisement|subscribe|sign up|print this article|share this article"
)
_FURNITURE_WORD = re.compile(rf"(?:{_FURNITURE_WORDS})", re.IGNORECASE)
_FURNITURE_SPLIT = re.compile(r"[【】\[\]()（）：:|/｜·•,，、]+|\s{2,}")
_FURNITURE_LINE = re.compile(
    r"^(?:(?:您的位置|当前位置|當前位置|所在位置|位置|你的位置|you are here)\s*[：:].*|"
    r"(?:[^>›»→\n]{1,12}\s*[>›»→]\s*){1,5}[^>›»→\n]{1,30}|"  # breadcrumb: 首页 > 新闻中心 > 正文
    r"(?:来源|來源|source|稿源|作者|编辑|作者单位|信息来源|文章来源|发布单位|发布机构)\s*[：:]\s*\S.{0,40}|"
    r"[【\[]?\s*(?:字体|字號|字号|字体大小)\s*[：:].{0,16}|"
    r"(?:上一篇|下一篇|上一条|下一条|上一页|下一页|上一主题|下一主题)\s*[：:]?.*|(?:previous|next)(?: article| story| post)?\s*[：:].*|"
    r"(?:相关新闻|相关阅读|相关文章|相关链接|相关稿件|延伸阅读|推荐阅读|read more|see also|also read|related)\s*[：:].*|"
    r"(?:本文|文章)?(?:转载|转自|转载自|来源于).{0,30}(?:转载请注明|注明出处).{0,20}|转载请注明.{0,40}|"
    r"(?:扫码|长按|识别二维码|关注公众号|关注微信).{0,30}|"
    r"(?:分享到|分享至|share to|share on)\s*[：:]?.{0,40}|"
    r"(?:浏览次数|阅读次数|点击数|点击次数|访问量|阅读量|浏览量|views)\s*[：:]?\s*\d*.{0,10}|"
    r"(?:扫一扫|扫描二维码|手机扫码|用手机扫描|微信扫一扫).{0,30}|"
    r"related (?:articles|news|stories|posts)|"
    r"[（(]?(?:责任编辑|责编|编辑|審校|审校|校对|审核)\s*[：:][^。]{0,20}[)）]?)$",
    re.IGNORECASE,
)
_DATE_LINE_LABELS = re.compile(
    r"published|updated|posted|release date|date|source|发布时间|发布日期|發佈時間|發布時間|发表时间|时间|時間|"
    r"日期|来源|來源|浏览次数|阅读次数|点击数|阅读|作者|编辑|字号|字体|大|中|小|打印|关闭|分享到?|我要评论|"
    r"星期[一二三四五六日天]|周[一二三四五六日]|"
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|\b[ap]\.?m\.?|"
    r"\b(?:et|edt|est|hkt|bst|gmt|utc)\b|北京时间",
    re.IGNORECASE,
)


def clean(text: str | None) -> str:
    """Runs of spaces (ASCII, no-break, ideographic) and line breaks as one space, trimmed."""
    return re.sub(r"[ \t\r\n\u00a0\u3000]+", " ", text or "").strip()


def is_furniture(line: str) -> bool:
    """A line that is only page furniture: share and print links, counters, a breadcrumb, a
    "来源：" or "上一篇：" line."""
    line = line.strip()
    if _FURNITURE_LINE.match(line):
        return True
    if len(line) > 80:
        return False
    if _is_menu_line(line):
        return True
    chunks = [c.strip() for c in _FURNITURE_SPLIT.split(line) if c.strip()]
    return bool(chunks) and all(_FURNITURE_WORD.fullmatch(c) or all(_FURNITURE_WORD.fullmatch(w) for w in c.split())
                                for c in chunks)


# Only the marks menus put between items: spaces also separate the names of a list in a text.
_MENU_SEPARATORS = re.compile(r"\s*[|｜·•/]\s*")


def _is_menu_line(line: str) -> bool:
    """A run of three or more short items between separators: "首页 | 新闻 | 财经 | 科技"."""
    if re.search(r"[。！？!?，,；;]", line) or line.startswith("|") or re.search(r"\d", line):
        return False  # a sentence, a table row, figures
    items = [i for i in _MENU_SEPARATORS.split(line) if i.strip()]
    if len(items) < 3:
        return False
    return all((len(i) <= 6) if re.search(r"[\u4e00-\u9fff]", i) else len(i.split()) <= 3 for i in items)


def strip_boilerplate(paragraphs: list[str], title: str, tz: ZoneInfo | None) -> tuple[list[str], str | None]:
    """Drop what sits around the article rather than in it; returns the paragraphs and any byline.

    A date written at the start of the first paragraph and followed only by a space (not a press
    dateline such as "WASHINGTON—July 19, 2025—") is cut off as well.
    """
    tz = tz or ZoneInfo("UTC")
    byline = None
    kept = [p for p in cut_at_end([p for p in paragraphs if p.strip()])
            if not is_furniture(p) and not _is_meta_line(p.strip(), tz)]
    while kept:
        first = kept[0].strip()
        if first == title.strip() or _is_date_line(first, tz):
            kept.pop(0)
        elif is_byline_line(first):
            byline = byline or clean_byline(first)
            kept.pop(0)
        elif _is_kicker(first):
            kept.pop(0)
        else:
            break
    if kept:
        kept[0] = _strip_leading_date(kept[0], tz)
    if byline is None:
        # The lines above the text that were dropped may name the author ("作者：李明").
        first = kept[0] if kept else None
        for p in paragraphs:
            if p == first:
                break
            byline = byline_in(p)
            if byline:
                break
    return [p for p in kept if p], byline


_META_LABEL = re.compile(r"来源|來源|作者|发布时间|发布日期|發佈時間|發布時間|浏览|阅读次数|点击|编辑|字号|我要评论|"
                         r"\bsource\s*:|\bposted\b|\bupdated\b", re.IGNORECASE)


def _is_meta_line(line: str, tz: ZoneInfo) -> bool:
    """A date with labels ("2021年06月08日 07:45 来源：某报 我要评论(0)") wherever the extractor put
    it; a date alone below the text (a notice's signature date) stays."""
    return bool(_META_LABEL.search(line)) and _is_date_line(line, tz)


def _is_date_line(line: str, tz: ZoneInfo) -> bool:
    if len(line) > 100 or re.search(r"[。！？!?]$", line) or not parse_date(line, tz):
        return False
    rest = line
    for pattern, _ in DATE_PATTERNS:
        rest = pattern.sub(" ", rest)
    rest = re.sub(r"\d{1,2}\s*[:：时]\s*\d{2}(?:\s*[:：]\s*\d{2})?\s*(?:[ap]\.?m\.?)?", " ", rest, flags=re.I)
    # Labelled values ("来源：商务部", "作者：张伟") are part of the line, whatever their value.
    rest = re.sub(r"(?:来源|來源|作者|编辑|source|by)\s*[：:]\s*\S{1,20}", " ", rest, flags=re.I)
    # What is left once dates, times and labels are gone may be a source's name, not a sentence.
    rest = re.sub(r"[(（]\d*[)）]", " ", _DATE_LINE_LABELS.sub(" ", rest))
    rest = re.sub(r"[\s|·•/:：,，\-–—()（）【】\[\]]+", " ", rest).strip()
    return len(rest) <= 16 and len(rest.split()) <= 2


def _is_kicker(line: str) -> bool:
    """A short label above the text: a few words, no sentence punctuation, no trailing colon."""
    if re.search(r"[.!?。！？:：;；,，\"“”]$", line):
        return False
    if re.match(r"^(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[)）]|第[一二三四五六七八九十\d]+[章条节部分]|\d+[.、])", line):
        return False  # a numbered heading of the text itself
    if re.search(r"[\u4e00-\u9fff]", line):
        return len(line) <= 8
    return len(line.split()) <= 6


def _strip_leading_date(paragraph: str, tz: ZoneInfo) -> str:
    for pattern, _ in DATE_PATTERNS:
        m = pattern.match(paragraph)
        if m:
            rest = re.sub(r"^\s+\d{1,2}[:：]\d{2}(?::\d{2})?", "", paragraph[m.end():])
            if rest[:1].isspace() and rest.strip():
                return rest.strip()
            return paragraph
    return paragraph
