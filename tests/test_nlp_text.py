"""Language id, Chinese script, normalisation and segmentation."""

from nlp import langid, segment
from nlp.normalize import normalize, to_halfwidth


def test_language_of_short_texts():
    assert langid.detect("出口管制") == "zh"
    assert langid.detect("中芯国际") == "zh"
    assert langid.detect("Export controls on chips") == "en"
    assert langid.detect("SIA statement") == "en"
    assert langid.detect("2024 — 12") is None


def test_long_texts_use_the_fast_mode_with_the_same_answers():
    """Paragraphs of LONG_TEXT characters or more go to lingua's low-accuracy mode; the answers on
    long paragraphs in each candidate language are those of the full mode."""
    long_texts = {
        "en": "The association said on Tuesday that the new export rules would take effect next month "
              "and that its members had asked for a longer period to adjust their supply chains.",
        "fr": "L'association a indiqué mardi que les nouvelles règles d'exportation entreraient en vigueur "
              "le mois prochain et que ses membres avaient demandé un délai plus long.",
        "de": "Der Verband teilte am Dienstag mit, dass die neuen Ausfuhrregeln im nächsten Monat in Kraft "
              "treten und seine Mitglieder um eine längere Übergangsfrist gebeten hätten.",
        "es": "La asociación dijo el martes que las nuevas normas de exportación entrarían en vigor el "
              "próximo mes y que sus miembros habían pedido un plazo más largo para adaptarse.",
    }
    for lang, text in long_texts.items():
        assert len(text) >= langid.LONG_TEXT
        assert langid.detect(text) == lang
        assert langid._detector(False).detect_language_of(text) == langid._detector(True).detect_language_of(text)
    assert langid.detect("Die Regeln gelten ab Montag.") == "de"  # short: the full mode


def test_mixed_text_is_decided_per_paragraph():
    paragraphs = ["中国半导体行业协会今天发表声明，反对美国扩大出口管制。",
                  "The Semiconductor Industry Association said the rules hurt American companies.",
                  "协会呼吁 SIA 与 CSIA 继续对话。"]
    assert langid.paragraph_languages(paragraphs) == ["zh", "en", "zh"]
    assert langid.detect("CSIA 与 SIA 在北京举行第七次工作组会议") == "zh"


def test_script_tells_traditional_from_simplified():
    assert langid.script("中国半导体行业协会发表声明") == "Hans"
    assert langid.script("中國半導體行業協會發表聲明") == "Hant"
    assert langid.script("No Chinese here") is None


def test_traditional_and_simplified_normalise_to_the_same_text_of_the_same_length():
    pairs = [("中國半導體行業協會", "中国半导体行业协会"), ("出口管製", "出口管制"),
             ("供應鏈安全", "供应链安全"), ("臺積電", "台积电")]
    for traditional, simplified in pairs:
        assert normalize(traditional) == normalize(simplified)
        assert len(normalize(traditional)) == len(traditional)
    assert to_halfwidth("ＳＭＩＣ　２０２４") == "SMIC 2024"
    assert normalize("ＳＭＩＣ，出口。") == "SMIC，出口。"  # Chinese punctuation is kept


def test_domain_words_segment_as_units():
    for word in ("中国半导体行业协会", "出口管制", "供应链安全", "中芯国际"):
        assert word in segment.words(f"据悉{word}方面今天表示")
    assert segment.words("中芯国际表示出口管制影响供应链安全") == ["中芯国际", "表示", "出口管制", "影响",
                                                                 "供应链安全"]


def test_traditional_text_segments_like_simplified():
    assert segment.words("中國半導體行業協會反對出口管制") == segment.words("中国半导体行业协会反对出口管制")


def test_index_and_query_use_the_same_cut():
    text = "中国半导体行业协会反对出口管制"
    indexed = segment.index_text(text).split()
    query = segment.query_words("中國半導體行業協會")
    assert query == ["中国半导体行业协会"] and query[0] in indexed
    assert "半导体" in indexed  # search mode adds the shorter words inside
    for word in segment.query_words("出口管制 供应链安全"):
        assert word in segment.index_text("加强出口管制，维护供应链安全").split()


def test_tokens_keep_the_original_characters():
    tokens = segment.tokens("中國半導體行業協會 said: export controls")
    assert "中國半導體行業協會" in tokens and "said" in tokens and "controls" in tokens


def test_segmentation_of_spacys_own_jieba_test_sentence():
    """spaCy ships this sentence with jieba's expected cut (spacy/tests/lang/zh/test_tokenizer.py);
    the domain dictionary must not disturb ordinary text."""
    text = "作为语言而言，为世界使用人数最多的语言，目前世界有五分之一人口做为母语。"
    expected = ['作为', '语言', '而言', '，', '为', '世界', '使用', '人', '数最多', '的', '语言', '，',
                '目前', '世界', '有', '五分之一', '人口', '做', '为', '母语', '。']
    assert segment.words(text) == expected


def test_long_and_short_texts_normalise_alike_character_by_character():
    """Long texts go through an array lookup, short ones through str.translate: same result, same
    length, and the same as converting one character at a time with OpenCC."""
    import opencc

    from nlp.normalize import _CJK_RANGES

    converter = opencc.OpenCC("t2s")
    sample = "中國半導體行業協會發表聲明，ＳＭＩＣ　２０２４。臺積電𠀋"
    long_text = sample * 40
    assert normalize(long_text) == normalize(sample) * 40 and len(normalize(long_text)) == len(long_text)
    chars = [chr(c) for start, end in _CJK_RANGES for c in range(start, end, 97)]
    expected = "".join(o if len(o := converter.convert(ch)) == 1 else ch for ch in chars)
    assert normalize("".join(chars)) == expected


def test_long_texts_with_rare_characters_or_lone_surrogates_normalise_like_short_ones():
    """The array path of long texts against the dict path of short ones, on what it must hand
    back to the dict or treat specially: characters that become one beyond the BMP (㑮 becomes
    U+2B748), a character beyond the BMP in the text, and a lone surrogate (text decoded with
    surrogateescape), which must neither raise nor stop the rest being converted."""
    for piece in ("中國㑮半導體", "中國\U00020000半導體", "中國\udc80半導體"):
        long_text = piece * 20
        assert len(long_text) >= 64 and len(piece) < 64
        assert normalize(long_text) == normalize(piece) * 20
        assert len(normalize(long_text)) == len(long_text)
    assert normalize("中國㑮") == "中国\U0002b748"


def test_text_with_nothing_to_normalise_comes_back_unchanged():
    simplified = "中国半导体行业协会发表声明，反对出口管制。" * 10
    assert normalize(simplified) is simplified
