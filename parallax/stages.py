"""The stages in order — crawl, process, index — as functions the CLI, the demo and `run` share."""

from __future__ import annotations

from dataclasses import dataclass, field

from crawler.sources import load_sources
from index.search import open_backend
from index.store import Store
from parallax.errors import ConfigError


def selected_sources(settings, only: list[str] | None = None, base: str | None = None):
    sources = load_sources(settings.sources or None, base=base)
    if only:
        known = {s.id for s in sources}
        missing = [s for s in only if s not in known]
        if missing:
            raise ConfigError(f"unknown source {missing[0]!r}; known: {', '.join(sorted(known))}")
        sources = [s for s in sources if s.id in only]
    return sources


def crawl(settings, only: list[str] | None = None, base: str | None = None,
          recheck_days: float | None = None) -> dict[str, dict[str, int]]:
    from crawler.run import crawl as run_crawl

    return run_crawl(settings, selected_sources(settings, only, base), recheck_days=recheck_days)


def process(settings, progress=None):
    from nlp.pipeline import process as run_process

    with Store.open(settings) as store:
        return run_process(store, settings, progress)


def index(settings, rebuild: bool = False, progress=None) -> dict[str, int]:
    with Store.open(settings) as store:
        backend = open_backend(settings, store)
        return backend.rebuild(store, progress) if rebuild else backend.sync(store, progress)


@dataclass
class CycleReport:
    crawl: dict = field(default_factory=dict)
    process: object = None
    index: dict = field(default_factory=dict)


def cycle(settings, progress=None, base: str | None = None) -> CycleReport:
    """One pass of the whole pipeline."""
    report = CycleReport()
    report.crawl = crawl(settings, base=base)
    report.process = process(settings, progress)
    report.index = index(settings, progress=progress)
    return report
