"""rjieba cuts the project's own text as jieba 0.42.1 did, with every difference listed here.

The corpus is text written for the project: the demo sample site, the fixture sites of the tests and
the labelled sentences in nlp/data. jieba runs with the same domain dictionary; the comparison is on
the normalised text, as both cut it.
"""

from __future__ import annotations

import html
import json
import logging
import re
from pathlib import Path

import pytest

from nlp import segment
from nlp.normalize import has_cjk, normalize

ROOT = Path(__file__).resolve().parents[1]
_KANA = re.compile(r"[\u3040-\u30ff]")
_HYPHENATED_NUMBER = re.compile(r"^\d+(?:-\d+)+$")


def project_lines() -> list[str]:
    lines = []
    pages = sorted((ROOT / "parallax" / "sample_site").rglob("*.html")) + sorted((ROOT / "tests" / "sites").rglob("*.html"))
    for page in pages:
        raw = page.read_bytes()
        for encoding in ("utf-8", "gb18030", "big5"):
            try:
                text = raw.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        text = html.unescape(re.sub(r"<[^>]+>", "\n", text))
        lines += [line.strip() for line in text.splitlines() if has_cjk(line)]
    for name in ("entities_eval_zh.jsonl",):
        lines += [json.loads(line)["text"] for line in (ROOT / "nlp" / "data" / name).read_text("utf-8").splitlines()]
    return lines


@pytest.fixture(scope="module")
def jieba_tokenizer():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tok = jieba.Tokenizer()
    tok.initialize()
    tok.load_userdict(str(ROOT / "nlp" / "data" / "userdict.txt"))
    return tok


def explained(jieba_words: list[str], rjieba_words: list[str]) -> str | None:
    """Why two cuts differ, or None when the difference is not one of the known ones:

    1. a hyphenated number (a date such as 2025-09-25): jieba cuts at every hyphen, rjieba keeps it
       whole; the index splits both at the hyphens, so search sees the same words;
    2. Japanese kana (here only in a page decoded with the wrong charset on purpose): jieba keeps a
       run of kana as one word, rjieba gives one word per character.
    """
    a = [w for w in jieba_words if w not in rjieba_words]
    b = [w for w in rjieba_words if w not in jieba_words]
    if all(_HYPHENATED_NUMBER.match(w) for w in b) and "".join(a).replace("-", "") == "".join(b).replace("-", ""):
        return "hyphenated number"
    if all(_KANA.search(w) for w in a + b) and "".join(a) == "".join(b):
        return "kana"
    return None


def test_rjieba_cuts_the_project_text_as_jieba_did(jieba_tokenizer):
    lines = project_lines()
    assert len(lines) > 500
    differences = {}
    for line in lines:
        norm = normalize(line)
        old = [w for w in jieba_tokenizer.lcut(norm, HMM=True) if w.strip()]
        new = segment.words(line)
        if old != new:
            reason = explained(old, new)
            assert reason, (line, old, new)
            differences[reason] = differences.get(reason, 0) + 1
    assert set(differences) <= {"hyphenated number", "kana"}
    assert sum(differences.values()) < 0.02 * len(lines)


def test_the_index_sees_the_same_words_as_with_jieba(jieba_tokenizer):
    """Search-mode words, split as the index splits them, against jieba's search mode per run of
    Chinese characters (how the index was fed before)."""
    cjk_run = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")

    def old_index(text):
        norm, out, pos = normalize(text), [], 0
        for m in cjk_run.finditer(norm):
            out += re.findall(r"\w+", norm[pos:m.start()]) + jieba_tokenizer.lcut_for_search(m.group(), HMM=True)
            pos = m.end()
        return [w.lower() for w in out + re.findall(r"\w+", norm[pos:])]

    for line in project_lines():
        old = old_index(line)
        new = [w.lower() for w in re.findall(r"\w+", segment.index_text(line))]
        if old != new:
            extra = [w for w in new if w not in old]
            missing = [w for w in old if w not in new]
            # rjieba cuts mixed domain words (AI芯片) whole (a query for AI looks for them);
            # kana as above; a run of ideographic zeros (二〇〇八, U+3007, outside the Han blocks the
            # old index cut by) was one token and is now one per character, at index and query time alike.
            assert all(_KANA.search(w) or (has_cjk(w) and re.search(r"[A-Za-z0-9]", w)) or set(w) == {"〇"}
                       for w in extra + missing) \
                or all(_KANA.search(w) for w in missing), (line, missing, extra)


@pytest.mark.parametrize("text, words", [
    ("中国半导体行业协会反对出口管制", ["中国半导体行业协会", "反对", "出口管制"]),
    ("中國半導體行業協會反對出口管製", ["中国半导体行业协会", "反对", "出口管制"]),
    ("发布时间：2025-09-25", ["发布", "时间", "：", "2025-09-25"]),
])
def test_precise_words(text, words):
    assert segment.words(text) == words


def test_original_words_keep_traditional_characters_and_index_tokens_add_sub_words():
    text = "中國半導體行業協會反對出口管製"
    assert segment.original_words(text) == ["中國半導體行業協會", "反對", "出口管製"]
    assert {"半導體", "中國半導體行業協會", "出口", "管製"} <= set(segment.tokens(text))


def test_a_mixed_domain_word_is_one_index_token_found_by_its_latin_part():
    words = segment.index_text("公司发布AI芯片和SEMI中国报告").split()
    assert {"AI芯片", "SEMI中国"} <= set(words) and not {"AI", "SEMI"} & set(words)
    assert segment.query_words("AI芯片") == ["AI芯片"]
    # What a query for the Latin part also looks for: any case, full-width too; nothing for other words.
    assert segment.glued_words("ai") == segment.glued_words("ＡＩ") == ("AI芯片", "AI晶片")
    assert segment.glued_words("301") == ("301条款",)
    assert segment.glued_words("SK") == ("SK海力士",)
    assert segment.glued_words("chips") == segment.glued_words("芯片") == ()


def test_cut_joins_back_to_the_original_text():
    text = "中國半導體行業協會 said:  export controls\n出口管製。"
    assert "".join(segment.cut(text)) == text


def test_index_text_is_the_search_cut_of_the_normalised_text():
    for text in ("中國半導體行業協會反對出口管製，" * 8, "2025年9月25日，商务部发布公告", "export controls only",
                 "2025年9月SEMI中国与SK海力士讨论AI芯片", "ＡＩ晶片與SEMI中國、SEMI大中華區"):
        norm = normalize(text)
        expected = " ".join(segment.tokenizer().cut_for_search(norm)) if has_cjk(norm) else norm
        assert segment.index_text(text) == expected
