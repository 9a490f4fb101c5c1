"""Nothing fetched is dropped silently: every article address a crawl meets ends as a document, a
failure with a reason or a counted skip, and `parallax sources list` agrees with the run summary.

The fixture site is written by the test (pages of our own) and served on 127.0.0.1. Cases tried: a
two-page redirect cycle, a page that meta-refreshes to itself, a meta-refresh cycle through a second
page, a redirect to an article the listing also links, a page with one NUL byte, a 404; and a crawl
process killed with SIGKILL, whose `crawl_runs` row must be closed at the next start.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from crawler.records import CrawlRecords
from crawler.run import crawl
from crawler.sources import load_sources
from index.store import Store
from parallax.sample_server import SiteServer
from tests.conftest import ROOT, run_cli
from tests.crawl_helpers import local_crawl_settings
from tests.sources_fixtures import listing, source_block, write_sources

ARTICLE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>{head}
</head><body><article><h1>{title}</h1>
<p>The association published a statement on {topic} and asked members for their comments.</p>
<p>Comments are due by the end of the month, the statement said, and will be summarised.</p>
</article></body></html>"""

PAGES = {
    "news/plain.html": ("A plain statement", "trade rules", ""),
    "news/refresh-self.html": ("A page that reloads itself", "supply chains",
                               '<meta http-equiv="refresh" content="30; url=refresh-self.html">'),
    "news/refresh-a.html": ("Refresh one", "tariffs", '<meta http-equiv="refresh" content="0; url=refresh-b.html">'),
    "news/refresh-b.html": ("Refresh two", "tariffs", '<meta http-equiv="refresh" content="0; url=refresh-a.html">'),
    "news/target.html": ("The statement everybody links", "standards", ""),
}
REDIRECTS = {"news/loop-a.html": "/news/loop-b.html", "news/loop-b.html": "/news/loop-a.html",
             "news/old-target.html": "/news/target.html"}
LINKED = [*PAGES, "news/loop-a.html", "news/old-target.html", "news/nul.html", "news/gone.html"]


def write_cases_sources(path, base):
    return write_sources(path, source_block("cases", listing(f"{base}/index.html", "/news/")))


def write_site(root):
    (root / "news").mkdir(parents=True)
    for path, (title, topic, head) in PAGES.items():
        (root / path).write_text(ARTICLE.format(title=title, topic=topic, head=head), encoding="utf-8")
    nul = ARTICLE.format(title="A page with one stray NUL byte", topic="export licences", head="")
    (root / "news/nul.html").write_bytes(nul.replace("<p>The", "<p>\x00The", 1).encode("utf-8"))
    rules = "".join(f'["{p}"]\nstatus = 302\nlocation = "{to}"\n\n' for p, to in REDIRECTS.items())
    (root / "headers.toml").write_text(rules + '["news/gone.html"]\nstatus = 404\n', encoding="utf-8")
    links = "".join(f'<li><a href="/{p}">{p}</a></li>' for p in LINKED)
    (root / "index.html").write_text(f"<html><body><ul>{links}</ul></body></html>", encoding="utf-8")


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("accounting")
    write_site(tmp / "site")
    settings = local_crawl_settings(tmp / "data")
    with SiteServer(tmp / "site") as server:
        write_cases_sources(tmp / "sources.toml", server.url)
        sources = load_sources(tmp / "sources.toml")
        counts = crawl(settings, sources)["cases"]
        with Store.open(settings) as store:
            docs = {d.url[len(server.url) + 1:]: d for d in store.iter_documents()}
            [run] = CrawlRecords(store).latest_runs()
        listed = run_cli("sources", "list", env={"PARALLAX_DATA_DIR": str(settings.data_dir),
                                                 "PARALLAX_SOURCES": str(tmp / "sources.toml"),
                                                 "COLUMNS": "250"})
    return dict(counts=counts, docs=docs, run=run, errors=json.loads(run["errors"]), listed=listed)


def test_a_redirect_cycle_is_a_counted_failure_with_the_cycle_as_reason(crawled):
    reasons = [e["reason"] for e in crawled["errors"]]
    assert any("redirect cycle" in r and "loop-a.html" in r and "loop-b.html" in r for r in reasons), reasons


