"""Word segmentation for indexing and querying, the same code on both sides.

Chinese has no spaces, so the search index is fed text that is already segmented. rjieba (jieba-rs:
jieba's dictionary, DAG and HMM in Rust, about 25 times faster than jieba's Python) does the work,
with the project's domain dictionary (`nlp/data/userdict.txt`, added word by word) so names like
中国半导体行业协会 and terms like 出口管制 stay whole.

Documents are indexed in search mode (whole words plus the shorter words inside them, so a query for
半导体 finds 中国半导体行业协会); queries are cut in precise mode and matched as phrases. Both go
through `normalize` first, so Traditional and Simplified forms meet. The whole text goes to the
segmenter in one call: a call per run of Chinese characters costs more in Python than the cut itself.

Against jieba 0.42.1 with the same dictionary the words are the same on the project's own text but
for two kinds (`tests/test_nlp_segment.py` lists and explains them): jieba cuts a hyphenated number
such as 2025-09-25 at each hyphen where rjieba keeps it whole (the index splits both at the hyphens),
and a run of Japanese kana is one word for jieba, a word per character for rjieba. Domain words that
glue Latin to Chinese (AI芯片) are indexed whole; a query for their Latin part (AI) looks for them.
"""

from __future__ import annotations

import functools
import logging
import re
from importlib import resources

from nlp.normalize import has_cjk, normalize

# Not bumped when index texts stopped ending in the mixed domain words' Latin parts (AI芯片 → AI):
# an older index text holds those tokens besides, and a query for AI matches either the same way.
VERSION = "2"
log = logging.getLogger(__name__)

_WORD = re.compile(r"\w+")
_NOT_WORD = re.compile(r"[^\w]+")
_LATIN = re.compile(r"[A-Za-z0-9]+")
# Latin letters or digits right before a Chinese character (AI芯片): the domain words whose Latin
# part a search must also find them by (`glued_words`).
_LATIN_BEFORE_HAN = re.compile(r"[A-Za-z0-9][\u3400-\u9fff]")


def read_userdict(text: str) -> list[tuple[str, int | None, str | None]]:
    """(word, frequency, tag) rows of a jieba user dictionary: `word [freq] [tag]` per line."""
    rows = []
    for line in text.splitlines():
        parts = line.split()
        if not parts or parts[0].startswith("#"):
            continue
        freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
        tag = parts[-1] if len(parts) > 1 and not parts[-1].isdigit() else None
        rows.append((parts[0], freq, tag))
    return rows


def _userdict_rows() -> list[tuple[str, int | None, str | None]]:
    userdict = resources.files("nlp").joinpath("data/userdict.txt")
    if not userdict.is_file():
        log.warning("domain dictionary nlp/data/userdict.txt is missing; segmenting with jieba's own")
        return []
    return read_userdict(userdict.read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=1)
def _mixed_words() -> dict[str, str]:
    """Domain words that glue Latin letters or digits to Chinese (AI芯片, SEMI中国, 301条款), each with
    its Latin part: a search for AI or SEMI finds them (`glued_words`), as it did when only runs
    of Chinese characters were cut."""
    return {normalize(w): " ".join(_LATIN.findall(w))
            for w, _, _ in _userdict_rows() if _LATIN_BEFORE_HAN.search(normalize(w))}


@functools.lru_cache(maxsize=1)
def tokenizer():
    """rjieba's segmenter with the domain dictionary, built once per process."""
    import rjieba

    seg = rjieba.Jieba()
    for word, freq, tag in _userdict_rows():
        seg.add_word(word, freq, tag)
    return seg


def cut(text: str) -> list[str]:
    """Precise-mode tokens of `text` as written, whitespace and punctuation included, so they join
    back to the text exactly (for word-level diffs). Chinese is cut on its normalised form."""
    norm = normalize(text)
    pos, out = 0, []
    for word in tokenizer().cut(norm):
        out.append(text[pos:pos + len(word)])
        pos += len(word)
    return out


def words(text: str) -> list[str]:
    """Precise-mode words of the normalised text, without whitespace tokens."""
    text = normalize(text)
    if not has_cjk(text):
        return text.split()
    return [w for w in tokenizer().cut(text) if not w.isspace()]


def original_words(text: str) -> list[str]:
    """The precise cut in the text's original characters (Traditional stays Traditional), without
    whitespace: what a person asking for a segmentation expects to read."""
    norm = normalize(text)
    if not has_cjk(norm):
        return text.split()
    return [text[start:end] for word, start, end in tokenizer().tokenize(norm) if not word.isspace()]


def index_text(text: str) -> str:
    """The text as the index sees it: normalised, cut in search mode, space-joined (whitespace
    tokens stay: the index splits at any). A mixed domain word (AI芯片) is one token here; a search
    for its Latin part finds it through `glued_words`, so indexing needs no scan for them."""
    text = normalize(text)
    if not has_cjk(text):
        return text
    return " ".join(_cut_for_search()(text))


@functools.lru_cache(maxsize=1)
def _cut_for_search():
    """Looked up once: `index_text` runs on every title and body, and on short texts a look-up
    costs about as much as the cut."""
    return tokenizer().cut_for_search


@functools.lru_cache(maxsize=1)
def _glued_by_latin() -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for word, latin in _mixed_words().items():
        for part in latin.split():
            out.setdefault(part.lower(), []).append(word)
    return {part: tuple(words) for part, words in out.items()}


def glued_words(word: str) -> tuple[str, ...]:
    """The domain words that glue `word` (Latin letters or digits, any case or width) to Chinese:
    AI → AI芯片, AI晶片. The segmenter keeps such a dictionary word whole, so the index holds it as
    one token and a search for AI must also look for these (`index.expand` adds them to every
    query). Doing it at query time costs a dictionary look-up per query word; indexing their Latin
    parts instead cost a scan of every document's text."""
    return _glued_by_latin().get(normalize(word).lower(), ())


def query_words(text: str) -> list[str]:
    """A query term cut into the words to match as one phrase (precise mode, normalised); Latin
    parts are split where the index's tokenizer splits them."""
    text = normalize(text)
    if not has_cjk(text):
        return [w for w in _NOT_WORD.split(text) if w]
    out: list[str] = []
    for word in tokenizer().cut(text):
        if has_cjk(word):
            out.append(word)
        else:
            out.extend(w for w in _NOT_WORD.split(word) if w)
    return out


def tokens(text: str) -> list[str]:
    """The words the index is fed, in the text's original characters (Traditional stays Traditional).

    The same cut as `index_text` (search mode; Latin split into word characters, as the index's
    tokenizer splits it); normalisation keeps every character in place, so positions in the
    normalised text pick the original characters.
    """
    norm = normalize(text)
    if not has_cjk(norm):
        return [m.group() for m in _WORD.finditer(text)]
    out: list[str] = []
    for word, start, end in tokenizer().tokenize(norm, "search"):
        if has_cjk(word):
            out.append(text[start:end])
        else:
            out.extend(text[start + m.start():start + m.end()] for m in _WORD.finditer(word))
    return out


def pos_tags(text: str) -> list[tuple[str, str]]:
    """(word, part-of-speech tag) in precise mode over the normalised text, from the same engine
    and dictionary (the domain dictionary's names carry nt/nr/ns)."""
    return [tuple(pair) for pair in tokenizer().tag(normalize(text))]
