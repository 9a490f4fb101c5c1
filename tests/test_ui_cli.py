"""`parallax ui`: the streamlit command line it builds, and bad options refused with a clear error."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

from parallax.cli import ui_command
from tests.conftest import ROOT, run_cli


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
