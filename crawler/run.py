"""Running a crawl: every entry point of every chosen source, in a child process.

Twisted's reactor cannot be restarted inside one process, and `parallax run --every 30m` crawls
many times; so each crawl runs in a fresh child process and reports back through the store
(`crawl_runs`). The parent waits and returns the per-source counts.
"""

from __future__ import annotations

import json
import logging
import pickle
import subprocess
import sys
from dataclasses import dataclass, field

from parallax.errors import ParallaxError

log = logging.getLogger(__name__)


@dataclass
class Tally:
    """Per-source counts for one crawl run, kept in the child process."""

    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    errors: dict[str, list[dict]] = field(default_factory=dict)
    requested: dict[str, set[str]] = field(default_factory=dict)

    def _c(self, source_id: str) -> dict[str, int]:
        return self.counts.setdefault(source_id, {"fetched": 0, "new": 0, "updated": 0,
                                                  "unchanged": 0, "failed": 0, "skipped_known": 0})

    def fetched(self, source_id: str) -> None:
        self._c(source_id)["fetched"] += 1

    def skip_known(self, source_id: str) -> None:
        self._c(source_id)["skipped_known"] += 1

    def stored(self, source_id: str, outcome: str, doc) -> None:
        self._c(source_id)[outcome] += 1
        if doc.status == "extract_failed":
            self.failed(source_id, doc.url, doc.error or "extraction failed", fetched=True)

    def failed(self, source_id: str, url: str, reason: str, fetched: bool = False) -> None:
        self._c(source_id)["failed"] += 1
        self.errors.setdefault(source_id, []).append({"url": url, "reason": reason})


def crawl(settings, sources, recheck_urls: set[str] | None = None) -> dict[str, dict[str, int]]:
    """Crawl the given sources in a child process; returns {source_id: counts}.

    The child gets its arguments pickled on stdin and answers with JSON on stdout; its log goes
    to our stderr. A child that dies (killed, out of memory) has lost nothing already stored.
    """
    from index.store import Store

    with Store.open(settings) as store:
        for source in sources:
            store.upsert_source(source)
    payload = pickle.dumps((settings, list(sources), set(recheck_urls or ())))
    child = subprocess.run([sys.executable, "-m", "crawler.run"], input=payload,
                           stdout=subprocess.PIPE, check=False)
    try:
        outcome = json.loads(child.stdout.decode("utf-8").strip().splitlines()[-1])
    except (ValueError, IndexError):
        outcome = None
    if child.returncode != 0 or not isinstance(outcome, dict):
        raise ParallaxError(f"the crawl process stopped unexpectedly (exit code {child.returncode}); "
                            "run again: nothing stored so far is lost")
    if "error" in outcome:
        raise ParallaxError(f"the crawl failed: {outcome['error']}")
    return outcome["counts"]


def _exit_with_parent() -> None:
    """Stop the crawl if the parent dies (killed, crashed): an orphan would race the next run."""
    import os
    import threading
    import time

    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if os.getppid() != parent:
                os._exit(3)

    threading.Thread(target=watch, daemon=True, name="parent-watch").start()


def _child_main() -> None:
    settings, sources, recheck = pickle.loads(sys.stdin.buffer.read())
    _exit_with_parent()
    try:
        counts = run_in_this_process(settings, sources, recheck)
    except ParallaxError as exc:
        print(json.dumps({"error": str(exc)}))
        return
    print(json.dumps({"counts": counts}))


def run_in_this_process(settings, sources, recheck_urls: set[str] | None = None) -> dict:
    """The crawl itself. Only call in a process that has not run a Twisted reactor yet."""
    from scrapy.crawler import CrawlerProcess

    from crawler.settings import scrapy_settings
    from crawler.spiders import SPIDERS
    from index.store import Store

    tally = Tally()
    with Store.open(settings) as store:
        runs = {s.id: store.start_crawl_run(s.id) for s in sources}
        known = {s.id: store.known_urls(s.id) for s in sources}
    process = CrawlerProcess(scrapy_settings(settings))
    for source in sources:
        for entry in source.entries:
            process.crawl(SPIDERS[entry.type], source=source, entry=entry, tally=tally,
                          known=known[source.id], recheck=recheck_urls or set())
    process.start()
    with Store.open(settings) as store:
        for source in sources:
            counts = tally._c(source.id)
            store.finish_crawl_run(runs[source.id], counts, tally.errors.get(source.id, []))
    return {s.id: tally._c(s.id) for s in sources}


if __name__ == "__main__":
    _child_main()
