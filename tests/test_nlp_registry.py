"""The stage registry and its runner: ordering by dependencies, unknown names, what a version bump
re-runs, and a stage that fails on one document.

Most tests register small stages of their own (each writes one analysis field from the text) and
run them through the real runner on a real store, so they check the runner's bookkeeping without
loading any model; the last ones run the real registered stages.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from index.document import Document
from index.store import Store
from nlp.analyses import Analyses
from nlp.components import STAGES
from nlp.pipeline import ProcessReport, Runner, behind_condition
from nlp.registry import Registry, Stage
from parallax.errors import ConfigError
from tests.conftest import run_cli

DOCS = [Document(url=f"https://ex.org/{i}", source_id="s", title=f"Title {i}", body=f"Body number {i}.")
        for i in range(3)]


def _toy_registry(calls: list, fail_on: str | None = None) -> tuple[Registry, dict]:
    """upper (title_seg) ← lower (body_seg), and count (script) on its own, registered with the
    dependent first. `fail_on`: a document title on which `upper` raises."""
    versions = {name: SimpleNamespace(VERSION="1") for name in ("upper", "lower", "count")}
    registry = Registry()

    def lower(resources, items, tally):
        calls.append(("lower", [w.doc.title for w in items]))
        for w in items:
            w.fields["body_seg"] = w.fields["title_seg"].lower()

    def upper(resources, items, tally):
        calls.append(("upper", [w.doc.title for w in items]))
        for w in items:
            if w.doc.title == fail_on:
                raise ValueError(f"cannot read {w.doc.title!r}")
            w.fields["title_seg"] = w.doc.title.upper()

    def count(resources, items, tally):
        calls.append(("count", [w.doc.title for w in items]))
        for w in items:
            w.fields["script"] = str(len(w.doc.body))

    registry.register(Stage("lower", versions["lower"], depends_on=("upper",), inputs=("title_seg",),
                            outputs=("body_seg",), documents=lower))
    registry.register(Stage("upper", versions["upper"], inputs=("title",), outputs=("title_seg",), documents=upper))
    registry.register(Stage("count", versions["count"], inputs=("body",), outputs=("script",), documents=count))
    return registry, versions


def _run(store, settings, registry) -> ProcessReport:
    report = ProcessReport()
    docs = list(store.iter_documents(*behind_condition(registry.version())))
    if docs:
        Runner(store, settings, registry=registry).run_batch(docs, report)
    return report


def _stored(store) -> dict[str, tuple]:
    return {d.title: (d.title_seg, d.body_seg, d.script, d.analysis_version) for d in store.iter_documents()}


@pytest.fixture
def store(settings):
    with Store.open(settings) as store:
        for doc in DOCS:
            store.upsert_document(doc)
        yield store


def test_stages_run_after_the_stages_they_depend_on_whatever_the_registration_order(store, settings):
    calls: list = []
    registry, _ = _toy_registry(calls)
    assert registry.names() == ["upper", "lower", "count"]
    assert registry.version() == "upper=1;lower=1;count=1"
    report = _run(store, settings, registry)
    assert [name for name, _ in calls] == ["upper", "lower", "count"]
    assert report.processed == 3 and report.counts == {"upper": 3, "lower": 3, "count": 3}
    assert list(report.seconds) == ["upper", "lower", "count"]
    assert _stored(store)["Title 1"] == ("TITLE 1", "title 1", "14", "upper=1;lower=1;count=1")
    calls.clear()
    assert _run(store, settings, registry).processed == 0 and calls == []  # nothing is behind


def test_the_real_stages_are_ordered_and_versioned_as_analyses_record_them():
    assert STAGES.names() == ["langid", "normalize", "segment", "terms", "gazetteer", "entities", "translate",
                              "dedup"]
    assert STAGES.version().startswith("langid=1;normalize=1;segment=")
    assert STAGES.text_names() == ["langid", "segment", "entities", "translate"]
    # Every stage that reads another's output depends on it (checked when the registry is ordered).
    assert "langid" in STAGES.upstream("entities") and "normalize" in STAGES.upstream("dedup")
    assert "segment" in STAGES.upstream("terms")  # a new cut is turned into the index's terms again


def test_a_cycle_a_missing_dependency_or_an_undeclared_one_is_refused():
    # Tried: two stages that depend on each other, a dependency nobody registered, and a stage that
    # reads a field another stage writes without depending on it.
    one = SimpleNamespace(VERSION="1")
    cycle = Registry()
    cycle.register(Stage("a", one, depends_on=("b",)))
    cycle.register(Stage("b", one, depends_on=("a",)))
    with pytest.raises(ValueError, match="cycle"):
        cycle.ordered()
    missing = Registry()
    missing.register(Stage("a", one, depends_on=("tokenize",)))
    with pytest.raises(ValueError, match="'tokenize', which is not registered"):
        missing.ordered()
    undeclared = Registry()
    undeclared.register(Stage("lang", one, outputs=("lang",)))
    undeclared.register(Stage("tag", one, inputs=("lang",)))
    with pytest.raises(ValueError, match="reads 'lang', written by 'lang'"):
        undeclared.ordered()
    twice = Registry()
    twice.register(Stage("a", one))
    with pytest.raises(ValueError, match="registered twice"):
        twice.register(Stage("a", one))


def test_an_unknown_stage_name_is_an_error_listing_the_valid_ones():
    # Tried: a name that is no stage, and one that is a stage but has no free-text form.
    with pytest.raises(ConfigError, match="unknown stage 'tokenize'; the stages are: langid, normalize, segment"):
        STAGES.get("tokenize")
    result = run_cli("nlp", "tokenize", input='{"id": 1, "text": "出口管制"}\n')
    assert result.returncode == 1 and result.stdout == ""
    assert "unknown stage 'tokenize'" in result.stderr and "langid, normalize, segment" in result.stderr
    result = run_cli("nlp", "dedup", input='{"id": 1, "text": "出口管制"}\n')
    assert result.returncode == 1
    assert "'dedup' works on stored documents only: run `parallax process`" in result.stderr
    assert "free text are: langid, segment, entities, translate" in result.stderr


def test_a_version_bump_reruns_only_that_stage_and_its_dependents(store, settings):
    calls: list = []
    registry, versions = _toy_registry(calls)
    _run(store, settings, registry)
    calls.clear()
    versions["upper"].VERSION = "2"
    report = _run(store, settings, registry)
    assert report.processed == 3
    assert [name for name, _ in calls] == ["upper", "lower"]  # count does not depend on upper
    assert report.counts == {"upper": 3, "lower": 3, "count": 0}
    assert {v[3] for v in _stored(store).values()} == {"upper=2;lower=1;count=1"}
    calls.clear()
    versions["lower"].VERSION = "2"  # a dependent alone: its producer is not re-run
    _run(store, settings, registry)
    assert [name for name, _ in calls] == ["lower"]
    calls.clear()
    assert _run(store, settings, registry).processed == 0 and calls == []


def test_a_stage_failing_on_one_document_leaves_the_others_done_and_is_recorded(store, settings, caplog):
    # Tried: a stage that raises on one document of a batch of three.
    calls: list = []
    registry, _ = _toy_registry(calls, fail_on="Title 1")
    report = _run(store, settings, registry)
    assert report.processed == 3 and report.failed == {"upper": 1}
    assert report.counts["upper"] == 2 and report.counts["count"] == 3
    stored = _stored(store)
    assert stored["Title 0"][:2] == ("TITLE 0", "title 0") and stored["Title 2"][:2] == ("TITLE 2", "title 2")
    # The failing document keeps what the other stage found; the failed stage and its dependent are
    # left out of its version, so they are behind.
    assert stored["Title 1"] == ("", "", "14", "count=1")
    details = Analyses(store).details(DOCS[1].id)
    assert details["stage_errors"] == {"upper": "ValueError: cannot read 'Title 1'",
                                       "lower": "not run: upper failed"}
    assert any("stage upper failed on document" in r.getMessage() for r in caplog.records)
    # Fixed: the next run does the failed stage and its dependent on that document only.
    registry, _ = _toy_registry(calls)
    calls.clear()
    report = _run(store, settings, registry)
    assert report.processed == 1 and calls == [("upper", ["Title 1"]), ("lower", ["Title 1"])]
    assert _stored(store)["Title 1"] == ("TITLE 1", "title 1", "14", "upper=1;lower=1;count=1")
    assert "stage_errors" not in Analyses(store).details(DOCS[1].id)


@pytest.mark.slow
def test_a_real_stage_failing_on_one_document_is_retried_by_the_next_process(settings, monkeypatch):
    # Tried: language identification raising on one of two documents (as a bad input might make
    # a model do); the other document is analysed in full, the failing one by every stage that does
    # not need its language.
    from nlp import langid
    from nlp.pipeline import process

    real_detect = langid.detect

    def detect(text):
        if "poison" in text:
            raise RuntimeError("model failed on this text")
        return real_detect(text)

    monkeypatch.setattr(langid, "detect", detect)
    good = Document(url="https://ex.org/good", source_id="s", title="CSIA and SIA meet",
                    body="The China Semiconductor Industry Association met SIA in Seoul.")
    bad = Document(url="https://ex.org/bad", source_id="s", title="A poison title", body="Export controls on chips.")
    with Store.open(settings) as store:
        store.upsert_document(good)
        store.upsert_document(bad)
        report = process(store, settings)
        assert report.processed == 2 and report.failed == {"langid": 1}
        done, failed = store.get(good.id), store.get(bad.id)
        assert done.lang == "en" and {e["canonical_id"] for e in done.entities} >= {"csia", "sia"}
        assert failed.lang is None and failed.body_seg and failed.cluster_id  # segment and dedup ran
        errors = Analyses(store).details(bad.id)["stage_errors"]
        assert errors["langid"] == "RuntimeError: model failed on this text"
        assert errors["entities"] == errors["translate"] == "not run: langid failed"
        assert "langid=" not in failed.analysis_version and "segment=" in failed.analysis_version
        monkeypatch.setattr(langid, "detect", real_detect)
        again = process(store, settings)
        assert again.processed == 1
        assert again.counts["langid"] == again.counts["entities"] == 1 and again.counts["segment"] == 0
        assert store.get(bad.id).lang == "en" and store.get(bad.id).analysis_version == STAGES.version()
        assert process(store, settings).processed == 0


@pytest.mark.slow
def test_free_text_translation_gives_what_a_stored_document_gets(tiny_marian, tmp_path):
    # `parallax nlp translate` and `parallax process` run the same stage: a two-paragraph text comes
    # back as two translated paragraphs, equal to the stored document's translated body.
    from nlp.pipeline import process
    from nlp.stage_io import StageRunner
    from tests.test_nlp_translate import _settings
    from tests.tiny_marian import SENTENCES

    settings = _settings(tmp_path, tiny_marian, translate_scope="full")
    body = "\n\n".join([SENTENCES[2] + SENTENCES[3], SENTENCES[5]])
    runner = StageRunner(settings, "translate")
    [item] = runner.run([{"id": "a", "text": body, "lang": "zh"}])
    assert item["translation_model"] == str(tiny_marian) and item["translation"].count("\n\n") == 1
    assert runner.note().startswith("translate: ") and "MarianMT" in runner.note()
    with Store.open(settings) as store:
        doc = Document(url="https://ex.cn/a", source_id="s", title=SENTENCES[4], body=body)
        store.upsert_document(doc)
        process(store, settings)
        assert store.get(doc.id).body_tr == item["translation"]
