"""Sources in bulk: `parallax sources export` / `import` (CSV), and `sources list` off a terminal.

Import checks every row before writing anything: a CSV with one bad row leaves the sources file
byte for byte as it was, and the error names the row (spreadsheet numbering, the header is row 1)."""

from __future__ import annotations

import csv
import io
import json
import shutil

import pytest

from crawler.sources import bundled_sources_path, load_sources
from crawler.sources_file import CSV_COLUMNS, export_csv, import_csv
from parallax.errors import InputError
from tests.conftest import run_cli


@pytest.fixture
def my_sources(tmp_path):
    """A copy of the bundled file, comments and all, as a user's own sources file."""
    path = tmp_path / "my-sources.toml"
    shutil.copy(bundled_sources_path(), path)
    return path


def _rows(path) -> list[dict]:
    return list(csv.DictReader(io.StringIO(export_csv(load_sources(path)))))


def _write(tmp_path, rows: list[dict]):
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    path = tmp_path / "sources.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def test_export_then_import_changes_nothing(tmp_path, my_sources):
    before = my_sources.read_bytes()
    report = import_csv(_write(tmp_path, _rows(my_sources)), my_sources)
    assert report.added == [] and report.updated == []
    assert len(report.unchanged) == 10
    assert my_sources.read_bytes() == before


def test_export_has_every_column_and_one_entry_point_a_line(my_sources):
    rows = {r["id"]: r for r in _rows(my_sources)}
    assert list(rows["sia"]) == list(CSV_COLUMNS)
    assert rows["sia"]["collections"] == "us-associations|chip-associations"
    assert rows["sia"]["entry_points"].splitlines() == [
        "feed https://www.semiconductors.org/feed/",
        "listing https://www.semiconductors.org/news-events/latest-news/ "
        "article_pattern=/(?:sia-|semiconductor-|chip)[a-z0-9-]+/$ "
        r"next_pattern=/news-events/latest-news/page/\d+/$ max_pages=3"]


def test_import_edits_collections_in_bulk_and_keeps_comments_and_selectors(tmp_path, my_sources):
    rows = _rows(my_sources)
    for row in rows:
        if row["id"] in ("scmp", "jiwei"):
            row["collections"] = row["collections"] + "|press"
    new = dict(rows[0], id="taiwan-sia", name="台灣半導體產業協會", name_en="Taiwan Semiconductor Industry Association",
               lang="zh", country="TW", timezone="Asia/Taipei", collections="taiwan-associations",
               url="https://www.tsia.org.tw/", entry_points="listing https://www.tsia.org.tw/news article_pattern=/news/\\d+$")
    report = import_csv(_write(tmp_path, [*rows, new]), my_sources)
    assert report.updated == ["scmp", "jiwei"] and report.added == ["taiwan-sia"]
    text = my_sources.read_text("utf-8")
    assert "# Tech and China economy section feeds." in text and "# 协会动态 and 通知公告" in text
    loaded = {s.id: s for s in load_sources(my_sources)}
    assert loaded["scmp"].collections == ("hong-kong-press", "press")
    assert loaded["jiwei"].selectors["author"] == "div.news-info span.author"  # not in the CSV, kept
    assert loaded["taiwan-sia"].entries[0].article_pattern == r"/news/\d+$"
    assert loaded["taiwan-sia"].language == "zh" and loaded["taiwan-sia"].timezone == "Asia/Taipei"


BAD_ROWS = [
    # (what is wrong, the change to the third data row (spreadsheet row 4), words the error must have)
    ("unknown kind", {"kind": "thinktank"}, "row 4: source 'commerce': key 'kind' is 'thinktank'; choose one of"),
    ("bad language", {"lang": "fr"}, "row 4: source 'commerce': key 'language' is 'fr'"),
    ("bad time zone", {"timezone": "Beijing"}, "not an IANA time zone"),
    ("no entry points", {"entry_points": ""}, "key 'entry' is missing"),
    ("bad entry type", {"entry_points": "rss https://www.commerce.gov/feeds/news"}, "entry 1.type' is 'rss'"),
    ("bad regular expression", {"entry_points": "listing https://x.gov/news article_pattern=/news/(\\d+$"},
     "not a valid regular expression"),
    ("unknown entry key", {"entry_points": "feed https://x.gov/rss selector=h1"},
     "row 4: entry_points line 1: selector= is not known"),
    ("bad collection name", {"collections": "US Government"}, "key 'collections' must be a list of lowercase slugs"),
    ("duplicate id", {"id": "sia"}, "row 4: id 'sia' is also on row 2"),
    ("not a web address", {"entry_points": "feed www.commerce.gov/feeds/news"}, "is not an http(s) URL"),
]


