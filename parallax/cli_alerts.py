"""`parallax alerts …`: thin commands over `alerts/`."""

from __future__ import annotations

import click

from alerts.saved import FREQUENCIES, LANGUAGES
from alerts.webhooks import FORMATS as WEBHOOK_FORMATS
from parallax.cli_tables import table
from parallax.errors import MailError


def _targets(saved) -> str:
    """Recipients and webhooks as one line for the terminal (webhook passwords redacted)."""
    from alerts.webhooks import redact_url

    parts = [*saved.recipients, *(f"{redact_url(c['url'])} ({c['format']})" for c in saved.channels)]
    return ", ".join(parts) + ("; edits and withdrawals too" if saved.on_changes else "")


def _open(settings):
    from index.backends import open_backend
    from index.store import Store

    store = Store.open(settings)
    return store, open_backend(settings, store)


@click.group()
def alerts():
    """Saved searches that email new hits (see the README, "Alerts")."""


@alerts.command("add")
@click.argument("name")
@click.option("--query", "-q", required=True, help="The search, in the query language.")
@click.option("--to", "recipients", multiple=True, metavar="ADDR",
              help="Recipient address (repeat for several); at least one --to or --webhook.")
@click.option("--webhook", "webhooks", multiple=True, metavar="URL",
              help="Also POST each batch of new hits as JSON to this URL (repeat for several).")
@click.option("--webhook-format", type=click.Choice(WEBHOOK_FORMATS), default="generic", show_default=True,
              help="Message format of the webhooks: Parallax JSON, Slack, Feishu/Lark or DingTalk.")
@click.option("--on-changes", is_flag=True,
              help="Also tell when a statement this alert sent is later edited or withdrawn.")
@click.option("--every", "frequency", type=click.Choice(FREQUENCIES), default="immediate",
              show_default=True, help="immediate = every run; daily/weekly = a digest at alerts.digest_hour (UTC).")
@click.option("--lang", type=click.Choice(LANGUAGES), default="en", show_default=True,
              help="Language the email is written in.")
@click.option("--no-expand", is_flag=True, help="Match only the words as typed, not their translations.")
@click.pass_obj
def alerts_add(obj, name, query, recipients, webhooks, webhook_format, on_changes, frequency, lang,
               no_expand):
    """Save a search NAME that emails its new hits."""
    from alerts.saved import SavedSearch, SavedSearches
    from index.store import Store

    with Store.open(obj.settings) as store:
        saved = SavedSearches(store).add(SavedSearch(
            name=name, query=query, recipients=list(recipients), frequency=frequency, lang=lang,
            expand=not no_expand, channels=[{"url": u, "format": webhook_format} for u in webhooks],
            on_changes=on_changes))
    click.echo(f"Added alert {saved.name!r} ({saved.frequency}, {saved.lang}) → "
               f"{_targets(saved)}. It sends on the next 'parallax alerts run' or "
               f"'parallax run'; preview it with: parallax alerts test {saved.name!r}")


@alerts.command("edit")
@click.argument("name")
@click.option("--query", "-q", help="New search.")
@click.option("--to", "recipients", multiple=True, metavar="ADDR",
              help="New recipients (replace the old ones; repeat for several).")
@click.option("--every", "frequency", type=click.Choice(FREQUENCIES), help="New frequency.")
@click.option("--lang", type=click.Choice(LANGUAGES), help="New email language.")
@click.option("--expand/--no-expand", default=None, help="Match translations too, or not.")
@click.option("--pause/--resume", default=None, help="Stop sending for now, or start again.")
@click.option("--webhook", "webhooks", multiple=True, metavar="URL",
              help="New webhooks (replace the old ones; repeat for several).")
@click.option("--webhook-format", type=click.Choice(WEBHOOK_FORMATS), default="generic", show_default=True,
              help="Message format of the new webhooks.")
@click.option("--no-webhooks", is_flag=True, help="Remove every webhook of this alert.")
@click.option("--changes/--no-changes", "on_changes", default=None,
              help="Tell (or stop telling) when a statement this alert sent is edited or withdrawn.")
