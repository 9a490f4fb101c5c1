"""One bad alert must not stop the others: names and header values are checked at add/edit and
again at send time, a saved search that cannot be rendered or sent is reported (log, `alerts list`,
one email to the operators) and every other one is delivered.

Bad input tried: alert names with U+2028 LINE SEPARATOR followed by a Bcc header, U+2029, U+0085
(NEXT LINE), a raw 0x85 byte on the command line (a lone surrogate once decoded), U+202E
RIGHT-TO-LEFT OVERRIDE and other bidi controls, a zero-width space, NUL; a sender and a webhook URL
with the same characters; and such a name already in the store, as older versions accepted it.
"""

from __future__ import annotations

import json

import pytest

from alerts.runner import run_alerts
from alerts.saved import SavedSearch, SavedSearches
from index.backends import open_backend
from index.store import Store
from parallax.errors import ConfigError
from tests.alerts_fixtures import DOCS, QUERY, Relay, add_documents, smtp_overrides
from tests.conftest import make_settings, run_cli

BAD_NAMES = [
    ("u\u2028Bcc: x@y.z", "U+2028"),
    ("u\u2029Bcc: x@y.z", "U+2029"),
    ("u\u0085Bcc: x@y.z", "U+0085"),
    ("u\udc85", "U+DC85"),
    ("evil\u202etxt.exe", "U+202E"),
    ("a\u2066b\u2069", "U+2066"),
    ("zero\u200bwidth", "U+200B"),
    ("nul\x00", "U+0000"),
]


@pytest.fixture
def relay():
    with Relay() as running:
        yield running


def _settings(tmp_path, port, **extra):
    return make_settings(tmp_path / "data", **smtp_overrides(port), **extra)


@pytest.mark.parametrize("name, code", BAD_NAMES)
def test_alert_name_with_a_line_or_format_separator_is_refused_and_nothing_saved(settings, name, code):
    with Store.open(settings) as store:
        with pytest.raises(ConfigError) as err:
            SavedSearches(store).add(SavedSearch(name=name, query=QUERY, recipients=["a@example.org"]))
        assert code in str(err.value)
        assert SavedSearches(store).list() == []


def test_chinese_and_punctuated_names_are_still_accepted(settings):
    with Store.open(settings) as store:
        saved = SavedSearches(store).add(SavedSearch(name="出口管制 · weekly (CN/US)", query=QUERY,
                                                     recipients=["a@example.org"]))
        assert saved.name == "出口管制 · weekly (CN/US)"


def test_cli_refuses_the_header_injection_name_and_a_raw_0x85_byte(tmp_path):
    env = {"PARALLAX_DATA_DIR": str(tmp_path / "data")}
    for name in ("u\u2028Bcc: x@y.z", "u\udc85"):  # the second reaches argv as the byte 0x85
        done = run_cli("alerts", "add", name, "--query", QUERY, "--to", "a@example.org", env=env)
        assert done.returncode == 1
        assert done.stderr.startswith("Error: alert name") and "Traceback" not in done.stderr
    listed = run_cli("alerts", "list", env=env)
    assert "No alerts yet" in listed.stdout


def test_edit_refuses_a_webhook_url_with_a_bidi_control(settings):
    with Store.open(settings) as store:
        searches = SavedSearches(store)
        saved = searches.add(SavedSearch(name="wg", query=QUERY, recipients=["a@example.org"]))
        saved.channels = [{"url": "https://hooks.example.org/\u202egnp.exe", "format": "generic"}]
        with pytest.raises(ConfigError, match="U\\+202E"):
            searches.update(saved)
        assert searches.get("wg").channels == []


def test_sender_with_a_line_separator_is_a_config_error():
    from alerts.digest import sender_address

    with pytest.raises(ConfigError, match="smtp.sender"):
        sender_address("Parallax\u2028Bcc: x@y.z <alerts@example.org>")


def _store_broken_alert(store, name: str) -> None:
    """An alert written as older versions accepted it, bypassing today's validation."""
    store.conn.execute(
        "INSERT INTO saved_searches (name, query, recipients, frequency, lang, active, expand, "
        "created_at, last_seq, channels, on_changes) VALUES (?, ?, ?, 'immediate', 'en', 1, 1, "
        "'2026-11-01T00:00:00+00:00', 0, '[]', 0)",
        (name, QUERY, json.dumps(["victim@example.org"])))


