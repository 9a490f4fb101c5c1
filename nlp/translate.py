"""Machine translation zh→en and en→zh with MarianMT models, sentence by sentence, cached.

Models are looked up by name from the settings (`nlp.translate_zh_en`, `nlp.translate_en_zh`: a
Hugging Face name or a local directory) and loaded once, on first use, from local files only: nothing
is downloaded at run time. A model that is not on this machine fails at once; the stage says so once
and the documents stay untranslated, to be filled in later by `parallax process --translate`.

Text is split into sentences (Chinese 。！？ and English . ! ?), and each sentence's translation is
cached in the store keyed by (model, sentence hash), so a re-crawled page with one changed paragraph
costs one paragraph of model time. transformers 5 has no translation pipeline: the tokenizer and
`model.generate` are called directly, in batches.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

VERSION = "1"
log = logging.getLogger(__name__)

_ZH_SENTENCE = re.compile(r"[^。！？!?；\n]+[。！？!?；]*[”」』）]*")
_EN_SENTENCE = re.compile(r"\S.*?(?:[.!?]+[\"')\]]*(?=\s+[A-Z\"“(\[]|\s*$)|$)", re.S)
_MAX_SENTENCE_CHARS = 400


def split_sentences(text: str, lang: str) -> list[str]:
    """Sentences of a paragraph, each stripped; long ones cut so the model sees bounded input."""
    pattern = _ZH_SENTENCE if lang == "zh" else _EN_SENTENCE
    sentences = [m.group().strip() for m in pattern.finditer(text)]
    out = []
    for s in sentences:
        while len(s) > _MAX_SENTENCE_CHARS:
            cut = s.rfind(" ", 0, _MAX_SENTENCE_CHARS)
            cut = cut if cut > _MAX_SENTENCE_CHARS // 2 else _MAX_SENTENCE_CHARS
            out.append(s[:cut].strip())
            s = s[cut:].strip()
        if s:
            out.append(s)
    return out


def sentence_hash(sentence: str) -> str:
    return hashlib.sha256(sentence.encode("utf-8")).hexdigest()[:32]


def model_available(name: str) -> bool:
    """True when the model's files are on this machine (a local directory or the Hugging Face cache)."""
    if not name:
        return False
    path = Path(name).expanduser()
    if path.is_dir():
        return (path / "config.json").is_file()
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return False
    try:
        found = try_to_load_from_cache(name, "config.json")
    except Exception:  # an invalid repo name is simply not available
        return False
    return isinstance(found, str)


class Engine:
    """One loaded MarianMT model: tokenizer + model, generate in batches."""

    def __init__(self, name: str):
        from transformers import MarianMTModel, MarianTokenizer

        self.name = name
        self.tokenizer = MarianTokenizer.from_pretrained(name, local_files_only=True)
        self.model = MarianMTModel.from_pretrained(name, local_files_only=True)
        self.model.eval()
        import torch

        self.device = "cuda" if torch.cuda.is_available() else "cpu"
        self.model.to(self.device)
        self.generate_calls = 0
        # Never ask for more positions than the model has (opus-mt: 512).
        self.max_tokens = min(256, int(getattr(self.model.config, "max_position_embeddings", 512)) - 2)

    def translate(self, sentences: list[str], batch: int) -> list[str]:
        import torch

        out: list[str] = []
        for i in range(0, len(sentences), batch):
            chunk = sentences[i:i + batch]
            inputs = self.tokenizer(chunk, return_tensors="pt", padding=True, truncation=True,
                                    max_length=self.max_tokens).to(self.device)
            with torch.inference_mode():
                generated = self.model.generate(**inputs, max_new_tokens=self.max_tokens, num_beams=1)
            self.generate_calls += 1
            out.extend(self.tokenizer.batch_decode(generated, skip_special_tokens=True))
        return out


@dataclass
class TranslationResult:
    title: str | None
    body: str | None
    model: str | None
    note: str  # "translated", or why not
    sentences: int = 0
    from_cache: int = 0


