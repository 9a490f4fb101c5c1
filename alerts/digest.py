"""The email an alert sends: a digest of new hits as plain text and HTML, in English or Chinese.

The message is built with `email.message.EmailMessage` under the default (RFC 6532-aware)
policy, so a Chinese alert name in the Subject or a Chinese display name is encoded as RFC 2047
words and the bodies as UTF-8, with no hand-made headers. Everything that came from a web page is
escaped in the HTML part. A digest with many hits lists the first `max_hits` in full and ends with
"and M more" plus the search that shows them all.
"""

from __future__ import annotations

import hashlib
import html
import shlex
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, parseaddr

from alerts.headers import unsafe_character
from alerts.matching import Item, Pending
from alerts.schedule import describe
from index.store import StoredDocument
from parallax.errors import ConfigError

TEXT = {
    "en": {
        "subject": "[Parallax] {name}: {count} new {hits}",
        "hit": "hit", "hits": "hits",
        "intro": 'Alert "{name}" found {count} new {hits} for: {query}',
        "translated": "Translated",
        "similar": "Also reported by {count} near-identical {documents}: {sources}",
        "document": "document", "documents": "documents",
        "folded": "{count} near-duplicate(s) of items you already received were left out.",
        "more": "…and {count} more. See them all with: {command}",
        "more_ui": "or search in the app: {url}",
        "footer_why": 'You receive this because of the Parallax alert "{name}" ({schedule}).',
        "footer_stop": "Stop it: {command}",
        "footer_change": "Change it: {command}, or in the app at {url}",
        "unknown_date": "undated",
    },
    "zh": {
        "subject": "[Parallax] {name}：{count} 条新结果",
        "hit": "条", "hits": "条",
        "intro": "提醒“{name}”找到 {count} 条新结果，检索式：{query}",
        "translated": "译文",
        "similar": "另有 {count} 篇近似{documents}：{sources}",
        "document": "文档", "documents": "文档",
        "folded": "已省略 {count} 篇与您已收到内容近似的文档。",
        "more": "……另有 {count} 条。查看全部：{command}",
        "more_ui": "或在应用中检索：{url}",
        "footer_why": "您收到此邮件是因为 Parallax 提醒“{name}”（{schedule}）。",
        "footer_stop": "停止提醒：{command}",
        "footer_change": "修改提醒：{command}，或在应用中修改：{url}",
        "unknown_date": "日期不详",
    },
}


@dataclass
class Digest:
    """One rendered email for one recipient, and the documents it accounts for."""

    alert: str
    recipient: str
    subject: str
    text: str
    html: str
    pending: Pending
    shown: int

    def outcomes(self) -> list[tuple[StoredDocument, str]]:
        """(document, outcome) for every document this digest settles: listed, summarised, folded."""
        out = []
        for i, item in enumerate(self.pending.items):
            outcome = "listed" if i < self.shown else "summarised"
            out.append((item.doc, outcome))
            out.extend((doc, "folded") for doc in item.similar)
        out.extend((doc, "folded") for doc in self.pending.folded)
        return out



def search_command(query: str) -> str:
    return f"parallax search --sort date {shlex.quote(query)}"


def _plural(t: dict, count: int, word: str) -> str:
    return t[word] if count == 1 else t[word + "s"]


def _date(item: Item, t: dict) -> str:
    return (item.doc.published_at or "")[:10] or t["unknown_date"]


def _source(item: Item, sources: dict, lang: str) -> str:
    row = sources.get(item.doc.source_id, {})
    if lang == "zh":
        return row.get("name") or row.get("name_en") or item.doc.source_id
    return row.get("name_en") or row.get("name") or item.doc.source_id


