"""Settings are checked as a schema: every number has a range, files are decoded with a clear error.

Bad input tried: a zero concurrency (which hung the crawl), ports 0 and 99999, zero and negative
timeouts, a binary parallax.toml and sources.toml, and a source date_format that strftime cannot use.
"""

import pytest

from crawler.sources import load_sources
from parallax.errors import ConfigError
from parallax.settings import load_settings
from tests.sources_fixtures import feed, source_block, write_sources

BAD_NUMBERS = [
    ("crawl.concurrency_per_domain", 0),
    ("crawl.timeout", 0),
    ("crawl.retries", -1),
    ("crawl.max_page_bytes", 0),
    ("smtp.port", 0),
    ("smtp.port", 99999),
    ("smtp.timeout", 0),
    ("ui.port", 65536),
    ("alerts.webhook_timeout", 0),
    ("alerts.max_hits", 0),
    ("alerts.digest_hour", 24),
    ("nlp.translate_batch", 0),
    ("nlp.duplicate_threshold", 1.5),
]


@pytest.mark.parametrize("key, value", BAD_NUMBERS)
def test_number_outside_its_range_names_the_key_and_the_range(tmp_path, key, value):
    section, name = key.split(".")
    config = tmp_path / "parallax.toml"
    config.write_text(f"[{section}]\n{name} = {value}\n")
    with pytest.raises(ConfigError) as err:
        load_settings(config, env={})
    message = str(err.value)
    assert key in message and str(value) in message


def test_environment_number_outside_its_range_is_refused():
    with pytest.raises(ConfigError, match=r"smtp\.port.*99999.*1 to 65535"):
        load_settings(env={"PARALLAX_SMTP_PORT": "99999"})
    with pytest.raises(ConfigError, match=r"crawl\.concurrency_per_domain"):
        load_settings(env={"PARALLAX_CRAWL_CONCURRENCY_PER_DOMAIN": "0"})


def test_edge_values_of_each_range_are_accepted():
    s = load_settings(env={"PARALLAX_SMTP_PORT": "65535", "PARALLAX_UI_PORT": "1",
                           "PARALLAX_CRAWL_CONCURRENCY_PER_DOMAIN": "1", "PARALLAX_CRAWL_RETRIES": "0",
                           "PARALLAX_ALERTS_DIGEST_HOUR": "0"})
    assert s.smtp.port == 65535 and s.ui.port == 1 and s.crawl.concurrency_per_domain == 1


def test_binary_config_file_is_a_clear_error_naming_the_file(tmp_path):
    config = tmp_path / "parallax.toml"
    config.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe")
    with pytest.raises(ConfigError) as err:
        load_settings(config, env={})
    assert str(config) in str(err.value) and "UTF-8" in str(err.value)


def demo_source(date_format: str) -> str:
    return source_block("demo", feed("http://127.0.0.1:1/feed.xml"), kind="news", date_format=date_format)


def test_binary_sources_file_is_a_clear_error_naming_the_file(tmp_path):
    path = tmp_path / "sources.toml"
    path.write_bytes(b"[[source]]\nid = \"\xff\xfe\x00\"\n")
    with pytest.raises(ConfigError) as err:
        load_sources(path)
    assert str(path) in str(err.value) and "UTF-8" in str(err.value)


@pytest.mark.parametrize("fmt", ["%Q%", "%Y-%m-%", "no directive at all"])
def test_unusable_date_format_names_the_source_and_key(tmp_path, fmt):
    path = tmp_path / "sources.toml"
    write_sources(path, demo_source(fmt))
    with pytest.raises(ConfigError, match=r"'demo'.*date_format"):
        load_sources(path)


def test_usable_date_format_is_accepted(tmp_path):
    path = tmp_path / "sources.toml"
    write_sources(path, demo_source("%Y年%m月%d日 %H:%M"))
    assert load_sources(path)[0].date_format == "%Y年%m月%d日 %H:%M"
