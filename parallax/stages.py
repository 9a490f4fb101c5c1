"""The stages in order — crawl, process, index — as functions the CLI, the demo and `run` share."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from crawler.sources import load_sources
from index.backends import open_backend
from index.store import Store
from parallax.errors import ConfigError

log = logging.getLogger(__name__)


def selected_sources(settings, only: list[str] | None = None, base: str | None = None):
    sources = load_sources(settings.sources or None, base=base)
    if only:
        known = {s.id for s in sources}
        missing = [s for s in only if s not in known]
        if missing:
            raise ConfigError(f"unknown source {missing[0]!r}; known: {', '.join(sorted(known))}")
        sources = [s for s in sources if s.id in only]
    return sources


def record_collections(settings, store, base: str | None = None) -> None:
    """Bring the store's record of collection membership in line with the sources file, so that
    `collection:` searches, exports and alerts follow an edited file without a crawl. A sources
    file that does not load leaves the record as it was (the crawl reports the file's error)."""
    try:
        configured = load_sources(settings.sources or None, base)
    except ConfigError as exc:
        log.warning("collections not refreshed: %s", exc)
        return
    store.record_collections(configured)


def crawl(settings, only: list[str] | None = None, base: str | None = None,
          recheck_days: float | None = None) -> dict[str, dict[str, int]]:
    from crawler.run import crawl as run_crawl

    return run_crawl(settings, selected_sources(settings, only, base), recheck_days=recheck_days)


def process(settings, progress=None, fill_translations: bool = False, scope: str | None = None):
    from nlp.pipeline import process as run_process

    with Store.open(settings) as store:
        return run_process(store, settings, progress, fill_translations=fill_translations, scope=scope)


def index(settings, rebuild: bool = False, progress=None, base: str | None = None) -> dict[str, int]:
    """Index what the store has that the index lacks; `base` is the demo site's address, which the
    bundled sources' `{base}` URLs need before the file loads."""
    with Store.open(settings) as store:
        record_collections(settings, store, base)
        backend = open_backend(settings, store)
        return backend.rebuild(store, progress) if rebuild else backend.sync(store, progress)


def health(settings, base: str | None = None, notify: bool = True):
    """Each source's health after a crawl; new problems are emailed once to `alerts.operators`
    (with `notify`). Returns an `alerts.operators.HealthReport`."""
    from alerts.operators import HealthReport, check_and_notify
    from crawler.health import check_sources

    sources = selected_sources(settings, base=base)
    with Store.open(settings) as store:
        if notify:
            return check_and_notify(store, settings, sources)
        report = HealthReport()
        report.healths, report.pending = check_sources(store, sources)
        return report


def alerts(settings, now=None):
    """Send the alerts that are due; returns an `alerts.runner.AlertsReport`."""
    from alerts.runner import run_alerts

    with Store.open(settings) as store:
        return run_alerts(store, open_backend(settings, store), settings, now=now)


@dataclass
class CycleReport:
    crawl: dict = field(default_factory=dict)
    process: object = None
    index: dict = field(default_factory=dict)
    health: object = None  # alerts.operators.HealthReport
    alerts: object = None  # AlertsReport when the cycle ran the alerts
    stopped_after: str | None = None  # the last step done when a stop was requested mid-cycle


def cycle(settings, progress=None, base: str | None = None, *, with_alerts: bool = False,
          should_stop=None) -> CycleReport:
    """One pass of the whole pipeline: crawl (then each source's health, new problems emailed to
    the operators when `with_alerts`), process, index and (with `with_alerts`) alerts.

    `should_stop` is checked between steps: each step commits its own work, so stopping there
    loses nothing and the next cycle picks up where this one ended.
    """
    report = CycleReport()
    steps = [
        ("crawl", lambda: crawl(settings, base=base)),
        ("process", lambda: process(settings, progress)),
        ("index", lambda: index(settings, progress=progress, base=base)),
    ]
    if with_alerts:
        steps.append(("alerts", lambda: alerts(settings)))
    for name, step in steps:
        setattr(report, name, step())
        if name == "crawl":
            # The sources' health is judged on the crawl just done, before any stop request.
            report.health = health(settings, base=base, notify=with_alerts)
        if should_stop is not None and should_stop() and name != steps[-1][0]:
            report.stopped_after = name
            break
    return report
