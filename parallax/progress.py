"""Progress for long commands: a live bar on a terminal, plain (or JSON) log lines elsewhere.

Cron and CI read logs, people read bars; the same calls serve both. Library code receives a
`Progress` and never prints.
"""

from __future__ import annotations

import json
import logging
import sys
import time

log = logging.getLogger("parallax")


class Progress:
    """start(stage, total) → advance(n)… → finish(). Logs every ~5 s when not on a terminal."""

    def __init__(self, interactive: bool | None = None, json_logs: bool = False):
        self.interactive = sys.stderr.isatty() if interactive is None else interactive
        self.json_logs = json_logs
        self._bar = None
        self.stage = ""
        self.total = 0
        self.done = 0
        self.started = 0.0
        self._last_log = 0.0

    def start(self, stage: str, total: int) -> None:
        self.stage, self.total, self.done = stage, total, 0
        self.started = self._last_log = time.monotonic()
        if self.interactive and total:
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress as Bar,
                                       TextColumn, TimeRemainingColumn)

            self._bar = Bar(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                            TextColumn("{task.fields[rate]}"), TimeRemainingColumn(), transient=True)
            self._bar.start()
            self._task = self._bar.add_task(stage, total=total, rate="")
        else:
            self.event(f"{stage}: {total} to do", stage=stage, total=total)

    def advance(self, n: int = 1) -> None:
        self.done += n
        rate = self.done / max(time.monotonic() - self.started, 1e-6)
        if self._bar is not None:
            self._bar.update(self._task, advance=n, rate=f"{rate:.1f}/s")
        elif time.monotonic() - self._last_log > 5:
            self._last_log = time.monotonic()
            left = (self.total - self.done) / rate if rate else 0
            self.event(f"{self.stage}: {self.done}/{self.total} ({rate:.1f}/s, {left:.0f}s left)",
                       stage=self.stage, done=self.done, total=self.total, rate=round(rate, 2))

    def finish(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
        seconds = time.monotonic() - self.started
        self.event(f"{self.stage}: {self.done} done in {seconds:.1f}s", stage=self.stage,
                   done=self.done, seconds=round(seconds, 2))

    def event(self, message: str, **fields) -> None:
        if self.json_logs:
            print(json.dumps({"time": time.strftime("%Y-%m-%dT%H:%M:%S"), "message": message, **fields},
                             ensure_ascii=False), file=sys.stderr)
        elif not self.interactive:
            log.info(message)
