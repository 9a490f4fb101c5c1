"""`parallax index --check`, the smoke check a user runs against their own Elasticsearch cluster,
run through the real command line against `tests/es_fault_server.py` (a small server on 127.0.0.1
that answers as Elasticsearch documents and injects faults; not a compatibility test)."""

from __future__ import annotations

import pytest

from tests.conftest import run_cli
from tests.es_fault_server import FaultServer
from tests.test_elastic_faults import _settings, _store


def _env(tmp_path, es):
    return {"PARALLAX_DATA_DIR": str(tmp_path / "data"), "PARALLAX_INDEX_BACKEND": "elasticsearch",
            "PARALLAX_ES_URL": es.url, "PARALLAX_NLP_TRANSLATE": "false"}


def _lines(output: str) -> dict[str, str]:
    return {line.split()[1]: line for line in output.splitlines() if line[:4] in ("ok  ", "FAIL")}


def test_check_shows_version_template_alias_mappings_and_a_round_trip(tmp_path):
    """Bad input tried: checking before anything was indexed (the alias is missing)."""
    from index.elastic import ElasticBackend

    with FaultServer() as es:
        settings = _settings(tmp_path, es)
        store = _store(settings)
        backend = ElasticBackend(settings, store)
        before = {what: (passed, detail) for what, passed, detail in backend.check()}
        assert before["server"] == (True, f"Elasticsearch 9.5.1 (default) at {es.url}; client 9.5.1")
        assert before["template"][0] and "parallax-template on ['parallax-*'] priority 208" in before["template"][1]
        assert before["alias"] == (False, "parallax does not exist yet: run `parallax index`")
        assert before["round trip"][0] and "found by 'control' and '出口管制' with highlights" in before["round trip"][1]
        assert sorted(es.cluster.indices) == []  # the scratch index is gone

        backend.sync()
        after = {what: (passed, detail) for what, passed, detail in backend.check()}
        assert all(passed for passed, _ in after.values()), after
        assert "3 documents, the store records 3, 0 waiting" in after["alias"][1]
        store.close()


@pytest.mark.slow
def test_check_command_prints_one_line_per_item_and_fails_on_a_drifted_mapping(tmp_path):
    """Bad input tried: a live index whose mapping was changed by hand."""
    with FaultServer() as es:
        settings = _settings(tmp_path, es)
        store = _store(settings)
        from index.elastic import ElasticBackend

        ElasticBackend(settings, store).sync()
        store.close()
        (live,) = es.cluster.indices
        es.cluster.indices[live]["mappings"]["properties"]["title_en"] = {"type": "text"}
        drifted = run_cli("index", "--check", env=_env(tmp_path, es))
        assert drifted.returncode == 1, drifted.stderr
        lines = _lines(drifted.stdout)
        assert set(lines) == {"server", "template", "alias", "mappings", "round"}
        assert lines["mappings"].startswith("FAIL") and "title_en differs" in lines["mappings"]
        assert "parallax index --rebuild" in lines["mappings"]
        assert all(lines[k].startswith("ok") for k in ("server", "template", "alias", "round"))


def test_check_on_the_embedded_index_says_it_needs_none(tmp_path):
    ran = run_cli("index", "--check", env={"PARALLAX_DATA_DIR": str(tmp_path / "data")})
    assert ran.returncode == 0 and "needs no check" in ran.stdout
