"""The language stages, registered: language id → normalisation → segmentation → index terms →
gazetteer → entities → translation → near-duplicates.

Each stage is a function over a batch of work items (a stored document, the stages due on it, its
analysis fields, updated in place) and, for the stages `parallax nlp NAME` runs, a function over
free texts. Both call the same stage modules (nlp.langid, nlp.segment, …), so the command shows
what the store and the index would see. What the stages load (the entity tagger, the translator,
the near-duplicate clusterer) is loaded once per process, by `Resources`, when first needed.
"""

from __future__ import annotations

from nlp.registry import Registry, Stage

STAGES = Registry()


class Resources:
    """What the stages load once per process. `store` is None for free texts (`parallax nlp`):
    translations are then cached in memory, and the near-duplicate stage cannot run."""

    def __init__(self, settings, store=None, *, translate_now: bool | None = None,
                 force_translate: bool = False, scope: str | None = None):
        self.settings = settings
        self.store = store
        self.translate_now = settings.nlp.translate if translate_now is None else translate_now
        self.force_translate = force_translate  # `parallax process --translate`
        self.scope = scope  # None: nlp.translate_scope
        self._loaded: dict[str, object] = {}

    @property
    def translating(self) -> bool:
        return self.translate_now or self.force_translate

    def loaded(self, name: str) -> bool:
        return name in self._loaded

    def load(self, *names: str) -> None:
        """Load these now (a model or an entity list that cannot be read fails here, at start)."""
        for name in names:
            getattr(self, name)

    @property
    def tagger(self):
        if "tagger" not in self._loaded:
            from nlp.entities import EntityTagger

            self._loaded["tagger"] = EntityTagger(self.settings.nlp)
        return self._loaded["tagger"]

    @property
    def phrases(self):
        """The search index's table of known phrases for this lexicon (`nlp.phrases`)."""
        if "phrases" not in self._loaded:
            from nlp.phrases import table_for

            self._loaded["phrases"] = table_for(self.settings.nlp.entities_file or "")
        return self._loaded["phrases"]

    @property
    def translator(self):
        if "translator" not in self._loaded:
            from nlp.models import models_root
            from nlp.translate import Translator

            self._loaded["translator"] = Translator(self.settings.nlp, self.store, models_root(self.settings))
        return self._loaded["translator"]

    @property
    def clusterer(self):
        if "clusterer" not in self._loaded:
            from nlp.dedup import Clusterer

            self._loaded["clusterer"] = Clusterer(self.store, self.settings.nlp.duplicate_threshold)
        return self._loaded["clusterer"]


def _languages(items: list[dict]) -> list[str]:
    """Each free text's language: as given, else detected (English when undecided)."""
    from nlp import langid

    return [item.get("lang") or langid.detect(item["text"]) or "en" for item in items]


def _paragraphs(text: str) -> list[str]:
    return [p for p in text.split("\n\n") if p.strip()]


# -- language id --------------------------------------------------------------------------------

@STAGES.component("langid", "nlp.langid", inputs=("title", "paragraphs", "body", "declared_lang"),
                  outputs=("lang", "script", "details.paragraph_langs"), in_workers=True,
                  describe="lingua + Han-share rule")
def langid_documents(resources, items, tally):
    from nlp import langid

    for w in items:
        doc = w.doc
        lang = langid.detect(doc.title + "\n" + "\n".join(doc.paragraphs[:3])) or doc.declared_lang
        w.fields["lang"] = lang
        w.fields["script"] = langid.script(doc.title + doc.body) if lang == "zh" else None
        w.fields["details"]["paragraph_langs"] = langid.paragraph_languages(doc.paragraphs)


@STAGES.text_form("langid")
def langid_texts(resources, items):
    from nlp import langid

    out = []
    for item in items:
        text = item["text"]
        lang = langid.detect(text)
        out.append({**item, "lang": lang, "script": langid.script(text) if lang == "zh" else None,
                    "paragraph_langs": langid.paragraph_languages(_paragraphs(text))})
    return out


