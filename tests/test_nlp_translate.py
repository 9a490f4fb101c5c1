"""Translation: the real MarianMT load-and-generate path on a tiny model built here, the sentence
cache, sentence splitting, and what happens when a model is missing."""

from __future__ import annotations

import dataclasses
import json
import logging

from index.document import Document
from index.store import Store
from nlp import translate
from nlp.pipeline import process
from tests.conftest import make_settings
from tests.tiny_marian import SENTENCES


def nlp_settings(data_dir, **changes):
    """Test settings with some `nlp` values changed (the rest as shipped)."""
    settings = make_settings(data_dir)
    return settings.replace(nlp=dataclasses.replace(settings.nlp, **changes))


def _settings(tmp_path, model_dir, **extra):
    return nlp_settings(tmp_path / "data", translate_zh_en=str(model_dir),
                        translate_en_zh=str(model_dir), **extra)


def test_tiny_model_loads_and_generates_through_the_real_path(tiny_marian, tmp_path):
    settings = _settings(tmp_path, tiny_marian)
    translator = translate.Translator(settings.nlp)
    engine = translator.engine("zh")
    assert engine is not None and engine.name == str(tiny_marian)
    out, total, cached = translator.translate_sentences(engine, SENTENCES[2:4])
    assert len(out) == 2 and all(isinstance(t, str) for t in out)
    assert (total, cached) == (2, 0) and engine.generate_calls == 1
    assert "MarianMT (transformers) on cpu" in translator.describe()


def test_second_run_is_served_from_the_cache_table(tiny_marian, tmp_path):
    settings = _settings(tmp_path, tiny_marian, translate_scope="full")
    with Store.open(settings) as store:
        store.upsert_document(Document(url="https://ex.cn/a", source_id="s", title="中国半导体行业协会声明",
                                       body="\n\n".join(SENTENCES[2:4] + [SENTENCES[5]])))
        first = process(store, settings)
        assert first.translated == 1 and first.sentences_from_cache == 0
        rows = store.conn.execute("SELECT COUNT(*) FROM translation_cache").fetchone()[0]
        assert rows == first.sentences_translated == 4
        doc = store.get(Document(url="https://ex.cn/a", source_id="s").id)
        assert doc.translation_model == str(tiny_marian) and doc.title_tr is not None
        assert doc.body_tr.count("\n\n") == 2  # one translated paragraph per paragraph

        # A re-crawl changes one paragraph: only that paragraph's sentence reaches the model.
        store.upsert_document(Document(url="https://ex.cn/a", source_id="s", title="中国半导体行业协会声明",
                                       body="\n\n".join(SENTENCES[2:4] + ["美国商务部发布新规。"])))
        second = process(store, settings)
        assert second.processed == 1
        assert second.sentences_from_cache == 3 and second.sentences_translated == 4
        assert store.conn.execute("SELECT COUNT(*) FROM translation_cache").fetchone()[0] == 5


def test_missing_model_marks_documents_untranslated_says_so_once_and_fill_in_later(tiny_marian, tmp_path, caplog):
    missing = tmp_path / "no-such-model"
    settings = nlp_settings(tmp_path / "data", translate_zh_en=str(missing),
                            translate_en_zh="Helsinki-NLP/opus-mt-not-here")
    caplog.set_level(logging.WARNING, logger="nlp.translate")
    with Store.open(settings) as store:
        for i in range(3):
            store.upsert_document(Document(url=f"https://ex.cn/{i}", source_id="s", title=f"出口管制声明{i}",
                                           body=SENTENCES[2]))
        report = process(store, settings)
        assert report.processed == 3 and report.untranslated == 3 and report.translated == 0
        warnings = [r for r in caplog.records if r.name == "nlp.translate" and "is not installed" in r.getMessage()]
        assert len(warnings) == 1 and str(missing) in warnings[0].getMessage()
        assert "parallax models install translation" in warnings[0].getMessage()
        details = json.loads(store.conn.execute("SELECT details FROM analyses LIMIT 1").fetchone()[0])
        assert details["translation"].startswith("untranslated")

    # The model arrives: `process --translate` fills in the three, without touching other stages.
    settings = _settings(tmp_path, tiny_marian)
    with Store.open(settings) as store:
        assert process(store, settings).processed == 0
        filled = process(store, settings, fill_translations=True)
        assert filled.translated == 3
        assert filled.counts["entities"] == 0 and filled.counts["translate"] == 3
        assert store.conn.execute("SELECT COUNT(*) FROM analyses WHERE title_tr IS NULL").fetchone()[0] == 0


def test_scope_title_lead_full_choose_how_much_is_translated(tiny_marian, tmp_path):
    paragraphs = ["第一段。", "第二段。", "第三段。", "第四段。"]
    for scope, expected in (("title", 0), ("lead", 2), ("full", 4)):
        settings = _settings(tmp_path / scope, tiny_marian, translate_scope=scope)
        translator = translate.Translator(settings.nlp)
        result = translator.translate_document("标题", paragraphs, "zh")
        assert result.sentences == 1 + expected
        assert (result.body.count("\n\n") + 1 if result.body else 0) == expected


def test_sentence_splitting_in_both_languages():
    assert translate.split_sentences("协会表示反对。美方应当撤回！是否可行？", "zh") == [
        "协会表示反对。", "美方应当撤回！", "是否可行？"]
    assert translate.split_sentences("The U.S. rule is new. It takes effect today! Really?", "en") == [
        "The U.S. rule is new.", "It takes effect today!", "Really?"]
    long = "word " * 200
    assert all(len(s) <= 400 for s in translate.split_sentences(long, "en"))


def test_other_languages_are_not_sent_to_a_model(tiny_marian, tmp_path):
    translator = translate.Translator(_settings(tmp_path, tiny_marian).nlp)
    result = translator.translate_document("Bonjour", ["Le texte."], "fr")
    assert result.model is None and "fr" in result.note
