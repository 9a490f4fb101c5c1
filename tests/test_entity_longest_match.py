"""Longest match wins in search: `entity:sia` does not find documents that only name CSIA, whose
English name contains SIA's ("Semiconductor Industry Association")."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from index import expand, query
from index.document import Document
from index.backends import open_backend
from index.search import SearchRequest
from index.store import Store
from tests.conftest import make_settings

# key: (title, body). Written for this test.
DOCS = {
    "csia_only": ("Chinese association answers new rules",
                  "The China Semiconductor Industry Association said it opposed the new export rules."),
    "sia_only": ("Industry group asks for clarity",
                 "The Semiconductor Industry Association asked Washington for clearer licensing rules."),
    "both": ("Two associations meet",
             "The Semiconductor Industry Association met the China Semiconductor Industry Association "
             "in Seoul."),
    "zh_csia": ("协会回应新规", "中国半导体行业协会表示反对新的出口规则。"),
}


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    from nlp.pipeline import process

    settings = make_settings(tmp_path_factory.mktemp("longest") / "data")
    store = Store.open(settings)
    store.upsert_source(SimpleNamespace(id="wire", name="Wire", name_en="Wire", language="en", kind="news",
                                        country="GB"))
    ids = {}
    for key, (title, body) in DOCS.items():
        doc = Document(url=f"http://127.0.0.1/{key}.html", source_id="wire", title=title, body=body,
                       published_at="2025-03-02T09:00:00+00:00", declared_lang="zh" if key.startswith("zh")
                       else "en", kind="news", country="GB")
        store.upsert_document(doc)
        ids[doc.id] = key
    process(store, settings)
    backend = open_backend(settings, store)
    backend.rebuild(store)
    yield backend, ids
    store.close()


def found(engine, text):
    backend, ids = engine
    return {ids[h.id] for h in backend.search(SearchRequest(text, limit=50)).hits}


def test_entity_sia_does_not_find_csia_only_documents(engine):
    assert found(engine, "entity:sia") == {"sia_only", "both"}
    assert found(engine, "entity:csia") == {"csia_only", "both", "zh_csia"}


def test_entity_sia_by_its_full_name_does_not_find_csia_either(engine):
    assert found(engine, "entity:\"Semiconductor Industry Association\"") == {"sia_only", "both"}


def test_the_expansion_excludes_the_longer_name_from_text_matches():
    rewritten = expand.expand(query.parse("entity:sia"))
    text = repr(rewritten.node)
    assert "Not(child=Phrase(text='china semiconductor industry association'" in text
    assert any("entity:sia" in note for note in rewritten.expansions)
