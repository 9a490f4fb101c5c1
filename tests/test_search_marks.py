"""Known phrases found through their marks (`nlp.phrases`) match and score exactly as the same
phrases checked by positions, on a real tantivy index built from a processed store whose titles
and bodies the language stage turned into the index's tokens (`nlp.terms`).

Bad input tried: a phrase split by a token too long to index (in a body and in a translation), a
text that spells the mark's joining letter itself, a phrase split between title and body, words
in the wrong order, a phrase the lexicon gained after the index was built, and stored terms of
another phrase table."""

from __future__ import annotations

import dataclasses

import pytest

from index.backends import open_backend
from index.document import Document
from index.search import SearchRequest, prepare
from index.store import Store
from index.tantivy_compile import analysed, compile_request
from nlp import terms
from nlp.phrases import JOIN, PhraseTable, analyzer, table_for
from tests.conftest import make_settings

LONG = "x" * 130  # one token of 130 bytes: the analyzer drops it, leaving a gap in the positions
# key: (title, body). Written for these tests.
DOCS = {
    "both": ("Export controls tightened", "The ministry said export controls on lithography tools would widen."),
    "apart": ("Tools and rules", "Controls on the export of tools were discussed."),
    "stemmed": ("Exporting controls", "Exported controls, the note said, follow the exporting control list."),
    "gap": ("A gap", f"The export {LONG} controls were not a phrase here."),
    "long_elsewhere": ("Export controls, long token", f"Export controls apply. {LONG} ends the note."),
    "spelled": ("Spelled", f"The text spells export{JOIN}controls with the joining letter."),
    "zh": ("美国出口管制", "美国半导体行业协会表示反对。The Semiconductor Industry Association said so."),
    "thrice": ("Association notes", "Semiconductor Industry Association, the Semiconductor Industry "
               "Association and again the Semiconductor Industry Association met."),
    "end": ("Rules", "The statement closed on export controls"),
    "split": ("Widening export", "Controls followed, the wire said."),
}
# Translations (what the translation stage would store), which the engine analyses and marks itself.
TRANSLATIONS = {"zh": ("US export controls", f"The export {LONG} controls, the association said."),
                "thrice": (None, f"Export controls held. {LONG}")}
QUERIES = ['"export controls"', '"Semiconductor Industry Association"', "SIA", "出口管制",
           '"export controls" OR lithography', '"export controls" -lithography', '"export of tools"',
           '"China Semiconductor Industry Association" OR "export controls"']


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    from nlp.pipeline import process

    settings = make_settings(tmp_path_factory.mktemp("marks") / "data")
    store = Store.open(settings)
    ids = {}
    for key, (title, body) in DOCS.items():
        doc = Document(url=f"http://127.0.0.1/{key}.html", source_id="s", title=title, body=body,
                       published_at="2025-03-02T09:00:00+00:00")
        store.upsert_document(doc)
        ids[key] = doc.id
    process(store, settings)
    with store.transaction():
        for key, (title_tr, body_tr) in TRANSLATIONS.items():
            store.conn.execute("UPDATE analyses SET title_tr = ?, body_tr = ? WHERE doc_id = ?",
                               (title_tr, body_tr, ids[key]))
    backend = open_backend(settings, store)
    backend.sync()
    yield backend, {v: k for k, v in ids.items()}, store, settings
    store.close()


def _hits(backend, names, query: str, marked: bool):
    searcher = backend.searcher()
    expanded = prepare(SearchRequest(query), backend.settings)
    compiled = compile_request(expanded, backend._index.schema, marks=backend.marks(searcher) if marked else None)
    result = searcher.search(compiled, 100, count=True)
    hits = [(names[searcher.doc(address)["id"][0]], score) for score, address in result.hits]
    return result.count, hits


def _same(backend, names, query):
    by_marks, by_positions = _hits(backend, names, query, True), _hits(backend, names, query, False)
    assert by_marks[0] == by_positions[0], query
    assert [k for k, _ in by_marks[1]] == [k for k, _ in by_positions[1]], query
    for (_, a), (_, b) in zip(by_marks[1], by_positions[1]):
        assert a == pytest.approx(b, rel=1e-4), query
    return {k for k, _ in by_marks[1]}


def test_a_known_phrase_matches_and_scores_through_its_mark_as_by_positions(engine):
    backend, names, _, _ = engine
    found = {query: _same(backend, names, query) for query in QUERIES}
    # "thrice" by its translated body (by positions: flagged), "zh" by its translated title (a mark).
    assert found['"export controls"'] == {"both", "stemmed", "long_elsewhere", "spelled", "end", "zh", "thrice"}
    assert found['"Semiconductor Industry Association"'] >= {"zh", "thrice"}
    assert "apart" not in found["出口管制"] and "gap" not in found["出口管制"] and "split" not in found["出口管制"]
    # The phrase really went through a mark: the table knows it and the index holds the mark.
    tokens, _ = analysed(("export", "controls"))
    term = backend.marks(backend.searcher()).table.term(tokens)
    assert term and JOIN in term and backend.searcher().doc_freq("body", term) >= 4


