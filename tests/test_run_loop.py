"""`parallax run`: the whole cycle ending in alerts, one run at a time, a clean stop on SIGTERM.

The fixture site below (two articles and a listing page) was written for these tests and is served
on 127.0.0.1; the real crawler fetches it in its child process.
"""

from __future__ import annotations

import signal
import subprocess
import threading
import time

import pytest
from tests.alerts_fixtures import Relay

from alerts.saved import SavedSearch, SavedSearches
from tests.conftest import PARALLAX, ROOT
from index.store import Store
from parallax.errors import ConfigError
from parallax.runloop import parse_interval
from parallax.sample_server import SiteServer
from tests.sources_fixtures import listing, source_block, write_sources

EN_TITLE = "Association welcomes talks on export controls"
ZH_TITLE = "行业协会就出口管制问题举行座谈"

ARTICLE = """<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>
<meta property="article:published_time" content="{date}"></head>
<body><nav><a href="/">Home</a></nav><article><h1>{title}</h1><time datetime="{date}">{date}</time>
{paragraphs}</article><footer>Contact the press office.</footer></body></html>"""


def write_site(root):
    (root / "news").mkdir(parents=True)
    pages = {
        "news/talks.html": ("en", EN_TITLE, "2026-11-22T08:00:00+00:00", [
            "The association said it welcomed the talks on export controls that began this week.",
            "Member companies asked for clear rules and enough time to adapt their supply chains.",
            "A second round of talks is planned for the spring, the association said."]),
        "news/zuotan.html": ("zh", ZH_TITLE, "2026-11-23T02:00:00+00:00", [
            "行业协会本周召开座谈会，与会企业就出口管制问题和供应链安全交换了看法。",
            "与会代表表示，希望相关规则清晰透明，并给企业留出足够的调整时间。",
            "协会表示，将在明年春天举行第二次座谈。"]),
    }
    for path, (lang, title, date, paragraphs) in pages.items():
        body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
        (root / path).write_text(ARTICLE.format(lang=lang, title=title, date=date, paragraphs=body),
                                 encoding="utf-8")
    links = "".join(f'<li><a href="/{p}">{t[1]}</a></li>' for p, t in pages.items())
    (root / "index.html").write_text(f"<html><body><ul>{links}</ul></body></html>", encoding="utf-8")


def write_assoc_sources(path, base):
    return write_sources(path, source_block("assoc", listing(f"{base}/index.html", "/news/"),
                                            name="Industry Association"))


@pytest.fixture
def site(tmp_path):
    root = tmp_path / "site"
    write_site(root)
    with SiteServer(root) as server:
        yield server


@pytest.fixture
def relay():
    with Relay() as running:
        yield running


@pytest.fixture
def env(tmp_path, site, relay):
    sources = tmp_path / "sources.toml"
    write_assoc_sources(sources, site.url)
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    with Store(data_dir / "parallax.sqlite3") as store:
        SavedSearches(store).add(SavedSearch(name="talks", query='"export controls" OR 出口管制',
                                             recipients=["analyst@example.org"]))
    return {"PARALLAX_DATA_DIR": str(data_dir), "PARALLAX_SOURCES": str(sources),
            "PARALLAX_CRAWL_DOWNLOAD_DELAY": "0", "PARALLAX_CRAWL_AUTOTHROTTLE": "false",
            "PARALLAX_NLP_TRANSLATE": "false",
            "PARALLAX_SMTP_HOST": "127.0.0.1", "PARALLAX_SMTP_PORT": str(relay.port),
            "PARALLAX_SMTP_SENDER": "Parallax <alerts@parallax.example.org>"}


def child_env(extra):
    import os

    base = {k: v for k, v in os.environ.items() if not k.startswith("PARALLAX_")}
    return {**base, **extra}


def run_once(env, *args):
    return subprocess.run([*PARALLAX, "run", *args], capture_output=True, text=True,
                          env=child_env(env), cwd=ROOT, timeout=300)


