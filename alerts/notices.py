"""What a webhook gets (a `Notice`) and the email that tells of edited or withdrawn statements.

A hits notice carries exactly the documents of the digest it stands for — the same ones the email
would list, so a channel's batch and its `alert_deliveries` rows agree.
"""

from __future__ import annotations

import hashlib
from email.message import EmailMessage
from email.utils import formatdate

from alerts.digest import Digest, sender_address
from alerts.webhooks import Entry, Notice

CHANGE_HEADINGS = {
    "en": "[Parallax] {name}: {count} statement(s) edited or withdrawn",
    "zh": "[Parallax] {name}：{count} 篇已发送的声明被修改或撤回",
}


def _source_name(store, source_id: str) -> str:
    row = store.sources().get(source_id, {})
    return row.get("name_en") or row.get("name") or source_id


def hits_notice(digest: Digest, saved, settings) -> Notice:
    entries = []
    for item in digest.pending.items[:digest.shown]:
        hit, doc = item.hit, item.doc
        entries.append(Entry(
            title=(hit.title if hit else doc.title), url=doc.url,
            source=(hit.source_name if hit else doc.source_id), date=(doc.published_at or "")[:10],
            lang=doc.lang or doc.declared_lang or "", snippet=hit.snippet.text if hit else "",
            title_tr=hit.title_tr if hit else doc.title_tr,
            note=("withdrawn" if doc.status == "withdrawn" else None)))
    return Notice(alert=saved.name, query=saved.query, kind="hits", heading=digest.subject,
                  entries=entries, more=digest.pending.count - len(entries),
                  ui_url=settings.alerts.ui_url)


def changes_notice(saved, changes, store, settings) -> Notice:
    heading = CHANGE_HEADINGS[saved.lang].format(name=saved.name, count=len(changes))
    entries = [Entry(title=c.doc.title, url=c.doc.url, source=_source_name(store, c.doc.source_id),
                     date=(c.doc.published_at or "")[:10], lang=c.doc.lang or c.doc.declared_lang or "",
                     note=c.note()) for c in changes]
    return Notice(alert=saved.name, query=saved.query, kind="changes", heading=heading,
                  entries=entries, ui_url=settings.alerts.ui_url)


def changes_message(saved, recipient: str, changes, store, settings) -> EmailMessage:
    """A plain-text email listing each change; its Message-ID is the same for the same events."""
    notice = changes_notice(saved, changes, store, settings)
    lines = [notice.heading, ""]
    for n, e in enumerate(notice.entries, 1):
        lines += [f"{n}. {e.title}", f"   {e.source} · {e.date or 'undated'}", f"   {e.note}",
                  f"   {e.url}", ""]
    lines += ["-- ", f'You receive this because the Parallax alert "{saved.name}" watches edits and '
              "withdrawals of what it sent you.", f"Stop it: parallax alerts edit {saved.name!r} --no-changes"]
    frm = sender_address(settings.smtp.sender)
    key = "\x00".join([saved.name, recipient, *sorted(f"{c.doc.id}:{c.key}" for c in changes)])
    msg = EmailMessage()
    msg["Subject"] = notice.heading
    msg["From"] = frm
    msg["To"] = recipient
    msg["Date"] = formatdate(usegmt=True)
    msg["Message-ID"] = f"<parallax.changes.{hashlib.sha256(key.encode('utf-8')).hexdigest()[:32]}@{frm.domain}>"
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content("\n".join(lines) + "\n", charset="utf-8")
    return msg
