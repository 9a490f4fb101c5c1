"""A MarianMT model built from nothing in a second: random weights, a sentencepiece vocabulary
trained on a few lines written for the tests, the same file layout as the opus-mt models on the Hub
(`<pad>` is the last vocabulary entry, as CTranslate2's Marian converter expects)."""

from __future__ import annotations

import json
from pathlib import Path

SENTENCES = [
    "The association opposes new export controls.",
    "Supply chain security matters to every member.",
    "中国半导体行业协会反对新的出口管制。",
    "供应链安全关系到每一个会员企业。",
    "Officials met in Beijing and Washington.",
    "双方在北京和华盛顿举行会谈。",
    "美国商务部发布新规。",
    "The ministry published a new rule on chips.",
]


def build_tiny_marian(root: Path, d_model: int = 32, seed: int = 0) -> Path:
    """Write a tiny MarianMT model (transformers files) under root/model and return that path."""
    import sentencepiece as spm
    import torch
    from transformers import MarianConfig, MarianMTModel, MarianTokenizer

    root.mkdir(parents=True, exist_ok=True)
    corpus = root / "corpus.txt"
    corpus.write_text("\n".join(SENTENCES * 5), encoding="utf-8")
    spm.SentencePieceTrainer.train(input=str(corpus), model_prefix=str(root / "spm"), vocab_size=150,
                                   character_coverage=1.0, model_type="unigram", hard_vocab_limit=False,
                                   bos_id=-1, pad_id=-1, eos_id=0, unk_id=1, minloglevel=2)
    processor = spm.SentencePieceProcessor(model_file=str(root / "spm.model"))
    vocab = {"</s>": 0, "<unk>": 1}
    for i in range(processor.get_piece_size()):
        vocab.setdefault(processor.id_to_piece(i), len(vocab))
    pad_id = len(vocab)
    vocab["<pad>"] = pad_id
    model_dir = root / "model"
    model_dir.mkdir(exist_ok=True)
    (model_dir / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    for name in ("source.spm", "target.spm"):
        (model_dir / name).write_bytes((root / "spm.model").read_bytes())
    tokenizer = MarianTokenizer(vocab=str(model_dir / "vocab.json"), source_spm=str(model_dir / "source.spm"),
                                target_spm=str(model_dir / "target.spm"), model_max_length=22)
    tokenizer.save_pretrained(str(model_dir))
    torch.manual_seed(seed)
    size = len(vocab)
    config = MarianConfig(vocab_size=size, decoder_vocab_size=size, d_model=d_model, encoder_layers=1,
                          decoder_layers=1, encoder_attention_heads=2, decoder_attention_heads=2,
                          encoder_ffn_dim=2 * d_model, decoder_ffn_dim=2 * d_model, max_position_embeddings=24,
                          pad_token_id=pad_id, eos_token_id=0, decoder_start_token_id=pad_id,
                          forced_eos_token_id=0, init_std=0.4)
    model = MarianMTModel(config)
    model.save_pretrained(str(model_dir))
    return model_dir
