"""`parallax index --check`, the smoke check a user runs against their own Elasticsearch cluster,
run through the real command line against `tests/es_fault_server.py` (a small server on 127.0.0.1
that answers as Elasticsearch documents and injects faults; not a compatibility test)."""

from __future__ import annotations

from tests.conftest import run_cli
from tests.es_fault_server import FaultServer
from tests.test_elastic_faults import _settings, _store


def _env(tmp_path, es):
    return {"PARALLAX_DATA_DIR": str(tmp_path / "data"), "PARALLAX_INDEX_BACKEND": "elasticsearch",
            "PARALLAX_ES_URL": es.url, "PARALLAX_NLP_TRANSLATE": "false"}


def _lines(output: str) -> dict[str, str]:
    return {line.split()[1]: line for line in output.splitlines() if line[:4] in ("ok  ", "FAIL")}


def test_check_shows_version_template_alias_mappings_and_a_round_trip(tmp_path):
    """Bad input tried: checking before anything was indexed (the alias is missing), then a live
    index whose mapping was changed by hand."""
    with FaultServer() as es:
        _store(_settings(tmp_path, es)).close()
        before = run_cli("index", "--check", env=_env(tmp_path, es))
        assert before.returncode == 1, before.stderr
        lines = _lines(before.stdout)
        assert lines["server"].startswith("ok") and "Elasticsearch 9.5.1" in lines["server"]
        assert lines["template"].startswith("ok") and "parallax-template on ['parallax-*']" in lines["template"]
        assert lines["alias"].startswith("FAIL") and "run `parallax index`" in lines["alias"]
        assert lines["round"].startswith("ok") and "deleted" in lines["round"]
        assert sorted(es.cluster.indices) == []  # the scratch index is gone

        indexed = run_cli("index", env=_env(tmp_path, es))
        assert indexed.returncode == 0, indexed.stderr
        after = run_cli("index", "--check", env=_env(tmp_path, es))
        assert after.returncode == 0, after.stdout + after.stderr
        lines = _lines(after.stdout)
        assert "3 documents, the store records 3, 0 waiting" in lines["alias"]
        assert lines["mappings"].startswith("ok")

        (live,) = es.cluster.indices
        es.cluster.indices[live]["mappings"]["properties"]["title_en"] = {"type": "text"}
        drifted = run_cli("index", "--check", env=_env(tmp_path, es))
        assert drifted.returncode == 1
        assert "title_en differs" in _lines(drifted.stdout)["mappings"]
        assert "parallax index --rebuild" in _lines(drifted.stdout)["mappings"]


def test_check_on_the_embedded_index_says_it_needs_none(tmp_path):
    ran = run_cli("index", "--check", env={"PARALLAX_DATA_DIR": str(tmp_path / "data")})
    assert ran.returncode == 0 and "needs no check" in ran.stdout
