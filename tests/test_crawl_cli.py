"""The crawler's commands through the real command line: `parallax crawl` on the demo site (per-source
counts, a second run with 0 new), `parallax sources list|check`, and `parallax extract` on saved pages."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from parallax.cli import cli
from parallax.sample_server import bundled_site
from tests.conftest import run_cli
from tests.crawl_helpers import SITES
from tests.sources_fixtures import feed, listing, source_block

FAST = {"PARALLAX_CRAWL_DOWNLOAD_DELAY": "0", "PARALLAX_CRAWL_AUTOTHROTTLE": "false",
        "PARALLAX_CRAWL_CONCURRENCY_PER_DOMAIN": "8", "PARALLAX_CRAWL_RETRIES": "0", "COLUMNS": "200"}


def _total_row(output: str) -> list[str]:
    line = next(line for line in output.splitlines() if "total" in line)
    return [cell.strip() for cell in line.strip("│┃ ").split("│")]


@pytest.mark.slow
def test_crawl_command_reports_per_source_counts_and_a_second_run_finds_nothing_new(tmp_path, sample_site):
    sources = tmp_path / "sources.toml"
    sources.write_text((bundled_site() / "sources.toml").read_text("utf-8").replace("{base}", sample_site.url),
                       encoding="utf-8")
    env = {**FAST, "PARALLAX_DATA_DIR": str(tmp_path / "data"), "PARALLAX_SOURCES": str(sources)}
    first = run_cli("crawl", env=env)
    assert first.returncode == 0, first.stderr
    for source_id in ("sia", "csia", "mofcom", "commerce", "wire", "hkpost", "chipnews"):
        assert source_id in first.stdout
    # columns: source fetched new updated unchanged failed skipped_known not_modified
    assert _total_row(first.stdout)[2] == "33"
    second = run_cli("crawl", env=env)
    assert second.returncode == 0, second.stderr
    total = _total_row(second.stdout)
    assert total[1] == "0" and total[2] == "0"  # nothing fetched, nothing new
    listing = run_cli("sources", "list", env=env)
    assert listing.returncode == 0, listing.stderr
    sia_row = next(line for line in listing.stdout.splitlines() if "│ sia " in line)
    assert "never" not in sia_row  # last run and last success are set
    assert "│ 6 " in sia_row  # six SIA documents


BAD_SOURCES = [
    # (what is wrong, sources.toml text, words the error must contain)
    ("unknown key", source_block("x1", feed("https://x.example/feed"), name="X", kind="news", colour="red"),
     ["'x1'", "colour"]),
    ("bad regex", source_block("x2", listing("https://x.example/", "(unclosed"), name="X", kind="news"),
     ["'x2'", "article_pattern", "regular expression"]),
    ("bad entry type", source_block("x3", {"type": "rss", "url": "https://x.example/"}, name="X", kind="news"),
     ["'x3'", "type", "feed, sitemap, listing"]),
    ("bad kind", source_block("x4", feed("https://x.example/"), name="X", kind="blog"), ["'x4'", "kind", "association"]),
    ("bad time zone", source_block("x5", feed("https://x.example/"), name="X", language="zh", kind="news",
                                   country="CN", timezone="Beijing"), ["'x5'", "timezone", "Asia/Shanghai"]),
]


@pytest.mark.parametrize("problem,text,words", BAD_SOURCES, ids=[b[0] for b in BAD_SOURCES])
def test_sources_check_names_the_source_and_the_key(tmp_path, problem, text, words):
    path = tmp_path / "sources.toml"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path), "sources", "check"],
                                env={"PARALLAX_SOURCES": str(path)})
    assert result.exit_code == 1, problem
    for word in words:
        assert word in result.output, (problem, result.output)


def test_sources_check_accepts_the_bundled_file(tmp_path):
    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path), "sources", "check"], env={"PARALLAX_SOURCES": ""})
    assert result.exit_code == 0, result.output
    assert "OK: 10 sources" in result.output


def test_extract_handles_hundreds_of_saved_pages_in_one_call(tmp_path):
    expected = json.loads((SITES / "real_sources" / "expected.json").read_text("utf-8"))["page"]
    files = []
    for copy in range(8):
        for i, page in enumerate(expected):
            target = tmp_path / f"{copy}-{i}.html"
            shutil.copyfile(SITES / "real_sources" / page["path"], target)
            files.append((str(target), page))
    assert len(files) >= 120
    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path), "extract", *[f for f, _ in files]],
                                env={"PARALLAX_SOURCES": ""})
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == len(files)
    for line, (file, page) in zip(lines, files):
        assert set(line) == {"file", "url", "title", "published_at", "author", "lang", "text"}
        assert line["file"] == file
        assert line["title"] == page["title"]
        assert line["text"].split("\n\n") == page["paragraphs"]
        assert line["lang"] == ("zh" if page["source"] in ("csia", "mofcom", "mfa", "jiwei") else "en")


def test_extract_uses_a_sources_selectors_url_and_forced_encoding(tmp_path):
    page = SITES / "crawl_cases" / "news" / "a7-big5.html"
    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path), "extract", "--source", "mfa", "--encoding",
                                      "big5", "--url", "https://example.org/a7.html", str(page)],
                                env={"PARALLAX_SOURCES": ""})
    assert result.exit_code == 0, result.output
    line = json.loads(result.stdout)
    assert line["url"] == "https://example.org/a7.html"
    assert line["title"] == "香港電子元件商增加庫存應對出口許可變化"
    assert line["published_at"] == "2025-11-05T04:00:00+00:00"  # noon in the mfa source's Asia/Shanghai


def test_extract_reports_an_unknown_encoding_and_pages_without_article(tmp_path):
    page = SITES / "crawl_cases" / "news" / "a10-empty.html"
    bad = CliRunner().invoke(cli, ["--data-dir", str(tmp_path), "extract", "--encoding", "klingon", str(page)])
    assert bad.exit_code == 1 and "klingon" in bad.output and "gb18030" in bad.output
    empty = CliRunner().invoke(cli, ["--data-dir", str(tmp_path), "extract", str(page)])
    assert empty.exit_code == 1
    line = json.loads(empty.stdout.splitlines()[0])
    assert line["text"] is None and "no article text" in line["error"]
