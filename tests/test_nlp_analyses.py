"""nlp.analyses: the one writer of the language tables (analyses, translation cache, near-duplicate
signatures), and the reads other packages use."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from index.document import Document
from index.store import Store
from nlp import dedup
from nlp.analyses import Analyses

ROOT = Path(__file__).resolve().parent.parent
WRITES = re.compile(r"(INSERT\s+(OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM)\s+"
                    r"(analyses|translation_cache|doc_signatures|doc_bands)\b", re.I)
DOCS = [Document(url=f"https://ex.org/{i}", source_id="s", title=f"Title {i}", body="Body.") for i in range(2)]


def test_no_module_but_the_owner_writes_the_language_tables():
    writers = sorted(str(path.relative_to(ROOT))
                     for package in ("alerts", "benchmarks", "crawler", "index", "nlp", "parallax", "ui")
                     for path in (ROOT / package).rglob("*.py") if WRITES.search(path.read_text("utf-8")))
    assert writers == ["nlp/analyses.py"]


def test_an_analysis_is_saved_read_back_and_updated_in_place(settings):
    with Store.open(settings) as store:
        for doc in DOCS:
            store.upsert_document(doc)
        doc = store.get(DOCS[0].id)
        analyses = Analyses(store)
        analyses.save(doc.id, doc.content_hash, "v=1", lang="en", title_seg="title 0", details={"note": "kept"})
        assert analyses.details(doc.id) == {"note": "kept"} and analyses.details(DOCS[1].id) == {}
        assert analyses.stored([doc.id, DOCS[1].id]) == {doc.id: {"content_hash": doc.content_hash,
                                                                  "details": {"note": "kept"}}}
        assert analyses.translation_coverage() == {"en": (0, 1)}
        analyses.save(doc.id, doc.content_hash, "v=2", title_tr="Title 0")  # other fields kept
        stored = store.get(doc.id)
        assert (stored.analysis_version, stored.title_seg, stored.title_tr) == ("v=2", "title 0", "Title 0")
        assert analyses.translation_coverage() == {"en": (1, 1)}
        stamp = store.conn.execute("SELECT processed_at FROM analyses").fetchone()[0]
        analyses.assign_clusters([("c1", doc.id)])
        assert store.get(doc.id).cluster_id == "c1"
        # A changed cluster is a changed analysis: the next index sync re-indexes the document.
        assert store.conn.execute("SELECT processed_at FROM analyses").fetchone()[0] != stamp


def test_translation_cache_and_signatures_round_trip(settings):
    with Store.open(settings) as store:
        for doc in DOCS:
            store.upsert_document(doc)
        analyses = Analyses(store)
        analyses.cache_translations("m", {"k1": ("Hello.", "你好。")})
        assert analyses.cached_translations("m", ["k1", "k2"]) == [("k1", "你好。")]
        assert analyses.cached_translations("other", ["k1"]) == []
        sig = dedup.signature("the same statement twice")
        analyses.save_signature(DOCS[0].id, dedup.bands(sig), sig.tobytes(), DOCS[0].id)
        assert analyses.band_neighbours(DOCS[1].id, dedup.bands(sig)) == {DOCS[0].id}
        assert analyses.band_neighbours(DOCS[0].id, dedup.bands(sig)) == set()  # never itself
        raw, cluster = analyses.signature(DOCS[0].id)
        assert cluster == DOCS[0].id and np.array_equal(np.frombuffer(raw, dtype=np.uint32), sig)
        assert analyses.signature(DOCS[1].id) is None
