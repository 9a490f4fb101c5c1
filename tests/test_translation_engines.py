"""Greedy output through the pipeline (sentence split, cache, length-sorted batches) is the same as
calling the model directly on each sentence alone, for both engines: CTranslate2 int8 (an installed
model) and transformers `generate` (a local directory)."""

from __future__ import annotations

import dataclasses

import pytest

from index.document import Document
from index.store import Store
from nlp import models
from nlp.pipeline import process
from nlp.translate import split_sentences
from tests.conftest import make_settings

# Sentences of very different lengths, one repeated (served from the cache the second time).
PARAGRAPHS = [
    "中国半导体行业协会反对新的出口管制。美国商务部发布新规。",
    "供应链安全关系到每一个会员企业。双方在北京和华盛顿举行会谈。中国半导体行业协会反对新的出口管制。",
    "美国商务部发布新规。" * 6,
]
TITLE = "中国半导体行业协会声明"


def direct_ct2(path, tokenizer, sentence: str, max_tokens: int) -> str:
    import ctranslate2

    translator = ctranslate2.Translator(str(path), device="cpu", compute_type="int8")
    ids = tokenizer(sentence, truncation=True, max_length=max_tokens)["input_ids"]
    result = translator.translate_batch([tokenizer.convert_ids_to_tokens(ids)], beam_size=1,
                                        max_decoding_length=max_tokens)
    return tokenizer.decode(tokenizer.convert_tokens_to_ids(result[0].hypotheses[0]), skip_special_tokens=True)


def direct_transformers(model, tokenizer, sentence: str, max_tokens: int) -> str:
    import torch

    inputs = tokenizer([sentence], return_tensors="pt", truncation=True, max_length=max_tokens)
    with torch.inference_mode():
        out = model.generate(**inputs, num_beams=1, do_sample=False, max_new_tokens=max_tokens)
    return tokenizer.decode(out[0], skip_special_tokens=True)


def settings_for(tmp_path, tiny_marian):
    settings = make_settings(tmp_path / "data")
    return settings.replace(nlp=dataclasses.replace(
        settings.nlp, translate_zh_en=str(tiny_marian), translate_en_zh=str(tiny_marian), translate_scope="full",
        translate_batch=3))


def through_pipeline(settings) -> tuple[str, str, object]:
    with Store.open(settings) as store:
        store.upsert_document(Document(url="https://ex.cn/1", source_id="s", title=TITLE,
                                       body="\n\n".join(PARAGRAPHS), declared_lang="zh"))
        report = process(store, settings)
        doc = store.get(Document(url="https://ex.cn/1", source_id="s").id)
        return doc.title_tr, doc.body_tr, report


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["ctranslate2", "transformers"])
def test_pipeline_output_equals_the_model_called_on_each_sentence_alone(engine, tiny_marian, tmp_path):
    from transformers import MarianMTModel, MarianTokenizer

    settings = settings_for(tmp_path, tiny_marian)
    tokenizer = MarianTokenizer.from_pretrained(str(tiny_marian))
    max_tokens = 22  # the tiny model has 24 positions; both engines keep two in reserve
    if engine == "ctranslate2":
        spec = models.ModelSpec("zh→en", "zh", str(tiny_marian), "main")
        installed = models.install(spec, models.models_root(settings))
        direct = lambda s: direct_ct2(installed.path, tokenizer, s, max_tokens)  # noqa: E731
    else:
        model = MarianMTModel.from_pretrained(str(tiny_marian)).eval()
        direct = lambda s: direct_transformers(model, tokenizer, s, max_tokens)  # noqa: E731

    title_tr, body_tr, report = through_pipeline(settings)
    assert report.translated == 1
    assert ("CTranslate2 int8" if engine == "ctranslate2" else "(transformers)") in report.pipelines["translate"]
    expected_title = " ".join(direct(s) for s in split_sentences(TITLE, "zh"))
    expected_body = "\n\n".join(" ".join(direct(s) for s in split_sentences(p, "zh")) for p in PARAGRAPHS)
    assert title_tr == expected_title
    assert body_tr == expected_body
    # Repeated sentences reached the model once; the rest came from the cache.
    assert report.sentences_from_cache == report.sentences_translated - len(
        set(s for p in [TITLE, *PARAGRAPHS] for s in split_sentences(p, "zh")))


@pytest.mark.slow
def test_an_installed_model_runs_on_ctranslate2_and_a_local_directory_on_transformers(tiny_marian, tmp_path):
    settings = settings_for(tmp_path, tiny_marian)
    models.install(models.ModelSpec("zh→en", "zh", str(tiny_marian), "main"), models.models_root(settings))
    _, _, report = through_pipeline(settings)
    assert "CTranslate2 int8" in report.pipelines["translate"]
    plain = settings_for(tmp_path / "plain", tiny_marian)
    _, _, report = through_pipeline(plain)
    assert "transformers" in report.pipelines["translate"]
