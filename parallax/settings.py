"""One settings object, built once at start-up and passed down.

Values come from three layers, later ones winning: the shipped `defaults.toml` (which documents every
key), the user's `parallax.toml` (path from `--config` or `PARALLAX_CONFIG`) and `PARALLAX_*`
environment variables. An unknown key or a value of the wrong type is a `ConfigError` naming the key,
so a typo never silently leaves a default in force.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Mapping

from parallax.errors import ConfigError

ENV_PREFIX = "PARALLAX_"
# Sections whose environment names are shortened (PARALLAX_ES_URL rather than PARALLAX_ELASTICSEARCH_URL).
_ENV_SECTION_NAMES = {"elasticsearch": "ES"}
# Values restricted to a set of choices, by dotted key.
CHOICES: dict[str, tuple[str, ...]] = {
    "index.backend": ("tantivy", "elasticsearch"),
    "nlp.translate_scope": ("title", "lead", "full"),
    "nlp.zh_entities": ("lac", "jieba_pos", "spacy", "gazetteer"),
    "smtp.security": ("none", "starttls", "tls"),
}
# The range of every number, by dotted key: (lowest, highest, what it means); None is unbounded.
# A zero concurrency hangs the crawl, a zero timeout never waits, a port outside 1-65535 cannot
# be connected to: each is refused here, naming the key, rather than failing later in a stage.
PORT = (1, 65535, "a TCP port")
RANGES: dict[str, tuple[float | None, float | None, str]] = {
    "crawl.concurrency_per_domain": (1, None, "requests in flight per domain"),
    "crawl.download_delay": (0, None, "seconds"),
    "crawl.timeout": (1, None, "seconds"),
    "crawl.retries": (0, None, "retries"),
    "crawl.retry_backoff": (0, None, "seconds"),
    "crawl.max_page_bytes": (1, None, "bytes"),
    "nlp.translate_batch": (1, None, "sentences"),
    "nlp.lead_paragraphs": (0, None, "paragraphs"),
    "smtp.port": PORT,
    "smtp.timeout": (1, None, "seconds"),
    "alerts.digest_hour": (0, 23, "an hour of the day, UTC"),
    "alerts.max_hits": (1, None, "hits"),
    "alerts.webhook_timeout": (1, None, "seconds"),
    "index.batch": (1, None, "documents per index commit"),
    "ui.port": PORT,
}


@dataclass(frozen=True)
class CrawlSettings:
    user_agent: str
    obey_robots: bool
    concurrency_per_domain: int
    download_delay: float
    autothrottle: bool
    timeout: int
    retries: int
    retry_backoff: float
    http_cache: bool
    max_page_bytes: int


@dataclass(frozen=True)
class NlpSettings:
    spacy_en: str
    spacy_zh: str
    zh_entities: str
    workers: int
    entities_file: str
    translate_zh_en: str
    translate_en_zh: str
    translate_zh_en_revision: str
    translate_en_zh_revision: str
    models_dir: str
    translate_threads: int
    translate_scope: str
    translate: bool
    translate_batch: int
    lead_paragraphs: int
    duplicate_threshold: float


@dataclass(frozen=True)
class IndexSettings:
    backend: str
    batch: int


@dataclass(frozen=True)
class ElasticsearchSettings:
    url: str
    index: str
    username: str
    password: str = field(repr=False)
    api_key: str = field(repr=False)
    ca_file: str


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str
    username: str
    password: str = field(repr=False)
    sender: str
    timeout: int


@dataclass(frozen=True)
class AlertSettings:
    digest_hour: int
    max_hits: int
    ui_url: str
    operators: list
    webhook_timeout: int


@dataclass(frozen=True)
class UiSettings:
    host: str
    port: int


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    sources: str
    crawl: CrawlSettings
    nlp: NlpSettings
    index: IndexSettings
    elasticsearch: ElasticsearchSettings
    smtp: SmtpSettings
    alerts: AlertSettings
    ui: UiSettings

    @property
    def store_path(self) -> Path:
        return self.data_dir / "parallax.sqlite3"

    def replace(self, **changes: Any) -> "Settings":
        """A copy with top-level fields or whole sections replaced (settings stay immutable)."""
        return dataclasses.replace(self, **changes)


_SECTION_CLASSES = {
    "crawl": CrawlSettings,
    "nlp": NlpSettings,
    "index": IndexSettings,
    "elasticsearch": ElasticsearchSettings,
    "smtp": SmtpSettings,
    "alerts": AlertSettings,
    "ui": UiSettings,
}


def shipped_defaults() -> dict[str, Any]:
    text = resources.files("parallax").joinpath("defaults.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def env_name(section: str | None, key: str) -> str:
    """The environment variable that overrides `section.key`."""
    if section is None:
        return f"{ENV_PREFIX}{key.upper()}"
    return f"{ENV_PREFIX}{_ENV_SECTION_NAMES.get(section, section.upper())}_{key.upper()}"


def all_env_names() -> dict[str, str]:
    """Every environment variable the settings read, mapped to its dotted key."""
    names = {}
    for key, value in shipped_defaults().items():
        if isinstance(value, dict):
            for sub in value:
                names[env_name(key, sub)] = f"{key}.{sub}"
        else:
            names[env_name(None, key)] = key
    return names


def load_settings(
    config_path: str | os.PathLike | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Build the settings: defaults < config file < environment < explicit overrides.

    `overrides` takes dotted keys (``{"data_dir": ..., "index.backend": ...}``); the command line
    uses it for options such as ``--data-dir``.
    """
    env = os.environ if env is None else env
    merged = shipped_defaults()
    path = config_path or env.get(f"{ENV_PREFIX}CONFIG")
    if path:
        _merge(merged, _read_config(Path(path)), origin=str(path))
    _apply_env(merged, env)
    for dotted, value in (overrides or {}).items():
        section, _, key = dotted.rpartition(".")
        target = merged[section] if section else merged
        target[key] = value
    return _build(merged)


