"""The entity ids the index keeps of a stored entities list, found in its JSON text without parsing
it (`index.tantivy_schema.entity_ids`): the same ids json.loads gives, whatever the text holds."""

from __future__ import annotations

import json

import pytest

from index.tantivy_schema import entity_ids


def _parsed(entities: str | None) -> list[str]:
    return sorted({e["canonical_id"] for e in json.loads(entities or "[]") if e.get("canonical_id")})


MENTIONS = [
    {"start": 0, "end": 3, "label": "ORG", "text": "SIA", "canonical_id": "sia", "field": "body"},
    {"start": 9, "end": 12, "label": "ORG", "text": "SIA", "canonical_id": "sia", "field": "title"},
    {"start": 20, "end": 30, "label": "ORG", "text": "Unlisted Co", "canonical_id": None, "field": "body"},
    {"start": 31, "end": 34, "label": "ORG", "text": "X", "canonical_id": "", "field": "body"},
    # A mention's text that spells the key and a quote, as a page could: escaped, never a key.
    {"start": 40, "end": 70, "label": "MISC", "text": 'said "canonical_id": "fake"', "canonical_id": "csia",
     "field": "body"},
    {"start": 71, "end": 75, "label": "GPE", "text": "中国", "canonical_id": "中国", "field": "body"},
    {"start": 76, "end": 80, "label": "ORG", "text": "odd", "canonical_id": 'a"b\\c', "field": "body"},
]


@pytest.mark.parametrize("dumps", [
    lambda m: json.dumps(m, ensure_ascii=False),  # how the entities stage stores them
    lambda m: json.dumps(m),                      # \u escapes
    lambda m: json.dumps(m, separators=(",", ":")),
    lambda m: json.dumps(m, indent=2),
], ids=["stored", "ascii", "compact", "indented"])
def test_the_ids_are_the_ones_parsing_gives(dumps):
    text = dumps(MENTIONS)
    assert entity_ids(text) == _parsed(text) == sorted(["sia", "csia", "中国", 'a"b\\c'])


@pytest.mark.parametrize("entities", [None, "", "[]", json.dumps([{"text": "No id", "label": "ORG"}])])
def test_nothing_to_keep(entities):
    assert entity_ids(entities) == []
