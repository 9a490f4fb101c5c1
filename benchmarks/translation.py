"""`python -m benchmarks.translation`: CTranslate2 int8 against transformers `generate`, same model,
same sentences; and the translation cache's hit path.

The model: `--model` names a MarianMT directory (e.g. a downloaded Helsinki-NLP/opus-mt-zh-en);
without it, a MarianMT with opus-mt-zh-en's shape (d_model 512, 6+6 layers, 8 heads, FFN 2048, a
65,001-entry vocabulary) and random weights is built once under benchmarks/corpus/ — the same
arithmetic per token as the real model, not its translations. Random weights rarely stop early, so
both engines decode up to `--max-tokens` per sentence; the tokens each one produced are recorded
and the figures are given per sentence and per token.

Both engines run through the project's own engines (`nlp.translate`: tokenizer, length-sorted
batches of `--batch`, greedy), on every core, in alternating rounds with the best round kept so
that load from other processes does not land on one side only. Results: benchmarks/results/translation.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

from benchmarks.report import Run

CACHE = Path(__file__).resolve().parent / "corpus" / "translation"
SHAPE = dict(d_model=512, encoder_layers=6, decoder_layers=6, encoder_attention_heads=8,
             decoder_attention_heads=8, encoder_ffn_dim=2048, decoder_ffn_dim=2048, vocab=65001)


def sentences(n: int, lang: str = "zh") -> list[str]:
    """Sentences of the benchmark corpus (generated from the project's own templates)."""
    from benchmarks import corpus as corpus_mod, vocabulary
    from nlp.translate import split_sentences

    corpus = corpus_mod.Corpus(vocabulary.load())
    corpus.ensure(2000)
    out: list[str] = []
    for doc in corpus.documents(2000):
        if doc.lang != lang:
            continue
        for paragraph in [doc.title, *doc.body.split("\n\n")]:
            out.extend(s for s in split_sentences(paragraph, lang) if len(s) >= 8)
        if len(out) >= n:
            break
    return out[:n]


def opus_shaped_model(texts: list[str]) -> Path:
    """A MarianMT of opus-mt-zh-en's size with random weights (built once, then reused)."""
    import json as _json

    import sentencepiece as spm
    import torch
    from transformers import MarianConfig, MarianMTModel, MarianTokenizer

    target = CACHE / "opus-shaped-random"
    if (target / "config.json").is_file():
        return target
    work = CACHE / "build"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    (work / "corpus.txt").write_text("\n".join(texts), encoding="utf-8")
    spm.SentencePieceTrainer.train(input=str(work / "corpus.txt"), model_prefix=str(work / "spm"),
                                   vocab_size=4000, character_coverage=1.0, hard_vocab_limit=False,
                                   bos_id=-1, pad_id=-1, eos_id=0, unk_id=1, minloglevel=2)
    sp = spm.SentencePieceProcessor(model_file=str(work / "spm.model"))
    vocab = {"</s>": 0, "<unk>": 1}
    for i in range(sp.get_piece_size()):
        vocab.setdefault(sp.id_to_piece(i), len(vocab))
    while len(vocab) < SHAPE["vocab"] - 1:  # the rest of a 65k vocabulary: output rows like the real model's
        vocab[f"▁w{len(vocab)}"] = len(vocab)
    vocab["<pad>"] = len(vocab)
    target.mkdir(parents=True, exist_ok=True)
    (target / "vocab.json").write_text(_json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    for name in ("source.spm", "target.spm"):
        shutil.copy(work / "spm.model", target / name)
    MarianTokenizer(vocab=str(target / "vocab.json"), source_spm=str(target / "source.spm"),
                    target_spm=str(target / "target.spm")).save_pretrained(str(target))
    torch.manual_seed(0)
    shape = {k: v for k, v in SHAPE.items() if k != "vocab"}
    config = MarianConfig(vocab_size=len(vocab), decoder_vocab_size=len(vocab), max_position_embeddings=512,
                          pad_token_id=len(vocab) - 1, eos_token_id=0, decoder_start_token_id=len(vocab) - 1,
                          forced_eos_token_id=0, **shape)
    MarianMTModel(config).save_pretrained(str(target))
    shutil.rmtree(work, ignore_errors=True)
    return target


def converted(model_dir: Path) -> Path:
    from nlp.models import convert

    target = CACHE / (model_dir.name + "-ct2-int8")
    if not (target / "model.bin").is_file():
        shutil.rmtree(target, ignore_errors=True)
        convert(model_dir, target)
    return target


def timed(engine, texts: list[str], batch: int) -> dict:
    before = engine.output_tokens
    started = time.perf_counter()
    engine.translate(texts, batch)
    seconds = time.perf_counter() - started
    tokens = engine.output_tokens - before
    return {"seconds": seconds, "sentences_per_s": len(texts) / seconds, "output_tokens": tokens,
            "tokens_per_s": tokens / seconds}


def cache_hit_path(n: int) -> dict:
    """Sentences/s when every sentence is in the store's cache (a re-crawl of known text)."""
    import dataclasses
    import tempfile

    from index.store import Store
    from nlp.translate import Translator
    from parallax.settings import load_settings

    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(env={}, overrides={"data_dir": tmp})
        settings = settings.replace(nlp=dataclasses.replace(settings.nlp, translate_zh_en="bench"))
        texts = [f"第{i}条：中国半导体行业协会就出口管制发表声明，编号{i * 7919 % 100003}。" for i in range(n)]
        with Store.open(settings) as store:
            translator = Translator(settings.nlp, store)

            class Known:  # what translate_sentences needs of an engine when nothing reaches a model
                cache_key = "bench"
                name = "bench"

                def translate(self, batch, size):
                    raise AssertionError("a cached sentence reached the model")

            from nlp.translate import sentence_hash

            translator._remember("bench", {sentence_hash(s): (s, "translation " + s) for s in texts})
            best = None
            for _ in range(3):
                started = time.perf_counter()
                out, total, cached = translator.translate_sentences(Known(), texts)
                seconds = time.perf_counter() - started
                assert cached == total == n and len(out) == n
                best = seconds if best is None else min(best, seconds)
    return {"sentences": n, "seconds": best, "sentences_per_s": n / best}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.translation", description=__doc__.splitlines()[0])
    p.add_argument("--model", type=Path, help="a MarianMT directory (default: the opus-shaped random model)")
    p.add_argument("--sentences", type=int, default=64, help="sentences per round")
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--max-tokens", type=int, default=48, help="decoding limit per sentence, both engines")
    p.add_argument("--cache-sentences", type=int, default=20000)
    args = p.parse_args(argv)

    from nlp.translation_engines import CTranslate2Engine, TransformersEngine

    run = Run(args.sentences)
    texts = sentences(args.sentences)
    model_dir = args.model or opus_shaped_model(sentences(3000))
    ct2_dir = converted(model_dir)
    ct2 = CTranslate2Engine(str(ct2_dir), name=str(model_dir))
    hf = TransformersEngine(str(model_dir), str(model_dir))
    for engine in (ct2, hf):
        engine.max_tokens = args.max_tokens
        engine.translate(texts[:4], args.batch)  # warm up
    best: dict[str, dict] = {}
    for _ in range(args.rounds):
        for name, engine in (("ctranslate2_int8", ct2), ("transformers_generate", hf)):
            result = timed(engine, texts, args.batch)
            if name not in best or result["seconds"] < best[name]["seconds"]:
                best[name] = result
    ratio = best["ctranslate2_int8"]["sentences_per_s"] / best["transformers_generate"]["sentences_per_s"]
    cache = cache_hit_path(args.cache_sentences)
    config = json.loads((model_dir / "config.json").read_text())
    model = {"path": str(model_dir), "random_weights": args.model is None,
             "shape": {k: config.get(k) for k in ("d_model", "encoder_layers", "decoder_layers",
                                                   "encoder_attention_heads", "encoder_ffn_dim", "vocab_size")}}
    data = {"model": model, "sentences": len(texts), "batch": args.batch, "max_tokens": args.max_tokens,
            "engines": {"ctranslate2_int8": {**best["ctranslate2_int8"], "engine": ct2.kind},
                        "transformers_generate": {**best["transformers_generate"], "engine": hf.kind}},
            "ratio": ratio, "ratio_goal": 3.0, "cache_hit": cache, "cache_hit_goal": 10000}
    rows = [[name, f"{r['sentences_per_s']:.2f}", f"{r['tokens_per_s']:.0f}", r["output_tokens"], f"{r['seconds']:.2f}"]
            for name, r in best.items()]
    rows.append(["ratio (CTranslate2 / transformers)", f"{ratio:.2f}x", "", "", "goal >= 3x"])
    rows.append(["cache hit path", f"{cache['sentences_per_s']:.0f}", "", cache["sentences"], "goal >= 10,000/s"])
    run.record("translation", data, title=f"Translation: {len(texts)} Chinese sentences, model {model_dir.name}",
               columns=["engine", "sentences/s", "tokens/s", "tokens", "seconds"], rows=rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
