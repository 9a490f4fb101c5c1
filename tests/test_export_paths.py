"""Where an export may go: no silent overwrite, no missing directories, no `..` escapes, no binary
formats to a pipe; every refusal names the value and the fix, and leaves existing files alone."""

from __future__ import annotations

import io
import os

import pytest

from tests.export_fixtures import build_store
from index.export import export_to_path, export_to_stream, manifest_path
from index.search import SearchRequest
from index.backends import open_backend
from index.store import Store
from parallax.errors import ExportError, QueryError

ALL = SearchRequest(query="")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    from tests.conftest import make_settings

    settings = make_settings(tmp_path_factory.mktemp("paths") / "data")
    build_store(settings)
    return settings


@pytest.fixture
def opened(corpus):
    with Store.open(corpus) as store:
        yield store, open_backend(corpus, store)


def test_existing_file_is_not_overwritten_without_force(opened, tmp_path):
    store, backend = opened
    path = tmp_path / "keep.csv"
    path.write_bytes(b"reviewer's notes")
    # Bad input: an output file that already exists, no --force.
    with pytest.raises(ExportError, match=r"keep\.csv.*already exists; pass --force"):
        export_to_path(store, backend, ALL, "csv", path)
    assert path.read_bytes() == b"reviewer's notes"
    assert not manifest_path(path).exists()


def test_force_replaces_the_file_and_its_manifest(opened, tmp_path):
    store, backend = opened
    path = tmp_path / "again.jsonl"
    export_to_path(store, backend, SearchRequest(query="lang:zh"), "jsonl", path)
    manifest = export_to_path(store, backend, ALL, "jsonl", path, force=True)
    assert len(path.read_text(encoding="utf-8").splitlines()) == manifest.documents == 4
    assert '"documents": 4' in manifest_path(path).read_text(encoding="utf-8")


def test_an_existing_manifest_alone_also_needs_force(opened, tmp_path):
    store, backend = opened
    path = tmp_path / "lonely.parquet"
    manifest_path(path).write_text("{}", encoding="utf-8")
    # Bad input: the data file is gone but its manifest is still there.
    with pytest.raises(ExportError, match=r"lonely\.parquet\.manifest\.json.*already exists"):
        export_to_path(store, backend, ALL, "parquet", path)
    assert not path.exists()


def test_output_in_a_missing_directory_is_a_clear_error(opened, tmp_path):
    store, backend = opened
    path = tmp_path / "no" / "such" / "dir" / "out.csv"
    # Bad input: a directory that does not exist.
    with pytest.raises(ExportError, match=r"directory .*no/such/dir.* does not exist; create it first \(mkdir -p"):
        export_to_path(store, backend, ALL, "csv", path)
    assert not (tmp_path / "no").exists()


def test_relative_path_with_dotdot_is_refused(opened, tmp_path, monkeypatch):
    store, backend = opened
    inner = tmp_path / "inner"
    inner.mkdir()
    monkeypatch.chdir(inner)
    # Bad input: a relative path climbing out of the working directory.
    with pytest.raises(ExportError, match=r"'\.\./escape\.csv' contains '\.\.'.*give an absolute path"):
        export_to_path(store, backend, ALL, "csv", "../escape.csv")
    assert not (tmp_path / "escape.csv").exists()


def test_absolute_path_is_written_where_it_says(opened, tmp_path, monkeypatch):
    store, backend = opened
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    manifest = export_to_path(store, backend, ALL, "csv", str(tmp_path / "sub" / ".." / "abs.csv"))
    assert (tmp_path / "abs.csv").exists() and manifest.documents == 4


def test_relative_path_inside_the_working_directory_is_fine(opened, tmp_path, monkeypatch):
    store, backend = opened
    monkeypatch.chdir(tmp_path)
    (tmp_path / "out").mkdir()
    export_to_path(store, backend, ALL, "jsonl", "out/rel.jsonl")
    assert (tmp_path / "out" / "rel.jsonl").exists()


@pytest.mark.parametrize("bad", ["", "   "])
def test_empty_output_path_is_refused(opened, bad):
    store, backend = opened
    with pytest.raises(ExportError, match="output path is empty"):
        export_to_path(store, backend, ALL, "csv", bad)


def test_a_directory_as_output_is_refused(opened, tmp_path):
    store, backend = opened
    # Bad input: an existing directory given as the file name.
    with pytest.raises(ExportError, match="is a directory; give a file name inside it"):
        export_to_path(store, backend, ALL, "csv", tmp_path)


def test_unknown_format_names_the_choices(opened, tmp_path):
    store, backend = opened
    # Bad input: a format Parallax does not write.
    with pytest.raises(ExportError, match=r"unknown export format 'xls'; choose one of jsonl, csv, parquet, xlsx"):
        export_to_path(store, backend, ALL, "xls", tmp_path / "out.xls")
    assert not (tmp_path / "out.xls").exists()


@pytest.mark.parametrize("fmt", ["parquet", "xlsx"])
def test_binary_formats_to_a_stream_are_refused(opened, fmt):
    store, backend = opened
    sink = io.BytesIO()
    # Bad input: a container format asked for on standard output.
    with pytest.raises(ExportError, match=f"{fmt} cannot be written to standard output; use --format jsonl or csv"):
        export_to_stream(store, backend, ALL, fmt, sink)
    assert sink.getvalue() == b""


def test_bad_query_fails_before_any_file_is_created(opened, tmp_path):
    store, backend = opened
    # Bad input: an unclosed group.
    with pytest.raises(QueryError, match="unclosed"):
        export_to_path(store, backend, SearchRequest(query="(export controls"), "csv", tmp_path / "q.csv")
    assert os.listdir(tmp_path) == []


def test_no_temporary_files_are_left_beside_the_export(opened, tmp_path):
    store, backend = opened
    for fmt in ("jsonl", "xlsx"):
        export_to_path(store, backend, ALL, fmt, tmp_path / f"clean.{fmt}")
    assert sorted(os.listdir(tmp_path)) == ["clean.jsonl", "clean.jsonl.manifest.json",
                                            "clean.xlsx", "clean.xlsx.manifest.json"]
    assert oct((tmp_path / "clean.jsonl").stat().st_mode & 0o777) == "0o644"


def test_directory_that_refuses_new_files_is_a_clear_error(opened):
    """/proc exists and is a directory, but no one (root included) can create a file there."""
    store, backend = opened
    # Bad input: an output directory where files cannot be created.
    with pytest.raises(ExportError, match=r"cannot write in '/proc': .*choose a directory you can write to"):
        export_to_path(store, backend, ALL, "csv", "/proc/parallax-export.csv")


def test_a_file_that_appears_during_the_export_is_not_replaced_without_force(tmp_path):
    from index.export.target import atomic_file

    target = tmp_path / "race.csv"
    # Bad input: another writer creates the same file while this export is being written.
    with pytest.raises(ExportError, match=r"race\.csv' appeared while exporting; pass --force"):
        with atomic_file(target, replace=False) as handle:
            handle.write(b"new export")
            target.write_bytes(b"the other writer's file")
    assert target.read_bytes() == b"the other writer's file"
    assert os.listdir(tmp_path) == ["race.csv"]