# -- normalisation (a part of segmentation, entities and near-duplicates) -----------------------

STAGES.register(Stage("normalize", "nlp.normalize", describe="OpenCC t2s per character"))


# -- segmentation -------------------------------------------------------------------------------

@STAGES.component("segment", "nlp.segment", depends_on=("normalize",), inputs=("title", "body"),
                  outputs=("title_seg", "body_seg"), in_workers=True, describe="rjieba + domain dictionary")
def segment_documents(resources, items, tally):
    from nlp import segment

    for w in items:
        w.fields["title_seg"] = segment.index_text(w.doc.title)
        w.fields["body_seg"] = segment.index_text(w.doc.body)


def lexicon_changed(resources, w) -> bool:
    """The document's terms were worked out with another phrase table (`nlp.entities_file` was
    edited since): they are worked out again, which is cheap, so indexing keeps reading them
    instead of analysing the text itself. The entity tags are not redone for a lexicon edit."""
    from nlp import terms

    return w.fields.get("terms_table") != terms.fingerprint(resources.phrases)


@STAGES.component("terms", "nlp.terms", depends_on=("segment",), inputs=("title_seg", "body_seg"),
                  outputs=("title_terms", "body_terms", "terms_table"), in_workers=True,
                  describe="the search index's tokens and known phrases", also_when=lexicon_changed)
def terms_documents(resources, items, tally):
    """Worked out here, once per document, so that indexing only splits them (`nlp.terms`)."""
    from nlp import terms

    table = resources.phrases
    for w in items:
        w.fields["title_terms"] = terms.indexed(w.fields["title_seg"], table)
        w.fields["body_terms"] = terms.indexed(w.fields["body_seg"], table)
        w.fields["terms_table"] = terms.fingerprint(table)


@STAGES.text_form("segment")
def segment_texts(resources, items):
    """`words`: the precise cut in the text's original characters; `index_tokens`: the words the
    index is fed (search mode: the shorter words inside long ones too)."""
    from nlp import segment

    return [{**item, "words": segment.original_words(item["text"]), "index_tokens": segment.tokens(item["text"])}
            for item in items]


# -- the gazetteer (a part of entities) ---------------------------------------------------------

STAGES.register(Stage("gazetteer", "nlp.gazetteer"))


# -- entities -----------------------------------------------------------------------------------

def _describe_entities(resources) -> str | None:
    if not resources.loaded("tagger"):
        return None
    return "; ".join(f"{k}: {v}" for k, v in resources.tagger.describe().items())


@STAGES.component("entities", "nlp.entities", depends_on=("langid", "normalize", "gazetteer"),
                  inputs=("title", "body", "lang"), outputs=("entities", "details.entities"),
                  in_workers=True, needs=("tagger",), describe=_describe_entities)
def entities_documents(resources, items, tally):
    """Titles and bodies tagged together, one batch per language (the models work on batches)."""
    tagger = resources.tagger
    for lang in ("en", "zh"):
        group = [w for w in items if (w.fields["lang"] == "zh") == (lang == "zh")]
        if not group:
            continue
        tagged = tagger.tag_many([w.doc.title for w in group] + [w.doc.body for w in group], lang)
        titles, bodies = tagged[:len(group)], tagged[len(group):]
        for w, t, b in zip(group, titles, bodies):
            w.fields["entities"] = ([{**m, "field": "title"} for m in t] +
                                    [{**m, "field": "body"} for m in b])
            w.fields["details"]["entities"] = {
                "pipeline": tagger.pipeline(lang).description,
                "offsets": "characters of the original title or body, as each entity's 'field' says"}


@STAGES.text_form("entities")
def entities_texts(resources, items):
    """Entities with offsets into each input text."""
    tagger = resources.tagger
    langs = _languages(items)
    out = [dict(item) for item in items]
    for lang in ("en", "zh"):
        idx = [i for i, code in enumerate(langs) if (code == "zh") == (lang == "zh")]
        if idx:
            found = tagger.tag_many([items[i]["text"] for i in idx], lang)
            for i, ents in zip(idx, found):
                out[i]["entities"] = ents
    return out