@dataclass
class Translator:
    """Both directions, each model loaded at most once per process; missing ones reported once."""

    nlp_settings: object
    store: object = None  # a Store for the cache; None keeps the cache in memory
    engines: dict[str, Engine | None] = field(default_factory=dict)
    warned: set = field(default_factory=set)
    memory_cache: dict = field(default_factory=dict)

    def model_name(self, source_lang: str) -> str:
        return self.nlp_settings.translate_zh_en if source_lang == "zh" else self.nlp_settings.translate_en_zh

    def engine(self, source_lang: str) -> Engine | None:
        name = self.model_name(source_lang)
        if name in self.engines:
            return self.engines[name]
        engine = None
        if not name:
            self._warn_once(name, f"no {source_lang}→{'en' if source_lang == 'zh' else 'zh'} model is set; "
                                  "documents stay untranslated")
        elif not model_available(name):
            self._warn_once(name, f"translation model {name!r} is not on this machine (nothing is "
                                  "downloaded at run time); documents stay untranslated until it is "
                                  "installed and `parallax process --translate` runs")
        else:
            try:
                engine = Engine(name)
            except (OSError, ValueError) as exc:
                self._warn_once(name, f"translation model {name!r} could not be loaded ({exc}); "
                                      "documents stay untranslated")
        self.engines[name] = engine
        return engine

    def describe(self) -> str:
        parts = []
        for name, engine in self.engines.items():
            state = f"MarianMT on {engine.device}" if engine else "unavailable"
            parts.append(f"{name or '(none)'} ({state})")
        return "; ".join(parts) or "not run"

    def _warn_once(self, key: str, message: str) -> None:
        if key not in self.warned:
            self.warned.add(key)
            log.warning(message)

    # -- documents ------------------------------------------------------------------------------

    def scope_paragraphs(self, paragraphs: list[str]) -> list[str]:
        scope = self.nlp_settings.translate_scope
        if scope == "title":
            return []
        if scope == "lead":
            return paragraphs[: self.nlp_settings.lead_paragraphs]
        return paragraphs

    def translate_document(self, title: str, paragraphs: list[str], lang: str | None) -> TranslationResult:
        if lang not in ("zh", "en"):
            return TranslationResult(None, None, None, f"not translated: language {lang!r}")
        engine = self.engine(lang)
        if engine is None:
            return TranslationResult(None, None, None, f"untranslated: model {self.model_name(lang)!r} unavailable")
        units = [title] + self.scope_paragraphs(paragraphs)
        split = [split_sentences(u, lang) for u in units]
        translated, total, cached = self.translate_sentences(engine, [s for ss in split for s in ss])
        pos = 0
        joined = []
        for sentences in split:
            part = translated[pos:pos + len(sentences)]
            pos += len(sentences)
            joined.append(("" if lang == "en" else " ").join(part))  # Chinese output needs no spaces
        body = "\n\n".join(joined[1:]) if len(joined) > 1 else ""
        return TranslationResult(joined[0], body, engine.name, "translated", total, cached)

    def translate_sentences(self, engine: Engine, sentences: list[str]) -> tuple[list[str], int, int]:
        """Translations of the sentences, from the cache where possible; (translations, total, cached)."""
        keys = [sentence_hash(s) for s in sentences]
        known = self._cached(engine.name, set(keys))
        missing = list(dict.fromkeys(s for s, k in zip(sentences, keys) if k not in known))
        if missing:
            fresh = engine.translate(missing, self.nlp_settings.translate_batch)
            new = {sentence_hash(s): (s, t) for s, t in zip(missing, fresh)}
            self._remember(engine.name, new)
            known.update({k: t for k, (_, t) in new.items()})
        cached = len(sentences) - len(missing)
        return [known[k] for k in keys], len(sentences), cached

    def _cached(self, model: str, keys: set[str]) -> dict[str, str]:
        if self.store is None:
            return {k: self.memory_cache[(model, k)] for k in keys if (model, k) in self.memory_cache}
        out: dict[str, str] = {}
        key_list = list(keys)
        for i in range(0, len(key_list), 500):
            chunk = key_list[i:i + 500]
            rows = self.store.conn.execute(
                f"SELECT sentence_hash, target FROM translation_cache WHERE model = ? AND sentence_hash "
                f"IN ({','.join('?' * len(chunk))})", (model, *chunk)).fetchall()
            # A damaged entry (bytes, a number: the table is plain SQLite and may have been written
            # by something else) is a cache miss: the sentence is translated again and the entry
            # replaced, rather than the stage failing on it.
            good = {r[0]: r[1] for r in rows if isinstance(r[1], str)}
            if len(good) < len(rows):
                self._warn_once(f"corrupt-cache:{model}",
                                f"ignored {len(rows) - len(good)} damaged translation cache entries "
                                f"for {model!r}; those sentences are translated again")
            out.update(good)
        return out

    def _remember(self, model: str, new: dict[str, tuple[str, str]]) -> None:
        if self.store is None:
            self.memory_cache.update({(model, k): t for k, (_, t) in new.items()})
            return
        from index.document import utc_now

        with self.store.transaction():
            self.store.conn.executemany(
                "INSERT OR REPLACE INTO translation_cache (model, sentence_hash, source, target, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                [(model, k, s, t, utc_now()) for k, (s, t) in new.items()])
