"""The bilingual entity list: one canonical id for every name an entity goes by, in either language.

A mention tagged in an English text ("the China Semiconductor Industry Association", "CSIA") and one
in a Chinese text (中国半导体行业协会, or 中國半導體行業協會 in Traditional characters) resolve to the
same id, so a facet or an alert on an entity covers both languages. The list ships in
`nlp/data/entities.toml`; users add their own in the same form (setting `nlp.entities_file`), and an
entry with a bundled id replaces the bundled one.

Lookups are case-insensitive and go through `normalize`, so full-width letters and Traditional
characters find their entry too.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from nlp.files import cached_per_file_state
from nlp.normalize import normalize
from parallax.errors import ConfigError

VERSION = "1"
LABELS = ("ORG", "PERSON", "GPE", "LOC", "LAW")
_SPACES = re.compile(r"\s+")
_LEADING_THE = re.compile(r"^the\s+", re.IGNORECASE)


@dataclass(frozen=True)
class Entity:
    id: str
    type: str
    en: str
    zh: str
    aliases: tuple[str, ...] = ()
    country: str | None = None

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(n for n in (self.en, self.zh, *self.aliases) if n)


def key(name: str) -> str:
    """The form names are compared in: normalised, lower case, single spaces, no leading 'the'."""
    return _LEADING_THE.sub("", _SPACES.sub(" ", normalize(name).strip().lower()))


class Gazetteer:
    """Entities by canonical id, and a lookup from any of their names to the id."""

    def __init__(self, entities: list[Entity]):
        self.entities: dict[str, Entity] = {e.id: e for e in entities}
        self._by_name: dict[str, str] = {}
        for entity in self.entities.values():
            for name in entity.names:
                self._by_name.setdefault(key(name), entity.id)

    def __len__(self) -> int:
        return len(self.entities)

    def lookup(self, name: str) -> str | None:
        """Canonical id of the entity called `name` (any alias, either language), or None."""
        return self._by_name.get(key(name))

    def get(self, entity_id: str) -> Entity | None:
        return self.entities.get(entity_id)

    def surface_forms(self) -> list[tuple[str, Entity]]:
        """Every (name, entity) pair, for building matchers. Names are given as written."""
        return [(name, e) for e in self.entities.values() for name in e.names]


def parse(text: str, origin: str) -> list[Entity]:
    """Entities from the TOML text of an entity list; `origin` names the file in errors."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"entity list {origin} is not valid TOML ({exc}); fix the file") from exc
    out = []
    for i, raw in enumerate(data.get("entity", []), start=1):
        where = f"entity #{i} in {origin}"
        missing = [k for k in ("id", "type") if not raw.get(k)]
        if missing:
            raise ConfigError(f"{where} has no {missing[0]!r}; every entity needs an id and a type")
        if not isinstance(raw["id"], str):
            raise ConfigError(f"{where} has the id {raw['id']!r}; write the id as a string in quotes "
                              f'(id = "{raw["id"]}")')
        if raw["type"] not in LABELS:
            raise ConfigError(f"{where} ({raw['id']!r}) has type {raw['type']!r}; choose one of: "
                              f"{', '.join(LABELS)}")
        if not (raw.get("en") or raw.get("zh")):
            raise ConfigError(f"{where} ({raw['id']!r}) has neither an 'en' nor a 'zh' name; give one")
        aliases = raw.get("aliases", [])
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            raise ConfigError(f"{where} ({raw['id']!r}): 'aliases' must be a list of strings")
        out.append(Entity(id=raw["id"], type=raw["type"], en=raw.get("en", ""), zh=raw.get("zh", ""),
                          aliases=tuple(aliases), country=raw.get("country")))
    return out


def bundled_entities() -> list[Entity]:
    text = resources.files("nlp").joinpath("data/entities.toml").read_text(encoding="utf-8")
    return parse(text, "nlp/data/entities.toml")


@cached_per_file_state(maxsize=8)
def load(extra_file: str = "") -> Gazetteer:
    """The bundled list, plus the user's file when one is set (its ids win); read again when the
    file changes."""
    entities = {e.id: e for e in bundled_entities()}
    if extra_file:
        path = Path(extra_file).expanduser()
        if not path.is_file():
            raise ConfigError(f"setting 'nlp.entities_file' is {extra_file!r}, which is not a file; "
                              "give the path of a TOML entity list or leave it empty")
        for entity in parse(path.read_text(encoding="utf-8"), str(path)):
            entities[entity.id] = entity
    return Gazetteer(list(entities.values()))


