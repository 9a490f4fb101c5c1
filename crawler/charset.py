"""Bytes to text for pages whose charset is declared, undeclared or declared wrongly.

Decoding is ours, not the extractor's: Chinese sites declare GBK, GB2312 or Big5, send no charset,
or send the wrong one, and a guess made on mangled text cannot be repaired later.
"""

from __future__ import annotations

import codecs
import re

# Superset codecs: a page labelled GB2312 routinely contains GBK characters, and Big5 HKSCS ones.
_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "gb18030": "gb18030",
              "big5": "big5hkscs", "big5-hkscs": "big5hkscs", "cp950": "big5hkscs",
              "iso-8859-1": "cp1252", "latin-1": "cp1252", "ascii": "cp1252", "us-ascii": "cp1252"}
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.IGNORECASE)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_\-]+)", re.IGNORECASE)


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    name = name.strip().lower()
    name = _SUPERSETS.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode(body: bytes, header_content_type: str | None = None, forced: str | None = None) -> tuple[str, str]:
    """Text and the codec used. Order: the source's setting, a BOM, valid UTF-8, the page's own
    meta charset, the HTTP header, then GB18030 (which decodes any byte string without loss of the
    Chinese that is there)."""
    if forced:
        codec = _codec(forced) or forced
        return body.decode(codec, errors="replace"), codec
    for bom, codec in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16"),
                       (codecs.BOM_UTF16_BE, "utf-16")):
        if body.startswith(bom):
            return body.decode(codec, errors="replace").lstrip("\ufeff"), codec
    try:
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        declared = []  # not UTF-8: what the page and the server say, then a guess
    meta = _META_CHARSET.search(body[:4096])
    if meta:
        declared.append(_codec(meta.group(1).decode("ascii", "ignore")))
    if header_content_type:
        header = _HEADER_CHARSET.search(header_content_type)
        if header:
            declared.append(_codec(header.group(1)))
    # A declared charset is believed only if the bytes decode under it without error: a page
    # labelled UTF-8 or ISO-8859-1 that is really GBK is common on older Chinese sites.
    for codec in declared:
        if codec and codec not in ("utf-8", "cp1252"):
            try:
                text = body.decode(codec)
            except UnicodeDecodeError:
                continue
            if codec in ("gb18030", "big5hkscs"):
                # GB18030 accepts Big5 bytes (and the reverse) as valid nonsense: a label is
                # overruled when the other reading is clearly ordinary Chinese.
                other = _guess_chinese(body)
                if other and other[1] != codec and \
                        _common_share(*other) > _common_share(text, codec) + 0.2:
                    return other
            return text, codec
    guessed = _guess_chinese(body)
    # A page declared Latin-1 keeps it unless its bytes read clearly as Chinese.
    if guessed and ("cp1252" not in declared or _common_share(*guessed) >= 0.6):
        return guessed
    if "cp1252" in declared:
        return body.decode("cp1252", errors="replace"), "cp1252"
    return body.decode("gb18030", errors="replace"), "gb18030"


def _guess_chinese(body: bytes) -> tuple[str, str] | None:
    """GB18030 or Big5 for undeclared (or wrongly declared) bytes, whichever reads as common text.

    Both codecs accept most byte strings of the other, so a strict decode alone cannot tell them
    apart. Each reading is scored by the share of its non-ASCII characters that fall in that
    standard's own frequent-character block (GB2312 level 1; Big5 level 1) or are CJK
    punctuation: real text scores above 0.9, a cross-reading around half.
    """
    readings = []
    for codec in ("gb18030", "big5hkscs"):
        try:
            readings.append((body.decode(codec), codec))
        except UnicodeDecodeError:
            continue
    if len(readings) < 2:
        return readings[0] if readings else None
    return max(readings, key=lambda r: _common_share(r[0], r[1]))


def _common_share(text: str, codec: str) -> float:
    wide = [c for c in text if ord(c) > 0x7F][:4000]
    if not wide:
        return 0.0
    good = 0
    for char in wide:
        if 0x3000 <= ord(char) <= 0x303F or 0xFF00 <= ord(char) <= 0xFFEF or char in "“”‘’…—·":
            good += 1
            continue
        try:
            if codec == "gb18030":
                raw = char.encode("gb2312")
                good += 0xB0 <= raw[0] <= 0xD7
            else:
                raw = char.encode("big5")
                good += 0xA440 <= int.from_bytes(raw[:2], "big") <= 0xC67E
        except UnicodeEncodeError:
            continue
    return good / len(wide)
