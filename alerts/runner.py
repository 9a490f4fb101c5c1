"""Running the alerts: match, render, send, record — so that every hit arrives once.

For each due alert and each recipient the runner sends one digest and, as soon as the relay has
accepted it, records every document it accounts for in `alert_deliveries` in one transaction. An
alert's `last_seq` and `last_run_at` move forward only when all its recipients are settled, so a
failure of any kind (relay down, timeout, refused address) leaves the work due for the next run,
and what did go out is never sent again.

Each saved search is delivered on its own: one that cannot be checked, rendered or sent (a name
with a line separator stored by an older version, a bug, a refused address) is reported — in the
log, as its last error in `alerts list`, and once to `alerts.operators` — and the others go.

The one window for a duplicate: the relay accepted a digest and the process died before the
transaction recording it committed (a few milliseconds of local SQLite work). The next run then
sends that digest again, with the same Message-ID (derived from the alert, the recipient and the
documents), so mail systems that deduplicate by Message-ID drop the copy.
"""

from __future__ import annotations

import fcntl
import logging
import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone

import copy

from alerts.changes import owed_changes, record_changes
from alerts.digest import Digest, render, sender_address, to_message
from alerts.headers import printable
from alerts.mailer import DeliveryUncertain, Mailer, RecipientRefused, RelayUnavailable
from alerts.notices import changes_message, changes_notice, hits_notice
from alerts.matching import NewDocuments, match
from alerts.saved import SavedSearch, SavedSearches, validate
from alerts.schedule import is_due
from alerts.webhooks import WebhookFailed, channel_key, payload, post, shown
from parallax.errors import MailError, ParallaxError

log = logging.getLogger(__name__)


@dataclass
class AlertOutcome:
    name: str
    due: bool
    sent: dict[str, int] = field(default_factory=dict)  # recipient or channel -> hits in the digest
    changes: dict[str, int] = field(default_factory=dict)  # recipient or channel -> edits/withdrawals told
    failures: dict[str, str] = field(default_factory=dict)  # recipient -> reason
    not_attempted: list[str] = field(default_factory=list)  # relay went away before their turn
    error: str | None = None  # the alert itself could not be checked, rendered or sent

    @property
    def settled(self) -> bool:
        return not self.failures and not self.not_attempted and self.error is None

    def problem(self, relay_error: str | None) -> str | None:
        """Why this run did not deliver everything it owed, in one line; None when it did."""
        if self.error:
            return self.error
        parts = [f"{r}: {why}" for r, why in self.failures.items()]
        if self.not_attempted:
            parts.append(f"not attempted for {', '.join(self.not_attempted)}"
                         + (f" ({relay_error})" if relay_error else ""))
        return "; ".join(parts) or None


@dataclass
class AlertsReport:
    alerts: list[AlertOutcome] = field(default_factory=list)
    relay_error: str | None = None

    @property
    def messages_sent(self) -> int:
        return sum(len(a.sent) for a in self.alerts)

    @property
    def failures(self) -> list[tuple[str, str, str]]:
        """(alert, recipient, why) of everything not delivered; a broken alert is one entry."""
        return [*((a.name, r, why) for a in self.alerts for r, why in a.failures.items()),
                *((a.name, "all its recipients", a.error) for a in self.alerts if a.error)]

    @property
    def ok(self) -> bool:
        return self.relay_error is None and not self.failures

    def summary(self) -> str:
        due = sum(1 for a in self.alerts if a.due)
        text = f"alerts: {due} due of {len(self.alerts)}, {self.messages_sent} messages sent"
        if self.failures:
            text += f", {len(self.failures)} failed"
        broken = sum(1 for a in self.alerts if a.error)
        if broken:
            text += f" ({broken} alert(s) could not be sent at all: see 'parallax alerts list')"
        if self.relay_error:
            text += "; relay unavailable"
        return text


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(timezone.utc)