_LATIN_CHAR = re.compile(r"[A-Za-z0-9]")
_LATIN_RUN = re.compile(r"[A-Za-z0-9]+")
_LATIN_WORD_START = re.compile(r"(?<![A-Za-z0-9])[a-z0-9]+")  # over the lower-cased text
_CAPITALISED = re.compile(r"[A-Z][\w&.-]*")
_BEFORE_WORD = re.compile(r"([A-Za-z][\w&.-]*)\s+$")
_AFTER_WORD = re.compile(r"^\s+([A-Za-z][\w&.-]*)")


@dataclass(frozen=True)
class Match:
    start: int
    end: int
    entity_id: str


class Matcher:
    """Every known name in a text, longest match first: a name inside a longer known name is not
    found on its own (SIA's "Semiconductor Industry Association" inside "China Semiconductor
    Industry Association", 中国 inside 中国半导体行业协会, "Commerce" inside "Department of Commerce").

    Works on the normalised text (`nlp.normalize`, same length as the original). Names with a space
    match in any case; single Latin words only as written (the pronoun "us" is not the US), and a
    capitalised single word that is also an ordinary word (Commerce, Treasury, Apple) only when it is
    not part of a longer capitalised name ("Ministry of Commerce" is some other ministry). Latin
    names match whole words only (SEMI is not found in SEMICONDUCTOR).
    """

    def __init__(self, gazetteer: "Gazetteer"):
        exact: dict[str, str] = {}
        folded: dict[str, str] = {}
        for name, entity in gazetteer.surface_forms():
            form = _SPACES.sub(" ", normalize(name).strip())
            if not form:
                continue
            if form.lower().startswith("the "):  # "the" is not part of a name (as in `key`)
                form = form[4:]
            if " " in form:
                folded.setdefault(form.lower(), entity.id)
            else:
                exact.setdefault(form, entity.id)
        # Latin names are looked up by their first run of letters and digits at word starts; other
        # names (Chinese) by their first character at any position.
        self._by_word: dict[str, list[tuple[str, bool, str]]] = {}
        self._by_first: dict[str, list[tuple[str, bool, str]]] = {}
        for form, folded, entity_id in ([(f, False, i) for f, i in exact.items()] +
                                        [(f, True, i) for f, i in folded.items()]):
            head = _LATIN_RUN.match(form)
            if head:
                self._by_word.setdefault(head.group().lower(), []).append((form, folded, entity_id))
            else:
                self._by_first.setdefault(form[0], []).append((form, folded, entity_id))
        for candidates in (*self._by_word.values(), *self._by_first.values()):
            candidates.sort(key=lambda c: -len(c[0]))
        self._firsts = re.compile("[" + "".join(re.escape(c) for c in sorted(self._by_first)) + "]") \
            if self._by_first else None

    def find(self, text: str) -> list[Match]:
        """Known names in `text` (already normalised), leftmost-longest, never overlapping."""
        lowered = text.lower()
        if len(lowered) != len(text):  # a few characters change length in lower(); keep offsets
            lowered = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
        starts: list[tuple[int, list]] = []
        for word in _LATIN_WORD_START.finditer(lowered):
            candidates = self._by_word.get(word.group())
            if candidates:
                starts.append((word.start(), candidates))
        if self._firsts is not None:
            starts.extend((m.start(), self._by_first[m.group()]) for m in self._firsts.finditer(text))
        starts.sort(key=lambda s: s[0])
        out: list[Match] = []
        pos = 0
        for i, candidates in starts:
            if i < pos:
                continue
            for form, folded, entity_id in candidates:
                end = i + len(form)
                if not (lowered.startswith(form, i) if folded else text.startswith(form, i)):
                    continue
                if _LATIN_CHAR.match(text[end - 1]) and end < len(text) and _LATIN_CHAR.match(text[end]):
                    continue
                if not folded and _ordinary_word_in_longer_name(text, i, end):
                    break
                out.append(Match(i, end, entity_id))
                pos = end
                break
        return out


def _ordinary_word_in_longer_name(text: str, start: int, end: int) -> bool:
    """True for a capitalised single word that is an ordinary word too (Commerce, Treasury) when a
    capitalised neighbour or an "of" makes it part of a longer name."""
    word = text[start:end]
    if not _CAPITALISED.fullmatch(word) or word.isupper() or not word[1:].islower():
        return False
    before = _BEFORE_WORD.search(text[max(0, start - 40):start])
    after = _AFTER_WORD.search(text[end:end + 40])
    if before and (before.group(1)[0].isupper() or before.group(1).lower() in _LINKS):
        return True
    if after and (after.group(1)[0].isupper() or after.group(1).lower() in _LINKS):
        return True
    return False


_LINKS = {"of", "for"}


@cached_per_file_state(maxsize=8)
def matcher(extra_file: str = "") -> Matcher:
    """The matcher of the lexicon `load` gives, built again when the user's file changes."""
    return Matcher(load(extra_file))
