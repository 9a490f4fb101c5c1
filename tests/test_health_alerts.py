"""Silent sources reach the operators: a source whose listing suddenly yields no articles raises ONE
health email (real aiosmtpd on 127.0.0.1) over several `parallax run` cycles, the status page shows
the problem, `parallax sources list` names it, and a bad operator address is refused."""

from __future__ import annotations

import dataclasses

import pytest
from streamlit.testing.v1 import AppTest

from parallax import stages
from parallax.errors import ConfigError
from parallax.sample_server import SiteServer
from parallax.settings import load_settings
from tests.alerts_fixtures import Relay, smtp_overrides
from tests.conftest import make_settings, run_cli
from tests.sources_fixtures import listing, source_block, write_sources
from tests.test_source_health import _site


def assoc_source(url: str) -> str:
    return source_block("assoc", listing(f"{url}/news/index.html", r"/news/\d+\.html$"),
                        name_en="Industry Association")


@pytest.mark.slow
def test_listing_without_articles_raises_one_operator_email_not_one_per_run(tmp_path, monkeypatch):
    site = tmp_path / "site"
    _site(site, with_links=True)
    with Relay() as relay, SiteServer(site) as server:
        sources_file = write_sources(tmp_path / "sources.toml", assoc_source(server.url))
        settings = make_settings(tmp_path / "data", sources=str(sources_file),
                                 **{"alerts.operators": ["ops@example.org", "oncall@example.org"]},
                                 **smtp_overrides(relay.port))
        settings = settings.replace(crawl=dataclasses.replace(settings.crawl, download_delay=0.0,
                                                              autothrottle=False))
        first = stages.cycle(settings, with_alerts=True)
        assert first.health.healths[0].status == "ok" and first.health.notified == []

        _site(site, with_links=False)  # the layout changed: the listing links to nothing
        reports = [stages.cycle(settings, with_alerts=True) for _ in range(3)]
        listed = run_cli("sources", "list", env={"PARALLAX_DATA_DIR": str(settings.data_dir),
                                                 "PARALLAX_SOURCES": str(sources_file), "COLUMNS": "200"})
    assert [len(r.health.notified) for r in reports] == [0, 1, 0]  # empty twice in a row, then once
    assert len(relay.handler.to("ops@example.org")) == 1
    assert len(relay.handler.to("oncall@example.org")) == 1
    [mail] = relay.handler.to("ops@example.org")
    assert "assoc finds no articles" in mail["Subject"]
    assert "layout may have changed" in mail.get_content()
    assert "1 operator alert(s) sent" in reports[1].health.summary()
    assert listed.returncode == 0, listed.stderr
    assert "assoc: EMPTY: the last 2 runs found no article links" in listed.stdout

    monkeypatch.setenv("PARALLAX_DATA_DIR", str(settings.data_dir))
    for name in ("PARALLAX_CONFIG", "PARALLAX_SOURCES"):
        monkeypatch.delenv(name, raising=False)

    def script():
        import streamlit as st

        from ui.navigation import all_pages

        st.navigation(all_pages("status"), position="top").run()

    at = AppTest.from_function(script, default_timeout=60).run()
    assert not at.exception
    frame = at.dataframe[0].value
    row = frame[frame["source"].str.endswith("(assoc)")].iloc[0]  # "Name (id)"
    assert row["problem"].startswith("empty: ") and "layout may have changed" in row["problem"]


def test_operators_come_from_the_environment_comma_separated():
    settings = load_settings(env={"PARALLAX_ALERTS_OPERATORS": "ops@example.org, oncall@example.org"})
    assert settings.alerts.operators == ["ops@example.org", "oncall@example.org"]


def test_a_bad_operator_address_is_refused_naming_the_setting(tmp_path):
    # Bad input tried: an operator written with a display name and a space.
    from alerts.operators import operators

    settings = make_settings(tmp_path / "data", **{"alerts.operators": ["Ops Team <ops@example.org>"]})
    with pytest.raises(ConfigError, match="PARALLAX_ALERTS_OPERATORS"):
        operators(settings)
    # Bad input tried: a number instead of a list of addresses.
    with pytest.raises(ConfigError, match="alerts.operators"):
        make_settings(tmp_path / "data", **{"alerts.operators": [42]})
