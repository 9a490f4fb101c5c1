"""Decoding the bytes a server sent: declared, undeclared, wrongly declared, GBK / GB2312 / GB18030 /
Big5, byte-order marks and Latin-1. `decode` is ours; an extractor's guess fails on GBK."""

from __future__ import annotations

import pytest

from crawler.charset import decode
from crawler.extract import extract

SIMPLIFIED = "中国半导体行业协会与美国半导体行业协会共同宣布成立出口管制与供应链安全工作组，双方代表在北京出席会议。"
TRADITIONAL = "中國半導體行業協會與美國半導體行業協會共同宣佈成立出口管制與供應鏈安全工作組，雙方代表在香港出席會議。"
GBK_ONLY = "镕铖堃"  # outside GB2312: a page labelled gb2312 that uses them is really GBK

CASES = [
    # (what is tried, text, encoding of the bytes, <meta> charset, HTTP header)
    ("GBK declared in meta and header", SIMPLIFIED, "gbk", "gbk", "text/html; charset=gbk"),
    ("GB2312 label on GBK-only characters", SIMPLIFIED + GBK_ONLY, "gbk", "gb2312", "text/html; charset=gb2312"),
    ("GB18030 declared", SIMPLIFIED, "gb18030", "gb18030", None),
    ("Big5 declared in meta only", TRADITIONAL, "big5", "big5", "text/html"),
    ("Big5 with no charset anywhere", TRADITIONAL, "big5", None, "text/html"),
    ("GBK with no charset anywhere", SIMPLIFIED, "gbk", None, None),
    ("GBK served as UTF-8", SIMPLIFIED, "gbk", None, "text/html; charset=utf-8"),
    ("GBK served as ISO-8859-1", SIMPLIFIED, "gbk", None, "text/html; charset=iso-8859-1"),
    ("Big5 labelled GBK in meta", TRADITIONAL, "big5", "gbk", None),
    ("UTF-8 served as ISO-8859-1", SIMPLIFIED, "utf-8", "utf-8", "text/html; charset=iso-8859-1"),
    ("UTF-8 with no charset", TRADITIONAL, "utf-8", None, None),
]


def _page(text: str, meta: str | None) -> str:
    head = f'<meta charset="{meta}">' if meta else ""
    return f"<html><head>{head}<title>t</title></head><body><h1>中文</h1><p>{text}</p></body></html>"


@pytest.mark.parametrize("case,text,encoding,meta,header", CASES, ids=[c[0] for c in CASES])
def test_chinese_pages_decode_to_the_text_written(case, text, encoding, meta, header):
    body = _page(text, meta).encode(encoding)
    decoded, codec = decode(body, header)
    assert text in decoded, (case, codec)


def test_utf8_byte_order_mark_wins_over_a_wrong_meta():
    body = b"\xef\xbb\xbf" + _page(SIMPLIFIED, "gbk").encode("utf-8")
    decoded, codec = decode(body, "text/html; charset=gbk")
    assert codec == "utf-8" and SIMPLIFIED in decoded and not decoded.startswith("\ufeff")


def test_latin1_page_stays_latin1():
    body = "<p>Déclaration de l’Association: coopération économique à Genève.</p>".encode("cp1252")
    decoded, codec = decode(body, "text/html; charset=iso-8859-1")
    assert codec == "cp1252" and "coopération économique à Genève" in decoded


def test_forced_encoding_overrides_everything():
    body = _page(TRADITIONAL, "utf-8").encode("big5")
    decoded, codec = decode(body, "text/html; charset=utf-8", forced="big5")
    assert codec == "big5hkscs" and TRADITIONAL in decoded


def test_extract_reports_the_codec_it_used():
    found = extract(_page(SIMPLIFIED + "。" * 3, None).encode("gb18030"), "http://x/a.html")
    assert found.encoding == "gb18030"
    assert SIMPLIFIED in found.text


@pytest.mark.parametrize("body,reason", [
    (b"", "empty"),
    (b"   \n  ", "empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 50, "binary"),
    (b"<html><body><nav><a href='/'>Home</a></nav></body></html>", "no article text"),
])
def test_pages_without_an_article_raise_with_the_reason(body, reason):
    from crawler.extract import ExtractionError

    with pytest.raises(ExtractionError, match=reason):
        extract(body, "http://x/a.html")