def _read_config(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ConfigError(f"config file {path} does not exist; create it or drop --config/PARALLAX_CONFIG")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"config file {path} is not UTF-8 text (byte {exc.start}: "
                          f"{exc.object[exc.start:exc.start + 1]!r}); is it the right file? "
                          "Save it as UTF-8 TOML") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None


def _merge(base: dict[str, Any], user: dict[str, Any], origin: str) -> None:
    for key, value in user.items():
        if key not in base:
            raise ConfigError(
                f"unknown setting {key!r} in {origin}; known: {', '.join(sorted(base))}"
            )
        if isinstance(base[key], dict):
            if not isinstance(value, dict):
                raise ConfigError(f"setting {key!r} in {origin} must be a [{key}] table")
            for sub, subvalue in value.items():
                if sub not in base[key]:
                    raise ConfigError(
                        f"unknown setting '{key}.{sub}' in {origin}; "
                        f"known in [{key}]: {', '.join(sorted(base[key]))}"
                    )
                base[key][sub] = subvalue
        else:
            base[key] = value


def _apply_env(merged: dict[str, Any], env: Mapping[str, str]) -> None:
    known = all_env_names()
    for name, value in env.items():
        if not name.startswith(ENV_PREFIX) or name == f"{ENV_PREFIX}CONFIG":
            continue
        dotted = known.get(name)
        if dotted is None:
            continue  # PARALLAX_* names of other tools (tests, deployment) are not ours to reject
        section, _, key = dotted.rpartition(".")
        target = merged[section] if section else merged
        target[key] = _from_env_string(value, target[key], name)


def _from_env_string(raw: str, default: Any, name: str) -> Any:
    if isinstance(default, list):  # comma-separated: PARALLAX_ALERTS_OPERATORS="a@x.org, b@x.org"
        return [part.strip() for part in raw.split(",") if part.strip()]
    if isinstance(default, bool):
        lowered = raw.strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"{name}={raw!r} is not a boolean; use true or false")
    if isinstance(default, int):
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(f"{name}={raw!r} is not a whole number") from None
    if isinstance(default, float):
        try:
            return float(raw)
        except ValueError:
            raise ConfigError(f"{name}={raw!r} is not a number") from None
    return raw


def _check_type(dotted: str, value: Any, default: Any) -> Any:
    expected = type(default)
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if expected is int and isinstance(value, bool) or not isinstance(value, expected):
        raise ConfigError(
            f"setting {dotted!r} must be a {expected.__name__}, got {value!r} ({type(value).__name__})"
        )
    choices = CHOICES.get(dotted)
    if choices and value not in choices:
        raise ConfigError(f"setting {dotted!r} is {value!r}; choose one of: {', '.join(choices)}")
    if expected in (int, float):
        low, high, unit = RANGES.get(dotted, (0, None, "a number"))
        if (low is not None and value < low) or (high is not None and value > high):
            span = (f"from {low} to {high}" if high is not None else f"at least {low}")
            raise ConfigError(f"setting {dotted!r} is {value!r}; it must be {span} ({unit})")
    return value


def _build(merged: dict[str, Any]) -> Settings:
    defaults = shipped_defaults()
    sections = {}
    for name, cls in _SECTION_CLASSES.items():
        values = {
            key: _check_type(f"{name}.{key}", merged[name][key], defaults[name][key])
            for key in merged[name]
        }
        sections[name] = cls(**values)
    data_dir = _check_type("data_dir", merged["data_dir"], defaults["data_dir"])
    sources = _check_type("sources", merged["sources"], defaults["sources"])
    if not data_dir:
        raise ConfigError("setting 'data_dir' is empty; give a directory such as ./data")
    if not 0 < sections["nlp"].duplicate_threshold <= 1:
        raise ConfigError("setting 'nlp.duplicate_threshold' must be above 0 and at most 1, got "
                          f"{sections['nlp'].duplicate_threshold!r}; 0.6 groups republished copies")
    operators = sections["alerts"].operators
    if not all(isinstance(o, str) and o.strip() for o in operators):
        raise ConfigError(f"setting 'alerts.operators' must be a list of email addresses, got "
                          f"{operators!r}; e.g. operators = [\"ops@example.org\"] or "
                          "PARALLAX_ALERTS_OPERATORS=ops@example.org,oncall@example.org")
    if sections["index"].backend == "elasticsearch" and not sections["elasticsearch"].url:
        raise ConfigError(
            "index.backend is 'elasticsearch' but no URL is set; set PARALLAX_ES_URL "
            "(e.g. https://localhost:9200) or [elasticsearch] url"
        )
    return Settings(data_dir=Path(data_dir).expanduser(), sources=sources, **sections)