def test_a_stored_alert_that_cannot_be_sent_is_reported_and_the_others_are_delivered(tmp_path, relay):
    settings = _settings(tmp_path, relay.port, **{"alerts.operators": ["ops@example.org"]})
    with Store.open(settings) as store:
        add_documents(store, settings, DOCS["en"], DOCS["zh"])
        searches = SavedSearches(store)
        searches.add(SavedSearch(name="a-first", query=QUERY, recipients=["first@example.org"]))
        _store_broken_alert(store, "m\u2028Bcc: x@y.z")
        searches.add(SavedSearch(name="z-last", query=QUERY, recipients=["last@example.org"]))
        report = run_alerts(store, open_backend(settings, store), settings)
        assert not report.ok
        sent = {a.name: a.sent for a in report.alerts}
        assert sent["a-first"] == {"first@example.org": 2} and sent["z-last"] == {"last@example.org": 2}
        [broken] = [a for a in report.alerts if a.name.startswith("m")]
        assert "U+2028" in broken.error and not broken.sent
        # The next run tries it again, but tells the operators only once.
        again = run_alerts(store, open_backend(settings, store), settings)
        assert [a.name for a in again.alerts if a.error] == [broken.name]
    recipients = [r for _, rcpts, _ in relay.handler.envelopes for r in rcpts]
    assert sorted(recipients) == ["first@example.org", "last@example.org", "ops@example.org"]
    assert "victim@example.org" not in recipients and "x@y.z" not in recipients
    [ops] = relay.handler.to("ops@example.org")
    assert "\u2028" not in ops["Subject"] and "U+2028" in ops.get_content()


def test_alerts_list_shows_a_broken_alerts_last_error_escaped(tmp_path, relay):
    settings = _settings(tmp_path, relay.port)
    with Store.open(settings) as store:
        add_documents(store, settings, DOCS["en"])
        SavedSearches(store).add(SavedSearch(name="wg", query=QUERY, recipients=["a@example.org"]))
        _store_broken_alert(store, "bad\u202ename")
        run_alerts(store, open_backend(settings, store), settings)
    env = {"PARALLAX_DATA_DIR": str(settings.data_dir), "COLUMNS": "250"}
    listed = run_cli("alerts", "list", env=env)
    assert listed.returncode == 0
    assert "\u202e" not in listed.stdout  # never echoed raw to a terminal
    assert "bad\\u202ename: last error:" in listed.stdout and "U+202E" in listed.stdout
    assert "wg: last error" not in listed.stdout


def test_relay_refusal_is_shown_by_alerts_list_and_cleared_by_a_delivery(tmp_path):
    with Relay(refuse=("a@example.org",)) as refusing:
        settings = _settings(tmp_path, refusing.port)
        with Store.open(settings) as store:
            add_documents(store, settings, DOCS["en"])
            SavedSearches(store).add(SavedSearch(name="wg", query=QUERY, recipients=["a@example.org"]))
            run_alerts(store, open_backend(settings, store), settings)
            [(name, error)] = SavedSearches(store).last_errors().items()
            assert name == "wg" and "550" in error
    with Relay(port=refusing.port):
        with Store.open(settings) as store:
            assert run_alerts(store, open_backend(settings, store), settings).ok
            assert SavedSearches(store).last_errors() == {}


@pytest.mark.slow
def test_parallax_run_with_one_broken_alert_still_delivers_the_others(tmp_path):
    """The whole cycle in a child process: crawl, process, index, then alerts with a broken one
    between two good ones. The good ones are delivered; the run says which one failed and exits 1."""
    from parallax.sample_server import SiteServer
    from tests.test_run_loop import run_once, write_assoc_sources, write_site

    root = tmp_path / "site"
    write_site(root)
    with SiteServer(root) as site, Relay() as relay:
        sources = tmp_path / "sources.toml"
        write_assoc_sources(sources, site.url)
        data_dir = tmp_path / "data"
        data_dir.mkdir()
        with Store(data_dir / "parallax.sqlite3") as store:
            SavedSearches(store).add(SavedSearch(name="a-talks", query=QUERY, recipients=["a@example.org"]))
            _store_broken_alert(store, "m\u2028Bcc: x@y.z")
            SavedSearches(store).add(SavedSearch(name="z-talks", query=QUERY, recipients=["z@example.org"]))
        env = {"PARALLAX_DATA_DIR": str(data_dir), "PARALLAX_SOURCES": str(sources),
               "PARALLAX_CRAWL_DOWNLOAD_DELAY": "0", "PARALLAX_CRAWL_AUTOTHROTTLE": "false",
               "PARALLAX_NLP_TRANSLATE": "false", "PARALLAX_SMTP_HOST": "127.0.0.1",
               "PARALLAX_SMTP_PORT": str(relay.port),
               "PARALLAX_SMTP_SENDER": "Parallax <alerts@parallax.example.org>"}
        done = run_once(env)
    assert done.returncode == 1
    assert "alerts: 3 due of 3, 2 messages sent" in done.stderr
    assert "m\\u2028Bcc: x@y.z" in done.stderr and "U+2028" in done.stderr
    delivered = sorted(r for _, rcpts, _ in relay.handler.envelopes for r in rcpts)
    assert delivered == ["a@example.org", "z@example.org"]
