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

from parallax.errors import ParallaxError

log = logging.getLogger(__name__)


def run_child(module: str, args: tuple) -> tuple[int, dict | None]:
    """Run `python -m module` with `args` pickled on its stdin; (exit code, its last stdout line as
    a JSON object, or None when it printed none). Scrapy's reactor gets a fresh process each time."""
    child = subprocess.run([sys.executable, "-m", module], input=pickle.dumps(args),
                           stdout=subprocess.PIPE, check=False)
    try:
        outcome = json.loads(child.stdout.decode("utf-8").strip().splitlines()[-1])
    except (ValueError, IndexError):
        outcome = None
    return child.returncode, outcome if isinstance(outcome, dict) else None


def crawl(settings, sources, recheck_urls: set[str] | None = None,
          recheck_days: float | None = None) -> dict[str, dict[str, int]]:
    """Crawl the given sources in a child process; returns {source_id: counts}.

    Known articles are never fetched again, except those in `recheck_urls` and those published
    (first seen, when undated) in the last `recheck_days` days: an edit or a withdrawal of a
    statement is caught by fetching it again.

    The child gets its arguments pickled on stdin and answers with JSON on stdout; its log goes
    to our stderr. A child that dies (killed, out of memory) has lost nothing already stored.
    """
    from index.store import Store

    with Store.open(settings) as store:
        for source in sources:
            store.upsert_source(source)
        if recheck_days is not None:
            from crawler.accounting import recent_urls

            recheck_urls = set(recheck_urls or ()) | recent_urls(store, [s.id for s in sources], recheck_days)
    code, outcome = run_child("crawler.run", (settings, list(sources), set(recheck_urls or ())))
    if code != 0 or outcome is None:
        raise ParallaxError(f"the crawl process stopped unexpectedly (exit code {code}); "
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

    from crawler.accounting import Tally
    from crawler.records import CrawlRecords

    tally = Tally()
    alone = _crawl_lock(settings)
    with Store.open(settings) as store:
        records = CrawlRecords(store)
        if alone:
            closed = records.close_interrupted()
            if closed:
                log.warning("closed %d crawl run(s) left open by a crawl that did not finish", closed)
        runs = {s.id: records.start_run(s.id) for s in sources}
        # Every stored URL, whichever source stored it: an article found by two sources (a
        # statement in a feed and republished in a listing) is one document, fetched once.
        known_anywhere = records.known_urls()
        known = {s.id: known_anywhere for s in sources}
        fetch_state = records.fetch_state()
    process = CrawlerProcess(scrapy_settings(settings))
    for source in sources:
        for entry in source.entries:
            process.crawl(SPIDERS[entry.type], source=source, entry=entry, tally=tally,
                          known=known[source.id], recheck=recheck_urls or set(),
                          fetch_state=fetch_state)
    process.start()
    from crawler.withdrawals import record_listings_and_withdrawals

    with Store.open(settings) as store:
        records = CrawlRecords(store)
        records.save_fetch_state(tally.fetch_state)
        withdrawn = record_listings_and_withdrawals(store, [s.id for s in sources], tally)
        for source in sources:
            tally.source_counts(source.id)["withdrawn"] = withdrawn.get(source.id, 0)
            records.finish_run(runs[source.id], tally.source_counts(source.id), tally.errors.get(source.id, []))
    return {s.id: tally.source_counts(s.id) for s in sources}


_LOCK: dict[str, int] = {}


def _crawl_lock(settings) -> bool:
    """Hold `<data_dir>/crawl.lock` shared for this process's life (the kernel drops it when the
    process dies, however it dies). Returns True when no other crawl held it: open runs in the
    store then belong to crawls that are dead."""
    import fcntl
    import os

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(settings.data_dir / "crawl.lock", os.O_RDWR | os.O_CREAT, 0o644)
    _LOCK["fd"] = fd
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        alone = True
    except BlockingIOError:
        alone = False
    fcntl.flock(fd, fcntl.LOCK_SH)
    return alone


if __name__ == "__main__":
    _child_main()
