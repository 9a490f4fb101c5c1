"""The translation engines: one loaded MarianMT model behind its tokenizer, run by CTranslate2 (a
copy converted by `parallax models install`) or by transformers (a local directory of transformers
files).

Apart from `nlp.translate` (which picks the engine and caches sentences) and `nlp.models` (which
installs a model and checks it on one sentence with the engine that will run it), so installing
and translating both stand on this module and neither imports the other's caller.
"""

from __future__ import annotations

import abc
import json
import os
from pathlib import Path

ENGINE_INFO = "parallax.json"  # beside a converted model: what the engine must know (max_tokens)


def _threads(threads: int) -> int:
    return threads if threads > 0 else max(os.cpu_count() or 1, 1)


class Engine(abc.ABC):
    """One loaded MarianMT model behind its tokenizer: sentences in, translations out.

    Sentences are tokenized once, sorted by token count and cut into batches of similar length, so
    a batch pads to its own longest sentence rather than to the longest of the document; results are
    put back in the input order. Decoding is greedy. Subclasses run one batch of token ids.
    """

    kind = "MarianMT"

    def __init__(self, name: str, tokenizer_path: str, max_tokens: int, cache_key: str):
        from transformers import MarianTokenizer

        self.name = name
        self.cache_key = cache_key
        self.tokenizer = MarianTokenizer.from_pretrained(tokenizer_path, local_files_only=True)
        self.max_tokens = max_tokens
        self.generate_calls = 0
        self.output_tokens = 0  # generated token ids so far (benchmarks report tokens/s)

    def encode(self, sentences: list[str]) -> list[list[int]]:
        return self.tokenizer(sentences, truncation=True, max_length=self.max_tokens)["input_ids"]

    def translate(self, sentences: list[str], batch: int) -> list[str]:
        if not sentences:
            return []
        ids = self.encode(sentences)
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        out: list[list[int]] = [[] for _ in ids]
        batches = [order[i:i + batch] for i in range(0, len(order), batch)]
        results = self.generate_batches([[ids[i] for i in chunk] for chunk in batches], batch)
        for chunk, generated in zip(batches, results):
            for i, tokens in zip(chunk, generated):
                out[i] = tokens
        self.generate_calls += len(batches)
        self.output_tokens += sum(len(t) for t in out)
        return self.tokenizer.batch_decode(out, skip_special_tokens=True)

    @abc.abstractmethod
    def generate_batches(self, batches: list[list[list[int]]], batch: int) -> list[list[list[int]]]:
        """Greedy output token ids for each batch of input token ids (the engine's own call)."""


class TransformersEngine(Engine):
    """transformers `model.generate` (PyTorch): used for a local directory of transformers files,
    and when CTranslate2 cannot load a converted copy."""

    def __init__(self, name: str, path: str | None = None, threads: int = 0):
        from transformers import MarianMTModel
        import torch

        path = path or name
        self.model = MarianMTModel.from_pretrained(path, local_files_only=True)
        self.model.eval()
        self.device = "cuda" if torch.cuda.is_available() else "cpu"
        self.model.to(self.device)
        if self.device == "cpu":
            torch.set_num_threads(_threads(threads))
        # Never ask for more positions than the model has (opus-mt: 512).
        max_tokens = min(256, int(getattr(self.model.config, "max_position_embeddings", 512)) - 2)
        super().__init__(name, path, max_tokens, cache_key=name)
        self.kind = f"MarianMT (transformers) on {self.device}"

    def generate_batches(self, batches, batch):
        import torch

        pad = self.tokenizer.pad_token_id
        out = []
        for chunk in batches:
            width = max(len(x) for x in chunk)
            input_ids = torch.tensor([x + [pad] * (width - len(x)) for x in chunk], device=self.device)
            mask = torch.tensor([[1] * len(x) + [0] * (width - len(x)) for x in chunk], device=self.device)
            with torch.inference_mode():
                generated = self.model.generate(input_ids=input_ids, attention_mask=mask,
                                                max_new_tokens=self.max_tokens, num_beams=1, do_sample=False)
            out.append(generated.tolist())
        return out


class CTranslate2Engine(Engine):
    """A MarianMT model converted to CTranslate2 int8 by `parallax models install`: several times
    faster than transformers on a CPU, threads set by `nlp.translate_threads` (0: every core)."""

    def __init__(self, path: str, name: str | None = None, threads: int = 0, cache_key: str | None = None):
        import ctranslate2

        try:
            info = json.loads((Path(path) / ENGINE_INFO).read_text(encoding="utf-8"))
        except (OSError, ValueError):  # converted by hand rather than by `parallax models install`
            info = {}
        self.threads = _threads(threads)
        self.model = ctranslate2.Translator(path, device="cpu", compute_type="int8",
                                            inter_threads=1, intra_threads=self.threads)
        super().__init__(name or path, path, int(info.get("max_tokens", 256)), cache_key or name or path)
        self.kind = f"CTranslate2 int8 on cpu, {self.threads} threads"

    def generate_batches(self, batches, batch):
        flat = [self.tokenizer.convert_ids_to_tokens(x) for chunk in batches for x in chunk]
        results = self.model.translate_batch(flat, max_batch_size=batch, beam_size=1,
                                             max_decoding_length=self.max_tokens)
        tokens = [self.tokenizer.convert_tokens_to_ids(r.hypotheses[0]) for r in results]
        out, pos = [], 0
        for chunk in batches:
            out.append(tokens[pos:pos + len(chunk)])
            pos += len(chunk)
        return out
