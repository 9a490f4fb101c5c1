"""Changing the user's sources file without losing what they wrote in it, and CSV in and out.

The file is edited with tomlkit, so comments, blank lines and key order survive a `parallax sources
add` or `import`. Every change is made on a copy that must load with `crawler.sources` (the same
validation as `parallax sources check`) before it replaces the file, so a bad change writes
nothing.

CSV (one source a row, for editing collections and names in bulk in a spreadsheet):

    id, name, name_en, url, lang, country, kind, timezone, encoding, collections, entry_points

`collections` is `|`-separated; `entry_points` holds one entry point a line, `TYPE URL [URL…]
[key=value…]`, e.g. `listing https://example.org/news/ article_pattern=/news/\\d+\\.html$ max_pages=3`.
Import updates the sources whose id it names (keeping their selectors, date format and comments)
and appends the others; sources not in the CSV are left alone.
"""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from crawler.sources import Source, _parse_source, load_sources
from parallax.errors import ConfigError, InputError

CSV_COLUMNS = ("id", "name", "name_en", "url", "lang", "country", "kind", "timezone", "encoding",
               "collections", "entry_points")
_REQUIRED = ("id", "name", "name_en", "lang", "country", "kind", "entry_points")
_KEY_ORDER = ("id", "name", "name_en", "url", "language", "kind", "country", "timezone", "encoding",
              "date_format", "cadence_days", "collections")
_ENTRY_ORDER = ("type", "url", "urls", "article_pattern", "next_pattern", "max_pages")


def user_sources_path(settings, given: str | Path | None = None) -> Path:
    """The file to write: `given`, else the `sources` setting. The bundled file is never written
    (an upgrade would replace it): with no file of one's own the error says how to make one."""
    if given:
        return Path(given)
    if settings.sources:
        return Path(settings.sources)
    raise ConfigError("no sources file of your own is set (the bundled crawler/sources.toml is used); "
                      "set sources = \"my-sources.toml\" in parallax.toml or PARALLAX_SOURCES, or pass "
                      "--file my-sources.toml (a missing file is created)")


def _toml_value(value):
    import tomlkit

    if isinstance(value, str) and "\\" in value and "'" not in value and "\n" not in value:
        return tomlkit.string(value, literal=True)  # regular expressions read as written
    if isinstance(value, list):
        array = tomlkit.array()
        for item in value:
            array.append(_toml_value(item))
        return array
    return value


def source_item(table: dict, comment: str | None = None):
    """A `[[source]]` table (tomlkit) from a plain dict as `crawler.sources` reads it."""
    import tomlkit

    item = tomlkit.table()
    if comment:
        for line in comment.splitlines():
            item.add(tomlkit.comment(line))
    for key in (*_KEY_ORDER, *sorted(set(table) - set(_KEY_ORDER) - {"selectors", "entry"})):
        if key in table and table[key] not in (None, "", []):
            item.add(key, _toml_value(table[key]))
    if table.get("selectors"):
        selectors = tomlkit.table()
        for key, css in table["selectors"].items():
            selectors.add(key, css)
        item.add("selectors", selectors)
    item.add("entry", _entries_aot(table["entry"]))
    return item


def _entries_aot(entries: list[dict]):
    import tomlkit

    aot = tomlkit.aot()
    for entry in entries:
        t = tomlkit.table()
        for key in (*_ENTRY_ORDER, *sorted(set(entry) - set(_ENTRY_ORDER))):
            if entry.get(key) not in (None, "", []):
                t.add(key, _toml_value(entry[key]))
        aot.append(t)
    return aot


def block_text(table: dict, comment: str | None = None) -> str:
    """The TOML a `[[source]]` block is written as, for showing before it is written."""
    import tomlkit

    doc = tomlkit.document()
    aot = tomlkit.aot()
    aot.append(source_item(table, comment))
    doc.append("source", aot)
    return tomlkit.dumps(doc)


