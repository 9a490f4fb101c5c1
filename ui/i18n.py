"""The interface's words in English and Chinese: one small catalogue, one lookup.

The interface language travels in the URL (`?hl=zh`), like the search itself, so a link sent to a
colleague opens in the language it was copied in; a URL without `hl` is English. Crawled text is
never translated here: only the app's own labels.
"""

from __future__ import annotations

import streamlit as st

LANGUAGES = {"en": "English", "zh": "中文"}
PARAM = "hl"

# key: (English, Chinese). Placeholders in braces are filled by `t(key, **values)`.
MESSAGES: dict[str, tuple[str, str]] = {
    "nav.search": ("Search", "搜索"),
    "nav.document": ("Document", "文档"),
    "nav.story": ("Story", "报道"),
    "nav.saved": ("Saved searches", "已保存的搜索"),
    "nav.status": ("Status", "状态"),
    "interface": ("Interface", "界面语言"),
    "search.box": ("Search", "搜索"),
    "search.placeholder": ('export controls, 出口管制, "working group" lang:zh',
                           '出口管制, export controls, "工作组" lang:en'),
    "search.expand": ("Match the other language too", "同时匹配另一种语言"),
    "search.expand_help": ("Also find the query's counterparts in the other language (glossary, entity "
                           "names, translations).", "同时查找查询词在另一种语言中的对应说法（术语表、实体名称、译文）。"),
    "search.by": ("by {sort}", "按{sort}"),
    "sort.relevance": ("relevance", "相关度"),
    "sort.date": ("date", "日期"),
    "help": ("Help", "帮助"),
    "examples": ("**Examples** (click to run)", "**示例**（点击运行）"),
    "filters": ("Filters", "筛选"),
    "filters.help": ("Values of one filter are alternatives (any of them); different filters must all "
                     "hold. Each count is what choosing that value would give with the other filters.",
                     "同一筛选项中的多个值为“或”；不同筛选项之间为“且”。每个数字是在其他筛选条件下选择该值后的文档数。"),
    "filters.after": ("Published on or after", "发布日期不早于"),
    "filters.before": ("Published on or before", "发布日期不晚于"),
    "filters.clear": ("Clear filters", "清除筛选"),
    "filters.any": ("any", "不限"),
    "filters.remove": ("Remove this filter", "移除此筛选"),
    "facet.source": ("Sources", "来源"),
    "facet.collection": ("Collections", "来源集合"),
    "facet.lang": ("Language", "语言"),
    "facet.type": ("Type", "类型"),
    "facet.country": ("Country", "国家/地区"),
    "facet.entity": ("Entities", "实体"),
    "facet.after": ("from", "起"),
    "facet.before": ("until", "止"),
    "lang.en": ("English", "英文"),
    "lang.zh": ("Chinese", "中文"),
    "summary": ("{about}**{stories}** {stories_word}, {documents} matching {documents_word}",
                "{about}**{stories}** 篇报道，{documents} 篇匹配文档"),
    "about": ("about ", "约 "),
    "story": ("story", "篇报道"),
    "stories": ("stories", "篇报道"),
    "document": ("document", "篇文档"),
    "documents": ("documents", "篇文档"),
    "query": ("query: {query}", "查询：{query}"),
    "also_matched": ("Also matched: {notes}", "同时匹配：{notes}"),
    "download_all": ("Download all {documents} matching documents", "下载全部 {documents} 篇匹配文档"),
    "nothing": ("Nothing matches. Try fewer words, switch on the other language, or clear filters.",
                "没有匹配结果。请减少关键词、打开另一种语言的匹配，或清除筛选。"),
    "cannot_search": ("Cannot search: {error}", "无法搜索：{error}"),
    "read": ("Read side by side", "对照阅读"),
    "untitled": ("(untitled)", "（无标题）"),
    "undated": ("undated", "无日期"),
    "copies": ("+ {n} {copies_word} in {langs}", "另有 {n} 篇转载（{langs}）"),
    "copy": ("copy", "篇转载"),
    "copies_word": ("copies", "篇转载"),
    "previous": ("Previous", "上一页"),
    "next": ("Next", "下一页"),
    "page_of": ("page {page} of {pages}", "第 {page} 页，共 {pages} 页"),
    "chips": ("Entities (click to filter)", "实体（点击筛选）"),
    # attention over time
    "attention": ("Attention over time", "关注度随时间变化"),
    "attention.per": ("Per", "间隔"),
    "attention.by": ("Split by", "拆分"),
    "attention.show": ("Show", "显示"),
    "per.day": ("day", "日"),
    "per.week": ("week", "周"),
    "per.month": ("month", "月"),
    "by.language": ("language", "语言"),
    "by.source": ("source", "来源"),
    "show.count": ("documents", "文档数"),
    "show.share": ("share of all documents", "占全部文档的比例"),
    "attention.compare": ("Compare with (up to two more queries, one per line)",
                          "对比查询（最多再加两个，每行一个）"),
    "attention.click": ("Click a bar to filter the results to its {per}.", "点击柱形可将结果限定在该{per}。"),
    "attention.csv": ("Chart data (CSV)", "图表数据（CSV）"),
    "attention.none": ("No dated documents match this search.", "没有带日期的匹配文档。"),
    "attention.undated": ("{n} without a date are not shown", "{n} 篇无日期文档未显示"),
    "attention.period": ("period", "时间段"),
    "attention.series": ("series", "系列"),
    "attention.documents": ("documents", "文档数"),
    "attention.share": ("share", "比例"),
    "attention.query": ("query", "查询"),
    # save as alert
    "alert.save": ("Save as alert", "保存为提醒"),
    "alert.name": ("Name", "名称"),
    "alert.recipients": ("Email recipients", "收件人"),
    "alert.frequency": ("Frequency", "频率"),
    "alert.email_lang": ("Email language", "邮件语言"),
    "alert.preview": ("Its first digest would send {documents} documents ({stories} stories) that match now; "
                      "after that, only new ones.",
                      "首次摘要将发送当前匹配的 {documents} 篇文档（{stories} 篇报道）；之后只发送新文档。"),
    "alert.saved": ("Saved alert {name!r}: see Saved searches.", "已保存提醒 {name!r}，见“已保存的搜索”。"),
    "alert.empty": ("Search for something first: an alert on everything would mail every document.",
                    "请先输入搜索内容：对全部文档的提醒会发送每一篇文档。"),
    # document and story pages
    "back": ("Back to results", "返回结果"),
    "open_source": ("Open the source page", "打开原网页"),
    "original": ("Original", "原文"),
    "translation": ("Translation", "译文"),
    "story.title": ("Story: {n} copies", "报道：{n} 个版本"),
    "story.first": ("first published", "首发"),
    "story.open": ("See the story", "查看报道"),
    "story.compare": ("Compare the first publication with", "将首发版本与以下版本比较"),
    "story.diff": ("Words added in the copy are highlighted, words it dropped are struck through.",
                   "转载中新增的词语高亮显示，删去的词语加删除线。"),
    "story.single": ("This document has no near-duplicates: it is a story of one.",
                     "此文档没有相似副本。"),
    "story.missing": ("Open a story from the search results.", "请从搜索结果中打开报道。"),
    "col.source": ("source", "来源"),
    "col.language": ("language", "语言"),
    "col.published": ("published", "发布时间"),
    "col.title": ("title", "标题"),
    # status
    "status.title": ("Status", "状态"),
    "status.documents": ("Documents in the store", "库中文档"),
    "status.processing": ("Waiting for processing", "等待处理"),
    "status.indexing": ("Waiting for indexing", "等待索引"),
    "status.last_fetch": ("Last fetch", "最近抓取"),
    "status.never": ("never", "从未"),
    "status.index": ("Search index", "搜索索引"),
    "status.behind": ("The index is behind the store: run `parallax process` and `parallax index` (or "
                      "`parallax run`) to catch up.",
                      "索引落后于文档库：运行 `parallax process` 和 `parallax index`（或 `parallax run`）以赶上。"),
    "status.ok": ("The index is up to date with the store ({backend} backend).",
                  "索引与文档库一致（{backend} 后端）。"),
    "status.sources": ("Sources", "来源"),
    "status.errors": ("{source}: {n} error(s) in the last run", "{source}：上次运行有 {n} 个错误"),
    "ago.now": ("just now", "刚刚"),
    "ago.minutes": ("{n} min ago", "{n} 分钟前"),
    "ago.hours": ("{n} h ago", "{n} 小时前"),
    "ago.days": ("{n} days ago", "{n} 天前"),
}


def language() -> str:
    """The interface language: `?hl=` in the URL; else this session's last choice (the menu's
    links drop the query string); else English."""
    value = st.query_params.get(PARAM)
    if value in LANGUAGES:
        st.session_state[PARAM] = value
        return value
    return st.session_state.get(PARAM, "en")


def t(key: str, lang: str | None = None, **values) -> str:
    """The message `key` in the interface language, with `values` filled in."""
    english, chinese = MESSAGES[key]
    text = chinese if (lang or language()) == "zh" else english
    return text.format(**values) if values else text


def lang_name(code: str | None, lang: str | None = None) -> str:
    """`English` / `Chinese` (or 英文 / 中文) for a document language code; other codes as they are."""
    key = f"lang.{code}"
    return t(key, lang) if key in MESSAGES else (code or "?")
