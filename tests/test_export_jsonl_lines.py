"""JSONL lines are exactly what `json.dumps(row, ensure_ascii=False)` writes, whatever the text."""

from __future__ import annotations

import io
import json

import pytest

from index.export.writers import json_line, write_jsonl

# Every code point outside the surrogates, in one string: quotes, backslashes, control characters,
# DEL, U+2028/2029, CJK, emoji.
EVERY_CHARACTER = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000)


def _dumps(row) -> bytes:
    return json.dumps(row, ensure_ascii=False).encode("utf-8")


ROWS = [
    {"id": "a", "title": "出口管制 \"quoted\" \\ back\tslash\nline", "body": EVERY_CHARACTER, "author": None,
     "cluster_size": 3, "entities": [{"id": "sia", "name_en": "SIA", "name_zh": None, "mentions": 2}]},
    {"id": "", "score": 0.1, "big": 10 ** 30, "flag": True, "nested": {"k": ["v", 1, None]}, "empty": []},
    {1: "a key that is not text", "x": "y"},
    {},
]


@pytest.mark.parametrize("row", ROWS, ids=["text-every-character", "other-types", "int-key", "empty"])
def test_a_json_line_is_json_dumps_of_the_row_byte_for_byte(row):
    assert json_line(row) == _dumps(row)


def test_write_jsonl_writes_one_json_dumps_line_per_row_across_batches():
    out = io.BytesIO()
    stats = write_jsonl(iter(ROWS * 3), out, batch=5)
    assert stats.documents == len(ROWS) * 3
    assert out.getvalue() == b"".join(_dumps(r) + b"\n" for r in ROWS * 3)


def test_a_lone_surrogate_fails_as_json_dumps_does():
    """Text no UTF-8 file can hold: the same error as encoding json.dumps' output."""
    with pytest.raises(UnicodeEncodeError):
        _dumps({"title": "bad \ud800"})
    with pytest.raises(UnicodeEncodeError):
        json_line({"title": "bad \ud800"})
