"""The app's pages driven through Streamlit's AppTest over real stores (the demo data, and a small
bilingual store with entities, a translation and a near-duplicate)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from streamlit.testing.v1 import AppTest

from index.document import Document
from index.search import SearchRequest
from index.backends import open_backend
from index.store import Store
from nlp.analyses import Analyses
from nlp.segment import index_text
from tests.conftest import make_settings
from index.export import FORMATS
from index.search import highlight_words, prepare
from ui.markup import escape_markdown, title_markdown
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


def titles(at) -> list[str]:
    """The result cards' headings, in order."""
    return [m.value for m in at.markdown if m.value.startswith("##### ")]


def facet(at, label: str):
    """A sidebar filter's multiselect, by its label (its key changes with the counts it shows)."""
    return next(m for m in at.multiselect if m.label == label)


def library(settings, query: str = "", **request):
    """What the search library itself answers for `query` on the same data (the UI must agree)."""
    with Store.open(settings) as store:
        return open_backend(settings, store).search(SearchRequest(query, **request))


def summary_line(settings, query: str) -> str:
    """The result count line the search page should show for `query` (typed, no filters)."""
    result = library(settings, query)
    stories, documents = result.total_stories, result.total_documents
    assert documents == library(settings, query, collapse=False).total
    return (f"**{stories}** stor{'y' if stories == 1 else 'ies'}, "
            f"{documents} matching document{'s' if documents != 1 else ''}")


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
            Analyses(store).save(doc.id, doc.content_hash, "test=1", lang="zh", script="hans",
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
    everything = library(demo, "", limit=10)
    with Store.open(demo) as store:
        stored = store.count_documents()
    # The demo republishes statements: results fold them, the summary still counts every document.
    assert everything.total < stored
    assert f"**{everything.total}** stories, {stored} matching documents" in markdown_text(at)
    assert titles(at) == [f"##### {escape_markdown(h.title)}" for h in everything.hits]

    at.text_input(key="w_text").input("export controls").run()
    text = markdown_text(at)
    assert summary_line(demo, "export controls") in text
    assert ":orange-background[" in text  # hits are highlighted
    expected = library(demo, "export controls", limit=10)
    words = highlight_words(prepare(SearchRequest("export controls")))
    assert titles(at) == [f"##### {title_markdown(h.title, words)}" for h in expected.hits]
    assert any(":orange-background[**Export**]" in title for title in titles(at))  # titles too
    assert len(titles(at)) == min(10, expected.total)


def test_chinese_query_finds_chinese_documents(demo):
    at = app().run()
    at.text_input(key="w_text").input("出口管制").run()
    text = markdown_text(at)
    assert summary_line(demo, "出口管制") in text
    assert ":orange-background[**出口管制**]" in text
    assert any(" · Chinese · " in c.value for c in at.caption)  # language names, not codes


def test_language_filter_narrows_results_and_shows_facet_counts(demo):
    at = app().run()
    lang = facet(at, "Language")
    counts = library(demo, "", limit=0, facets=True).facets["lang"]  # every document, per language
    assert lang.options == [f"{ {'zh': 'Chinese', 'en': 'English'}[v]} ({n})" for v, n in counts]
    lang.select("zh").run()
    text = markdown_text(at)
    assert summary_line(demo, "lang:zh") in text and "query: lang\\:zh" in text
    meta = [c.value for c in at.caption if c.value.count(" · ") >= 3]  # each hit's source line
    assert len(meta) == min(10, library(demo, "lang:zh").total)
    assert meta and all(" · Chinese · " in m for m in meta)


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
    total = library(demo, "").total
    pages = -(-total // 10)
    assert pages >= 2
    assert len(first) == 10 and len(second) == min(10, total - 10) and not set(first) & set(second)
    assert any(f"page 2 of {pages}" in c.value for c in at.caption)


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


def test_attention_over_time_is_on_the_search_page_for_the_current_query(demo):
    at = app().run()
    at.text_input(key="w_text").input("出口管制").run()
    assert not at.exception
    charts = at.get("vega_lite_chart")
    assert len(charts) == 1
    assert any("Click a bar to filter the results to its week" in c.value for c in at.caption)
    assert "Chart data (CSV)" in [b.proto.label for b in at.get("download_button")]


def test_status_page_shows_every_source_relative_times_and_an_up_to_date_index(demo):
    at = app("status").run()
    with Store.open(demo) as store:
        stored = store.count_documents()
    documents, last_fetch, backend, indexed, pending, processing = [m.value for m in at.metric]
    assert (documents, backend, pending, processing) == (f"{stored:,}", "tantivy", "0", "0")
    assert last_fetch.endswith("ago") or last_fetch == "just now"  # relative, not an ISO string
    assert any("up to date" in s.value for s in at.success)
    frame = at.dataframe[0].value
    assert sorted(name.rsplit("(", 1)[1].rstrip(")") for name in frame["source"]) == [
        "chipnews", "commerce", "csia", "hkpost", "mofcom", "sia", "wire"]
    assert set(frame["health"]) == {"ok"}
    assert str(frame["last run"].dtype).startswith("datetime64")  # shown as "… ago" by the table


def test_download_buttons_offer_every_format(demo):
    at = app().run()
    assert [b.proto.label for b in at.get("download_button")] == ["Chart data (CSV)"]  # closed: not drawn
    at.session_state["download_drawer"] = True  # what opening the popover sends
    at.run()
    labels = [b.proto.label for b in at.get("download_button") if b.proto.label != "Chart data (CSV)"]
    assert labels == [f.upper() for f in FORMATS]
    assert {"CSV", "JSONL", "PARQUET"} <= set(labels)


def test_result_entity_chips_filter_the_search(bilingual):
    settings, ids = bilingual
    at = app().run()
    (shown,) = library(settings, "").hits  # the two near-duplicates are one result
    chips = at.button_group(key=f"chips_{shown.id}")
    assert list(chips.options) == ["中国半导体行业协会", "美国半导体行业协会"]  # labels: entity names
    chips.set_value("csia").run()
    assert at.session_state["search"].filters.entities == ("csia",)
    assert "query: entity\\:csia" in markdown_text(at)
    assert facet(at, "Entities").value == ["csia"]


def test_near_duplicates_are_one_result_that_says_who_else_published_it(bilingual):
    settings, ids = bilingual
    at = app().run()
    (shown,) = library(settings, "").hits
    assert shown.cluster_size == 2
    assert "**1** story, 2 matching documents" in markdown_text(at)
    assert len(titles(at)) == 1
    assert any(c.value == "also published by 1 other\\: China Semiconductor Industry Association"
               for c in at.caption)
    downloads = [b.proto.popover.label for b in at.get("popover") if b.proto.popover.label.startswith("Download")]
    assert downloads == ["Download all 2 matching documents"]  # the file has both


def test_entity_filter_offers_entity_names_in_both_languages(bilingual):
    at = app().run()
    counts = library(bilingual[0], "", limit=0, facets=True).facets["entity"]
    options = facet(at, "Entities").options
    names = {"csia": "China Semiconductor Industry Association · 中国半导体行业协会",
             "sia": "Semiconductor Industry Association · 美国半导体行业协会"}  # nlp/data/entities.toml
    assert options == [f"{names[v]} ({n})" for v, n in counts]


def one_translated_document(monkeypatch, tmp_path, body: str, body_tr: str) -> str:
    """A store holding one Chinese document with the given translation; returns its id."""
    settings = make_settings(tmp_path / "data")
    with Store.open(settings) as store:
        store.upsert_source(SOURCE)
        doc = Document(url="https://www.csia.example/news/9.html", source_id="csia", title="声明", body=body,
                       published_at="2025-07-21T08:00:00+00:00", declared_lang="zh", kind="association",
                       country="CN")
        store.upsert_document(doc)
        Analyses(store).save(doc.id, doc.content_hash, "test=1", lang="zh", script="hans",
                             title_seg=index_text(doc.title), body_seg=index_text(doc.body), entities=[],
                             title_tr="Statement", body_tr=body_tr, translation_model="test-dictionary")
        open_backend(settings, store).sync()
    use_data(monkeypatch, settings)
    return doc.id


def side_by_side(at) -> list[list[str]]:
    """The document page's (original, translation) rows from the column headings on, each cell as
    its markdown and captions joined by newlines."""
    rows = []
    for block in at.main.children.values():
        cells = list(getattr(block, "children", {}).values())
        if len(cells) == 2 and all(getattr(c, "type", None) == "column" for c in cells):
            rows.append(["\n".join(e.value for e in c.children.values() if e.type in ("markdown", "caption"))
                         for c in cells])
    start = next(i for i, r in enumerate(rows) if r[0].startswith("**Original**"))
    return rows[start:]


def test_a_translation_longer_than_the_original_keeps_one_heading_and_every_paragraph(monkeypatch, tmp_path):
    doc_id = one_translated_document(monkeypatch, tmp_path, "第一段。",
                                     "First.\n\nA second part.\n\nA third part.")
    at = app("document", doc_id).run()
    assert not at.exception
    text = markdown_text(at)
    assert text.count("**Translation** (test\\-dictionary)") == 1 and text.count("**Original** (zh)") == 1
    assert side_by_side(at) == [
        ["**Original** (zh)\n###### 声明", "**Translation** (test\\-dictionary)\n###### :gray[Statement]"],
        ["第一段。", ":gray[First\\.]"], ["", ":gray[A second part\\.]"], ["", ":gray[A third part\\.]"]]


def test_a_lead_only_translation_says_how_far_it_goes(monkeypatch, tmp_path):
    doc_id = one_translated_document(monkeypatch, tmp_path, "第一段。\n\n第二段。\n\n第三段。", "First.")
    at = app("document", doc_id).run()
    heading, *paragraphs = side_by_side(at)
    assert heading[1].startswith("**Translation** (test\\-dictionary)\nThe translation covers the first 1 of 3 "
                                 "paragraphs (settings nlp.translate_scope and nlp.lead_paragraphs).")
    assert paragraphs == [["第一段。", ":gray[First\\.]"], ["第二段。", ""], ["第三段。", ""]]


def test_an_empty_translated_paragraph_does_not_shift_the_rest(monkeypatch, tmp_path):
    # The model rendered the second paragraph as nothing: its slot stays empty, the third stays third.
    doc_id = one_translated_document(monkeypatch, tmp_path, "第一段。\n\n第二段。\n\n第三段。",
                                     "First.\n\n\n\nThird.")
    at = app("document", doc_id).run()
    heading, *paragraphs = side_by_side(at)
    assert paragraphs == [["第一段。", ":gray[First\\.]"], ["第二段。", ""], ["第三段。", ":gray[Third\\.]"]]
    assert "covers the first" not in heading[1]


def test_the_url_alone_sets_query_filters_sort_and_page(demo):
    at = app()
    at.query_params.update({"q": "出口管制", "lang": ["zh", "en"], "sort": "date", "page": "2"})
    at.run()
    assert not at.exception
    query = "(出口管制) (lang:zh OR lang:en)"
    expected = library(demo, query, sort="date", limit=10, offset=10)
    assert at.text_input(key="w_text").value == "出口管制"
    assert facet(at, "Language").value == ["zh", "en"]
    assert titles(at) == [f"##### {title_markdown(h.title, highlight_words(prepare(SearchRequest('出口管制'))))}"
                          for h in expected.hits]
    assert any("page 2 of" in c.value for c in at.caption)


def test_widgets_write_the_search_into_the_url(demo):
    at = app().run()
    at.text_input(key="w_text").input("SMIC").run()
    facet(at, "Language").select("zh").run()
    assert at.query_params["q"] == "SMIC" and at.query_params["lang"] in ("zh", ["zh"])
    at.button(key="remove_lang_zh").click().run()  # the chip of the applied filter
    assert "lang" not in at.query_params and at.query_params["q"] == "SMIC"


def test_chinese_interface_from_the_url(demo):
    at = app()
    at.query_params["hl"] = "zh"
    at.query_params["q"] = "出口管制"
    at.run()
    assert not at.exception
    result = library(demo, "出口管制")
    assert f"**{result.total_stories}** 篇报道，{result.total_documents} 篇匹配文档" in markdown_text(at)
    assert at.text_input(key="w_text").label == "搜索"
    assert any(" · 中文 · " in c.value for c in at.caption)  # document languages named in Chinese too


def test_running_a_saved_search_opens_the_search_page_with_it_in_the_url(empty):
    from alerts.saved import SavedSearch, SavedSearches

    with Store.open(empty) as store:
        SavedSearches(store).add(SavedSearch(name="wg", query="working group", recipients=["a@example.org"]))
    at = app("saved").run()
    at.button(key="run_wg").click().run()
    assert not at.exception
    assert at.query_params["q"] == "working group"
    assert at.text_input(key="w_text").value == "working group"


def test_a_rerun_that_leaves_the_search_alone_asks_the_index_nothing_until_it_changes(bilingual, monkeypatch):
    from index.tantivy import TantivyBackend

    settings, _ = bilingual
    expected = summary_line(settings, "出口管制")
    asked: list[str] = []
    search = TantivyBackend.search
    monkeypatch.setattr(TantivyBackend, "search",
                        lambda self, request: asked.append(request.query) or search(self, request))
    at = app().run()
    at.text_input(key="w_text").input("出口管制").run()
    assert asked == ["", "出口管制"] and expected in markdown_text(at)
    at.text_area(key="w_compare").input("SMIC").run()  # a chart option: the results stay as they were
    assert asked == ["", "出口管制"] and not at.exception and expected in markdown_text(at)
    # A new document indexed (a commit moves the index's stamp): the next run searches again and shows it.
    with Store.open(settings) as store:
        doc = Document(url="https://www.csia.example/news/3.html", source_id="csia",
                       title="中国半导体行业协会再谈出口管制", body="协会再次讨论出口管制。",
                       published_at="2025-07-28T08:00:00+00:00", declared_lang="zh", kind="association",
                       country="CN")
        store.upsert_document(doc)
        Analyses(store).save(doc.id, doc.content_hash, "test=1", lang="zh", script="hans",
                             title_seg=index_text(doc.title), body_seg=index_text(doc.body))
        open_backend(settings, store).sync()
    at.run()
    assert asked == ["", "出口管制", "出口管制"]
    assert "3 matching documents" in markdown_text(at) and not at.exception
