"""Telling the operators about sick sources: one email per health event, never one per run.

`crawler.health` opens an event when a source goes silent, finds nothing or keeps failing, and
keeps it open until the source recovers. Here each event not yet notified goes to every address in
`alerts.operators` through the same SMTP relay as the digests; only when the relay accepted the
message for every operator is the event marked notified. A relay that is down leaves the event
unnotified, so the next run tries again — and an event already notified is never sent again,
however many runs the problem lasts.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from alerts.digest import sender_address
from alerts.headers import printable
from alerts.mailer import Mailer
from alerts.saved import check_address
from crawler.health import check_sources, mark_notified
from parallax.errors import ConfigError, MailError

log = logging.getLogger(__name__)

KIND_WORDS = {"silent": "has gone silent", "empty": "finds no articles", "failing": "is failing"}


@dataclass
class HealthReport:
    healths: list = field(default_factory=list)  # crawler.health.SourceHealth per source
    notified: list[dict] = field(default_factory=list)  # events sent this run
    pending: list[dict] = field(default_factory=list)  # events still to send (no operators, relay down)
    error: str | None = None

    def summary(self) -> str:
        bad = [h for h in self.healths if h.status in KIND_WORDS]
        text = f"health: {len(bad)} of {len(self.healths)} sources need attention"
        if self.notified:
            text += f", {len(self.notified)} operator alert(s) sent"
        if self.error:
            text += f"; operator alert not sent ({self.error})"
        return text


def operators(settings) -> list[str]:
    """The configured operator addresses, checked (a bad one names the setting to fix)."""
    out = []
    for address in settings.alerts.operators:
        try:
            out.append(check_address(address))
        except ConfigError as exc:
            raise ConfigError(f"in alerts.operators / PARALLAX_ALERTS_OPERATORS: {exc}") from None
    return out


def health_message(event: dict, source_name: str, settings) -> EmailMessage:
    msg = EmailMessage()
    frm = sender_address(settings.smtp.sender)
    what = KIND_WORDS.get(event["kind"], event["kind"])
    msg["Subject"] = f"[Parallax] source {event['source_id']} {what}"
    msg["From"] = frm
    msg["To"] = ", ".join(operators(settings))
    msg["Date"] = formatdate(usegmt=True)
    msg["Message-ID"] = make_msgid(idstring=f"health{event['id']}", domain=frm.domain)
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(
        f"Source: {source_name} ({event['source_id']})\n"
        f"Problem: {event['kind']} since {event['opened_at']}\n\n"
        f"{event['message']}\n\n"
        "You get this once per problem; it closes by itself when the source produces articles "
        f"again. See the status page: {settings.alerts.ui_url}/status\n", charset="utf-8")
    return msg


def alert_problem_message(name: str, error: str, settings) -> EmailMessage:
    """The one email that tells the operators an alert is not being delivered. The alert's name
    may be the very thing that is wrong with it, so it is shown escaped."""
    msg = EmailMessage()
    frm = sender_address(settings.smtp.sender)
    shown = printable(name)
    msg["Subject"] = f"[Parallax] alert {shown[:80]} is not being delivered"
    msg["From"] = frm
    msg["To"] = ", ".join(operators(settings))
    msg["Date"] = formatdate(usegmt=True)
    msg["Message-ID"] = make_msgid(idstring="alert-problem", domain=frm.domain)
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(
        f"Alert: {shown}\n"
        f"Problem: {printable(error)}\n\n"
        "The other alerts are delivered as usual; this one is retried on every run. You get this "
        "once per problem. See it with: parallax alerts list\n"
        f"Fix it with: parallax alerts edit, or remove it: parallax alerts remove NAME\n", charset="utf-8")
    return msg


def check_and_notify(store, settings, sources, mailer: Mailer | None = None) -> HealthReport:
    """Update every source's health events and email the new ones to the operators."""
    report = HealthReport()
    report.healths, events = check_sources(store, sources)
    recipients = operators(settings)
    if not events or not recipients:
        report.pending = events
        return report
    names = {s.id: s.name_en for s in sources}
    own = mailer is None
    mailer = mailer or Mailer(settings.smtp)
    try:
        for position, event in enumerate(events):
            msg = health_message(event, names.get(event["source_id"], event["source_id"]), settings)
            try:
                for recipient in recipients:
                    mailer.send(msg, recipient)
            except MailError as exc:
                report.error = str(exc)
                report.pending = events[position:]
                log.error("health alert for %s not sent: %s; the next run retries",
                          event["source_id"], exc)
                return report
            mark_notified(store, [event["id"]])
            report.notified.append(event)
    finally:
        if own:
            mailer.close()
    return report
