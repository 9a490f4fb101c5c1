"""Webhook channels and revision alerts against a real HTTP receiver on 127.0.0.1: exactly one JSON
message per new hit batch for each format (checked as data), a receiver answering 500 gets the same
batch again on the next run, bad channel settings are refused, and an alert that opted in hears once
of each edit and each withdrawal of what it sent."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler

import pytest

from crawler.records import CrawlRecords
from alerts.runner import run_alerts
from alerts.saved import SavedSearch, SavedSearches
from index.document import Document
from index.backends import open_backend
from index.store import Store
from parallax.errors import ConfigError
from tests.alerts_fixtures import DOCS, QUERY, Relay, add_documents, smtp_overrides
from tests.conftest import make_settings
from tests.loopback import LoopbackServer


class Receiver(LoopbackServer):
    """A webhook receiver: keeps every JSON body; answers `status` (settable)."""

    def __init__(self):
        self.bodies: list[dict] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                data = self.rfile.read(int(self.headers["Content-Length"]))
                assert self.headers["Content-Type"].startswith("application/json")
                if receiver.status == 200:
                    receiver.bodies.append(json.loads(data.decode("utf-8")))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                """Silent: the test reads what was posted, not a request log."""

        super().__init__(Handler)

    def url(self, path: str) -> str:
        return f"{self.origin}/{path}"


@pytest.fixture
def receiver():
    with Receiver() as r:
        yield r


@pytest.fixture
def relay():
    with Relay() as r:
        yield r


def _settings(tmp_path, relay):
    return make_settings(tmp_path / "data", **smtp_overrides(relay.port))


def _run(store, settings):
    return run_alerts(store, open_backend(settings, store), settings)


CHECKS = {
    "generic": lambda b: (b["kind"] == "hits" and b["count"] == 2
                          and {e["title"] for e in b["entries"]} == {DOCS["en"].title, DOCS["zh"].title}),
    "slack": lambda b: ("2 new hits" in b["text"] and b["blocks"][0]["type"] == "header"
                        and sum(1 for x in b["blocks"] if x["type"] == "section") == 2
                        and any(DOCS["zh"].url in x["text"]["text"] for x in b["blocks"][1:])),
    "feishu": lambda b: (b["msg_type"] == "post" and "2 new hits" in b["content"]["post"]["zh_cn"]["title"]
                         and {"tag": "a", "text": DOCS["zh"].title, "href": DOCS["zh"].url}
                         in [x for line in b["content"]["post"]["zh_cn"]["content"] for x in line]),
    "dingtalk": lambda b: (b["msgtype"] == "markdown" and f"]({DOCS['en'].url})" in b["markdown"]["text"]
                           and DOCS["zh"].title in b["markdown"]["text"]),
}


@pytest.mark.parametrize("fmt", list(CHECKS))
def test_each_format_gets_exactly_one_message_per_new_batch(tmp_path, relay, receiver, fmt):
    settings = _settings(tmp_path, relay)
    with Store.open(settings) as store:
        add_documents(store, settings, DOCS["en"], DOCS["zh"])
        SavedSearches(store).add(SavedSearch(name="wg", query=QUERY, recipients=[],
                                             channels=[{"url": receiver.url(fmt), "format": fmt}]))
        report = _run(store, settings)
        assert report.ok and list(report.alerts[0].sent.values()) == [2]
        assert _run(store, settings).alerts[0].sent == {}  # nothing new: nothing posted
    assert len(receiver.bodies) == 1
    assert CHECKS[fmt](receiver.bodies[0]), receiver.bodies[0]
    assert relay.handler.messages == []  # a webhook-only alert sends no email


def test_next_batch_has_only_what_is_new_and_a_failed_post_is_retried(tmp_path, relay, receiver):
    settings = _settings(tmp_path, relay)
    with Store.open(settings) as store:
        add_documents(store, settings, DOCS["en"])
        SavedSearches(store).add(SavedSearch(name="wg", query=QUERY, recipients=["a@example.org"],
                                             channels=[{"url": receiver.url("hook"), "format": "generic"}]))
        _run(store, settings)
        receiver.status = 500
        add_documents(store, settings, DOCS["zh"])
        failed = _run(store, settings)
        assert list(failed.alerts[0].failures) == [f"webhook:{receiver.url('hook')}"]
        assert "HTTP 500" in failed.alerts[0].failures[f"webhook:{receiver.url('hook')}"]
        receiver.status = 200
        _run(store, settings)
        _run(store, settings)
    assert [[e["title"] for e in b["entries"]] for b in receiver.bodies] == [[DOCS["en"].title],
                                                                              [DOCS["zh"].title]]
    assert len(relay.handler.to("a@example.org")) == 2  # email went out both times regardless


@pytest.mark.parametrize("channel, expected", [
    ({"url": "ftp://hooks.example.org/x", "format": "generic"}, r"not an http\(s\) address"),
    ({"url": "https://hooks.example.org/x y", "format": "slack"}, "spaces or control characters"),
    ({"url": "https://hooks.example.org/x", "format": "teams"}, "choose one of: generic, slack, feishu, dingtalk"),
])
def test_bad_webhook_settings_are_refused_and_nothing_is_saved(settings, channel, expected):
    # Bad input tried: an ftp:// address, a URL with a space, an unknown format name.
    with Store.open(settings) as store:
        with pytest.raises(ConfigError, match=expected):
            SavedSearches(store).add(SavedSearch(name="wg", query=QUERY, recipients=[], channels=[channel]))
        assert SavedSearches(store).list() == []


def test_cli_adds_a_webhook_alert_with_format_and_change_events(tmp_path):
    from tests.conftest import run_cli

    env = {"PARALLAX_DATA_DIR": str(tmp_path / "data")}
    out = run_cli("alerts", "add", "wg", "--query", QUERY, "--webhook", "https://hooks.example.org/T/B",
                  "--webhook-format", "feishu", "--on-changes", env=env)
    assert out.returncode == 0, out.stderr
    with Store(tmp_path / "data" / "parallax.sqlite3") as store:
        saved = SavedSearches(store).get("wg")
    assert saved.channels == [{"url": "https://hooks.example.org/T/B", "format": "feishu"}]
    assert saved.on_changes and saved.recipients == []
    bad = run_cli("alerts", "add", "x", "--query", QUERY, "--webhook-format", "teams",
                  "--webhook", "https://h.example.org", env=env)
    assert bad.returncode == 2 and "teams" in bad.stderr


def test_opted_in_alert_hears_once_of_each_edit_and_withdrawal(tmp_path, relay, receiver):
    settings = _settings(tmp_path, relay)
    en = DOCS["en"]
    with Store.open(settings) as store:
        add_documents(store, settings, en)
        SavedSearches(store).add(SavedSearch(
            name="wg", query=QUERY, recipients=["a@example.org"], on_changes=True,
            channels=[{"url": receiver.url("changes"), "format": "generic"}]))
        _run(store, settings)
        edited = Document(**{**en.__dict__, "body": en.body.replace("compare notes", "exchange views")})
        add_documents(store, settings, edited)
        first = _run(store, settings)
        again = _run(store, settings)  # the same version: nothing more
        CrawlRecords(store).mark_withdrawn([en.id], "HTTP 410 on a re-check")
        withdrawn = _run(store, settings)
        _run(store, settings)
    assert first.alerts[0].changes == {"a@example.org": 1, f"webhook:{receiver.url('changes')}": 1}
    assert again.alerts[0].changes == {} and len(withdrawn.alerts[0].changes) == 2
    changes = [b for b in receiver.bodies if b["kind"] == "changes"]
    assert [b["entries"][0]["note"].split(";")[0] for b in changes] == [
        "edited (now version 2)", changes[1]["entries"][0]["note"]]
    assert "added: exchange views" in changes[0]["entries"][0]["note"]
    assert "removed: compare notes" in changes[0]["entries"][0]["note"]
    assert changes[1]["entries"][0]["note"].startswith("withdrawn: missing from its source since")
    mails = relay.handler.to("a@example.org")
    assert len(mails) == 3  # the hit, the edit, the withdrawal
    assert "edited or withdrawn" in mails[1]["Subject"]
    assert "exchange views" in mails[1].get_content()