def _read(path: Path):
    import tomlkit

    if not path.exists():
        doc = tomlkit.document()
        doc.add(tomlkit.comment("Parallax sources (see `parallax sources check` and the README)."))
        return doc
    try:
        return tomlkit.parse(path.read_text(encoding="utf-8"))
    except Exception as exc:  # tomlkit's ParseError and friends
        raise ConfigError(f"sources file {path} is not valid TOML: {exc}") from None


def _write_checked(path: Path, doc) -> list[Source]:
    """Write `doc` over `path` only if it loads as a valid sources file; returns its sources."""
    import tomlkit

    text = tomlkit.dumps(doc)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        loaded = load_sources(tmp)
        os.replace(tmp, path)
        return loaded
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _source_tables(doc) -> list:
    sources = doc.get("source")
    return list(sources) if sources is not None else []


def add_source(path: Path, table: dict, comment: str | None = None) -> list[Source]:
    """Append one `[[source]]` block to the file (created if missing), comments kept.

    Raises `ConfigError` (and writes nothing) when the id is taken or the block is invalid."""
    import tomlkit

    doc = _read(path)
    taken = {t.get("id") for t in _source_tables(doc)}
    if table["id"] in taken:
        raise ConfigError(f"source {table['id']!r} is already in {path}; pass --id with another id")
    _parse_source(dict(table), 0, None)  # the block itself, named by its own id
    if "source" in doc:
        doc["source"].append(source_item(table, comment))
    else:
        aot = tomlkit.aot()
        aot.append(source_item(table, comment))
        doc.append("source", aot)
    return _write_checked(path, doc)


# -- CSV ------------------------------------------------------------------------------------------


def source_row(source: Source) -> dict:
    """One CSV row for a source (see the module docstring)."""
    return {
        "id": source.id, "name": source.name, "name_en": source.name_en, "url": source.url or "",
        "lang": source.language, "country": source.country, "kind": source.kind,
        "timezone": source.timezone, "encoding": source.encoding or "",
        "collections": "|".join(source.collections),
        "entry_points": "\n".join(_entry_line(source.id, e) for e in source.entries),
    }


def _entry_line(source_id: str, entry) -> str:
    parts = [entry.type, *entry.urls]
    for key in ("article_pattern", "next_pattern"):
        value = getattr(entry, key)
        if value:
            if re.search(r"\s", value):
                raise ConfigError(f"source {source_id!r}: {key} {value!r} contains a space, which the CSV "
                                  "entry_points column cannot hold; write it as \\s or \\x20")
            parts.append(f"{key}={value}")
    if entry.max_pages != 5:
        parts.append(f"max_pages={entry.max_pages}")
    return " ".join(parts)


