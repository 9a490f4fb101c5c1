"""Sources and configuration files for the tests, written one way.

A test that crawls a fixture site needs a `sources.toml` naming that site (its address is only known
once the server has picked a port) and often a `parallax.toml` for a child process. Both are
written here from Python values, so a test states only what is particular to it: the source's id,
its entry and patterns, the settings it changes.

Values are rendered as JSON, which is valid TOML for strings, numbers, booleans and arrays (a
regular expression such as r"/news/\\d+\\.html$" arrives in the file unchanged).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

# Politeness off: the fixture sites are ours and run on 127.0.0.1.
NO_POLITENESS = {"download_delay": 0.0, "autothrottle": False}


def toml_value(value: Any) -> str:
    """One TOML value: str, int, float, bool, or a list of them."""
    if isinstance(value, (str, bool, int, float, list, tuple)):
        return json.dumps(list(value) if isinstance(value, tuple) else value, ensure_ascii=False)
    raise TypeError(f"no TOML rendering for {value!r} ({type(value).__name__}): use str, number, bool or list")


def _pairs(values: dict[str, Any]) -> str:
    return "".join(f"{key} = {toml_value(value)}\n" for key, value in values.items())


def listing(urls: str | list[str], article_pattern: str, **more: Any) -> dict:
    """A listing entry: the pages in `urls` link to articles whose URL matches `article_pattern`
    (`next_pattern`, `max_pages`, selectors... in `more`)."""
    return {"type": "listing", "urls": [urls] if isinstance(urls, str) else list(urls),
            "article_pattern": article_pattern, **more}


def feed(url: str, **more: Any) -> dict:
    """A feed entry (RSS or Atom at `url`)."""
    return {"type": "feed", "url": url, **more}


def source_block(source_id: str, *entries: dict, name: str | None = None, name_en: str | None = None,
                 language: str = "en", kind: str = "association", country: str = "US", **fields: Any) -> str:
    """One `[[source]]` block with its `[[source.entry]]` tables. `fields` are further keys of the
    source itself (collections, timezone, or a deliberately wrong key for the tests of bad input)."""
    name = name or source_id.capitalize()
    head = {"id": source_id, "name": name, "name_en": name_en or name, "language": language, "kind": kind,
            "country": country, **fields}
    return "[[source]]\n" + _pairs(head) + "".join("[[source.entry]]\n" + _pairs(e) for e in entries)


def write_sources(path: Path, *blocks: str) -> Path:
    """A sources.toml holding `blocks` (from `source_block`); returns the path."""
    path.write_text("\n".join(blocks), encoding="utf-8")
    return path


def write_config(path: Path, *, data_dir: Path | None = None, sources: Path | None = None,
                 **sections: dict[str, Any]) -> Path:
    """A parallax.toml: `data_dir` and `sources` at the top, then one table per keyword, e.g.
    `crawl={"download_delay": 0}` becomes `[crawl]` / `download_delay = 0`."""
    top = {k: str(v) for k, v in (("data_dir", data_dir), ("sources", sources)) if v is not None}
    text = _pairs(top) + "".join(f"[{name}]\n{_pairs(values)}" for name, values in sections.items())
    path.write_text(text, encoding="utf-8")
    return path


def fast_crawl(settings, **changes: Any):
    """`settings` with politeness off for a fixture site (and any other crawl setting changed)."""
    return settings.replace(crawl=dataclasses.replace(settings.crawl, **{**NO_POLITENESS, **changes}))