# -- translation --------------------------------------------------------------------------------

def _describe_translation(resources) -> str | None:
    if not resources.translating:
        return "off (nlp.translate = false)"
    return resources.translator.describe() if resources.loaded("translator") else None


def _translation_wanted(resources, w) -> bool:
    """`parallax process --translate`: documents left untranslated (or, with `--scope full`,
    translated only in part) are translated although nothing else changed."""
    if not resources.force_translate:
        return False
    return w.fields.get("title_tr") is None or (
        resources.scope == "full" and w.fields["details"].get("translation_scope") != "full")


@STAGES.component("translate", "nlp.translate", depends_on=("langid",), inputs=("title", "paragraphs", "lang"),
                  outputs=("title_tr", "body_tr", "translation_model", "details.translation",
                           "details.translation_scope", "details.translation_engine"),
                  needs=("translator",), describe=_describe_translation, also_when=_translation_wanted)
def translate_documents(resources, items, tally):
    ran = 0
    translator = resources.translator
    for w in items:
        fields, details = w.fields, w.fields["details"]
        if not resources.translating:
            details["translation"] = "untranslated: translation is off (nlp.translate)"
            details.pop("translation_scope", None)
            fields.update(title_tr=None, body_tr=None, translation_model=None)
            tally["untranslated"] += 1
            continue
        ran += 1
        # A document once translated in full stays so when its text changes.
        scope = resources.scope or ("full" if details.get("translation_scope") == "full"
                                    else resources.settings.nlp.translate_scope)
        result = translator.translate_document(w.doc.title, w.doc.paragraphs, fields["lang"], scope)
        fields.update(title_tr=result.title, body_tr=result.body, translation_model=result.model)
        details["translation"] = f"{result.note} ({scope})" if result.model else result.note
        if result.model:
            details["translation_scope"] = scope
            details["translation_engine"] = translator.engines[result.model].kind
        else:
            details.pop("translation_scope", None)
        tally["sentences_translated"] += result.sentences
        tally["sentences_from_cache"] += result.from_cache
        tally["translated" if result.model else "untranslated"] += 1
    return ran


@STAGES.text_form("translate")
def translate_texts(resources, items):
    """Paragraph by paragraph (blank lines), sentence by sentence, as stored documents are."""
    from nlp.translate import rejoin, split_sentences

    translator = resources.translator
    out = []
    for item, lang in zip(items, _languages(items)):
        engine = translator.engine(lang)
        if engine is None:
            out.append({**item, "translation": None})
            continue
        text = item["text"]
        sentences = [split_sentences(p, lang) for p in (_paragraphs(text) or [text])]
        translated, _, _ = translator.translate_sentences(engine, [s for ss in sentences for s in ss])
        out.append({**item, "translation": "\n\n".join(rejoin(sentences, translated, lang)),
                    "translation_model": engine.name})
    return out


# -- near-duplicates ----------------------------------------------------------------------------

def _describe_dedup(resources) -> str:
    from nlp import dedup

    return f"MinHash {dedup.PERMUTATIONS} / LSH {dedup.BANDS} bands"


@STAGES.component("dedup", "nlp.dedup", depends_on=("normalize",), inputs=("title", "body"),
                  outputs=("cluster_id", "details.duplicate_of_cluster"), needs=("clusterer",),
                  describe=_describe_dedup)
def dedup_documents(resources, items, tally):
    """Each document against the signatures stored so far (so in order: a batch's earlier
    documents are candidates for its later ones). Short bodies are compared with the title."""
    from nlp import dedup

    clusterer = resources.clusterer
    for w in items:
        body = w.doc.body
        text = body if len(dedup.matching_text(body)) >= 200 else w.doc.title + "\n" + body
        cluster, sim = clusterer.assign(w.doc.id, text)
        w.fields["cluster_id"] = cluster
        w.fields["details"]["duplicate_of_cluster"] = round(sim, 3) if sim else None
