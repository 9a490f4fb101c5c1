"""Translation: the real MarianMT load-and-generate path on a tiny model built here, the sentence
cache, sentence splitting, and what happens when a model is missing."""

from __future__ import annotations

import dataclasses
import json
import logging

import pytest

from index.document import Document
from index.store import Store
from nlp import translate
from nlp.pipeline import process
from tests.conftest import make_settings

SENTENCES = [
    "The association opposes new export controls.",
    "Supply chain security matters to every member.",
    "中国半导体行业协会反对新的出口管制。",
    "供应链安全关系到每一个会员企业。",
    "Officials met in Beijing and Washington.",
    "双方在北京和华盛顿举行会谈。",
]


@pytest.fixture(scope="module")
def tiny_marian(tmp_path_factory):
    """A MarianMT model with random weights and a sentencepiece vocabulary trained on a few lines."""
    import sentencepiece as spm
    import torch
    from transformers import MarianConfig, MarianMTModel, MarianTokenizer

    root = tmp_path_factory.mktemp("tiny-marian")
    corpus = root / "corpus.txt"
    corpus.write_text("\n".join(SENTENCES * 5), encoding="utf-8")
    spm.SentencePieceTrainer.train(input=str(corpus), model_prefix=str(root / "spm"), vocab_size=120,
                                   character_coverage=1.0, model_type="unigram",
                                   hard_vocab_limit=False, bos_id=-1, eos_id=1, unk_id=2, pad_id=0)
    processor = spm.SentencePieceProcessor(model_file=str(root / "spm.model"))
    pieces = [processor.id_to_piece(i) for i in range(processor.get_piece_size())]
    vocab = {"<pad>": 0, "</s>": 1, "<unk>": 2}
    for piece in pieces:
        vocab.setdefault(piece, len(vocab))
    model_dir = root / "model"
    model_dir.mkdir()
    (model_dir / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    for name in ("source.spm", "target.spm"):
        (model_dir / name).write_bytes((root / "spm.model").read_bytes())
    tokenizer = MarianTokenizer(vocab=str(model_dir / "vocab.json"), source_spm=str(model_dir / "source.spm"),
                                target_spm=str(model_dir / "target.spm"))
    tokenizer.save_pretrained(str(model_dir))
    torch.manual_seed(0)
    size = max(len(tokenizer), max(tokenizer.get_vocab().values()) + 1)
    config = MarianConfig(vocab_size=size, decoder_vocab_size=size, d_model=16, encoder_layers=1, decoder_layers=1,
                          encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=32,
                          decoder_ffn_dim=32, max_position_embeddings=64, pad_token_id=0, eos_token_id=1,
                          decoder_start_token_id=0, forced_eos_token_id=1)
    model = MarianMTModel(config)
    model.generation_config.max_length = 12
    model.save_pretrained(str(model_dir))
    return model_dir


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
    assert "MarianMT on cpu" in translator.describe()


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
        warnings = [r for r in caplog.records if "not on this machine" in r.getMessage()]
        assert len(warnings) == 1 and str(missing) in warnings[0].getMessage()
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
