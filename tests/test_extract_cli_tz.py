"""`parallax extract --tz`: times written without a zone are read in the zone asked for, else the
source's, else that of a configured source whose site the page is from, else UTC+8 for a Chinese
page, else UTC; the zone used is said on stderr, so a saved page gives the instant a crawl stores."""

from __future__ import annotations

import json

from click.testing import CliRunner

from parallax.cli import cli

PAGE = ("<html><head><meta charset='utf-8'>{head}</head><body><h1>协会召开季度会议</h1>"
        "<p>发布时间：2023-07-19 14:19</p>"
        + "".join(f"<p>第{i}段：协会召开季度会议，听取会员企业对出口许可办理时限的意见。</p>" for i in range(3))
        + "</body></html>")
EN_PAGE = ("<html><head><meta charset='utf-8'></head><body><h1>Council meets</h1><p>2023-07-19 14:19</p>"
           + "".join(f"<p>Paragraph {i}: the council met members to hear their views on licences.</p>" for i in range(3))
           + "</body></html>")


def _run(tmp_path, *args, page=PAGE.format(head="")):
    file = tmp_path / "saved.html"
    file.write_text(page, "utf-8")
    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path), "extract", *args, str(file)],
                                env={"PARALLAX_SOURCES": ""})
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout), result.stderr


def test_tz_option_reads_times_in_that_zone_and_says_so(tmp_path):
    line, said = _run(tmp_path, "--tz", "Asia/Shanghai")
    assert line["published_at"] == "2023-07-19T06:19:00+00:00"
    assert "Asia/Shanghai" in said and "--tz" in said


def test_a_chinese_page_without_tz_or_source_is_read_as_the_crawl_reads_it(tmp_path):
    line, said = _run(tmp_path)
    assert line["published_at"] == "2023-07-19T06:19:00+00:00"
    assert "Asia/Shanghai" in said and "Chinese" in said


def test_a_page_from_a_configured_sources_site_takes_that_sources_zone(tmp_path):
    canonical = "<link rel='canonical' href='https://www.semiconductors.org/news/x/'>"
    line, said = _run(tmp_path, page=EN_PAGE.replace("<head>", f"<head>{canonical}"))
    assert line["published_at"] == "2023-07-19T18:19:00+00:00"  # 14:19 in New York, SIA's zone
    assert "America/New_York" in said and "sia" in said


def test_an_english_page_with_nothing_to_go_on_is_read_as_utc_and_says_so(tmp_path):
    line, said = _run(tmp_path, page=EN_PAGE)
    assert line["published_at"] == "2023-07-19T14:19:00+00:00"
    assert "UTC" in said


def test_an_unknown_time_zone_is_refused_with_examples(tmp_path):
    file = tmp_path / "saved.html"
    file.write_text(PAGE.format(head=""), "utf-8")
    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path), "extract", "--tz", "Mars/Olympus", str(file)])
    assert result.exit_code != 0 and "Mars/Olympus" in result.output and "Asia/Shanghai" in result.output
