"""Entity names for exports: canonical id → English name, Chinese name, type.

Documents store entity mentions as `{start, end, label, text, canonical_id}`; a reviewer needs the
entity's names in both languages, which live in the bilingual gazetteer (`nlp/data/entities.toml`
plus the user's `nlp.entities_file`). They are read by the one gazetteer loader, `nlp.gazetteer`,
with its one behaviour: the bundled list always, and a user file that is missing or broken is a
`ConfigError` naming it. Read once per export, not at import time.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class EntityName:
    id: str
    name_en: str | None
    name_zh: str | None
    type: str | None


def load_entity_names(extra_file: str | Path = "") -> dict[str, EntityName]:
    """Every entity by canonical id: the bundled gazetteer, plus `extra_file` (ids there win)."""
    from nlp import gazetteer

    entities = gazetteer.load(str(extra_file) if extra_file else "").entities.values()
    return {e.id: EntityName(e.id, e.en or None, e.zh or None, e.type) for e in entities}
