"""Short statements are kept: the demo site's 123-character Chinese notice and its three-sentence
English statement are stored whole and found by search (no length threshold drops them)."""

from __future__ import annotations

import re

import pytest

from index.search import SearchRequest
from index.backends import open_backend
from index.store import Store


def _shortest(store, lang: str):
    docs = [d for d in store.iter_documents("d.status = 'ok'") if (d.lang or d.declared_lang) == lang]
    return min(docs, key=lambda d: len(d.body))


@pytest.mark.slow
@pytest.mark.parametrize("lang, most", [("zh", 130), ("en", 600)])
def test_shortest_demo_statement_is_stored_and_found(demo_data, lang, most):
    settings, _ = demo_data
    with Store.open(settings) as store:
        doc = _shortest(store, lang)
        assert len(doc.body) <= most, (doc.url, len(doc.body))
        if lang == "en":
            assert len(re.findall(r"[.!?](?:\s+(?=[A-Z])|$)", doc.body)) <= 3, doc.body  # "U.S. c…" is one
        result = open_backend(settings, store).search(
            SearchRequest(query=f'"{doc.title}"', limit=50, expand=False))
    assert doc.id in [h.id for h in result.hits], (doc.title, [h.title for h in result.hits])
