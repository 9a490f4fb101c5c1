"""Entities linked across languages through the bilingual gazetteer."""

import dataclasses
import logging

import pytest

from nlp import evaluate, gazetteer
from nlp.entities import EntityTagger
from parallax.errors import ConfigError
from tests.conftest import make_settings


@pytest.fixture(scope="module")
def tagger(tmp_path_factory):
    return EntityTagger(make_settings(tmp_path_factory.mktemp("ent")).nlp)


def test_gazetteer_finds_the_id_by_any_name_in_either_language():
    gaz = gazetteer.load()
    assert len(gaz) == 203
    for name in ("CSIA", "csia", "China Semiconductor Industry Association", "中国半导体行业协会",
                 "中國半導體行業協會", "the China Semiconductor Industry Association"):
        assert gaz.lookup(name) == "csia", name
    assert gaz.lookup("ＳＭＩＣ") == gaz.lookup("中芯国际") == "smic"
    assert gaz.lookup("商务部") == gaz.lookup("MOFCOM") == "mofcom"
    assert gaz.lookup("Nobody Inc.") is None


def test_an_english_and_a_chinese_document_about_csia_share_the_canonical_id(tagger):
    en = tagger.tag("The China Semiconductor Industry Association (CSIA) met SIA in Seoul.", "en")
    zh = tagger.tag("中国半导体行业协会与美国半导体行业协会在首尔举行会议。", "zh")
    hant = tagger.tag("中國半導體行業協會發表聲明。", "zh")
    ids = lambda found: {m["canonical_id"] for m in found}
    assert {"csia", "sia", "seoul"} <= ids(en)
    assert {"csia", "sia", "seoul"} <= ids(zh)
    assert "csia" in ids(hant)


def test_offsets_point_into_the_original_text(tagger):
    text = "據報導，中國半導體行業協會與ＳＭＩＣ代表會面。"
    found = tagger.tag(text, "zh")
    for m in found:
        assert text[m["start"]:m["end"]] == m["text"]
    assert {m["text"]: m["canonical_id"] for m in found}["ＳＭＩＣ"] == "smic"
    english = "On Monday, the Bureau of Industry and Security (BIS) added SMIC to the Entity List."
    for m in tagger.tag(english, "en"):
        assert english[m["start"]:m["end"]] == m["text"]


def test_english_uses_the_installed_statistical_model_and_finds_names_outside_the_list(tagger):
    found = tagger.tag("Maria Gonzalez, a lawyer at Covington, spoke in Denver.", "en")
    assert tagger.pipeline("en").statistical
    assert {m["text"]: m["label"] for m in found}.get("Maria Gonzalez") == "PERSON"
    assert "Denver" in {m["text"] for m in found}


def test_single_word_names_match_only_as_written(tagger):
    found = tagger.tag("Let us see whether the arm of the law reaches the US and Apple.", "en")
    texts = {m["text"]: m["canonical_id"] for m in found}
    assert texts.get("US") == "us" and texts.get("Apple") == "apple"
    assert "us" not in texts and "arm" not in texts


def test_missing_spacy_pipeline_falls_back_and_says_so_once(tmp_path, caplog):
    settings = make_settings(tmp_path / "d")
    nlp = dataclasses.replace(settings.nlp, spacy_en="no_such_pipeline_en")
    caplog.set_level(logging.WARNING, logger="nlp.entities")
    tagger = EntityTagger(nlp)
    for _ in range(3):
        found = tagger.tag("CSIA and the Ministry of Commerce spoke.", "en")
    assert "csia" in {m["canonical_id"] for m in found}
    assert "spacy.blank('en')" in tagger.describe()["en"]
    assert len([r for r in caplog.records if "no_such_pipeline_en" in r.getMessage()]) == 1


def test_chinese_fallback_tags_unknown_people_and_places_with_jieba(tagger):
    found = tagger.tag("清华大学教授王建国在苏州表示，中芯国际将扩产。", "zh")
    labels = {m["text"]: m["label"] for m in found}
    assert labels["王建国"] == "PERSON" and labels["苏州"] == "GPE" and labels["中芯国际"] == "ORG"
    assert "jieba POS" in tagger.describe()["zh"]


def test_chinese_quality_on_the_labelled_sentences(tagger):
    """Our own labelled sentences (nlp/data/entities_eval_zh.jsonl); measured F1 0.875."""
    rows = evaluate.load_gold()
    predicted = evaluate.fallback_mentions([r["text"] for r in rows])
    scores = evaluate.score(predicted, [set(r["entities"]) for r in rows])
    assert scores["f1"] >= 0.85 and scores["precision"] >= 0.85


def test_user_entities_extend_the_list(tmp_path):
    extra = tmp_path / "mine.toml"
    extra.write_text('[[entity]]\nid = "acme"\ntype = "ORG"\nen = "Acme Lithography"\nzh = "艾克光刻"\n'
                     'aliases = ["艾克"]\n', encoding="utf-8")
    gaz = gazetteer.load(str(extra))
    assert gaz.lookup("acme lithography") == gaz.lookup("艾克光刻") == "acme" and len(gaz) == 204


def test_bad_entity_files_name_the_problem(tmp_path):
    # Tried: a missing file, an unknown type, and an entity without names.
    with pytest.raises(ConfigError, match="not a file"):
        gazetteer.load(str(tmp_path / "absent.toml"))
    bad = tmp_path / "bad.toml"
    bad.write_text('[[entity]]\nid = "x"\ntype = "THING"\nen = "X"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="THING.*ORG, PERSON, GPE, LOC, LAW"):
        gazetteer.load(str(bad))
    bad.write_text('[[entity]]\nid = "y"\ntype = "ORG"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="neither an 'en' nor a 'zh'"):
        gazetteer.load(str(bad))
