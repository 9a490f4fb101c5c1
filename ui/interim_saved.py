"""Interim saved-search storage for the UI, used only while `alerts.saved` is not installed.

The alerts work owns saved searches (`alerts.saved.SavedSearch` / `SavedSearches`, kept in the
store). This module has the same interface, keeps the searches in a JSON file beside the store
(`ui-saved-searches.json`) so it never touches the store's schema, and validates the same things
(name, query, frequency, language, recipients). `ui.saved` picks the real module when it exists;
delete this file once it does.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from index.document import utc_now
from index.query import parse
from parallax.errors import ConfigError, QueryError

FREQUENCIES = ("immediate", "daily", "weekly")
LANGUAGES = ("en", "zh")
_ADDRESS = re.compile(r"[^@\s<>\"',;]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")


@dataclass
class SavedSearch:
    name: str
    query: str
    recipients: list[str]
    frequency: str = "immediate"
    lang: str = "en"
    active: bool = True
    expand: bool = True
    created_at: str = field(default_factory=utc_now)


def _validate(saved: SavedSearch) -> SavedSearch:
    name = (saved.name or "").strip()
    if not name or "\n" in name or len(name) > 100:
        raise ConfigError(f"alert name {saved.name!r} must be one line of 1 to 100 characters")
    if not saved.query.strip():
        raise ConfigError(f"alert {name!r} has an empty query; give words or filters")
    try:
        parse(saved.query)
    except QueryError as exc:
        raise QueryError(f"the query of alert {name!r} does not parse: {exc}") from None
    if saved.frequency not in FREQUENCIES:
        raise ConfigError(f"frequency {saved.frequency!r} is not known; choose one of: {', '.join(FREQUENCIES)}")
    if saved.lang not in LANGUAGES:
        raise ConfigError(f"email language {saved.lang!r} is not known; choose one of: {', '.join(LANGUAGES)}")
    if not saved.recipients:
        raise ConfigError(f"alert {name!r} needs at least one recipient, e.g. analyst@example.org")
    for address in saved.recipients:
        if not _ADDRESS.fullmatch(address.strip()):
            raise ConfigError(f"recipient {address!r} is not an email address; write it as name@domain")
    saved.name = name
    saved.recipients = [a.strip() for a in saved.recipients]
    return saved


class SavedSearches:
    def __init__(self, store):
        self.path = Path(store.path).parent / "ui-saved-searches.json"

    def _read(self) -> dict[str, SavedSearch]:
        if not self.path.exists():
            return {}
        return {row["name"]: SavedSearch(**row) for row in json.loads(self.path.read_text("utf-8"))}

    def _write(self, searches: dict[str, SavedSearch]) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps([asdict(s) for s in searches.values()], ensure_ascii=False, indent=1), "utf-8")
        os.replace(tmp, self.path)

    def add(self, saved: SavedSearch) -> SavedSearch:
        _validate(saved)
        searches = self._read()
        if saved.name in searches:
            raise ConfigError(f"an alert named {saved.name!r} already exists; pick another name or remove it first")
        searches[saved.name] = saved
        self._write(searches)
        return saved

    def list(self) -> list[SavedSearch]:
        return sorted(self._read().values(), key=lambda s: s.name)

    def get(self, name: str) -> SavedSearch:
        searches = self._read()
        if name not in searches:
            raise ConfigError(f"no alert named {name!r}; known: {', '.join(searches) or 'none yet'}")
        return searches[name]

    def update(self, saved: SavedSearch) -> SavedSearch:
        _validate(saved)
        searches = self._read()
        if saved.name not in searches:
            raise ConfigError(f"no alert named {saved.name!r} to update; add it first")
        searches[saved.name] = saved
        self._write(searches)
        return saved

    def remove(self, name: str) -> None:
        searches = self._read()
        if name not in searches:
            raise ConfigError(f"no alert named {name!r} to remove")
        del searches[name]
        self._write(searches)
