"""docker-compose.yml and .env.example read as data: the services, ports and volumes are there, the
Elasticsearch image matches the client's major version, and every PARALLAX_* name is one the app reads."""

from __future__ import annotations

import re

import yaml

from parallax.settings import all_env_names
from tests.conftest import ROOT


def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def env_example():
    out = {}
    for line in (ROOT / ".env.example").read_text(encoding="utf-8").splitlines():
        line = line.strip().lstrip("# ").strip()
        if re.match(r"^[A-Z_]+=", line):
            name, _, value = line.partition("=")
            out[name] = value
    return out


def test_services_elasticsearch_ui_and_worker():
    services = compose()["services"]
    assert {"elasticsearch", "ui", "worker"} <= set(services)
    assert services["ui"]["command"] == ["parallax", "ui"]
    assert services["worker"]["command"] == ["parallax", "run", "--every", "30m"]
    for name in ("ui", "worker"):
        assert services[name]["depends_on"]["elasticsearch"]["condition"] == "service_healthy"


def test_elasticsearch_is_single_node_with_security_and_tls_and_matches_the_client():
    import elasticsearch

    es = compose()["services"]["elasticsearch"]
    env = es["environment"]
    assert env["discovery.type"] == "single-node"
    assert env["xpack.security.enabled"] == "true" and env["xpack.security.http.ssl.enabled"] == "true"
    assert env["ELASTIC_PASSWORD"].startswith("${ELASTIC_PASSWORD")  # from .env, never in the file
    version = re.search(r":\$\{ES_VERSION:-([\d.]+)\}$", es["image"]).group(1)
    assert version.split(".")[0] == str(elasticsearch.__version__[0])
    assert env_example()["ES_VERSION"] == version


def test_ports_and_shared_volumes():
    data = compose()
    services = data["services"]
    assert services["ui"]["ports"] == ["8501:8501"]
    assert services["elasticsearch"]["ports"] == ["127.0.0.1:9200:9200"]
    assert {"parallax-data", "es-data", "es-certs"} <= set(data["volumes"])
    for name in ("ui", "worker"):
        assert "parallax-data:/data" in services[name]["volumes"]
        assert services[name]["environment"]["PARALLAX_DATA_DIR"] == "/data"
    assert "es-data:/usr/share/elasticsearch/data" in services["elasticsearch"]["volumes"]


def test_every_parallax_name_set_is_one_the_app_reads():
    known = set(all_env_names())
    services = compose()["services"]
    names = {n for s in services.values() for n in (s.get("environment") or {}) if n.startswith("PARALLAX_")}
    names |= {n for n in env_example() if n.startswith("PARALLAX_")}
    assert names, "the compose file sets no PARALLAX_* names"
    unknown = sorted(names - known)
    assert not unknown, f"not read by parallax.settings: {unknown}"
    ui_env = services["ui"]["environment"]
    assert ui_env["PARALLAX_UI_HOST"] == "0.0.0.0"  # reachable through the published port
    assert ui_env["PARALLAX_ES_CA_FILE"] == "/certs/ca/ca.crt"
    assert ui_env["PARALLAX_INDEX_BACKEND"] == "elasticsearch"
