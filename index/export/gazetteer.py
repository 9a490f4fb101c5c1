"""Entity names for exports: canonical id → English name, Chinese name, type.

Documents store entity mentions as `{start, end, label, text, canonical_id}`; a reviewer needs the
entity's names in both languages, which live in the bilingual gazetteer `nlp/data/entities.toml`
(`[[entity]]` tables with `id`, `type`, `en`, `zh`). It is read once per export, not at import time.
A missing gazetteer is not an error: ids are still exported, names are empty.
"""

from __future__ import annotations

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
    """Every entity by canonical id, read by the one gazetteer reader (`nlp.gazetteer`).

    Without a path: the bundled list. A path that does not exist gives no names, not an error.
    """
    from nlp import gazetteer

    if path is None:
        entities = gazetteer.load().entities.values()
    else:
        path = Path(path)
        if not path.is_file():
            return {}
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise ConfigError(f"the entity gazetteer {path} cannot be read ({exc}); fix or remove it") from None
        entities = gazetteer.parse(text, str(path))
    return {e.id: EntityName(e.id, e.en or None, e.zh or None, e.type) for e in entities}
