"""The bilingual glossary (`nlp/data/glossary.tsv`, or a file of the same form): rows of an English
term, its Chinese term and other spellings. Query expansion adds each side's terms to the other's,
and the language stage marks its English terms of several words for the search index
(`nlp.phrases`); both read it here.
"""

from __future__ import annotations

import csv
from importlib import resources
from pathlib import Path

from parallax.errors import ConfigError


def read_glossary(text: str, origin: str) -> list[tuple[str, str, tuple[str, ...]]]:
    """Rows (en, zh, variants) of a glossary TSV with the header `en, zh, variants`."""
    rows = list(csv.reader(text.splitlines(), delimiter="\t"))
    if not rows or [c.strip() for c in rows[0][:2]] != ["en", "zh"]:
        raise ConfigError(f"glossary {origin} must start with the header line 'en<TAB>zh<TAB>variants'")
    out = []
    for number, row in enumerate(rows[1:], start=2):
        if not row or not "".join(row).strip() or row[0].startswith("#"):
            continue
        if len(row) < 2 or not row[0].strip() or not row[1].strip():
            raise ConfigError(f"glossary {origin} line {number} needs an English and a Chinese term "
                              "separated by a tab")
        variants = tuple(v.strip() for v in (row[2] if len(row) > 2 else "").split("|") if v.strip())
        out.append((row[0].strip(), row[1].strip(), variants))
    return out


def load(path: str = "") -> list[tuple[str, str, tuple[str, ...]]]:
    """The rows of the glossary file at `path`, or of the bundled one ([] if it is missing)."""
    if path:
        return read_glossary(Path(path).read_text(encoding="utf-8"), path)
    resource = resources.files("nlp").joinpath("data", "glossary.tsv")
    text = resource.read_text(encoding="utf-8") if resource.is_file() else ""
    return read_glossary(text, "nlp/data/glossary.tsv") if text else []