@pytest.mark.parametrize("what, change, words", BAD_ROWS, ids=[b[0] for b in BAD_ROWS])
def test_a_csv_with_one_bad_row_changes_nothing_and_names_the_row(tmp_path, my_sources, what, change, words):
    rows = _rows(my_sources)
    rows[0]["collections"] = "renamed"  # a valid change on another row: must not be written either
    rows[2].update(change)
    before = my_sources.read_bytes()
    with pytest.raises(InputError) as error:
        import_csv(_write(tmp_path, rows), my_sources)
    assert words in str(error.value)
    assert str(error.value).startswith("nothing was imported: 1 bad row")
    assert my_sources.read_bytes() == before


def test_every_bad_row_is_listed_at_once(tmp_path, my_sources):
    rows = _rows(my_sources)
    rows[1]["kind"] = "blog"
    rows[5]["country"] = ""
    with pytest.raises(InputError) as error:
        import_csv(_write(tmp_path, rows), my_sources)
    message = str(error.value)
    assert "2 bad rows" in message and "row 3:" in message and "row 7:" in message


def test_a_csv_without_the_required_columns_is_refused(tmp_path, my_sources):
    path = tmp_path / "sources.csv"
    path.write_text("id,name,language\nsia,SIA,en\n", encoding="utf-8")
    with pytest.raises(InputError, match="the CSV has no column name_en, lang, country, kind, entry_points"):
        import_csv(path, my_sources)


def test_cli_export_import_round_trip_and_bad_row_exit_code(tmp_path, my_sources):
    env = {"PARALLAX_DATA_DIR": str(tmp_path / "data"), "PARALLAX_SOURCES": str(my_sources)}
    out = tmp_path / "out.csv"
    exported = run_cli("sources", "export", str(out), env=env)
    assert exported.returncode == 0, exported.stderr
    assert out.read_bytes().startswith(b"\xef\xbb\xbfid,name,name_en,url,lang")  # BOM: Excel reads UTF-8
    text = out.read_text("utf-8-sig").replace("Asia/Shanghai,,prc-government,", "Asia/Shanghai,,prc-government|prc,", 1)
    out.write_text(text, encoding="utf-8")
    imported = run_cli("sources", "import", str(out), env=env)
    assert imported.returncode == 0, imported.stderr
    assert "0 added, 1 updated, 9 unchanged" in imported.stdout
    bad = text.replace(",government,", ",governmnet,", 1)
    out.write_text(bad, encoding="utf-8")
    refused = run_cli("sources", "import", str(out), env=env)
    assert refused.returncode == 1
    assert "row 4: source 'commerce': key 'kind' is 'governmnet'" in refused.stderr


def test_sources_list_off_a_terminal_prints_full_rows_or_json(tmp_path):
    env = {"PARALLAX_DATA_DIR": str(tmp_path / "data")}  # no COLUMNS: as from cron
    table = run_cli("sources", "list", env=env)
    assert table.returncode == 0, table.stderr
    assert "…" not in table.stdout
    assert "us-associations|chip-associations" in table.stdout and "last success" in table.stdout
    as_json = run_cli("sources", "list", "--format", "json", env=env)
    items = json.loads(as_json.stdout)
    assert [i["id"] for i in items][:3] == ["sia", "semi", "commerce"]
    assert items[0]["collections"] == ["us-associations", "chip-associations"] and items[0]["health"] == "never"
    tsv = run_cli("sources", "list", "--format", "tsv", env=env).stdout.splitlines()
    assert tsv[0].split("\t")[:4] == ["id", "lang", "collections", "health"]
    assert len(tsv) == 11
