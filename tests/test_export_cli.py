"""`parallax export` through its real interface: click's runner for the options, a child process for
standard output (data on stdout, manifest on stderr) and for the one-line errors."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess

import pandas as pd
import pytest
from click.testing import CliRunner

from tests.conftest import PARALLAX, ROOT, make_settings, run_cli
from tests.export_fixtures import DOCS, ZH_TITLE, build_store
from parallax.cli import cli


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "data"
    build_store(make_settings(path))
    return path


def invoke(data_dir, *args):
    return CliRunner().invoke(cli, ["--data-dir", str(data_dir), "export", *args], catch_exceptions=False)


def test_export_writes_file_and_manifest_and_says_so(data_dir, tmp_path):
    out = tmp_path / "zh.parquet"
    result = invoke(data_dir, "lang:zh", "--output", str(out))  # format from the extension
    assert result.exit_code == 0, result.output
    assert f"Exported 2 documents to {out} (parquet" in result.output
    assert len(pd.read_parquet(out)) == 2
    manifest = json.loads((tmp_path / "zh.parquet.manifest.json").read_text(encoding="utf-8"))
    assert manifest["query"] == "lang:zh" and manifest["documents"] == 2


def test_query_words_and_lang_option_combine_like_search(data_dir, tmp_path):
    out = tmp_path / "q.jsonl"
    result = invoke(data_dir, "出口管制", "--lang", "zh", "--format", "jsonl", "-o", str(out))
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert {r["title"] for r in rows} == {ZH_TITLE}
    assert len(rows) == 2


def test_second_export_to_same_path_needs_force(data_dir, tmp_path):
    out = tmp_path / "twice.csv"
    assert invoke(data_dir, "-o", str(out)).exit_code == 0
    before = out.read_bytes()
    # Bad input: the same --output again without --force.
    refused = invoke(data_dir, "lang:en", "-o", str(out))
    assert refused.exit_code == 1
    assert "already exists; pass --force" in refused.output
    assert out.read_bytes() == before
    forced = invoke(data_dir, "lang:en", "-o", str(out), "--force")
    assert forced.exit_code == 0 and "Exported 2 documents" in forced.output


@pytest.mark.parametrize("args, message", [
    # Bad input: a file name with no known extension and no --format.
    (["-o", "notes.txt"], "cannot tell the format of 'notes.txt' from its extension; pass --format"),
    # Bad input: standard output without saying which text format.
    (["-o", "-"], "--output - needs --format jsonl or --format csv"),
    # Bad input: a binary format to standard output.
    (["-o", "-", "--format", "parquet"], "parquet cannot be written to standard output"),
    # Bad input: a directory that does not exist.
    (["-o", "missing-dir/out.csv"], "directory 'missing-dir' for the output 'missing-dir/out.csv' does not exist"),
    # Bad input: a query that does not parse.
    (["(unclosed", "-o", "x.csv"], "unclosed ( at position 0"),
])
def test_bad_input_is_one_line_error_and_exit_1(data_dir, args, message):
    result = run_cli("--data-dir", str(data_dir), "export", *args)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == next(
        line for line in result.stderr.splitlines() if line.startswith("Error: "))
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_output_dash_streams_data_to_stdout_and_manifest_to_stderr(data_dir, fmt):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARALLAX_")}
    result = subprocess.run([*PARALLAX, "--data-dir", str(data_dir), "export", "--format", fmt, "--output", "-"],
                            capture_output=True, env=env, cwd=ROOT, timeout=300)  # bytes: CRLF kept
    stderr = result.stderr.decode("utf-8")
    assert result.returncode == 0, stderr
    manifest = json.loads(next(l for l in stderr.splitlines() if l.startswith("{")))
    data = result.stdout
    assert manifest["sha256"] == hashlib.sha256(data).hexdigest()
    assert manifest["documents"] == len(DOCS) and manifest["data_file"] is None
    if fmt == "jsonl":
        rows = [json.loads(line) for line in data.decode("utf-8").splitlines()]
    else:
        assert data.startswith(b"\xef\xbb\xbf")
        rows = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig").to_dict("records")
    assert len(rows) == len(DOCS)
    assert ZH_TITLE in {r["title"] for r in rows}


def test_export_is_listed_in_help_and_not_a_placeholder(data_dir):
    result = CliRunner().invoke(cli, ["export", "--help"])
    assert result.exit_code == 0
    assert "--format [jsonl|csv|parquet|xlsx]" in result.output and "--force" in result.output
    assert "not built yet" not in result.output


def test_export_names_entities_from_the_users_entities_file_too(data_dir, tmp_path, monkeypatch):
    """The user's `nlp.entities_file` renames an entity (ids there win over the bundled gazetteer):
    the export shows the name tagging and search use, not only the bundled one."""
    from parallax.settings import env_name

    extra = tmp_path / "my_entities.toml"
    extra.write_text('[[entity]]\nid = "sia"\ntype = "ORG"\nen = "SIA (our watch list)"\n'
                     'zh = "美国半导体行业协会"\naliases = []\n', encoding="utf-8")
    monkeypatch.setenv(env_name("nlp", "entities_file"), str(extra))
    out = tmp_path / "all.jsonl"
    result = invoke(data_dir, "--output", str(out))
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    names = {e["name_en"] for row in rows for e in row["entities"] if e.get("id") == "sia"}
    assert names == {"SIA (our watch list)"}


def test_a_missing_users_entities_file_is_a_one_line_error(data_dir, tmp_path):
    """Bad input tried: `nlp.entities_file` naming a file that does not exist."""
    from parallax.settings import env_name

    env = {env_name("nlp", "entities_file"): str(tmp_path / "nowhere.toml")}
    result = run_cli("--data-dir", str(data_dir), "export", "--output", str(tmp_path / "x.jsonl"), env=env)
    assert result.returncode == 1
    assert "nowhere.toml" in result.stderr and "Traceback" not in result.stderr
