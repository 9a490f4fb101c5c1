"""Export streams: 200,000 generated documents go out with resident memory nearly flat.

Each export runs in a fresh child process (`export_bulk.probe`) that reads its resident set
before the export, resets the kernel's high-water mark, and reads the peak (VmHWM) after; so the
number is measured, not estimated, and covers SQLite, Arrow and openpyxl allocations that
tracemalloc cannot see.

Bound: the export may grow the process by at most 64 MiB. The data it writes is far larger
(about 250 MB of CSV, 350 MB of JSONL, and Parquet's in-memory table would be larger still), so
any writer that buffered the result would fail. Measured here: about 13 MiB for JSONL and CSV,
about 46 MiB for Parquet (row groups of 1,000), about 7 MiB for xlsx.

xlsx runs on the December documents only, a twelfth (openpyxl writes about 5,000 rows/s, so 200k
would take 40 s alone); its write-only mode spools rows to a temporary file, so its memory does
not depend on the count.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.conftest import ROOT, make_settings
from tests.export_bulk import fill

DOCUMENTS = 200_000
BOUND_KIB = 64 * 1024


@pytest.fixture(scope="module")
def big_store(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("bulk") / "data"
    fill(make_settings(data_dir), DOCUMENTS)
    return data_dir


def probe(data_dir: Path, fmt: str, output: Path, query: str = "") -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARALLAX_")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(ROOT / "tests")])
    result = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "export_bulk.py"), "probe", str(data_dir), fmt, str(output), query],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    print(f"\n{fmt}: {report['documents']} documents in {report['seconds']:.1f}s "
          f"({report['documents'] / report['seconds']:,.0f} docs/s), {report['bytes'] / 1e6:.0f} MB written, "
          f"resident growth {report['growth_kib'] / 1024:.1f} MiB")
    return report


def lines_in(path: Path) -> int:
    count = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            count += chunk.count(b"\n")
    return count


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_exporting_200k_documents_keeps_memory_under_64_mib(big_store, tmp_path, fmt):
    output = tmp_path / f"all.{fmt}"
    report = probe(big_store, fmt, output)
    assert report["documents"] == DOCUMENTS
    assert report["bytes"] == output.stat().st_size
    assert report["growth_kib"] < BOUND_KIB, f"{fmt} export grew memory by {report['growth_kib']} KiB"
    if fmt == "parquet":
        assert pq.read_metadata(output).num_rows == DOCUMENTS
        assert report["bytes"] > BOUND_KIB * 1024 / 2  # compressed, yet not trivially small
    else:
        assert report["bytes"] > 3 * BOUND_KIB * 1024  # several times the bound: buffering would show
    if fmt == "jsonl":
        assert lines_in(output) == DOCUMENTS


@pytest.mark.slow
def test_exporting_december_to_xlsx_keeps_memory_under_64_mib(big_store, tmp_path):
    output = tmp_path / "december.xlsx"
    report = probe(big_store, "xlsx", output, "after:2025-12-01")
    assert report["documents"] == sum(1 for i in range(DOCUMENTS) if i % 12 == 11)  # month = 1 + i % 12
    assert report["growth_kib"] < BOUND_KIB, f"xlsx export grew memory by {report['growth_kib']} KiB"
