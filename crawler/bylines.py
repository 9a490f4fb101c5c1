"""Who wrote an article: the byline as the page writes it, without the date words beside it.

Bylines share a line with the date ("Staff Reporter · Published March 3", "By Ted Staff | Updated
July 19, 2025"); extractors that cut the line at the digits keep "Published March" as part of the
name. The name is kept in the page's own spelling: "danah boyd" or "JANE DOE" stay as written.
"""

from __future__ import annotations

import re

from crawler.dates import DATE_PATTERNS

_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
# Where the name stops: a separator, a date word, a month, a weekday, a digit.
_STOP = re.compile(
    r"\s*(?:[·•|/]|\s[-–—]\s|,\s*(?=(?:published|updated|posted|on\b|\d|" + _MONTH + r"))|"
    r"\b(?:published|updated|posted|last updated|first published|on (?=\S*\d|" + _MONTH + r"))\b|"
    r"\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b|"
    r"\b" + _MONTH + r"(?=\s*(?:\d|$))|\d|"
    r"发布时间|发布日期|發佈時間|时间|時間|日期|来源|來源|编辑|責任編輯|责任编辑|[【（(\[])",
    re.IGNORECASE,
)
_LEAD = re.compile(r"^\s*(?:by|written by|words by|author|authors|story by)\s*[:：]?\s+", re.IGNORECASE)
_ZH_LEAD = re.compile(r"^\s*(?:文\s*[/／|｜]|作者|记者|記者|撰文|撰稿|文字|供稿)\s*[：:]?\s*")
_ZH_NAMES = re.compile(r"^[\u4e00-\u9fff·]{2,4}(?:[\s、，,]+[\u4e00-\u9fff·]{2,4}){0,3}")
# A byline line as an extractor returns it, at the top of the text.
BYLINE_LINE = re.compile(
    r"^(?:[Bb]y|[Ww]ritten [Bb]y|[Aa]uthor[:：])\s+[A-Z]"
    r"|^(?:作者|记者|記者|撰文|文\s*[/／])[：:\s]\s*[\u4e00-\u9fff·]{2,}"
)
_NOT_NAMES = {"staff", "admin", "administrator", "editor", "webmaster", "news desk", "本网", "本站", "管理员"}


def clean_byline(raw: str | None) -> str | None:
    """The name(s) in a byline, as written, or None when nothing that looks like a name is left."""
    if not raw:
        return None
    text = re.sub(r"\s+", " ", raw).strip()
    zh = _ZH_LEAD.match(text)
    if zh or re.match(r"^[\u4e00-\u9fff]", text):
        while zh:  # "文/记者 赵磊": one label after another
            text = text[zh.end():]
            zh = _ZH_LEAD.match(text)
        names = _ZH_NAMES.match(text)
        if not names:
            return None
        found = re.sub(r"\s+", " ", names.group()).strip()
        found = re.split(r"\s*(?:来源|來源|编辑|編輯|责编|发布|發布|时间|時間|日期|通讯员|摄影|摄|审核|校对)", found)[0].strip()
        if len(found) < 2:
            return None
        return None if found in _NOT_NAMES else found
    text = _LEAD.sub("", text)
    stop = _STOP.search(text)
    if stop:
        text = text[:stop.start()]
    text = text.strip(" ,;:-–—|·")
    if not text or len(text) > 80 or not re.search(r"[^\W\d_]", text):
        return None
    if text.lower() in _NOT_NAMES:
        return None
    return text


def is_byline_line(line: str) -> bool:
    """A short line at the top of the text that is only a byline (with or without a date)."""
    if len(line) > 100 or not BYLINE_LINE.match(line):
        return False
    name = clean_byline(line)
    if not name:
        return False
    # "By the end of the year, the association said" is a sentence, not a byline.
    rest = line[line.find(name) + len(name):] if name in line else ""
    for pattern, _ in DATE_PATTERNS:
        rest = pattern.sub(" ", rest)
    return not re.search(r"[.!?。！？]\s*$", line.strip()) or len(rest.split()) <= 4


def as_written(name: str | None, page_text: str) -> str | None:
    """`name` in the spelling the page uses: extractors title-case names they found in metadata."""
    if not name:
        return None
    m = re.search(re.escape(name), page_text, re.IGNORECASE)
    return m.group() if m else name


_LABELLED = re.compile(r"(?:作者|记者|記者|撰文|撰稿|文\s*[/／])\s*[：:]?\s*(?=[\u4e00-\u9fff])|(?:^|\s)(?:[Bb]y|[Aa]uthor[:：])\s+(?=[A-Z])")


def byline_in(line: str) -> str | None:
    """A byline written inside a date or source line: "2019-07-19 来源：某报 作者：李明"."""
    m = _LABELLED.search(line)
    return clean_byline(line[m.start():].strip()) if m else None
