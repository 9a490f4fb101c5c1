"""Total deadlines for every webhook post and SMTP transaction, whatever the peer drips; a relay
that drops after DATA; credentials never printed.

Hostile peers tried, all real servers on 127.0.0.1: a webhook receiver that sends its status line
and then one header every half second forever; an SMTP relay that sends `220-` greeting lines one
every half second forever; one that drips its reply to the message itself; aiosmtpd receiving the
message and hanging up before answering; a relay that echoes the AUTH line (the password, base64)
in its refusal; a webhook URL with `user:pass@`, and webhook ports 0 and 99999.
"""

from __future__ import annotations

import base64
import logging
import threading
import time

import pytest

from alerts.mailer import Mailer, RelayUnavailable
from alerts.runner import run_alerts
from alerts.saved import SavedSearch, SavedSearches
from alerts.webhooks import WebhookFailed, post, redact_url
from index.backends import open_backend
from index.store import Store
from parallax.errors import ConfigError
from tests.alerts_fixtures import DOCS, QUERY, Collector, Relay, add_documents, smtp_overrides
from tests.conftest import make_settings, run_cli
from tests.drip_servers import DripServer, ScriptedSmtp
from tests.test_alert_channels import Receiver


def within(seconds: float, work):
    """Run `work` in a thread; fail (rather than hang the suite) if it is not done in `seconds`."""
    box: dict = {}

    def target():
        started = time.monotonic()
        try:
            box["value"] = work()
        except Exception as exc:  # handed to the test below, which asserts on it
            box["error"] = exc
        box["took"] = time.monotonic() - started

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still running after {seconds}s: the deadline was not enforced"
    return box


def test_webhook_receiver_dripping_headers_is_cut_off_at_the_deadline():
    with DripServer([b"HTTP/1.1 200 OK\r\n"], interval=0.3, repeat=b"X-Drip: 1\r\n") as server:
        box = within(6, lambda: post(f"http://127.0.0.1:{server.port}/hook", {"a": 1}, 1))
    assert isinstance(box.get("error"), WebhookFailed)
    assert "1 s" in str(box["error"]) and box["took"] < 2.5


def test_smtp_relay_dripping_its_greeting_is_cut_off_at_the_deadline(tmp_path):
    with DripServer([], interval=0.3, repeat=b"220-still here\r\n") as server:
        settings = make_settings(tmp_path / "data", **{**smtp_overrides(server.port), "smtp.timeout": 1})
        with Store.open(settings) as store:
            add_documents(store, settings, DOCS["en"])
            SavedSearches(store).add(SavedSearch(name="wg", query=QUERY, recipients=["a@example.org"]))

        def run():
            with Store.open(settings) as store:  # a store belongs to the thread that opened it
                return run_alerts(store, open_backend(settings, store), settings)

        box = within(8, run)
    assert "error" not in box, box.get("error")
    report = box["value"]
    assert report.relay_error and "1 s" in report.relay_error
    assert box["took"] < 4


def test_smtp_relay_dripping_its_answer_to_the_message_is_cut_off(tmp_path):
    script = [b"220 drip ESMTP\r\n", b"250 drip\r\n", b"250 OK\r\n", b"250 OK\r\n", b"354 go on\r\n"]
    with DripServer(script, interval=0.05, repeat=b"250-still thinking\r\n") as server:
        settings = make_settings(tmp_path / "data", **{**smtp_overrides(server.port), "smtp.timeout": 1})
        from email.message import EmailMessage

        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = "p@example.org", "a@example.org", "x"
        msg.set_content("body")

        def send():
            with Mailer(settings.smtp) as mailer:
                mailer.send(msg, "a@example.org")

        box = within(8, send)
    assert isinstance(box.get("error"), RelayUnavailable) and box["took"] < 4


class HangUpAfterData(Collector):
    """Takes the message, then drops the connection instead of answering 250."""

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        server.transport.close()
        return "250 never heard"