def test_a_long_token_keeps_its_place_and_a_translation_that_may_hide_one_is_checked_by_positions(engine):
    backend, names, store, _ = engine
    searcher = backend.searcher()
    # Titles and bodies: marked exactly, the dropped token's position kept by a gap.
    assert searcher.doc_freq("flags", "body") == 0 and searcher.doc_freq("flags", "title") == 0
    found = _same(backend, names, '"export controls"')
    assert "long_elsewhere" in found and "gap" not in found
    # Translations: analysed by the engine, so one that could hold such a token is not marked.
    assert searcher.doc_freq("flags", "body_tr") == 2 and searcher.doc_freq("flags", "title_tr") == 0
    assert "thrice" in found  # its translated body says it, found by positions


def test_the_stored_terms_are_the_analyzers_tokens_with_a_gap_where_it_drops_one():
    table = PhraseTable.of([("export", "control")])
    text = "Export controls: the rules widen."
    assert terms.tokens(text) == analyzer().analyze(text)
    assert terms.indexed(text, table).split() == analyzer().analyze(text) + [f"export{JOIN}control"]
    gapped = terms.tokens(f"The export {LONG} controls, ok")
    assert gapped == ["the", "export", terms.GAP, "control", "ok"]
    assert terms.indexed(f"The export {LONG} controls", table).split() == ["the", "export", terms.GAP, "control"]
    assert terms.tokens(f"Export{JOIN}controls") == ["export", "control"]  # the letter is a space
    assert terms.tokens("") == [] and terms.indexed("", table) == ""
    assert terms.fingerprint(table) != terms.fingerprint(PhraseTable.of([("industri", "associ")]))


def test_terms_worked_out_when_indexing_equal_the_ones_the_language_stage_stored(engine):
    backend, names, store, _ = engine
    before = {q: _hits(backend, names, q, True) for q in QUERIES}
    with store.transaction():  # as if worked out with another table (or never): again when indexing
        store.conn.execute("UPDATE analyses SET terms_table = 'another table', body_terms = 'wrongǂmark'")
    backend.rebuild()
    after = {q: _hits(backend, names, q, True) for q in QUERIES}
    for query in QUERIES:
        assert after[query][0] == before[query][0]
        assert [k for k, _ in after[query][1]] == [k for k, _ in before[query][1]]


def test_a_phrase_the_lexicon_gained_is_matched_by_positions_until_the_next_sync_rebuilds(tmp_path):
    from nlp.pipeline import process

    entities = tmp_path / "entities.toml"
    entities.write_text('[[entity]]\nid = "wta"\ntype = "ORG"\nen = "Wafer Tool Alliance"\nzh = "晶圆工具联盟"\n',
                        encoding="utf-8")
    settings = make_settings(tmp_path / "data")
    with Store.open(settings) as store:
        doc = Document(url="http://127.0.0.1/wta.html", source_id="s", title="Wafer Tool Alliance formed",
                       body="The Wafer Tool Alliance said tools matter.")
        store.upsert_document(doc)
        process(store, settings)
        backend = open_backend(settings, store)
        backend.sync()  # built with the bundled lexicon: no mark for this name
        backend = open_backend(settings.replace(nlp=dataclasses.replace(settings.nlp, entities_file=str(entities))),
                               store)
        tokens = tuple(analyzer().analyze("wafer tool alliance"))
        assert backend.marks(backend.searcher()).table.term(tokens) is None
        assert [h.id for h in backend.search(SearchRequest('"wafer tool alliance"')).hits] == [doc.id]
        live = backend.holdings.live()[0]
        backend.sync()  # the lexicon the settings name now differs from the index's: a rebuild
        assert backend.holdings.live()[0] == live + 1
        assert backend.marks(backend.searcher()).table.term(tokens) is not None
        assert [h.id for h in backend.search(SearchRequest('"wafer tool alliance"')).hits] == [doc.id]
        backend.sync()  # the same lexicon: nothing to do, no new generation
        assert backend.holdings.live()[0] == live + 1


def test_the_phrase_table_marks_each_occurrence_and_refuses_what_it_cannot_mark():
    table = PhraseTable.of([("export", "control"), ("semiconductor", "industri", "associ"),
                            ("industri", "associ"), ("solo",)])
    assert ("solo",) not in table.phrases  # one word is a term already
    marks = table.marks("Export controls and export controls; the Semiconductor Industry Association.")
    assert marks.split() == [f"export{JOIN}control"] * 2 + [f"semiconductor{JOIN}industri{JOIN}associ",
                                                           f"industri{JOIN}associ"]
    assert table.marks("") == "" and table.marks("controls export") == ""
    assert table.marks(f"export controls {LONG}") is None  # a dropped token could hide a gap
    assert table.marks(f"export{JOIN}controls") == f"export{JOIN}control"  # the letter is a space
    assert table.fingerprint == PhraseTable.of([("export", "control"), ("industri", "associ"),
                                                ("semiconductor", "industri", "associ")]).fingerprint
    assert table.fingerprint != PhraseTable.of([("export", "control")]).fingerprint
    assert PhraseTable.from_json(table.to_json()) == table


def test_the_bundled_lexicon_gives_the_expansions_phrases_their_marks():
    table = table_for("")
    for name in ("export controls", "Semiconductor Industry Association", "United States"):
        assert table.term(tuple(analyzer().analyze(name))) is not None, name
