"""`parallax ui`: the streamlit command line it builds, and bad options refused with a clear error."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from parallax.cli import ui_command
from tests.conftest import PARALLAX, ROOT, run_cli
from tests.ui_server import _healthy, free_port


def test_ui_command_serves_this_tree_with_the_chosen_data_and_config(settings, tmp_path):
    config = tmp_path / "parallax.toml"
    config.write_text("[ui]\nport = 8600\n")
    settings = settings.replace(ui=dataclasses.replace(settings.ui, port=8765))
    command, env = ui_command(settings, str(config))
    assert command[:4] == [sys.executable, "-m", "streamlit", "run"]
    assert Path(command[4]) == ROOT / "ui" / "app.py"
    assert command[command.index("--server.address") + 1] == "127.0.0.1"
    assert command[command.index("--server.port") + 1] == "8765"
    assert env["PARALLAX_DATA_DIR"] == str(settings.data_dir)
    assert env["PARALLAX_CONFIG"] == str(config.resolve())
    assert env["PYTHONPATH"].split(":")[0] == str(ROOT)


def test_ui_refuses_a_port_out_of_range():
    result = run_cli("ui", "--port", "70000")  # bad input: no such TCP port
    assert result.returncode == 2
    assert "70000" in result.stderr and "1<=x<=65535" in result.stderr


def _children(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        return [int(p) for p in f.read().split()]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.slow
def test_sigterm_to_parallax_ui_stops_streamlit_too(tmp_path):
    """Only the `parallax ui` process gets SIGTERM (as a service manager sends it): the Streamlit
    server it started must be gone and its port closed, and the command exits 0."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARALLAX_")}
    env.update(PARALLAX_DATA_DIR=str(tmp_path / "data"), PARALLAX_UI_PORT=str(port), PYTHONPATH=str(ROOT))
    log = tmp_path / "ui.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([*PARALLAX, "ui"], env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not _healthy(f"http://127.0.0.1:{port}"):
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text(errors="replace")
            time.sleep(0.3)
        [streamlit] = _children(proc.pid)
        assert _alive(streamlit)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        assert not _alive(streamlit)
        assert not _healthy(f"http://127.0.0.1:{port}")
        assert "Parallax UI stopped." in log.read_text()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