def test_relay_that_drops_after_data_is_reported_as_a_failure_that_may_have_arrived(tmp_path):
    relay = Relay()
    relay.handler = HangUpAfterData()
    with relay:
        settings = make_settings(tmp_path / "data", **smtp_overrides(relay.port))
        with Store.open(settings) as store:
            add_documents(store, settings, DOCS["en"])
            SavedSearches(store).add(SavedSearch(name="wg", query=QUERY, recipients=["a@example.org"]))
            report = run_alerts(store, open_backend(settings, store), settings)
            [outcome] = report.alerts
            assert outcome.not_attempted == []
            assert "may have received" in outcome.failures["a@example.org"]
            # Not recorded: the next run sends it again, with the same Message-ID.
            assert store.conn.execute("SELECT COUNT(*) FROM alert_deliveries").fetchone()[0] == 0
    assert len(relay.handler.envelopes) == 1


def test_smtp_password_echoed_by_a_hostile_relay_is_never_printed(tmp_path, caplog):
    password = "s3cret-Pa55"
    with ScriptedSmtp() as server:
        settings = make_settings(tmp_path / "data", **smtp_overrides(server.port),
                                 **{"smtp.username": "parallax", "smtp.password": password})
        with Store.open(settings) as store:
            add_documents(store, settings, DOCS["en"])
            SavedSearches(store).add(SavedSearch(name="wg", query=QUERY, recipients=["a@example.org"]))
            with caplog.at_level(logging.DEBUG):
                report = run_alerts(store, open_backend(settings, store), settings)
    assert any(b"AUTH PLAIN" in line for line in server.received)  # the relay did get the secret
    secrets = [password, base64.b64encode(f"\0parallax\0{password}".encode()).decode(),
               base64.b64encode(password.encode()).decode()]
    assert "refused the login" in report.relay_error
    for secret in secrets:
        assert secret not in report.relay_error and secret not in caplog.text


def test_webhook_with_user_and_password_logs_in_and_never_shows_the_password(tmp_path, caplog):
    seen = []
    with Receiver() as receiver:
        original = receiver.httpd.RequestHandlerClass.do_POST

        def do_post(handler):
            seen.append(handler.headers.get("Authorization"))
            original(handler)

        receiver.httpd.RequestHandlerClass.do_POST = do_post
        url = receiver.url("hook").replace("http://", "http://bot:hunter2%40x@")
        with Relay() as relay:
            settings = make_settings(tmp_path / "data", **smtp_overrides(relay.port))
            with Store.open(settings) as store:
                add_documents(store, settings, DOCS["en"])
                SavedSearches(store).add(SavedSearch(name="wg", query=QUERY, recipients=[],
                                                     channels=[{"url": url, "format": "generic"}]))
                with caplog.at_level(logging.INFO):
                    report = run_alerts(store, open_backend(settings, store), settings)
            assert report.ok, report.failures
            assert seen == ["Basic " + base64.b64encode(b"bot:hunter2@x").decode()]
            receiver.status = 500
            env = {"PARALLAX_DATA_DIR": str(settings.data_dir), "COLUMNS": "250"}
            listed = run_cli("alerts", "list", env=env)
            with Store.open(settings) as store:
                add_documents(store, settings, DOCS["zh"])
            failed = run_cli("alerts", "run", env={**env, "PARALLAX_SMTP_PORT": str(relay.port),
                                                   "PARALLAX_SMTP_HOST": "127.0.0.1"})
    assert len(receiver.bodies) == 1 and failed.returncode == 1
    for text in (caplog.text, listed.stdout, failed.stdout, failed.stderr):
        assert "hunter2" not in text
    assert "bot:***@127.0.0.1" in listed.stdout and "bot:***@" in failed.stderr
    assert redact_url("https://u:p@h.example/x?token=1") == "https://u:***@h.example/x?token=1"


@pytest.mark.parametrize("port", ["0", "99999"])
def test_webhook_port_out_of_range_is_refused_at_add(settings, port):
    with Store.open(settings) as store:
        with pytest.raises(ConfigError, match="port"):
            SavedSearches(store).add(SavedSearch(
                name="wg", query=QUERY, recipients=[],
                channels=[{"url": f"https://hooks.example.org:{port}/x", "format": "generic"}]))
