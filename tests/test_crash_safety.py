"""Crash safety: SIGKILL in the middle of a crawl, of processing and of indexing, then a restart.

The fault tried: the whole process group is killed with SIGKILL (as by the OOM killer or a power
cut) while documents are being written. Each kill must land in the middle of the work (some of it
written, not all: a kill after the end would prove nothing, so the test fails then). After a
restart every document is present exactly once and every derived field is filled.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest

from index.store import Store
from tests.conftest import ROOT, make_settings
from tests.sources_fixtures import listing, source_block, write_config, write_sources

PAGES = 150  # more than two processing batches of 64, so each kill lands before the last commit

# The killed runs are slowed down (one request at a time, one document per index commit) so that
# the kill lands in the middle of the work; the re-runs that finish it use the configured settings.
SLOW_CRAWL = {"PARALLAX_CRAWL_DOWNLOAD_DELAY": "0.02", "PARALLAX_CRAWL_CONCURRENCY_PER_DOMAIN": "1"}
SLOW_INDEX = {"PARALLAX_INDEX_BATCH": "1"}


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
def crash_env(tmp_path, serve_site):
    site = tmp_path / "site"
    _write_site(site)
    server = serve_site(site)
    sources = write_sources(tmp_path / "sources.toml", source_block(
        "big", listing(f"{server.url}/news/list-0.html", r"/news/\d+\.html$",
                       next_pattern=r"/news/list-\d+\.html$", max_pages=100), kind="news"))
    config = write_config(tmp_path / "parallax.toml", data_dir=tmp_path / "data", sources=sources,
                          crawl={"download_delay": 0.0, "autothrottle": False, "concurrency_per_domain": 8},
                          index={"batch": 20})
    return config, make_settings(tmp_path / "data", sources=str(sources))


def _start(config: Path, *args: str, env: dict | None = None) -> subprocess.Popen:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("PARALLAX_")}
    full_env.update(env or {})
    return subprocess.Popen([sys.executable, "-m", "parallax.cli", "--config", str(config), *args],
                            cwd=ROOT, env=full_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)


def _count(settings, sql: str) -> int | None:
    """The count, read without migrating or locking anything; None while the store or the table
    does not exist yet (the child creates them) or is locked by a migration."""
    if not settings.store_path.exists():
        return None
    try:
        with closing(sqlite3.connect(f"file:{settings.store_path}?mode=ro", uri=True, timeout=1)) as conn:
            return conn.execute(sql).fetchone()[0]
    except sqlite3.OperationalError:
        return None


def _kill_mid_run(proc: subprocess.Popen, settings, sql: str, at_least: int, timeout: float = 120) -> int:
    """SIGKILL the process group once `sql` counts `at_least` rows; return the count left behind.

    Fails if the process ended (or never got that far) before it could be killed: a test of
    killing that killed nothing would prove nothing."""
    deadline = time.monotonic() + timeout
    while (seen := _count(settings, sql) or 0) < at_least:
        if proc.poll() is not None:
            pytest.fail(f"the process ended (exit {proc.returncode}) with {seen} rows, before it could be "
                        f"killed: {proc.stderr.read().decode()[-2000:]}")
        if time.monotonic() > deadline:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            pytest.fail(f"the process made no progress to kill in within {timeout:.0f} s ({seen} rows)")
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the process must have died of the kill, not finished"
    return _count(settings, sql) or 0


def _finish(config: Path, *args: str) -> None:
    proc = _start(config, *args)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err.decode()


@pytest.mark.slow
def test_killed_crawl_process_and_index_each_resume_without_loss_or_duplicates(crash_env):
    config, settings = crash_env

    crawl = _start(config, "crawl", env=SLOW_CRAWL)
    left = _kill_mid_run(crawl, settings, "SELECT COUNT(*) FROM documents", 20)
    assert 20 <= left < PAGES, f"the crawl was killed after {left} of {PAGES} pages, not in the middle"
    # A surviving crawl child would keep writing: it must have died with the group.
    assert _group_gone(crawl.pid), f"still running after the kill: {_group_alive(crawl.pid)}"
    assert _count(settings, "SELECT COUNT(*) FROM documents") == left
    _finish(config, "crawl")
    assert _count(settings, "SELECT COUNT(*) FROM documents") == PAGES
    assert _count(settings, "SELECT COUNT(DISTINCT url) FROM documents") == PAGES

    process = _start(config, "process")
    analysed = _kill_mid_run(process, settings, "SELECT COUNT(*) FROM analyses", 5)
    assert 5 <= analysed < PAGES, f"processing was killed after {analysed} of {PAGES} documents, not in the middle"
    # Index what was analysed before the kill: the live index then lags the store, as it does
    # between runs of the run loop, and the killed run below is an incremental one (a fresh
    # rebuild commits once at the end and is started again from nothing, so it has no middle).
    _finish(config, "index")
    assert _count(settings, "SELECT COUNT(*) FROM tantivy_docs") == analysed
    _finish(config, "process")
    assert _count(settings, "SELECT COUNT(*) FROM analyses") == PAGES
    assert _count(settings, "SELECT COUNT(*) FROM analyses a JOIN documents d ON d.id = a.doc_id "
                            "WHERE a.content_hash = d.content_hash AND (a.body_seg != '' OR a.body_is_text)") == PAGES

    index = _start(config, "index", env=SLOW_INDEX)
    left = _kill_mid_run(index, settings, "SELECT COUNT(*) FROM tantivy_docs", analysed + 1)
    assert analysed < left < PAGES, f"indexing was killed after {left} of {PAGES} documents, not in the middle"
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


def _group_alive(pgid: int) -> list[int]:
    """The processes of group `pgid` still running (zombies, already dead, are not counted)."""
    alive = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process went away while we looked
            continue
        if int(fields[2]) == pgid and fields[0] not in "ZX":
            alive.append(int(stat.parent.name))
    return alive


def _group_gone(pgid: int, timeout: float = 10) -> bool:
    """Wait until no process of the group runs: the crawl child must die with its parent."""
    deadline = time.monotonic() + timeout
    while _group_alive(pgid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True
