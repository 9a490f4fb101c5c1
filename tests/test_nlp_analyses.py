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
                                                                  "details": {"note": "kept"}, "terms_table": None}}
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


def test_a_segmented_text_that_is_the_document_text_is_stored_once_and_read_back(settings):
    """English text is indexed as it is: its segmented form is not stored again but read back from
    the document (by `Store.get` and by what the index is fed), only while the analysis is of the
    document's current text. A text that differs (Chinese, cut into words) is stored as given; a
    stage that never ran stays ''."""
    from index.holdings import Holdings

    en = Document(url="https://ex.org/en", source_id="s", title="Chip rules", body="Export controls on chips.")
    zh = Document(url="https://ex.org/zh", source_id="s", title="出口管制", body="芯片出口管制。")
    with Store.open(settings) as store:
        for doc in (en, zh, DOCS[0]):
            store.upsert_document(doc)
        analyses = Analyses(store)
        analyses.save(en.id, en.content_hash, "v=1", title_seg=en.title, body_seg=en.body)
        analyses.save(DOCS[0].id, DOCS[0].content_hash, "v=1", lang="en")  # segmentation not run
        analyses.save_many([(zh.id, zh.content_hash, "zh", "Hans", "出口 管制", "芯片 出口 管制 。", "", "", None)], "v=1")
        stored = dict(((r[0], (r[1], r[2], r[3], r[4])) for r in store.conn.execute(
            "SELECT doc_id, title_seg, body_seg, title_is_text, body_is_text FROM analyses")))
        assert stored[en.id] == ("", "", 1, 1)  # nothing stored twice
        assert stored[zh.id] == ("出口 管制", "芯片 出口 管制 。", 0, 0)
        assert (store.get(en.id).title_seg, store.get(en.id).body_seg) == (en.title, en.body)
        assert store.get(zh.id).body_seg == "芯片 出口 管制 。"
        assert (store.get(DOCS[0].id).title_seg, store.get(DOCS[0].id).body_seg) == ("", "")
        fed = {r["id"]: (r["title_seg"], r["body_seg"]) for r in Holdings(store).behind(1, 0, 10)}
        assert fed[en.id] == (en.title, en.body) and fed[zh.id] == ("出口 管制", "芯片 出口 管制 。")
        # Terms stored in the form the index wants: the texts they came from are not read again.
        store.conn.execute("UPDATE analyses SET terms_table = 'form 1' WHERE doc_id = ?", (en.id,))
        fed = {r["id"]: (r["title_seg"], r["body_seg"]) for r in Holdings(store).behind(1, 0, 10, "form 1")}
        assert fed[en.id] == ("", "") and fed[zh.id] == ("出口 管制", "芯片 出口 管制 。")
        # An analysis saved for a text the document no longer has is stored in full.
        analyses.save(zh.id, "an older hash", "v=1", title_seg=zh.title)
        assert store.conn.execute("SELECT title_seg, title_is_text FROM analyses WHERE doc_id = ?",
                                  (zh.id,)).fetchone()[:] == (zh.title, 0)
        # The document edited after its analysis: the old analysis does not read as the new text.
        store.upsert_document(Document(url=en.url, source_id="s", title="Chip rules", body="New text."))
        assert store.get(en.id).body_seg == ""
