"""Machine translation zh→en and en→zh with MarianMT models, sentence by sentence, cached.

Models are named in the settings (`nlp.translate_zh_en`, `nlp.translate_en_zh`) and loaded once, on
first use, from this machine only: nothing is downloaded at run time. A Hub name is used once
`parallax models install` has installed it (a CTranslate2 int8 copy, checked and marked complete,
see nlp/models.py); a local directory of transformers files is used as it is, with transformers.
A model that is neither fails at once; the stage says so once, naming the install command, and the
documents stay untranslated, to be filled in later by `parallax process --translate`.

Text is split into sentences (Chinese 。！？ and English . ! ?), and each sentence's translation is
cached in the store keyed by (model, sentence hash), so a re-crawled page with one changed paragraph
costs one paragraph of model time. Sentences that do reach the model are batched by length and
decoded greedily; the output is the same as calling the model on each sentence alone.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from nlp.translation_engines import CTranslate2Engine, Engine, TransformersEngine

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


def rejoin(groups: list[list[str]], translated: list[str], lang: str) -> list[str]:
    """The translations of each group of sentences (a paragraph) joined back into one text each;
    `translated` holds them all, in order. English source: Chinese output, which needs no spaces."""
    joiner = "" if lang == "en" else " "
    out, pos = [], 0
    for sentences in groups:
        out.append(joiner.join(translated[pos:pos + len(sentences)]))
        pos += len(sentences)
    return out


def sentence_hash(sentence: str) -> str:
    return hashlib.sha256(sentence.encode("utf-8")).hexdigest()[:32]


def model_available(name: str) -> bool:
    """True when the name is a directory of transformers files (used as it is, with transformers)."""
    from nlp.models import is_local_dir

    return is_local_dir(name)


SCOPES = ("title", "lead", "full")


@dataclass
class TranslationResult:
    title: str | None
    body: str | None
    model: str | None
    note: str  # "translated", or why not
    sentences: int = 0
    from_cache: int = 0
    scope: str | None = None


@dataclass
class Translator:
    """Both directions, each model loaded at most once per process; missing ones reported once.

    A model is looked up in this order: installed by `parallax models install` (the CTranslate2
    copy in `models_dir`, complete and checked), else a local directory of transformers files named
    by the setting; anything else is missing and the stage says so once, with the install command.
    """

    nlp_settings: object
    store: object = None  # a Store for the cache; None keeps the cache in memory
    models_dir: Path | None = None  # where `parallax models install` put models (None: none looked up)
    engines: dict[str, Engine | None] = field(default_factory=dict)
    warned: set = field(default_factory=set)
    memory_cache: dict = field(default_factory=dict)

    def model_name(self, source_lang: str) -> str:
        return self.nlp_settings.translate_zh_en if source_lang == "zh" else self.nlp_settings.translate_en_zh

    def engine(self, source_lang: str) -> Engine | None:
        from nlp import models

        spec = models.spec_for(self.nlp_settings, source_lang)
        name = spec.name
        if name in self.engines:
            return self.engines[name]
        engine = None
        threads = getattr(self.nlp_settings, "translate_threads", 0)
        found = models.installed(self.models_dir, spec) if self.models_dir and name else None
        if not name:
            self._warn_once(name, f"no {spec.direction} model is set ({spec.setting}); documents stay untranslated")
        elif found is not None:
            try:
                engine = CTranslate2Engine(found.path, name=name, threads=threads,
                                           cache_key=f"{name}@{found.commit[:12]}+ct2-{found.quantization}")
            except (ImportError, RuntimeError, OSError, ValueError) as exc:
                if models.is_local_dir(found.snapshot):
                    log.warning("CTranslate2 could not load %s (%s); using transformers instead", found.path, exc)
                    engine = self._load_transformers(name, found.snapshot, threads)
                else:
                    self._warn_once(name, f"translation model {name!r} could not be loaded ({exc}); run "
                                          f"`{models.INSTALL_COMMAND}` again")
        elif models.is_local_dir(name):
            engine = self._load_transformers(name, name, threads)
        else:
            self._warn_once(name, models.missing_message(spec) + "; documents stay untranslated until then")
        self.engines[name] = engine
        return engine

    def _load_transformers(self, name: str, path: str, threads: int) -> Engine | None:
        try:
            return TransformersEngine(name, path, threads=threads)
        except (OSError, ValueError) as exc:
            self._warn_once(name, f"translation model {name!r} could not be loaded ({exc}); "
                                  "documents stay untranslated")
            return None

    def describe(self) -> str:
        parts = []
        for name, engine in self.engines.items():
            state = engine.kind if engine else "not installed"
            parts.append(f"{name or '(none)'} ({state})")
        return "; ".join(parts) or "not run"

    def _warn_once(self, key: str, message: str) -> None:
        if key not in self.warned:
            self.warned.add(key)
            log.warning(message)

    # -- documents ------------------------------------------------------------------------------

    def scope_paragraphs(self, paragraphs: list[str], scope: str | None = None) -> list[str]:
        scope = scope or self.nlp_settings.translate_scope
        if scope == "title":
            return []
        if scope == "lead":
            return paragraphs[: self.nlp_settings.lead_paragraphs]
        return paragraphs

    def translate_document(self, title: str, paragraphs: list[str], lang: str | None, scope: str | None = None,
                           on_progress=None) -> TranslationResult:
        """The title and the paragraphs the scope covers (default `nlp.translate_scope`), one
        translated paragraph per original joined by blank lines. `on_progress(done, total)` is called
        as sentences are translated (the document page's progress bar)."""
        if lang not in ("zh", "en"):
            return TranslationResult(None, None, None, f"not translated: language {lang!r}")
        engine = self.engine(lang)
        if engine is None:
            from nlp import models

            return TranslationResult(None, None, None,
                                     "untranslated: " + models.missing_message(models.spec_for(self.nlp_settings, lang)))
        scope = scope or self.nlp_settings.translate_scope
        units = [title] + self.scope_paragraphs(paragraphs, scope)
        split = [split_sentences(u, lang) for u in units]
        flat = [s for ss in split for s in ss]
        step = max(self.nlp_settings.translate_batch * 4, 1) if on_progress else max(len(flat), 1)
        translated, total, cached = [], 0, 0
        for start in range(0, len(flat), step):
            part, n, c = self.translate_sentences(engine, flat[start:start + step])
            translated += part
            total += n
            cached += c
            if on_progress:
                on_progress(len(translated), len(flat))
        joined = rejoin(split, translated, lang)
        body = "\n\n".join(joined[1:]) if len(joined) > 1 else ""
        return TranslationResult(joined[0], body, engine.name, "translated", total, cached, scope)

    def translate_sentences(self, engine: Engine, sentences: list[str]) -> tuple[list[str], int, int]:
        """Translations of the sentences, from the cache where possible; (translations, total, cached)."""
        keys = [sentence_hash(s) for s in sentences]
        known = self._cached(engine.cache_key, set(keys))
        missing = list(dict.fromkeys(s for s, k in zip(sentences, keys) if k not in known))
        if missing:
            fresh = engine.translate(missing, self.nlp_settings.translate_batch)
            new = {sentence_hash(s): (s, t) for s, t in zip(missing, fresh)}
            self._remember(engine.cache_key, new)
            known.update({k: t for k, (_, t) in new.items()})
        cached = len(sentences) - len(missing)
        return [known[k] for k in keys], len(sentences), cached

    def _cached(self, model: str, keys: set[str]) -> dict[str, str]:
        if self.store is None:
            return {k: self.memory_cache[(model, k)] for k in keys if (model, k) in self.memory_cache}
        from nlp.analyses import Analyses

        rows = Analyses(self.store).cached_translations(model, keys)
        # A damaged entry (bytes, a number: the table is plain SQLite and may have been written
        # by something else) is a cache miss: the sentence is translated again and the entry
        # replaced, rather than the stage failing on it.
        good = {key: target for key, target in rows if isinstance(target, str)}
        if len(good) < len(rows):
            self._warn_once(f"corrupt-cache:{model}",
                            f"ignored {len(rows) - len(good)} damaged translation cache entries "
                            f"for {model!r}; those sentences are translated again")
        return good

    def _remember(self, model: str, new: dict[str, tuple[str, str]]) -> None:
        if self.store is None:
            self.memory_cache.update({(model, k): t for k, (_, t) in new.items()})
            return
        from nlp.analyses import Analyses

        Analyses(self.store).cache_translations(model, new)


# -- one stored document ------------------------------------------------------------------------------


def translate_stored(store, settings, doc_id: str, scope: str = "full", on_progress=None,
                     translator: "Translator | None" = None) -> TranslationResult:
    """Translate one stored, processed document now (the document page's "Translate this document")
    and save the translation with its analysis; the index picks it up on its next sync.

    Only the translation fields change: the other stages' results and the analysis version stay, so
    `parallax process` does not see the document as behind afterwards.
    """
    from nlp.analyses import Analyses
    from nlp.models import models_root

    doc = store.get(doc_id)
    if doc is None or not doc.analysis_version:
        from parallax.errors import InputError

        raise InputError(f"document {doc_id!r} is not in the store or not processed yet; run `parallax process`")
    translator = translator or Translator(settings.nlp, store, models_root(settings))
    result = translator.translate_document(doc.title, doc.paragraphs, doc.lang, scope, on_progress)
    if result.model:
        analyses = Analyses(store)
        details = analyses.details(doc_id)
        details.update(translation=f"{result.note} ({scope})", translation_scope=scope,
                       translation_engine=translator.engines[result.model].kind)
        analyses.save(doc.id, doc.content_hash, doc.analysis_version, title_tr=result.title,
                      body_tr=result.body, translation_model=result.model, details=details)
    return result