@click.pass_obj
def alerts_edit(obj, name, query, recipients, frequency, lang, expand, pause, webhooks, webhook_format,
                no_webhooks, on_changes):
    """Change alert NAME; what it already sent stays recorded and is not sent again."""
    from alerts.saved import SavedSearches
    from index.store import Store

    with Store.open(obj.settings) as store:
        searches = SavedSearches(store)
        saved = searches.get(name)
        if query is not None:
            saved.query = query
        if recipients:
            saved.recipients = list(recipients)
        if frequency:
            saved.frequency = frequency
        if lang:
            saved.lang = lang
        if expand is not None:
            saved.expand = expand
        if pause is not None:
            saved.active = not pause
        if no_webhooks:
            saved.channels = []
        if webhooks:
            saved.channels = [{"url": u, "format": webhook_format} for u in webhooks]
        if on_changes is not None:
            saved.on_changes = on_changes
        searches.update(saved)
    click.echo(f"Updated alert {saved.name!r}: {saved.query!r} → {_targets(saved)} "
               f"({saved.frequency}, {saved.lang}, {'active' if saved.active else 'paused'})")


@alerts.command("list")
@click.pass_obj
def alerts_list(obj):
    """Every alert with its schedule and last run."""
    from alerts.headers import printable
    from alerts.saved import SavedSearches
    from index.store import Store

    with Store.open(obj.settings) as store:
        found = SavedSearches(store).list()
        errors = SavedSearches(store).last_errors()
    if not found:
        click.echo("No alerts yet. Add one: parallax alerts add NAME --query Q --to ADDR")
        return
    table("Alerts", ["name", "query", "to", "every", "lang", "active", "last run", "seen up to"],
           [[printable(s.name), printable(s.query), printable(_targets(s)), s.frequency, s.lang,
             "yes" if s.active else "paused", s.last_run_at or "never", s.last_seq] for s in found])
    for name, error in errors.items():
        click.echo(f"{printable(name)}: last error: {printable(error)}")


@alerts.command("remove")
@click.argument("name")
@click.pass_obj
def alerts_remove(obj, name):
    """Delete alert NAME and its delivery records."""
    from alerts.saved import SavedSearches
    from index.store import Store

    with Store.open(obj.settings) as store:
        SavedSearches(store).remove(name)
    click.echo(f"Removed alert {name!r}.")


@alerts.command("test")
@click.argument("name")
@click.option("--html", "as_html", is_flag=True, help="Print the HTML part instead of the text.")
@click.pass_obj
def alerts_test(obj, name, as_html):
    """Print the digest alert NAME would send now; sends nothing and records nothing."""
    from alerts.runner import preview

    store, backend = _open(obj.settings)
    with store:
        digests = preview(store, backend, obj.settings, name)
    if not digests:
        click.echo(f"Nothing new for alert {name!r}: no matching document it has not sent.")
        return
    groups: dict[tuple[str, str], list[str]] = {}
    for d in digests:
        groups.setdefault((d.subject, d.html if as_html else d.text), []).append(d.recipient)
    for (subject, body), recipients in groups.items():
        click.echo(f"To: {', '.join(recipients)}")
        click.echo(f"Subject: {subject}")
        click.echo("")
        click.echo(body)


@alerts.command("run")
@click.argument("names", nargs=-1)
@click.option("--force", is_flag=True, help="Ignore the daily/weekly schedule: send what is owed now.")
@click.pass_obj
def alerts_run(obj, names, force):
    """Send every due alert (or only NAMES); exits 1 if anything could not be delivered."""
    from alerts.runner import run_alerts

    store, backend = _open(obj.settings)
    with store:
        report = run_alerts(store, backend, obj.settings, force=force, names=list(names) or None)
    from alerts.headers import printable

    for outcome in report.alerts:
        name = printable(outcome.name)
        if not outcome.due:
            click.echo(f"{name}: not due")
            continue
        for recipient, count in outcome.sent.items():
            click.echo(f"{name}: sent {count} hit(s) to {recipient}")
        for recipient, count in outcome.changes.items():
            click.echo(f"{name}: told {recipient} of {count} edited or withdrawn statement(s)")
        for recipient, why in outcome.failures.items():
            click.echo(f"{name}: NOT delivered to {recipient}: {why}", err=True)
        if outcome.error:
            click.echo(f"{name}: NOT delivered at all: {outcome.error}", err=True)
        if outcome.not_attempted:
            click.echo(f"{name}: not attempted for {', '.join(outcome.not_attempted)}", err=True)
        if outcome.due and outcome.settled and not outcome.sent and not outcome.changes:
            click.echo(f"{name}: nothing new")
    if report.relay_error:
        raise MailError(report.relay_error)
    if report.failures:
        raise MailError(f"{len(report.failures)} digest(s) not delivered (listed above); "
                        "they are retried on the next run")
