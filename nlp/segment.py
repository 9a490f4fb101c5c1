"""Word segmentation for indexing and querying, the same code on both sides.

Chinese has no spaces, so the search index (FTS5's unicode61 tokenizer, Elasticsearch's whitespace
analyzer) is fed text that is already segmented. jieba does the work, with the project's domain
dictionary (`nlp/data/userdict.txt`) so names like 中国半导体行业协会 and terms like 出口管制 stay whole.

Documents are indexed in jieba's search mode (whole words plus the shorter words inside them, so a
query for 半导体 finds 中国半导体行业协会); queries are cut in precise mode and matched as phrases.
Both go through `normalize` first, so Traditional and Simplified forms meet.
"""

from __future__ import annotations

import functools
import logging
import re
from importlib import resources

from nlp.normalize import has_cjk, normalize

VERSION = "1"
log = logging.getLogger(__name__)

_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_SPACE = re.compile(r"\s+")


@functools.lru_cache(maxsize=1)
def tokenizer():
    """jieba's tokenizer with the domain dictionary, built once per process."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tok = jieba.Tokenizer()
    tok.initialize()
    userdict = resources.files("nlp").joinpath("data/userdict.txt")
    if userdict.is_file():
        with resources.as_file(userdict) as path:
            tok.load_userdict(str(path))
    else:
        log.warning("domain dictionary nlp/data/userdict.txt is missing; segmenting with jieba's own")
    return tok


def words(text: str) -> list[str]:
    """Precise-mode words of the normalised text, without whitespace tokens."""
    text = normalize(text)
    if not has_cjk(text):
        return text.split()
    return [w for w in tokenizer().lcut(text, HMM=True) if w.strip()]


def index_text(text: str) -> str:
    """The text as the index sees it: normalised, Chinese runs cut in search mode, space-joined."""
    text = normalize(text)
    if not has_cjk(text):
        return text
    tok = tokenizer()
    out: list[str] = []
    pos = 0
    for match in _CJK_RUN.finditer(text):
        out.append(text[pos:match.start()])
        out.append(" " + " ".join(tok.lcut_for_search(match.group(), HMM=True)) + " ")
        pos = match.end()
    out.append(text[pos:])
    return _SPACE.sub(" ", "".join(out)).strip()


def query_words(text: str) -> list[str]:
    """A query term cut into the words to match as one phrase (precise mode, normalised)."""
    text = normalize(text)
    if not has_cjk(text):
        return [w for w in re.split(r"[^\w]+", text) if w]
    tok = tokenizer()
    out: list[str] = []
    pos = 0
    for match in _CJK_RUN.finditer(text):
        out.extend(w for w in re.split(r"[^\w]+", text[pos:match.start()]) if w)
        out.extend(w for w in tok.lcut(match.group(), HMM=True) if w.strip())
        pos = match.end()
    out.extend(w for w in re.split(r"[^\w]+", text[pos:]) if w)
    return out


def tokens(text: str) -> list[str]:
    """The words the index is fed, in the text's original characters (Traditional stays Traditional).

    The same cut as `index_text` (search mode for Chinese runs, whitespace elsewhere); since
    normalisation keeps every character in place, positions in the normalised text pick the
    original characters.
    """
    norm = normalize(text)
    tok = tokenizer() if has_cjk(norm) else None
    out: list[str] = []
    pos = 0

    def plain(start: int, end: int) -> None:
        for match in re.finditer(r"\w+", norm[start:end]):  # as FTS5 unicode61 splits them
            out.append(text[start + match.start():start + match.end()])

    if tok is not None:
        for match in _CJK_RUN.finditer(norm):
            plain(pos, match.start())
            for _word, start, end in tok.tokenize(match.group(), mode="search", HMM=True):
                out.append(text[match.start() + start:match.start() + end])
            pos = match.end()
    plain(pos, len(norm))
    return out