def export_csv(sources: list[Source]) -> str:
    """The sources as CSV text (UTF-8, header first, CRLF as spreadsheets expect)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for source in sources:
        writer.writerow(source_row(source))
    return buffer.getvalue()


def _parse_entry_line(line: str) -> dict:
    words = line.split()
    entry: dict = {"type": words[0]}
    urls = []
    for word in words[1:]:
        if "=" in word and not word.startswith(("http://", "https://")):
            key, _, value = word.partition("=")
            if key == "max_pages":
                if not value.isdigit():
                    raise ValueError(f"max_pages={value} is not a whole number")
                entry[key] = int(value)
            elif key in ("article_pattern", "next_pattern"):
                entry[key] = value
            else:
                raise ValueError(f"{key}= is not known; use article_pattern=, next_pattern= or max_pages=")
        else:
            urls.append(word)
    if urls:
        entry["urls"] = urls
    return entry


def _row_table(row: dict) -> dict:
    """A CSV row as the dict `crawler.sources` validates; ValueError for a malformed cell."""
    table = {"id": row["id"].strip(), "name": row["name"].strip(), "name_en": row["name_en"].strip(),
             "language": row["lang"].strip().lower(), "kind": row["kind"].strip().lower(),
             "country": row["country"].strip().upper()}
    for column in ("url", "timezone", "encoding"):
        if (row.get(column) or "").strip():
            table[column] = row[column].strip()
    collections = [c.strip() for c in (row.get("collections") or "").split("|") if c.strip()]
    if collections:
        table["collections"] = collections
    lines = [l.strip() for l in (row.get("entry_points") or "").splitlines() if l.strip()]
    entries = []
    for number, line in enumerate(lines, start=1):
        try:
            entries.append(_parse_entry_line(line))
        except ValueError as exc:
            raise ValueError(f"entry_points line {number}: {exc}") from None
    table["entry"] = entries
    return table


@dataclass
class ImportReport:
    added: list[str]
    updated: list[str]
    unchanged: list[str]


def read_csv(text: str) -> list[dict]:
    """Every row of a sources CSV as a validated table; `InputError` listing each bad row (by its
    spreadsheet row number, the header being row 1) when any is bad."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in _REQUIRED if c not in header]
    if missing:
        raise InputError(f"the CSV has no column {', '.join(missing)}; its first row must name the "
                         f"columns: {', '.join(CSV_COLUMNS)}")
    unknown = [c for c in header if c not in CSV_COLUMNS]
    if unknown:
        raise InputError(f"the CSV has unknown column {', '.join(unknown)}; known: {', '.join(CSV_COLUMNS)}")
    reader.fieldnames = header
    tables, errors, rows_of = [], [], {}
    for number, row in enumerate(reader, start=2):
        if None in row:
            errors.append(f"row {number}: more cells than columns (a comma inside a value needs quotes)")
            continue
        row = {k: (v or "") for k, v in row.items()}
        if not any(v.strip() for v in row.values()):
            continue
        try:
            table = _row_table(row)
            _parse_source(dict(table), 0, None)
        except (ValueError, ConfigError) as exc:
            errors.append(f"row {number}: {exc}")
            continue
        if table["id"] in rows_of:
            errors.append(f"row {number}: id {table['id']!r} is also on row {rows_of[table['id']]}")
            continue
        rows_of[table["id"]] = number
        tables.append(table)
    if errors:
        raise InputError(f"nothing was imported: {len(errors)} bad row{'s' if len(errors) > 1 else ''}\n"
                         + "\n".join(errors))
    return tables


def import_csv(csv_path: Path, path: Path) -> ImportReport:
    """Add or update the CSV's sources in the sources file; nothing is written unless every row is
    valid and the resulting file is too."""
    try:
        text = Path(csv_path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{csv_path} does not exist") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{csv_path} is not UTF-8 text ({exc.reason} at byte {exc.start}); save it "
                         "as CSV UTF-8") from None
    tables = read_csv(text)
    doc = _read(path)
    existing = {t.get("id"): t for t in _source_tables(doc)}
    report = ImportReport([], [], [])
    current = {s.id: s for s in load_sources(path)} if path.exists() else {}
    for table in tables:
        target = existing.get(table["id"])
        if target is None:
            if "source" in doc:
                doc["source"].append(source_item(table))
            else:
                import tomlkit

                aot = tomlkit.aot()
                aot.append(source_item(table))
                doc.append("source", aot)
            report.added.append(table["id"])
        elif _update(target, table, current.get(table["id"])):
            report.updated.append(table["id"])
        else:
            report.unchanged.append(table["id"])
    if report.added or report.updated:
        try:
            _write_checked(path, doc)
        except ConfigError as exc:
            raise InputError(f"nothing was imported: the sources file would not be valid: {exc}") from None
    return report


def _update(target, table: dict, before: Source | None) -> bool:
    """Set the CSV's values on an existing block; True if anything changed. Keys the CSV leaves
    empty (timezone, encoding, url) keep the file's value; entries are replaced only if they differ."""
    changed = False
    for key in ("name", "name_en", "language", "kind", "country", "url", "timezone", "encoding"):
        if key in table and target.get(key) != table[key]:
            target[key] = _toml_value(table[key])
            changed = True
    collections = table.get("collections", [])
    if list(target.get("collections", [])) != collections:
        if collections:
            target["collections"] = _toml_value(collections)
        elif "collections" in target:
            del target["collections"]
        changed = True
    new_entries = _parse_source({**table, "id": table["id"]}, 0, None).entries
    if before is None or before.entries != new_entries:
        target["entry"] = _entries_aot(table["entry"])
        changed = True
    return changed
