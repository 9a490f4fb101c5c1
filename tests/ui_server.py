"""`parallax ui` as a real Streamlit server for browser tests, and the Chromium they drive."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

from tests.conftest import PARALLAX, ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_ui(data_dir: Path, log: Path) -> Iterator[str]:
    """`parallax ui` (a real `streamlit run`) on a free port over `data_dir`; yields its URL once
    Streamlit answers its health check, and stops it (and its children) afterwards."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARALLAX_")}
    env.update(PARALLAX_DATA_DIR=str(data_dir), PARALLAX_UI_PORT=str(port), PYTHONPATH=str(ROOT))
    with open(log, "wb") as out:
        proc = subprocess.Popen([*PARALLAX, "ui"], env=env, cwd=ROOT, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if _healthy(url):
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"parallax ui did not start on {url}:\n{log.read_text(errors='replace')}")
            time.sleep(0.3)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _healthy(url: str) -> bool:
    """True once Streamlit answers its health check; a refused connection means not yet."""
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.read() == b"ok"
    except OSError:
        return False
