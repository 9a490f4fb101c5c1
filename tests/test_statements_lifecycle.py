"""Statements as they really are, end to end on a fixture site on 127.0.0.1: a 120-character Chinese
statement is stored and found; an edited statement yields two versions, a word diff, and search finds
the current text; a statement answering 410 on a re-check and one that vanishes from the middle of
its listing are marked withdrawn and stay searchable with that mark (JSON and UI); the document page
shows the versions and the diff (Streamlit AppTest)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from streamlit.testing.v1 import AppTest

from crawler.run import crawl
from crawler.sources import load_sources
from index.document import document_id
from index.revisions import word_diff
from index.search import SearchRequest
from index.backends import open_backend
from index.store import Store
from nlp.pipeline import process
from parallax.sample_server import SiteServer
from tests.conftest import run_cli
from tests.sources_fixtures import listing, source_block, write_sources

# Written for this test: 120 characters, one short announcement.
ZH_SHORT = ("中国半导体行业协会今日发布简短公告：协会秘书处将于下月在上海召开成员单位座谈会，听取企业对出口管制"
            "合规与供应链安全的意见和建议。请各成员单位于本月底前报名，并提交书面材料。联系人：协会秘书处综合部，"
            "电话与邮箱将另行通知各成员单位。特此公告。")
EN_OLD = ("The association welcomes the resumption of licensing talks. We urge both governments to keep "
          "the dialogue open. Our members support predictable rules.")
EN_NEW = ("The association cautiously welcomes the resumption of licensing talks. We urge both governments "
          "to keep the dialogue open. Our members support stable rules.")


def _day(days_ago: int) -> str:
    return (datetime.now(timezone.utc) - timedelta(days=days_ago)).strftime("%Y-%m-%d")


def _page(title: str, date: str, body: str) -> str:
    return (f'<html><head><meta charset="utf-8"><title>{title}</title></head><body><article>'
            f"<h1>{title}</h1><p>{date}</p><p>{body}</p></article></body></html>")


ARTICLES = {
    "s1": ("协会简短公告", 2, ZH_SHORT),
    "s2": ("Statement on licensing talks", 3, EN_OLD),
    "s3": ("Statement on the review of tariffs", 4,
           "The association notes the tariff review. It will submit comments on quartz crucibles. "
           "Members were consulted."),
    "s4": ("Statement on the visa programme", 1,
           "The association thanks the ministry for the visa programme. Engineers travel more easily now. "
           "Members asked for longer permits."),
}


def _write_site(root, articles: dict, listed: list[str]) -> None:
    (root / "news").mkdir(parents=True, exist_ok=True)
    for name, (title, days_ago, body) in articles.items():
        (root / "news" / f"{name}.html").write_text(_page(title, _day(days_ago), body), encoding="utf-8")
    links = "".join(f"<li><a href='{n}.html'>{articles[n][0]}</a></li>" for n in listed)
    (root / "news" / "index.html").write_text(f"<html><body><ul>{links}</ul></body></html>", encoding="utf-8")


def _search(settings, query: str):
    with Store.open(settings) as store:
        return open_backend(settings, store).search(SearchRequest(query=query, limit=50))


def _refresh(settings) -> None:
    with Store.open(settings) as store:
        process(store, settings)
        open_backend(settings, store).sync()


@pytest.fixture(scope="module")
def lifecycle(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("lifecycle")
    from tests.crawl_helpers import local_crawl_settings

    settings = local_crawl_settings(tmp / "data")
    site = tmp / "site"
    _write_site(site, ARTICLES, ["s4", "s1", "s2", "s3"])
    with SiteServer(site) as server:
        sources_file = write_sources(tmp / "sources.toml", source_block(
            "assoc", listing(f"{server.url}/news/index.html", r"/news/s\d+\.html$"), name_en="Industry Association"))
        settings = settings.replace(sources=str(sources_file))
        sources = load_sources(sources_file)
        first = crawl(settings, sources)
        _refresh(settings)
        found_before = {q: [h.id for h in _search(settings, q).hits]
                        for q in ("座谈会", '"welcomes the resumption"', "cautiously")}

        # Between the crawls: s2 is edited, s3 answers 410 Gone, s4 leaves the listing.
        edited = dict(ARTICLES, s2=(ARTICLES["s2"][0], ARTICLES["s2"][1], EN_NEW))
        _write_site(site, edited, ["s1", "s2", "s3"])
        server.set_rule("news/s3.html", {"status": 410})
        plain = run_cli("crawl", "--recheck", "30", env={
            "PARALLAX_DATA_DIR": str(settings.data_dir), "PARALLAX_SOURCES": str(sources_file),
            "PARALLAX_CRAWL_DOWNLOAD_DELAY": "0", "PARALLAX_CRAWL_AUTOTHROTTLE": "false",
            "COLUMNS": "200"})
        hits = dict(server.hits)
    _refresh(settings)
    return dict(settings=settings, first=first, found_before=found_before, recheck=plain, hits=hits,
                ids={n: document_id(f"{server.url}/news/{n}.html") for n in ARTICLES})


@pytest.mark.slow
def test_short_chinese_statement_is_stored_and_found(lifecycle):
    assert len(ZH_SHORT) == 120
    assert lifecycle["first"]["assoc"]["new"] == 4
    with Store.open(lifecycle["settings"]) as store:
        doc = store.get(lifecycle["ids"]["s1"])
    assert doc.status == "ok" and doc.body == ZH_SHORT
    assert lifecycle["ids"]["s1"] in lifecycle["found_before"]["座谈会"]


@pytest.mark.slow
def test_recheck_revisits_recent_articles_and_an_edit_yields_a_second_version(lifecycle):
    assert lifecycle["recheck"].returncode == 0, lifecycle["recheck"].stderr
    assert lifecycle["hits"]["news/s2.html"] == 2  # fetched again by --recheck 30
    with Store.open(lifecycle["settings"]) as store:
        versions = store.versions(lifecycle["ids"]["s2"])
        assert [v["body"] for v in versions] == [EN_OLD, EN_NEW]
        assert len(store.versions(lifecycle["ids"]["s1"])) == 1  # unchanged: no new version
    diff = word_diff(versions[0]["body"], versions[1]["body"])
    assert [t.strip() for op, t in diff if op == "added"] == ["cautiously", "stable"]
    assert [t.strip() for op, t in diff if op == "removed"] == ["predictable"]


@pytest.mark.slow
def test_search_finds_the_current_version_by_default(lifecycle):
    s2 = lifecycle["ids"]["s2"]
    assert s2 in lifecycle["found_before"]['"welcomes the resumption"']
    assert s2 not in lifecycle["found_before"]["cautiously"]
    assert s2 in [h.id for h in _search(lifecycle["settings"], "cautiously").hits]
    assert s2 not in [h.id for h in _search(lifecycle["settings"], "predictable").hits]


@pytest.mark.slow
def test_gone_and_vanished_statements_are_withdrawn_and_still_found_with_the_mark(lifecycle):
    settings, ids = lifecycle["settings"], lifecycle["ids"]
    with Store.open(settings) as store:
        gone, vanished, kept = store.get(ids["s3"]), store.get(ids["s4"]), store.get(ids["s1"])
    assert gone.status == "withdrawn" and gone.withdrawn_at and "410" in gone.error
    assert vanished.status == "withdrawn" and "listings" in vanished.error
    assert kept.status == "ok" and kept.withdrawn_at is None
    assert gone.body.startswith("The association notes the tariff review")  # text kept
    hit = next(h for h in _search(settings, "quartz crucibles").hits if h.id == ids["s3"])
    assert hit.status == "withdrawn" and hit.withdrawn_at == gone.withdrawn_at
    out = run_cli("search", "--format", "json", "visa programme",
                  env={"PARALLAX_DATA_DIR": str(settings.data_dir)})
    assert out.returncode == 0, out.stderr
    [item] = [h for h in json.loads(out.stdout)["hits"] if h["id"] == ids["s4"]]
    assert item["status"] == "withdrawn" and item["withdrawn_at"] == vanished.withdrawn_at
    assert "withdrawn" in lifecycle["recheck"].stdout  # the crawl table has the column


def _app(doc_id: str | None, start: str) -> AppTest:
    def script(start):
        import streamlit as st

        from ui.navigation import all_pages

        st.navigation(all_pages(start), position="top").run()

    at = AppTest.from_function(script, args=(start,), default_timeout=60)
    if doc_id:
        at.query_params["id"] = doc_id
    return at


@pytest.fixture
def app_env(monkeypatch, lifecycle):
    import os

    for name in [k for k in os.environ if k.startswith("PARALLAX_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("PARALLAX_DATA_DIR", str(lifecycle["settings"].data_dir))
    return lifecycle


@pytest.mark.slow
def test_document_page_shows_versions_and_word_diff(app_env):
    at = _app(app_env["ids"]["s2"], "document").run()
    assert not at.exception
    [expander] = [e for e in at.expander if "2 versions" in e.label]
    text = "\n".join(m.value for m in expander.markdown)
    assert ":green-background[cautiously]" in text
    assert ":red[~~predictable~~] :green-background[stable]" in text
    assert "The association" in text and "rules\\." in text  # escaped, unchanged words kept


@pytest.mark.slow
def test_withdrawn_mark_on_document_page_and_result_card(app_env):
    at = _app(app_env["ids"]["s3"], "document").run()
    assert not at.exception
    assert any("Withdrawn" in e.value and "missing from its source since" in e.value for e in at.error)
    search = _app(None, "search").run()
    search.text_input[0].set_value("quartz crucibles").run()
    assert not search.exception
    assert any("Withdrawn" in m.value for m in search.markdown)
