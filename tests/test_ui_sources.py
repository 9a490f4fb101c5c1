"""Collections and adding sources in the app (Streamlit's AppTest over the demo data and a fixture
site on 127.0.0.1): the status page by collection, the sidebar's collection filter, and the
"add a source" form running the same discovery as `parallax sources add`."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from parallax.sample_server import SiteServer
from tests.test_ui_app import app, demo, titles, use_data  # noqa: F401 - fixtures
from tests.conftest import make_settings


def test_status_page_lists_sources_by_collection_with_health(demo):  # noqa: F811
    at = app("status").run()
    assert not at.exception
    frame = at.dataframe[0].value
    by_id = {name.rsplit("(", 1)[1].rstrip(")"): c for name, c in zip(frame["source"], frame["collections"])}
    assert by_id["hkpost"] == "hong-kong-press, press"  # the source column reads "Name (id)"
    by_collection = at.dataframe[1].value
    rows = {c: (s, ok) for c, s, ok in zip(by_collection["collection"], by_collection["sources"], by_collection["ok"])}
    assert rows["press"] == ("chipnews, hkpost, wire", 3)
    assert rows["chip-associations"] == ("csia, sia", 2)


def test_sidebar_collection_filter_counts_and_narrows_the_search(demo):  # noqa: F811
    at = app().run()
    # Facet widgets are keyed by their options (see ui/views/search.py filters_sidebar).
    picker = next(m for m in at.multiselect if m.key.startswith("w_collections_"))
    # each collection with its matches: the sum of its member sources' (sia has 6, the three press outlets 12)
    assert "us-associations (6)" in picker.options and "press (12)" in picker.options
    picker.set_value(["us-associations"]).run()
    assert at.session_state["search"].query == "collection:us-associations"
    assert titles(at)
    # The other collections keep the counts they would give (counted without the collection filter).
    picker = next(m for m in at.multiselect if m.key.startswith("w_collections_"))
    assert "press (12)" in picker.options
    from index.backends import open_backend
    from index.search import SearchRequest
    from index.store import Store

    with Store.open(demo) as store:
        expected = open_backend(demo, store).search(SearchRequest("source:sia", limit=10))
    lines = "\n".join(m.value for m in at.markdown)
    assert f"**{expected.total_stories}** " in lines and f"{expected.total_documents} matching document" in lines


@pytest.fixture
def feed_site():
    with SiteServer(Path(__file__).parent / "sites" / "discovery" / "feed_only") as server:
        yield server


def test_add_a_source_form_discovers_then_writes_only_on_the_second_click(monkeypatch, tmp_path, feed_site):
    settings = make_settings(tmp_path / "data")
    use_data(monkeypatch, settings)
    sources = tmp_path / "my-sources.toml"
    monkeypatch.setenv("PARALLAX_SOURCES", str(sources))
    monkeypatch.setenv("PARALLAX_CRAWL_DOWNLOAD_DELAY", "0")
    monkeypatch.setenv("PARALLAX_CRAWL_AUTOTHROTTLE", "false")
    at = app("status").run()
    at.text_input[0].input(feed_site.url + "/")
    at.text_input[1].input("ledger")
    at.text_input[2].input("press, us-press")
    next(b for b in at.button if b.label == "Discover").click().run()
    assert not at.exception and not at.error
    assert "Harbor cranes wait on licence rules" in "\n".join(m.value for m in at.markdown)
    assert 'id = "ledger"' in at.code[0].value and not sources.exists()
    next(b for b in at.button if b.label.startswith("Add to ")).click().run()
    assert any("Added 'ledger'" in s.value for s in at.success)
    block = tomllib.loads(sources.read_text("utf-8"))["source"][0]
    assert block["collections"] == ["press", "us-press"]
    assert block["entry"] == [{"type": "feed", "url": f"{feed_site.url}/stories/rss.xml"}]
