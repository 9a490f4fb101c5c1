"""Crash safety: SIGKILL in the middle of a crawl, of processing and of indexing, then a restart.

The fault tried: the whole process group is killed with SIGKILL (as by the OOM killer or a power
cut) while documents are being written. After a restart every document is present exactly once and
every derived field is filled.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from index.store import Store
from tests.conftest import ROOT, make_settings

PAGES = 300


def _write_site(root: Path) -> None:
    (root / "news").mkdir(parents=True)
    per_page = 20
    for n in range(PAGES):
        lang_zh = n % 2 == 1
        title = f"第{n}号公告：出口管制与供应链安全" if lang_zh else f"Statement {n} on export controls"
        body = ("<p>中国半导体行业协会就出口管制和供应链安全发表第%d号声明，呼吁各方加强对话与合作。</p>" % n
                if lang_zh else
                f"<p>The association issued statement number {n} on export controls and supply chain "
                "security, calling for continued dialogue between industry groups.</p>")
        (root / "news" / f"{n}.html").write_text(
            f"<html><head><meta charset='utf-8'><title>{title}</title></head><body><h1>{title}</h1>"
            f"<p>2025-07-{(n % 28) + 1:02d}</p>{body}{body.replace('<p>', '<p>Again: ')}</body></html>",
            encoding="utf-8")
    pages = (PAGES + per_page - 1) // per_page
    for p in range(pages):
        links = "".join(f"<a href='{n}.html'>{n}</a> " for n in range(p * per_page, min(PAGES, (p + 1) * per_page)))
        nxt = f"<a href='list-{p + 1}.html'>next</a>" if p + 1 < pages else ""
        (root / "news" / f"list-{p}.html").write_text(f"<html><body>{links}{nxt}</body></html>", "utf-8")


@pytest.fixture
def crash_env(tmp_path):
    from parallax.sample_server import SiteServer

    site = tmp_path / "site"
    _write_site(site)
    with SiteServer(site) as server:
        sources = tmp_path / "sources.toml"
        sources.write_text(f"""
[[source]]
id = "big"
name = "Big"
name_en = "Big"
language = "en"
kind = "news"
country = "US"
[[source.entry]]
type = "listing"
urls = ["{server.url}/news/list-0.html"]
article_pattern = '/news/\\d+\\.html$'
next_pattern = '/news/list-\\d+\\.html$'
max_pages = 100
""", encoding="utf-8")
        config = tmp_path / "parallax.toml"
        config.write_text(f"""
data_dir = "{tmp_path / 'data'}"
sources = "{sources}"
[crawl]
download_delay = 0.02
autothrottle = false
concurrency_per_domain = 1
[index]
batch = 20
""", encoding="utf-8")
        yield config, make_settings(tmp_path / "data", sources=str(sources))


def _start(config: Path, *args: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARALLAX_")}
    return subprocess.Popen([sys.executable, "-m", "parallax.cli", "--config", str(config), *args],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)


def _count(settings, sql: str) -> int:
    if not settings.store_path.exists():
        return 0
    with Store(settings.store_path) as store:
        return store.conn.execute(sql).fetchone()[0]


def _kill_when(proc: subprocess.Popen, settings, sql: str, at_least: int, timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            seen = _count(settings, sql)
        except Exception:  # the store may be mid-migration on the very first poll
            seen = 0
        if seen >= at_least:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            return seen
        if proc.poll() is not None:
            pytest.fail(f"process ended before it could be killed: {proc.stderr.read().decode()}")
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    pytest.fail("process made no progress to kill in")


def _finish(config: Path, *args: str) -> None:
    proc = _start(config, *args)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err.decode()


@pytest.mark.slow
def test_killed_crawl_process_and_index_each_resume_without_loss_or_duplicates(crash_env):
    config, settings = crash_env

    crawl = _start(config, "crawl")
    killed_at = _kill_when(crawl, settings, "SELECT COUNT(*) FROM documents", 20)
    assert killed_at < PAGES
    time.sleep(1.0)  # a surviving crawl child would keep writing; it must have exited with us
    after_kill = _count(settings, "SELECT COUNT(*) FROM documents")
    time.sleep(1.0)
    assert _count(settings, "SELECT COUNT(*) FROM documents") == after_kill
    _finish(config, "crawl")
    assert _count(settings, "SELECT COUNT(*) FROM documents") == PAGES
    assert _count(settings, "SELECT COUNT(DISTINCT url) FROM documents") == PAGES

    process = _start(config, "process")
    _kill_when(process, settings, "SELECT COUNT(*) FROM analyses", 5)
    _finish(config, "process")
    assert _count(settings, "SELECT COUNT(*) FROM analyses") == PAGES
    assert _count(settings, "SELECT COUNT(*) FROM analyses a JOIN documents d ON d.id = a.doc_id "
                            "WHERE a.content_hash = d.content_hash AND a.body_seg != ''") == PAGES

    index = _start(config, "index")
    try:
        _kill_when(index, settings, "SELECT COUNT(*) FROM tantivy_docs", 1, timeout=30)
    except pytest.fail.Exception:
        pass  # indexing 300 documents can finish before a poll; the invariants below still hold
    _finish(config, "index")
    assert _count(settings, "SELECT COUNT(*) FROM tantivy_docs") == PAGES
    with Store(settings.store_path) as store:
        from index.backends import open_backend
        from index.search import SearchRequest

        backend = open_backend(settings, store)
        ids = list(backend.iter_ids(SearchRequest("", collapse=False)))
        assert len(ids) == len(set(ids)) == backend.held() == PAGES  # each document exactly once
        request = SearchRequest("出口管制", limit=1, expand=False, collapse=False)
        assert backend.search(request).total == PAGES // 2
