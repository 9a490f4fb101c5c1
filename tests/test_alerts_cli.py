"""`parallax alerts …` through the real command line, in a child process, against a real relay."""

from __future__ import annotations

import pytest
from tests.alerts_fixtures import DOCS, EN_TITLE, ZH_TITLE, Relay, add_documents, free_port

from tests.conftest import make_settings, run_cli
from index.store import Store


@pytest.fixture
def data_dir(tmp_path):
    settings = make_settings(tmp_path / "data")
    with Store.open(settings) as store:
        add_documents(store, settings, DOCS["en"], DOCS["zh"])
    return settings.data_dir


def env_for(data_dir, port):
    return {"PARALLAX_DATA_DIR": str(data_dir), "PARALLAX_SMTP_HOST": "127.0.0.1",
            "PARALLAX_SMTP_PORT": str(port), "PARALLAX_SMTP_TIMEOUT": "5",
            "PARALLAX_SMTP_SENDER": "Parallax <alerts@parallax.example.org>", "COLUMNS": "200"}


def cli(env, *args):
    return run_cli(*args, env=env, timeout=120)


def deliveries(data_dir) -> int:
    with Store(data_dir / "parallax.sqlite3") as store:
        return store.conn.execute("SELECT COUNT(*) FROM alert_deliveries").fetchone()[0]


@pytest.mark.slow
def test_add_list_test_run_remove(data_dir):
    with Relay() as relay:
        env = env_for(data_dir, relay.port)
        added = cli(env, "alerts", "add", "wg", "--query", '"export controls" OR 出口管制',
                    "--to", "a@example.org", "--to", "b@example.org", "--lang", "zh")
        assert added.returncode == 0, added.stderr
        assert "Added alert 'wg'" in added.stdout

        listed = cli(env, "alerts", "list")
        assert listed.returncode == 0 and "wg" in listed.stdout and "a@example.org" in listed.stdout

        shown = cli(env, "alerts", "test", "wg")
        assert shown.returncode == 0, shown.stderr
        assert "To: a@example.org, b@example.org" in shown.stdout
        assert "Subject: [Parallax] wg：2 条新结果" in shown.stdout
        assert EN_TITLE in shown.stdout and ZH_TITLE in shown.stdout
        assert relay.handler.envelopes == [] and deliveries(data_dir) == 0  # sent and recorded nothing

        sent = cli(env, "alerts", "run")
        assert sent.returncode == 0, sent.stderr
        assert "wg: sent 2 hit(s) to a@example.org" in sent.stdout
        assert len(relay.handler.envelopes) == 2

        again = cli(env, "alerts", "run")
        assert again.returncode == 0 and "wg: nothing new" in again.stdout
        assert "Nothing new for alert 'wg'" in cli(env, "alerts", "test", "wg").stdout

        paused = cli(env, "alerts", "edit", "wg", "--pause", "--every", "daily")
        assert paused.returncode == 0 and "paused" in paused.stdout

        removed = cli(env, "alerts", "remove", "wg")
        assert removed.returncode == 0
        assert "No alerts yet" in cli(env, "alerts", "list").stdout
        assert len(relay.handler.envelopes) == 2


def test_run_with_the_relay_down_exits_non_zero_and_the_next_run_delivers(data_dir):
    port = free_port()
    env = env_for(data_dir, port)
    assert cli(env, "alerts", "add", "wg", "--query", "出口管制", "--to", "a@example.org").returncode == 0
    down = cli(env, "alerts", "run")
    assert down.returncode == 1
    assert f"Error: cannot reach the SMTP relay 127.0.0.1:{port}" in down.stderr
    assert "Traceback" not in down.stderr
    assert deliveries(data_dir) == 0
    with Relay(port=port) as relay:
        up = cli(env, "alerts", "run")
        assert up.returncode == 0, up.stderr
        assert cli(env, "alerts", "run").returncode == 0
    assert len(relay.handler.envelopes) == 1


def test_refused_recipient_makes_run_exit_non_zero_after_delivering_the_rest(data_dir):
    with Relay(refuse=("gone@example.org",)) as relay:
        env = env_for(data_dir, relay.port)
        cli(env, "alerts", "add", "wg", "--query", "出口管制", "--to", "gone@example.org", "--to", "a@example.org")
        result = cli(env, "alerts", "run")
    assert result.returncode == 1
    assert "wg: NOT delivered to gone@example.org" in result.stderr and "550" in result.stderr
    # 出口管制 also matches the English document through the glossary (cross-language is on).
    assert "wg: sent 2 hit(s) to a@example.org" in result.stdout
    assert [rcpts for _, rcpts, _ in relay.handler.envelopes] == [["a@example.org"]]


# (what was tried, the arguments, words the one-line error must contain)
BAD_ADDS = [
    ("query with an unclosed group", ["--query", "(export", "--to", "a@example.org"], "unclosed ("),
    ("address carrying a header line", ["--query", "chips", "--to", "a@example.org\r\nBcc: x@example.org"],
     "line break"),
    ("display name instead of an address", ["--query", "chips", "--to", "Ann <a@example.org>"],
     "not an email address"),
    ("unknown frequency", ["--query", "chips", "--to", "a@example.org", "--every", "hourly"],
     "'hourly' is not one of"),
]


@pytest.mark.parametrize("why, args, words", BAD_ADDS, ids=[b[0] for b in BAD_ADDS])
def test_bad_add_is_one_clear_error_and_stores_nothing(data_dir, why, args, words):
    env = env_for(data_dir, free_port())
    result = cli(env, "alerts", "add", "wg", *args)
    assert result.returncode != 0
    assert words in result.stderr and "Traceback" not in result.stderr
    assert "No alerts yet" in cli(env, "alerts", "list").stdout


def test_unknown_alert_names_the_known_ones(data_dir):
    env = env_for(data_dir, free_port())
    cli(env, "alerts", "add", "wg", "--query", "chips", "--to", "a@example.org")
    result = cli(env, "alerts", "test", "nope")
    assert result.returncode == 1
    assert "Error: no alert named 'nope'; known: wg" in result.stderr


def test_two_senders_at_once_deliver_each_digest_once(data_dir):
    """`alerts run` by hand while another sender runs: the second waits, then finds it all sent."""
    import subprocess

    from tests.conftest import PARALLAX, ROOT

    with Relay() as relay:
        env = env_for(data_dir, relay.port)
        cli(env, "alerts", "add", "wg", "--query", '"export controls" OR 出口管制', "--to", "a@example.org")
        import os

        child_env = {**{k: v for k, v in os.environ.items() if not k.startswith("PARALLAX_")}, **env}
        senders = [subprocess.Popen([*PARALLAX, "alerts", "run"], env=child_env, cwd=ROOT,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
        codes = [p.wait(timeout=120) for p in senders]
    assert codes == [0, 0]
    assert len(relay.handler.envelopes) == 1
    assert deliveries(data_dir) == 2
