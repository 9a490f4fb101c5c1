"""Honest translation status: with no model, the document page, the status page, `parallax process`
and `parallax sources list` name the missing model and the one command that installs it; the
metadata shows a translation stage only when one ran; with a model, "Translate this document"
translates the whole text on the page and the index picks it up; `--scope full` completes
documents translated only in part."""

from __future__ import annotations

import dataclasses
import json
import os

import pytest
from streamlit.testing.v1 import AppTest

from index.document import Document
from index.backends import open_backend
from index.search import SearchRequest
from index.store import Store
from nlp.pipeline import process
from parallax.settings import load_settings
from tests.conftest import run_cli

ZH_EN = "Helsinki-NLP/opus-mt-zh-en"
INSTALL = "parallax models install translation"
DOC = Document(url="https://www.csia.example/news/9.html", source_id="csia", title="中国半导体行业协会声明",
               body="中国半导体行业协会反对新的出口管制。\n\n供应链安全关系到每一个会员企业。\n\n"
                    "双方在北京和华盛顿举行会谈。\n\n美国商务部发布新规。", declared_lang="zh")


def env_settings(monkeypatch, tmp_path, **env):
    """Settings built the way the app builds them (from PARALLAX_*), and that environment set."""
    for name in [k for k in os.environ if k.startswith("PARALLAX_")]:
        monkeypatch.delenv(name)
    values = {"PARALLAX_DATA_DIR": str(tmp_path / "data"), **env}
    for k, v in values.items():
        monkeypatch.setenv(k, v)
    return load_settings(env=values)


def stored(settings) -> None:
    with Store.open(settings) as store:
        store.upsert_document(DOC)
        process(store, settings)
        open_backend(settings, store).sync(store)


def page(name: str, doc_id: str | None = None) -> AppTest:
    def script(start):
        import streamlit as st

        from ui.navigation import all_pages

        st.navigation(all_pages(start), position="top").run()

    at = AppTest.from_function(script, args=(name,), default_timeout=120)
    if doc_id:
        at.query_params["id"] = doc_id
    return at.run()


@pytest.mark.slow
def test_without_a_model_the_document_page_names_it_and_the_command(monkeypatch, tmp_path):
    settings = env_settings(monkeypatch, tmp_path)
    stored(settings)
    at = page("document", DOC.id)
    assert not at.exception
    notice = " ".join(i.value for i in at.info)
    assert "Not translated yet" in notice and ZH_EN in notice and INSTALL in notice
    assert not [b for b in at.button if b.key == "translate_document"]  # nothing to translate with
    assert any("No translation of this document" in c.value for c in at.caption)  # not an empty column
    metadata = at.dataframe[-1].value
    rows = dict(zip(metadata["field"], metadata["value"]))
    assert "translate=" not in rows["Processing version"] and "langid=" in rows["Processing version"]
    assert INSTALL in rows["Translation"]  # why it is untranslated, not a stage that seemed to run


def test_without_a_model_the_status_page_says_which_and_how_to_install(monkeypatch, tmp_path):
    settings = env_settings(monkeypatch, tmp_path)
    stored(settings)
    at = page("status")
    assert not at.exception
    frame = at.dataframe[-1].value
    assert list(frame["model"]) == [ZH_EN, "Helsinki-NLP/opus-mt-en-zh"]
    assert list(frame["state"]) == ["NOT INSTALLED", "NOT INSTALLED"]
    assert list(frame["translated documents"])[0] == "0 of 1"
    assert any(INSTALL in w.value and ZH_EN in w.value for w in at.warning)


@pytest.mark.slow
def test_process_and_sources_list_name_the_missing_models_and_the_command(tmp_path):
    env = {"PARALLAX_DATA_DIR": str(tmp_path / "data")}
    with Store.open(load_settings(env=env)) as store:
        store.upsert_document(DOC)
    for args in (("process",), ("sources", "list")):
        result = run_cli(*args, env=env)
        assert result.returncode == 0, result.stderr
        lines = [line for line in result.stdout.splitlines() if INSTALL in line]
        assert len(lines) == 2 and ZH_EN in lines[0] and "opus-mt-en-zh" in lines[1], result.stdout


@pytest.mark.slow
def test_translate_this_document_translates_the_whole_text_and_indexes_it(monkeypatch, tmp_path, tiny_marian):
    settings = env_settings(monkeypatch, tmp_path, PARALLAX_NLP_TRANSLATE_ZH_EN=str(tiny_marian),
                            PARALLAX_NLP_TRANSLATE_EN_ZH=str(tiny_marian), PARALLAX_NLP_TRANSLATE="false")
    stored(settings)  # processed with translation off: untranslated, and a model is there
    at = page("document", DOC.id)
    assert [b.label for b in at.button if b.key == "translate_document"] == ["Translate this document"]
    at.button(key="translate_document").click().run()
    assert not at.exception
    assert any("Translated 5 sentences" in s.value for s in at.success)
    with Store.open(settings) as store:
        doc = store.get(DOC.id)
        details = json.loads(store.conn.execute("SELECT details FROM analyses WHERE doc_id = ?",
                                                (DOC.id,)).fetchone()[0])
        backend = open_backend(settings, store)
        assert backend.sync(store)["indexed"] == 0  # the page brought the index up to date
        word = max(doc.body_tr.split(), key=len)
        hits = backend.search(SearchRequest(query=word, limit=5)).hits
    assert doc.translation_model == str(tiny_marian) and doc.body_tr.count("\n\n") == 3
    assert details["translation_scope"] == "full" and "transformers" in details["translation_engine"]
    assert DOC.id in [h.id for h in hits]
    text = "\n".join(m.value for m in at.markdown)
    assert "**Translation**" in text and not [b for b in at.button if b.key == "translate_document"]
    rows = dict(zip(at.dataframe[-1].value["field"], at.dataframe[-1].value["value"]))
    assert "translate=" in rows["Processing version"] and "scope full" in rows["Translation"]


@pytest.mark.slow
def test_scope_full_completes_documents_translated_only_in_part(tmp_path, tiny_marian):
    settings = load_settings(env={}, overrides={"data_dir": str(tmp_path / "data")})
    settings = settings.replace(nlp=dataclasses.replace(settings.nlp, translate_zh_en=str(tiny_marian),
                                                        translate_en_zh=str(tiny_marian)))
    with Store.open(settings) as store:
        store.upsert_document(DOC)
        first = process(store, settings)  # default scope: title and lead (2 paragraphs)
        assert first.translated == 1 and store.get(DOC.id).body_tr.count("\n\n") == 1
        assert process(store, settings, fill_translations=True).processed == 0  # nothing left to fill
        full = process(store, settings, fill_translations=True, scope="full")
        assert full.processed == 1 and full.sentences_from_cache == 3  # title and lead from the cache
        assert store.get(DOC.id).body_tr.count("\n\n") == 3
        assert process(store, settings, fill_translations=True, scope="full").processed == 0
        # The text changes: still translated in full, not back to the lead.
        store.upsert_document(dataclasses.replace(DOC, body=DOC.body + "\n\n双方在北京举行会谈。"))
        process(store, settings)
        assert store.get(DOC.id).body_tr.count("\n\n") == 4