def test_a_meta_refresh_cycle_through_another_page_is_a_counted_failure(crawled):
    reasons = [e["reason"] for e in crawled["errors"]]
    assert any("redirect cycle (meta refresh)" in r and "refresh-a.html" in r for r in reasons), reasons


def test_a_page_that_refreshes_to_itself_is_kept_as_the_page_it_is(crawled):
    doc = crawled["docs"]["news/refresh-self.html"]
    assert doc.status == "ok" and "supply chains" in doc.body


def test_a_redirect_to_an_article_also_listed_is_not_lost(crawled):
    assert crawled["docs"]["news/target.html"].status == "ok"
    assert crawled["counts"]["fetched"] == crawled["counts"]["new"] + crawled["counts"]["unchanged"] \
        + crawled["counts"]["updated"]


def test_one_nul_byte_does_not_make_a_page_binary(crawled):
    doc = crawled["docs"]["news/nul.html"]
    assert doc.status == "ok", doc.error
    assert "export licences" in doc.body and "\x00" not in doc.body


def test_every_listed_address_is_a_document_a_failure_or_a_skip(crawled):
    c = crawled["counts"]
    extract_failed = sum(1 for d in crawled["docs"].values() if d.status == "extract_failed")
    fetch_failures = c["failed"] - extract_failed
    # The refresh cycle enters through one of its pages; the listing also links the other one.
    assert len(LINKED) == c["fetched"] + fetch_failures + c["skipped_known"]
    assert c["failed"] == len(crawled["errors"])


def test_sources_list_shows_the_same_counts_as_the_run_summary(crawled):
    c, out = crawled["counts"], crawled["listed"].stdout
    assert crawled["listed"].returncode == 0, crawled["listed"].stderr
    lines = out.splitlines()
    [header] = [line for line in lines if "┃" in line and "fetched" in line]
    [row] = [line for line in lines if "│" in line and line.strip("│ ").startswith("cases")]
    columns = dict(zip((cell.strip() for cell in header.strip("┃").split("┃")),
                       (cell.strip() for cell in row.strip("│").split("│"))))
    for key in ("fetched", "new", "updated", "unchanged", "failed"):
        assert int(columns[key]) == c[key], key


def test_a_killed_crawl_is_closed_as_interrupted_at_the_next_start(tmp_path):
    """A crawl child is killed with SIGKILL while a page is being served slowly; the next crawl
    closes the row it left open, says why, and does not count it as a success."""
    root = tmp_path / "site"
    (root / "news").mkdir(parents=True)
    (root / "news/slow.html").write_text(ARTICLE.format(title="Slow", topic="x", head=""), encoding="utf-8")
    (root / "headers.toml").write_text('["news/slow.html"]\ndelay = 20\n', encoding="utf-8")
    (root / "index.html").write_text('<a href="/news/slow.html">slow</a>', encoding="utf-8")
    settings = local_crawl_settings(tmp_path / "data", timeout=30)
    with SiteServer(root) as server:
        write_cases_sources(tmp_path / "sources.toml", server.url)
        sources = load_sources(tmp_path / "sources.toml")
        import pickle

        child = subprocess.Popen([sys.executable, "-m", "crawler.run"], stdin=subprocess.PIPE,
                                 stdout=subprocess.DEVNULL, cwd=ROOT)
        child.stdin.write(pickle.dumps((settings, sources, set())))
        child.stdin.close()
        deadline = time.monotonic() + 60
        while server.hits["news/slow.html"] == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        with Store.open(settings) as store:
            [left_open] = CrawlRecords(store).latest_runs()
        assert left_open["finished_at"] is None
        server.set_rule("news/slow.html", None)
        crawl(settings, sources)
    with Store.open(settings) as store:
        runs = {r["id"]: dict(r) for r in store.conn.execute("SELECT * FROM crawl_runs")}
    closed = runs[left_open["id"]]
    assert closed["finished_at"] is not None and closed["entries_ok"] == 0
    assert "interrupted" in json.loads(closed["errors"])[-1]["reason"]
    assert all(r["finished_at"] for r in runs.values())
