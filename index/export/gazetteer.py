"""Entity names for exports: canonical id → English name, Chinese name, type.

Documents store entity mentions as `{start, end, label, text, canonical_id}`; a reviewer needs the
entity's names in both languages, which live in the bilingual gazetteer `nlp/data/entities.toml`
(`[[entity]]` tables with `id`, `type`, `en`, `zh`). It is read once per export, not at import time.
A missing gazetteer is not an error: ids are still exported, names are empty.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from parallax.errors import ConfigError


@dataclass(frozen=True)
class EntityName:
    id: str
    name_en: str | None
    name_zh: str | None
    type: str | None


def default_gazetteer_path() -> Path:
    return Path(str(resources.files("nlp"))) / "data" / "entities.toml"


def load_entity_names(path: str | Path | None = None) -> dict[str, EntityName]:
    """Every entity in the gazetteer by canonical id; empty when the file does not exist."""
    path = Path(path) if path is not None else default_gazetteer_path()
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"the entity gazetteer {path} cannot be read ({exc}); fix or remove it") from None
    names: dict[str, EntityName] = {}
    for entry in data.get("entity", []):
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            raise ConfigError(f"an [[entity]] in {path} has no text 'id' ({entry!r}); give every entity an id")
        names[entry["id"]] = EntityName(entry["id"], entry.get("en"), entry.get("zh"), entry.get("type"))
    return names