def render(saved, pending: Pending, sources: dict, max_hits: int, ui_url: str,
           digest_hour: int) -> Digest:
    """The digest for one recipient; `pending.items` must be non-empty."""
    t = TEXT[saved.lang]
    count = pending.count
    shown_items = pending.items[:max_hits]
    more = count - len(shown_items)
    fields = {"name": saved.name, "count": count, "hits": _plural(t, count, "hit"),
              "query": saved.query}
    subject = t["subject"].format(**fields)
    schedule = describe(saved.frequency, digest_hour, saved.lang)
    stop = f"parallax alerts remove {shlex.quote(saved.name)}"
    change = (f"parallax alerts edit {shlex.quote(saved.name)} [--query Q] [--to ADDR] "
              "[--every daily] [--pause]")

    lines = [t["intro"].format(**fields), ""]
    parts = [f"<p>{html.escape(t['intro'].format(**fields))}</p>", "<ol>"]
    for number, item in enumerate(shown_items, 1):
        hit = item.hit
        title = hit.title if hit else item.doc.title
        title_tr = hit.title_tr if hit else item.doc.title_tr
        meta = f"{_source(item, sources, saved.lang)} · {_date(item, t)} · {item.doc.lang or '?'}"
        lines.append(f"{number}. {title}")
        if title_tr:
            lines.append(f"   {t['translated']}: {title_tr}")
        lines.append(f"   {meta}")
        if hit and hit.snippet.text:
            lines.append(f"   {hit.snippet.marked('[', ']')}")
        lines.append(f"   {item.doc.url}")
        entry = [f'<li><p><a href="{html.escape(item.doc.url, quote=True)}"><b>{html.escape(title)}</b></a>']
        if title_tr:
            entry.append(f"<br>{html.escape(t['translated'])}: {html.escape(title_tr)}")
        entry.append(f'<br><small style="color:#555">{html.escape(meta)}</small>')
        if hit and hit.snippet.text:
            entry.append(f"<br>{hit.snippet.marked('<mark>', '</mark>', html.escape)}")
        if item.similar:
            similar_sources = ", ".join(sorted({_source(Item(doc=d), sources, saved.lang)
                                                for d in item.similar}))
            note = t["similar"].format(count=len(item.similar),
                                       documents=_plural(t, len(item.similar), "document"),
                                       sources=similar_sources)
            lines.append(f"   {note}")
            entry.append(f"<br><small>{html.escape(note)}</small>")
        entry.append("</p></li>")
        parts.append("".join(entry))
        lines.append("")
    parts.append("</ol>")
    if more:
        command = search_command(saved.query)
        more_line = t["more"].format(count=more, command=command)
        ui_line = t["more_ui"].format(url=ui_url)
        lines += [more_line, ui_line, ""]
        parts.append(f"<p>{html.escape(more_line)}<br>{_link_text(ui_line, ui_url)}</p>")
    if pending.folded:
        folded = t["folded"].format(count=len(pending.folded))
        lines += [folded, ""]
        parts.append(f"<p><small>{html.escape(folded)}</small></p>")
    footer = [t["footer_why"].format(name=saved.name, schedule=schedule),
              t["footer_stop"].format(command=stop),
              t["footer_change"].format(command=change, url=ui_url)]
    lines += ["-- ", *footer]
    parts.append('<hr><p style="color:#555;font-size:small">' + "<br>".join(
        _link_text(html.escape(line), ui_url) if ui_url in line else html.escape(line)
        for line in footer) + "</p>")
    body_html = ('<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>'
                 + "\n".join(parts) + "</body></html>")
    return Digest(alert=saved.name, recipient=pending.recipient, subject=subject,
                  text="\n".join(lines) + "\n", html=body_html, pending=pending,
                  shown=len(shown_items))


def _link_text(text: str, url: str) -> str:
    escaped_url = html.escape(url, quote=True)
    return text.replace(html.escape(url), f'<a href="{escaped_url}">{html.escape(url)}</a>')


def sender_address(sender: str) -> Address:
    """The configured sender ("Name <addr>" or "addr") as a header address; names may be Chinese."""
    name, addr = parseaddr(sender)
    if not addr or "@" not in addr or unsafe_character(sender) is not None:
        raise ConfigError(f"setting 'smtp.sender' is {sender!r}, not an address; write it as "
                          "'Parallax <parallax@example.org>' (PARALLAX_SMTP_SENDER)")
    username, _, domain = addr.rpartition("@")
    return Address(display_name=name, username=username, domain=domain)


def message_id(digest: Digest, domain: str) -> str:
    """The same id for the same digest: a resend after a crash can be recognised as a duplicate."""
    key = "\x00".join([digest.alert, digest.recipient,
                       *sorted(doc.id for doc, _ in digest.outcomes())])
    return f"<parallax.{hashlib.sha256(key.encode('utf-8')).hexdigest()[:32]}@{domain}>"


def to_message(digest: Digest, sender: str) -> EmailMessage:
    """The MIME message: multipart/alternative with text and HTML, UTF-8."""
    frm = sender_address(sender)
    msg = EmailMessage()
    msg["Subject"] = digest.subject
    msg["From"] = frm
    msg["To"] = digest.recipient
    msg["Date"] = formatdate(usegmt=True)
    msg["Message-ID"] = message_id(digest, frm.domain)
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(digest.text, charset="utf-8")
    msg.add_alternative(digest.html, subtype="html", charset="utf-8")
    return msg
