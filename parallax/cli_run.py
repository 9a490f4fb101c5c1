"""`parallax run`: crawl → process → index → alerts, once or on a schedule (`parallax.runloop`)."""

from __future__ import annotations

import threading

import click

from parallax.errors import MailError


@click.command("run")
@click.option("--every", metavar="INTERVAL",
              help="Repeat the cycle at this interval (e.g. 30m, 2h); default: one cycle.")
@click.pass_obj
def run(obj, every):
    """Crawl → process → index → alerts, once or every INTERVAL; SIGTERM stops cleanly."""
    from parallax import runloop

    interval = runloop.parse_interval(every) if every else None
    stop = threading.Event()
    runloop.install_stop_handlers(stop)
    outcome = runloop.run(obj.settings, interval, stop, progress=obj.progress())
    if outcome.stopped:
        click.echo(f"Stopped after {outcome.cycles} cycle(s).", err=True)
        return
    if interval is None and outcome.last_error:
        raise MailError(outcome.last_error)
