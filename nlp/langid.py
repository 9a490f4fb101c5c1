"""Language identification, per document and per paragraph, plus the Chinese script.

lingua ships its models inside the wheel, so this works offline. Parallax cares about English and
Chinese; a few neighbours are in the candidate set so that a Japanese or French page is not forced
into one of the two. Text that is mostly Han characters is Chinese without asking the model (the
model is slow on long texts and certain on these). Texts of LONG_TEXT characters or more go to
lingua's low-accuracy mode, shorter ones to its full mode.
"""

from __future__ import annotations

import functools
import re

from nlp.normalize import traditional_share

VERSION = "1"
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_KANA = re.compile(r"[\u3040-\u30ff]")
_LETTER = re.compile(r"[^\W\d_]")
_SAMPLE = 2000


LANGUAGES = ("ENGLISH", "CHINESE", "JAPANESE", "KOREAN", "FRENCH", "GERMAN", "SPANISH", "RUSSIAN")
# lingua's low-accuracy mode (trigrams only) answers as its high-accuracy mode does on texts of this
# length or more, its authors say and the benchmark mix agrees, loads in a twentieth of the time
# (0.05 s instead of 1 s in every worker process) and needs a fraction of the memory.
LONG_TEXT = 120


@functools.lru_cache(maxsize=2)
def _detector(low_accuracy: bool = False):
    from lingua import Language, LanguageDetectorBuilder

    builder = LanguageDetectorBuilder.from_languages(*(getattr(Language, name) for name in LANGUAGES))
    return (builder.with_low_accuracy_mode() if low_accuracy else builder).build()


def detect(text: str) -> str | None:
    """ISO 639-1 code of the text's language, or None when there is nothing to decide on."""
    sample = text[:_SAMPLE]
    if _HAN.search(sample) is not None:  # counted only where there is Han to count (no list of letters)
        letters = _LETTER.subn("", sample)[1]
        han = _HAN.subn("", sample)[1]
        if not _KANA.search(sample) and han / letters > 0.3:
            return "zh"
    elif _LETTER.search(sample) is None:
        return None
    found = _detector(len(sample) >= LONG_TEXT).detect_language_of(sample)
    return found.iso_code_639_1.name.lower() if found else None


def script(text: str) -> str | None:
    """'Hant' for Traditional Chinese, 'Hans' for Simplified, None for text without Han characters."""
    if not _HAN.search(text):
        return None
    return "Hant" if traditional_share(text) > 0.08 else "Hans"


def paragraph_languages(paragraphs: list[str]) -> list[str | None]:
    return [detect(p) for p in paragraphs]
