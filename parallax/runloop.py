"""`parallax run`: the pipeline cycle once or on a schedule, never two at a time, stoppable.

A lock file in the data directory (an advisory `flock`, released by the kernel when the process
ends, so a crash leaves no stale lock) keeps a second `run` on the same data from overlapping the
first. A stop request (SIGTERM, SIGINT) is honoured between steps, each of which commits its own
work; during the wait between cycles it takes effect at once.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from parallax import stages
from parallax.errors import ConfigError, ParallaxError, StoreError

log = logging.getLogger("parallax.run")

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
LOCK_NAME = "run.lock"


def parse_interval(text: str) -> float:
    """'30m' → 1800.0. Units: s, m, h, d; parts may be combined ('1h30m')."""
    cleaned = (text or "").strip().lower()
    parts = re.findall(r"(\d+)\s*([smhd])", cleaned)
    if not parts or re.sub(r"(\d+)\s*([smhd])", "", cleaned).strip():
        raise ConfigError(f"interval {text!r} is not understood; write a number with a unit, "
                          "e.g. 30m, 2h, 1h30m or 45s")
    seconds = float(sum(int(n) * _UNITS[u] for n, u in parts))
    if seconds < 1:
        raise ConfigError(f"interval {text!r} is zero; give at least 1s, e.g. 30m")
    return seconds


class RunLock:
    """Exclusive lock on `<data_dir>/run.lock`; `AlreadyRunning` if another process holds it."""

    def __init__(self, data_dir: Path):
        self.path = Path(data_dir) / LOCK_NAME
        self._fd: int | None = None

    def __enter__(self) -> "RunLock":
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise StoreError(f"cannot create the run lock {self.path}: {exc.strerror}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 64).decode("ascii", "replace").strip() or "unknown"
            os.close(fd)
            raise AlreadyRunning(
                f"another 'parallax run' (pid {holder}) is already running on {self.path.parent}; "
                "wait for it to finish or stop it (kill -TERM that pid)") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode("ascii"))
        self._fd = fd
        return self

    def __exit__(self, *exc) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


class AlreadyRunning(ParallaxError):
    """A second `parallax run` on the same data directory."""


def install_stop_handlers(stop: threading.Event) -> None:
    """SIGTERM and SIGINT set `stop` instead of killing the process mid-write."""

    def handler(signum, frame):
        if stop.is_set() and signum == signal.SIGINT:
            raise KeyboardInterrupt  # a second Ctrl-C means now
        log.info("received %s: stopping after the current step", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


@dataclass
class LoopOutcome:
    cycles: int = 0
    failed_cycles: int = 0
    stopped: bool = False
    last_error: str | None = None


def describe_cycle(number: int, report: stages.CycleReport, seconds: float) -> str:
    crawl = report.crawl or {}
    new = sum(c.get("new", 0) for c in crawl.values())
    updated = sum(c.get("updated", 0) for c in crawl.values())
    failed = sum(c.get("failed", 0) for c in crawl.values())
    processed = getattr(report.process, "processed", 0)
    indexed = (report.index or {}).get("indexed", 0)
    text = (f"cycle {number}: crawled {new} new, {updated} updated, {failed} failed; "
            f"processed {processed}; indexed {indexed}")
    if report.health is not None:
        text += f"; {report.health.summary()}"
    if report.alerts is not None:
        text += f"; {report.alerts.summary()}"
    if report.stopped_after:
        text += f"; stopped after {report.stopped_after}"
    return f"{text} ({seconds:.1f}s)"


def run(settings, every: float | None, stop: threading.Event, progress=None,
        base: str | None = None) -> LoopOutcome:
    """Cycles until done (one when `every` is None) or `stop` is set; holds the run lock throughout.

    With `every`, a failed cycle is logged and the loop goes on (the next cycle retries what
    failed); without it, the failure is raised for the caller to report.
    """
    outcome = LoopOutcome()
    with RunLock(settings.data_dir):
        while not stop.is_set():
            number = outcome.cycles + 1
            started = time.monotonic()
            log.info("cycle %d: starting", number)
            try:
                report = stages.cycle(settings, progress, base=base, with_alerts=True,
                                      should_stop=stop.is_set)
            except ParallaxError as exc:
                outcome.cycles += 1
                outcome.failed_cycles += 1
                outcome.last_error = str(exc)
                if stop.is_set():
                    log.warning("cycle %d: stopped during a step (%s); what was stored is kept", number, exc)
                    break
                if every is None:
                    raise
                log.error("cycle %d failed: %s; retrying in %.0fs", number, exc, every)
            else:
                outcome.cycles += 1
                log.info(describe_cycle(number, report, time.monotonic() - started))
                if report.alerts is not None and not report.alerts.ok:
                    outcome.failed_cycles += 1
                    outcome.last_error = report.alerts.relay_error or "; ".join(
                        f"{name} → {recipient}: {why}" for name, recipient, why in report.alerts.failures)
                    log.error("cycle %d: alerts not delivered (the next cycle retries): %s",
                              number, outcome.last_error)
                elif report.alerts is not None:
                    outcome.last_error = None
            if every is None:
                break
            if stop.wait(every):
                break
    outcome.stopped = stop.is_set()
    if outcome.stopped:
        log.info("stopped cleanly after %d cycle(s)", outcome.cycles)
    return outcome
