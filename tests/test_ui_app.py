"""The app's pages driven through Streamlit's AppTest over real stores (the demo data, and a small
bilingual store with entities, a translation and a near-duplicate)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from streamlit.testing.v1 import AppTest

from index.document import Document
from index.search import open_backend
from index.store import Store
from nlp.segment import index_text
from tests.conftest import make_settings
from ui.exporting import FORMATS
from ui.navigation import TITLES

TIMEOUT = 60


def app(start: str = "search", doc_id: str | None = None) -> AppTest:
    """The whole app (navigation and all pages) opened on one page."""
    def script(start):
        import streamlit as st

        from ui.navigation import all_pages

        st.navigation(all_pages(start), position="top").run()

    at = AppTest.from_function(script, args=(start,), default_timeout=TIMEOUT)
    if doc_id:
        at.query_params["id"] = doc_id
    return at


def use_data(monkeypatch, settings) -> None:
    for name in [k for k in __import__("os").environ if k.startswith("PARALLAX_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("PARALLAX_DATA_DIR", str(settings.data_dir))


@pytest.fixture
def demo(monkeypatch, demo_data):
    settings, _ = demo_data
    use_data(monkeypatch, settings)
    return settings


def markdown_text(at) -> str:
    return "\n".join(m.value for m in at.markdown)


SOURCE = SimpleNamespace(id="csia", name="中国半导体行业协会", name_en="China Semiconductor Industry Association",
                         language="zh", kind="association", country="CN")
ENTITIES = [{"text": "中国半导体行业协会", "label": "ORG", "canonical_id": "csia", "start": 0, "end": 9},
            {"text": "美国半导体行业协会", "label": "ORG", "canonical_id": "sia", "start": 10, "end": 19}]


@pytest.fixture
def bilingual(monkeypatch, tmp_path):
    """Two near-duplicate Chinese statements, one translated, with entities, indexed."""
    settings = make_settings(tmp_path / "data")
    with Store.open(settings) as store:
        store.upsert_source(SOURCE)
        ids = []
        for n, url in enumerate(["https://www.csia.example/news/1.html", "javascript:alert(1)"]):
            doc = Document(url=url, source_id="csia", title=f"中国半导体行业协会声明 {n}",
                           body="中国半导体行业协会与美国半导体行业协会举行工作组会议。\n\n双方讨论了出口管制。",
                           published_at="2025-07-21T08:00:00+00:00", declared_lang="zh",
                           kind="association", country="CN")
            store.upsert_document(doc)
            translated = {"title_tr": "CSIA statement", "translation_model": "test-dictionary",
                          "body_tr": "CSIA and SIA held a working group meeting.\n\nThey discussed export controls."}
            store.save_analysis(doc.id, doc.content_hash, "test=1", lang="zh", script="hans",
                                title_seg=index_text(doc.title), body_seg=index_text(doc.body),
                                entities=ENTITIES, cluster_id="cluster-1", **(translated if n == 0 else {}))
            ids.append(doc.id)
        open_backend(settings, store).sync()
    use_data(monkeypatch, settings)
    return settings, ids


def test_every_page_renders_without_error(demo):
    for name in TITLES:
        at = app(name).run()
        assert not at.exception, (name, at.exception)


def test_search_page_lists_everything_then_narrows_with_a_query(demo):
    at = app().run()
    assert "**33** matching documents" in markdown_text(at)
    at.text_input(key="w_text").input("export controls").run()
    text = markdown_text(at)
    assert "**10** matching documents" in text
    assert ":orange-background[" in text  # hits are highlighted
    assert len([m for m in at.markdown if m.value.startswith("##### ")]) == 10


def test_chinese_query_finds_chinese_documents(demo):
    at = app().run()
    at.text_input(key="w_text").input("出口管制").run()
    text = markdown_text(at)
    assert "**17** matching documents" in text
    assert ":orange-background[出口管制]" in text


def test_language_filter_narrows_results_and_shows_facet_counts(demo):
    at = app().run()
    lang = at.multiselect(key="w_langs")
    assert lang.options == ["Chinese (18)", "English (15)"]
    lang.select("zh").run()
    text = markdown_text(at)
    assert "**18** matching documents" in text and "query: lang\\:zh" in text
    meta = [c.value for c in at.caption if c.value.count(" · ") >= 3]  # each hit's source line
    assert len(meta) == 10 and all(" · ZH · " in m for m in meta)


def test_invalid_query_shows_the_parser_message_not_a_traceback(demo):
    at = app().run()
    at.text_input(key="w_text").input('"export controls').run()  # bad input: unclosed quote
    assert not at.exception
    assert any("unclosed quote" in e.value for e in at.error)


def test_pagination_moves_through_results(demo):
    at = app().run()
    first = [m.value for m in at.markdown if m.value.startswith("##### ")]
    at.button[[b.label for b in at.button].index("Next")].click().run()
    second = [m.value for m in at.markdown if m.value.startswith("##### ")]
    assert len(first) == 10 and len(second) == 10 and not set(first) & set(second)
    assert any("page 2 of 4" in c.value for c in at.caption)


def test_script_in_a_crawled_title_is_escaped_markdown(demo):
    at = app().run()
    at.text_input(key="w_text").input("licence portal").run()
    titles = [m.value for m in at.markdown if m.value.startswith("##### ")]
    assert any("\\<script\\>alert\\(1\\)\\<\\/script\\>" in t for t in titles)
    assert not any("<script>" in m.value for m in at.markdown)


def test_document_page_shows_original_and_translation_side_by_side(bilingual):
    settings, (translated_id, _) = bilingual
    at = app("document", translated_id).run()
    assert not at.exception
    text = markdown_text(at)
    assert "**Original** (zh)" in text and "**Translation** (test\\-dictionary)" in text
    assert "CSIA and SIA held a working group meeting\\." in text
    assert ":blue-background[中国半导体行业协会]" in text  # entities highlighted in the paragraph
    assert [b.url for b in at.get("link_button")] == ["https://www.csia.example/news/1.html"]
    assert not at.info


def test_document_without_translation_says_so_and_offers_no_unsafe_link(bilingual):
    settings, (translated_id, untranslated_id) = bilingual
    at = app("document", untranslated_id).run()
    assert any("Not translated yet" in i.value for i in at.info)
    assert not at.get("link_button")  # javascript: is never a link
    assert any("not an http(s) link" in c.value for c in at.caption)


def test_document_page_lists_near_duplicates(bilingual):
    settings, (translated_id, untranslated_id) = bilingual
    at = app("document", translated_id).run()
    links = [p for p in at.get("page_link") if "中国半导体行业协会声明 1" in p.proto.label]
    assert len(links) == 1


def test_clicking_an_entity_filters_the_search_by_it(bilingual):
    settings, (translated_id, _) = bilingual
    at = app("document", translated_id).run()
    at.button(key="entity_sia").click().run()
    assert not at.exception
    assert at.session_state["search"].filters.entities == ("sia",)
    assert "query: entity\\:sia" in markdown_text(at)  # back on the search page, filtered


def test_unknown_document_id_is_reported(demo):
    at = app("document", "0000000000000000").run()  # bad input: an id that is not in the store
    assert any("No document with id '0000000000000000'" in i.value for i in at.info)


@pytest.fixture
def empty(monkeypatch, settings):
    """A fresh, empty data directory (saved-search tests write; the demo data is shared)."""
    use_data(monkeypatch, settings)
    return settings


def test_saved_search_add_edit_delete(empty):
    at = app("saved").run()
    form = at.text_input
    form[0].input("csia-watch")
    form[1].input("出口管制 lang:zh")
    at.text_area[0].input("analyst@example.org, desk@example.org")
    at.selectbox[0].select("daily")
    at.button[[b.label for b in at.button].index("Save")].click().run()
    assert any("Saved 'csia-watch'" in s.value for s in at.success)
    assert [e.label for e in at.expander] == ["csia\\-watch · daily · active"]

    at.selectbox[2].select("weekly")  # the edit form's frequency
    at.button[[b.label for b in at.button].index("Update")].click().run()
    assert [e.label for e in at.expander] == ["csia\\-watch · weekly · active"]

    at.button(key="delete_csia-watch").click().run()
    assert not at.expander
    assert any("Deleted 'csia-watch'" in s.value for s in at.success)


def test_saving_with_a_bad_recipient_explains_and_saves_nothing(empty):
    at = app("saved").run()
    at.text_input[0].input("bad-recipient")
    at.text_input[1].input("chips")
    at.text_area[0].input("not-an-address")  # bad input: no @domain
    at.button[[b.label for b in at.button].index("Save")].click().run()
    assert any("not-an-address" in e.value for e in at.error)
    assert not at.expander


def test_timeline_draws_a_chart_for_the_current_query(demo):
    at = app().run()
    at.text_input(key="w_text").input("出口管制").run()
    state = at.session_state["search"]  # the session state carries the query to the timeline page
    tl = app("timeline")
    tl.session_state["search"] = state
    tl.run()
    assert not tl.exception
    charts = tl.get("vega_lite_chart")
    assert len(charts) == 1
    assert any("17 documents" in c.value for c in tl.caption)


def test_status_page_shows_every_source_and_an_up_to_date_index(demo):
    at = app("status").run()
    assert [m.value for m in at.metric][:3] == ["33", "0", "0"]
    assert any("up to date" in s.value for s in at.success)
    frame = at.dataframe[0].value
    assert sorted(frame["source"]) == ["chipnews", "commerce", "csia", "hkpost", "mofcom", "sia", "wire"]
    assert set(frame["health"]) == {"ok"}


def test_download_buttons_offer_every_format(demo):
    at = app().run()
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == [f.upper() for f in FORMATS]
    assert {"CSV", "JSONL", "PARQUET"} <= set(labels)


def test_result_entity_chips_filter_the_search(bilingual):
    settings, ids = bilingual
    at = app().run()
    chips = at.button_group(key=f"chips_{ids[0]}")
    assert list(chips.options) == ["中国半导体行业协会", "美国半导体行业协会"]  # labels: entity names
    chips.set_value("csia").run()
    assert at.session_state["search"].filters.entities == ("csia",)
    assert "query: entity\\:csia" in markdown_text(at)
    assert at.multiselect(key="w_entities").value == ["csia"]
