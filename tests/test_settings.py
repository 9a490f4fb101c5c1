"""Settings: defaults < parallax.toml < PARALLAX_* environment < command-line overrides."""

import tomllib
from dataclasses import fields
from pathlib import Path

import pytest

from parallax.errors import ConfigError
from parallax.settings import Settings, all_env_names, load_settings, shipped_defaults


def test_defaults_document_every_setting_and_nothing_else():
    defaults = shipped_defaults()
    for section in fields(Settings):
        assert section.name in defaults
        if isinstance(defaults[section.name], dict):
            settings = load_settings(env={})
            assert set(defaults[section.name]) == {f.name for f in fields(getattr(settings, section.name))}


def test_defaults_without_config_or_environment():
    s = load_settings(env={})
    assert s.data_dir == Path("./data")
    assert s.index.backend == "tantivy"
    assert s.smtp.port == 25


def test_config_file_overrides_defaults_and_environment_overrides_file(tmp_path):
    config = tmp_path / "parallax.toml"
    config.write_text('data_dir = "/srv/a"\n[index]\nbackend = "tantivy"\n[smtp]\nport = 2525\n')
    s = load_settings(config, env={})
    assert s.data_dir == Path("/srv/a") and s.smtp.port == 2525
    s = load_settings(config, env={"PARALLAX_DATA_DIR": "/srv/b", "PARALLAX_SMTP_PORT": "587"})
    assert s.data_dir == Path("/srv/b") and s.smtp.port == 587
    s = load_settings(config, env={"PARALLAX_DATA_DIR": "/srv/b"}, overrides={"data_dir": "/srv/c"})
    assert s.data_dir == Path("/srv/c")


def test_config_path_from_environment(tmp_path):
    config = tmp_path / "p.toml"
    config.write_text("[ui]\nport = 9000\n")
    assert load_settings(env={"PARALLAX_CONFIG": str(config)}).ui.port == 9000


def test_elasticsearch_environment_names_are_short():
    names = all_env_names()
    assert names["PARALLAX_ES_URL"] == "elasticsearch.url"
    assert names["PARALLAX_DATA_DIR"] == "data_dir"
    s = load_settings(env={"PARALLAX_ES_URL": "https://es:9200", "PARALLAX_INDEX_BACKEND": "elasticsearch"})
    assert s.index.backend == "elasticsearch" and s.elasticsearch.url == "https://es:9200"


@pytest.mark.parametrize("text, key", [
    ('datadir = "x"\n', "datadir"),                      # a typo of a top-level key
    ("[smtp]\nhots = 'x'\n", "smtp.hots"),                 # a typo inside a section
    ("[index]\nbackend = 'solr'\n", "index.backend"),      # not one of the choices
    ("[smtp]\nport = 'twenty-five'\n", "smtp.port"),       # wrong type
    ("[crawl]\nobey_robots = 1\n", "crawl.obey_robots"),   # an int is not a boolean
    ("[alerts]\ndigest_hour = 25\n", "alerts.digest_hour"),
    ("[crawl\n", "not valid TOML"),                       # broken TOML
])
def test_bad_config_names_the_key(tmp_path, text, key):
    config = tmp_path / "parallax.toml"
    config.write_text(text)
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        load_settings(config, env={})


@pytest.mark.parametrize("name, value", [
    ("PARALLAX_SMTP_PORT", "abc"),
    ("PARALLAX_CRAWL_OBEY_ROBOTS", "maybe"),
    ("PARALLAX_INDEX_BACKEND", "lucene"),
    ("PARALLAX_CRAWL_DOWNLOAD_DELAY", "-1"),
])
def test_bad_environment_value_is_a_clear_error(name, value):
    with pytest.raises(ConfigError) as err:
        load_settings(env={name: value})
    assert value in str(err.value) or name.split("_", 1)[1].lower().replace("_", ".", 1) in str(err.value)


def test_missing_config_file_says_what_to_do(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.toml", env={})


def test_elasticsearch_backend_without_url_is_refused():
    with pytest.raises(ConfigError, match="PARALLAX_ES_URL"):
        load_settings(env={"PARALLAX_INDEX_BACKEND": "elasticsearch"})


def test_secrets_do_not_appear_in_repr():
    s = load_settings(env={"PARALLAX_SMTP_PASSWORD": "hunter2", "PARALLAX_ES_API_KEY": "k3y"})
    assert s.smtp.password == "hunter2"
    assert "hunter2" not in repr(s) and "k3y" not in repr(s)


def test_shipped_defaults_file_is_valid_toml():
    from importlib import resources

    defaults = tomllib.loads(resources.files("parallax").joinpath("defaults.toml").read_text("utf-8"))
    assert {"crawl", "nlp", "index", "elasticsearch", "smtp", "alerts", "ui"} <= set(defaults)
