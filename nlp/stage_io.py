"""One stage applied to free texts (not stored documents): what `parallax nlp STAGE` runs.

The same functions as `parallax process`, so the output is what the index and the store would see:
`words` is the precise cut in the text's original characters and `index_tokens` the words the index
is fed (search mode: the shorter words inside long ones too),
entities carry offsets into the input text, translations come from the same cache-less engine.
"""

from __future__ import annotations

from nlp import entities, langid, segment, translate


class StageRunner:
    def __init__(self, settings, stage: str):
        self.settings = settings
        self.stage = stage
        self._tagger = None
        self._translator = None

    def run(self, items: list[dict]) -> list[dict]:
        texts = [item["text"] for item in items]
        if self.stage == "langid":
            out = []
            for item, t in zip(items, texts):
                lang = langid.detect(t)
                out.append({**item, "lang": lang, "script": langid.script(t) if lang == "zh" else None,
                            "paragraph_langs": langid.paragraph_languages(
                                [p for p in t.split("\n\n") if p.strip()])})
            return out
        if self.stage == "segment":
            return [{**item, "words": segment.original_words(t), "index_tokens": segment.tokens(t)}
                    for item, t in zip(items, texts)]
        langs = [item.get("lang") or langid.detect(t) or "en" for item, t in zip(items, texts)]
        if self.stage == "entities":
            if self._tagger is None:
                self._tagger = entities.EntityTagger(self.settings.nlp)
            out = [dict(item) for item in items]
            for lang in ("en", "zh"):
                idx = [i for i, l in enumerate(langs) if (l == "zh") == (lang == "zh")]
                if idx:
                    found = self._tagger.tag_many([texts[i] for i in idx], lang)
                    for i, ents in zip(idx, found):
                        out[i]["entities"] = ents
            return out
        if self._translator is None:
            from nlp.models import models_root

            self._translator = translate.Translator(self.settings.nlp, models_dir=models_root(self.settings))
        out = []
        for item, text, lang in zip(items, texts, langs):
            engine = self._translator.engine(lang)
            if engine is None:
                out.append({**item, "translation": None})
                continue
            paragraphs = [p for p in text.split("\n\n") if p.strip()] or [text]
            sentences = [translate.split_sentences(p, lang) for p in paragraphs]
            flat = [s for ss in sentences for s in ss]
            translated, _, _ = self._translator.translate_sentences(engine, flat)
            joiner = "" if lang == "en" else " "
            pos, parts = 0, []
            for ss in sentences:
                parts.append(joiner.join(translated[pos:pos + len(ss)]))
                pos += len(ss)
            out.append({**item, "translation": "\n\n".join(parts), "translation_model": engine.name})
        return out

    def note(self) -> str | None:
        if self.stage == "entities" and self._tagger:
            return "entities: " + "; ".join(f"{k}: {v}" for k, v in self._tagger.describe().items())
        if self.stage == "translate" and self._translator:
            return "translate: " + self._translator.describe()
        return None
