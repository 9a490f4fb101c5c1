"""Exports onto hostile targets: a full device as standard output, and non-regular files.

Bad input tried: `--output - > /dev/full` (every write fails with ENOSPC), a FIFO as the output
file with and without --force, and a FIFO where the manifest would go. Each is one line on stderr
and exit code 1, and the FIFO is still a FIFO afterwards.
"""

from __future__ import annotations

import os
import stat
import subprocess

import pytest

from tests.conftest import PARALLAX, ROOT, make_settings
from tests.export_fixtures import build_store


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("targets") / "data"
    build_store(make_settings(path))
    return path


def _export(data_dir, *args, stdout=subprocess.PIPE):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARALLAX_")}
    return subprocess.run([*PARALLAX, "--data-dir", str(data_dir), "export", *args], stdout=stdout,
                          stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT, timeout=120)


def test_standard_output_on_a_full_device_is_one_line_and_exit_1(data_dir):
    with open("/dev/full", "wb") as full:
        done = _export(data_dir, "--output", "-", "--format", "jsonl", stdout=full)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("Error: ") and "No space left on device" in lines[0]


@pytest.mark.parametrize("force", [False, True])
def test_a_fifo_as_output_is_refused_even_with_force(data_dir, tmp_path, force):
    fifo = tmp_path / "out.jsonl"
    os.mkfifo(fifo)
    done = _export(data_dir, "--output", str(fifo), *(["--force"] if force else []))
    assert done.returncode == 1
    assert done.stderr.startswith("Error: ") and "not a regular file" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_a_fifo_where_the_manifest_goes_is_refused_with_force(data_dir, tmp_path):
    os.mkfifo(tmp_path / "out.csv.manifest.json")
    done = _export(data_dir, "--output", str(tmp_path / "out.csv"), "--force")
    assert done.returncode == 1 and "not a regular file" in done.stderr
    assert not (tmp_path / "out.csv").exists()
    assert stat.S_ISFIFO(os.lstat(tmp_path / "out.csv.manifest.json").st_mode)