class Running:
    """A `parallax run` child whose stderr is read line by line as it comes."""

    def __init__(self, env, *args):
        self.proc = subprocess.Popen([*PARALLAX, "run", *args], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, env=child_env(env), cwd=ROOT)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.proc.stderr:
            self.lines.append(line)

    def wait_for(self, text: str, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(text in line for line in self.lines):
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.proc.kill()
        raise AssertionError(f"{text!r} never appeared; stderr:\n{''.join(self.lines)}")

    def stop(self, timeout: float = 120) -> int:
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=timeout)
        self._reader.join(timeout=5)
        return code

    @property
    def stderr(self) -> str:
        return "".join(self.lines)


@pytest.mark.parametrize("text, seconds", [("30m", 1800), ("2h", 7200), ("1h30m", 5400), ("45s", 45),
                                           ("1d", 86400), (" 10 m ", 600)])
def test_interval_is_read_with_its_unit(text, seconds):
    assert parse_interval(text) == seconds


@pytest.mark.parametrize("text", ["30", "soon", "0s", "30x", "-5m", ""])
def test_interval_without_a_unit_or_zero_is_refused(text):
    """Tried: a bare number, a word, zero, an unknown unit, a negative and nothing at all."""
    with pytest.raises(ConfigError, match="e.g. 30m"):
        parse_interval(text)


@pytest.mark.slow
def test_one_cycle_crawls_processes_indexes_and_sends_the_alert(env, relay):
    first = run_once(env)
    assert first.returncode == 0, first.stderr
    assert "cycle 1: crawled 2 new" in first.stderr
    assert "alerts: 1 due of 1, 1 messages sent" in first.stderr
    [message] = relay.handler.messages
    text = message.get_body(("plain",)).get_content()
    assert EN_TITLE in text and ZH_TITLE in text
    second = run_once(env)
    assert second.returncode == 0, second.stderr
    assert "crawled 0 new" in second.stderr and "0 messages sent" in second.stderr
    assert len(relay.handler.messages) == 1


@pytest.mark.slow
def test_a_second_run_is_refused_while_one_runs_and_sigterm_stops_it_cleanly(env, tmp_path):
    first = Running(env, "--every", "1h")
    first.wait_for("cycle 1: crawled")  # now waiting for the next cycle, holding the lock
    second = run_once(env)
    assert second.returncode == 1
    assert f"another 'parallax run' (pid {first.proc.pid}) is already running" in second.stderr
    assert "Traceback" not in second.stderr
    assert first.stop(timeout=20) == 0
    assert "stopped cleanly after 1 cycle(s)" in first.stderr
    after = run_once(env)  # the lock went with the process
    assert after.returncode == 0, after.stderr


@pytest.mark.slow
def test_sigterm_during_a_cycle_finishes_the_current_step_and_exits_zero(env, tmp_path, relay):
    running = Running(env, "--every", "1h")
    running.wait_for("cycle 1: starting")
    assert running.stop() == 0  # the crawl was under way
    assert "received SIGTERM: stopping after the current step" in running.stderr
    assert "stopped after crawl" in running.stderr
    with Store(tmp_path / "data" / "parallax.sqlite3") as store:
        assert store.count_documents() == 2  # the crawl's work is kept…
        assert store.conn.execute("SELECT COUNT(*) FROM analyses").fetchone()[0] == 0  # …nothing after it ran
    assert relay.handler.messages == []
    resumed = run_once(env)  # the next run picks up where it stopped
    assert resumed.returncode == 0, resumed.stderr
    assert len(relay.handler.messages) == 1


@pytest.mark.slow
def test_one_cycle_with_the_relay_down_exits_non_zero_and_keeps_the_documents(env, tmp_path):
    from tests.alerts_fixtures import free_port

    down = {**env, "PARALLAX_SMTP_PORT": str(free_port())}
    result = run_once(down)
    assert result.returncode == 1
    assert "Error: cannot reach the SMTP relay 127.0.0.1:" in result.stderr
    assert "Traceback" not in result.stderr
    with Store(tmp_path / "data" / "parallax.sqlite3") as store:
        assert store.count_documents() == 2
        assert store.conn.execute("SELECT COUNT(*) FROM alert_deliveries").fetchone()[0] == 0