def digests_for(store, backend, settings, saved: SavedSearch,
                documents: NewDocuments | None = None) -> list[Digest]:
    """The digests `saved` would send now, one per recipient that is owed something
    (`documents`: the run's documents, shared by its alerts)."""
    owed = match(store, backend, saved, settings.alerts.max_hits, documents)
    sources = documents.sources() if documents else store.sources()
    return [render(saved, pending, sources, settings.alerts.max_hits, settings.alerts.ui_url,
                   settings.alerts.digest_hour)
            for pending in owed if pending.items or pending.folded]


def preview(store, backend, settings, name: str) -> list[Digest]:
    """What `alerts test NAME` shows: the digests as they would go out now. Sends and records nothing."""
    saved = SavedSearches(store).get(name)
    return [d for d in digests_for(store, backend, settings, saved) if d.pending.items]


@contextmanager
def sending_lock(store):
    """One sender at a time per store: a second `alerts run` (say, by hand beside `parallax run`)
    waits for the first and then finds its deliveries recorded, instead of sending them again."""
    fd = os.open(store.path.with_name("alerts.lock"), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def run_alerts(store, backend, settings, now: datetime | None = None, force: bool = False,
               names: list[str] | None = None) -> AlertsReport:
    """Send every due, active alert (or only `names`; `force` ignores the schedule)."""
    with sending_lock(store):
        return _run_alerts(store, backend, settings, _now(now), force, names)


def _run_alerts(store, backend, settings, now, force, names) -> AlertsReport:
    report = AlertsReport()
    saved_searches = SavedSearches(store)
    chosen = [saved_searches.get(n) for n in names] if names else saved_searches.list()
    sender_address(settings.smtp.sender)  # a bad sender is a config error before anything is sent
    stamp = now.replace(microsecond=0).isoformat()
    documents = NewDocuments(store, alerts=[s for s in chosen if s.active])
    with Mailer(settings.smtp) as mailer:
        for saved in chosen:
            due = saved.active and (force or is_due(saved, now, settings.alerts.digest_hour))
            outcome = AlertOutcome(name=saved.name, due=due)
            report.alerts.append(outcome)
            if not due:
                continue
            if report.relay_error:
                # The relay went away for an earlier alert: its webhooks still get their batch.
                outcome.not_attempted = list(saved.recipients)
            try:
                # Checked again at send time: the store may hold what an older version accepted.
                validate(copy.deepcopy(saved))
                _run_one(store, backend, settings, saved, mailer, outcome, report, now, documents)
            except ParallaxError as exc:
                outcome.error = printable(str(exc))
                log.error("alert %s not delivered: %s; the other alerts go on", printable(saved.name),
                          outcome.error)
            except Exception as exc:  # a bug met by one alert must not stop the others
                outcome.error = printable(f"{type(exc).__name__}: {exc}")
                log.exception("alert %s not delivered: %s; the other alerts go on",
                              printable(saved.name), outcome.error)
            problem = outcome.problem(report.relay_error)
            if problem:
                saved_searches.record_error(saved.name, problem, stamp)
            elif outcome.settled:
                saved_searches.clear_error(saved.name)
        if report.relay_error is None:
            _tell_operators(saved_searches, settings, mailer, stamp)
    return report


def _tell_operators(saved_searches: SavedSearches, settings, mailer: Mailer, stamp: str) -> None:
    """Each failing alert once to `alerts.operators`; marked told only when all accepted it."""
    from alerts.operators import alert_problem_message, operators

    recipients = operators(settings)
    if not recipients:
        return
    for name, error in saved_searches.untold_errors():
        msg = alert_problem_message(name, error, settings)
        try:
            for recipient in recipients:
                mailer.send(msg, recipient)
        except MailError as exc:
            log.error("operators not told that alert %s fails: %s; the next run retries",
                      printable(name), exc)
            return
        saved_searches.mark_told(name, stamp)


def _run_one(store, backend, settings, saved, mailer, outcome, report, now, documents) -> None:
    watermark = backend.indexed_through()
    digests = digests_for(store, backend, settings, saved, documents)
    channels = {channel_key(c["url"]): c for c in saved.channels}
    # Webhooks first: an email relay that is down does not hold them back.
    digests.sort(key=lambda d: d.recipient not in channels)
    for digest in digests:
        if not digest.pending.items:
            _record(store, digest, None, now)  # only near-duplicates: settle them silently
            continue
        target = shown(digest.recipient)  # as printed: webhook passwords redacted
        if digest.recipient in channels:
            try:
                _post(channels[digest.recipient], hits_notice(digest, saved, settings), settings)
            except WebhookFailed as exc:
                outcome.failures[target] = str(exc)
                log.warning("alert %r: %s", saved.name, exc)
                continue
            _record(store, digest, None, now)
            outcome.sent[target] = digest.pending.count
            log.info("alert %r: posted %d hits to %s", saved.name, digest.pending.count, target)
            continue
        if report.relay_error:
            if digest.recipient not in outcome.not_attempted:
                outcome.not_attempted.append(digest.recipient)
            continue
        msg = to_message(digest, settings.smtp.sender)
        try:
            mailer.send(msg, digest.recipient)
        except RecipientRefused as exc:
            outcome.failures[digest.recipient] = str(exc)
            log.warning("alert %r: %s; the next run retries", saved.name, exc)
            continue
        except DeliveryUncertain as exc:
            report.relay_error = str(exc)
            outcome.failures[digest.recipient] = str(exc)
            log.error("alert %r: %s", saved.name, exc)
            continue
        except RelayUnavailable as exc:
            report.relay_error = str(exc)
            outcome.not_attempted.append(digest.recipient)
            log.error("alert %r: %s", saved.name, exc)
            continue
        _record(store, digest, msg["Message-ID"], now)
        outcome.sent[digest.recipient] = digest.pending.count
        log.info("alert %r: sent %d hits to %s", saved.name, digest.pending.count, digest.recipient)
    if saved.on_changes:
        _send_changes(store, settings, saved, channels, mailer, outcome, report, now)
    if outcome.settled:
        SavedSearches(store).advance(saved.name, watermark, now.replace(microsecond=0).isoformat())


def _post(channel: dict, notice, settings) -> None:
    post(channel["url"], payload(channel["format"], notice), settings.alerts.webhook_timeout)


def _send_changes(store, settings, saved, channels, mailer, outcome, report, now) -> None:
    """Edits and withdrawals of what this alert sent before: one message per target, each once."""
    sent_at = now.replace(microsecond=0).isoformat()
    for target in saved.targets():
        changes = owed_changes(store, saved.name, target)
        if not changes:
            continue
        try:
            if target in channels:
                _post(channels[target], changes_notice(saved, changes, store, settings), settings)
            elif report.relay_error:
                if target not in outcome.not_attempted:
                    outcome.not_attempted.append(target)
                continue
            else:
                mailer.send(changes_message(saved, target, changes, store, settings), target)
        except (WebhookFailed, RecipientRefused, DeliveryUncertain) as exc:
            outcome.failures[shown(target)] = str(exc)
            log.warning("alert %r: changes not delivered to %s: %s", saved.name, shown(target), exc)
            if isinstance(exc, DeliveryUncertain):
                report.relay_error = str(exc)
            continue
        except RelayUnavailable as exc:
            report.relay_error = str(exc)
            outcome.not_attempted.append(target)
            continue
        record_changes(store, saved.name, target, changes, sent_at)
        outcome.changes[shown(target)] = len(changes)
        log.info("alert %r: told %s of %d edited or withdrawn statements", saved.name, shown(target),
                 len(changes))


def _record(store, digest: Digest, msg_id: str | None, now: datetime) -> None:
    sent_at = now.replace(microsecond=0).isoformat()
    rows = [(digest.alert, doc.id, digest.recipient, outcome, doc.content_hash, doc.cluster_id,
             msg_id, sent_at) for doc, outcome in digest.outcomes()]
    SavedSearches(store).record_deliveries(rows)

