"""One writer per file format, each taking rows as they stream and writing them in batches.

JSONL and CSV write to anything with `write(bytes)` (a file, standard output, a buffer). Parquet
writes one row group per batch through `pyarrow.parquet.ParquetWriter`; xlsx uses openpyxl's
write-only mode, which spools rows to a temporary file instead of keeping cells in memory. pyarrow
and openpyxl are imported only when their format is asked for.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from itertools import islice
from datetime import datetime
from typing import BinaryIO, Iterable, Iterator

import orjson

from index.export.rows import COLUMNS, SCHEMA_VERSION, TIME_COLUMNS

BOM = "\ufeff".encode("utf-8")
# Excel refuses more characters than this in one cell.
XLSX_CELL_LIMIT = 32767
XLSX_CUT_MARK = " [… cut: Excel holds at most 32,767 characters per cell; full text in JSONL/Parquet]"
# Excel's rows per sheet, header included; longer exports continue on "documents 2", "documents 3" …
XLSX_SHEET_ROWS = 1_048_576

# CSV and xlsx have no lists: the entity list becomes aligned "|"-separated columns.
FLAT_ENTITY_COLUMNS = ("entities", "entity_names_en", "entity_names_zh", "entity_types", "entities_unlinked")
FLAT_COLUMNS = tuple(
    c for column in COLUMNS for c in (FLAT_ENTITY_COLUMNS if column == "entities" else (column,))
)


@dataclass
class WriteStats:
    documents: int = 0
    truncated_cells: int = 0  # xlsx only: cells cut at Excel's limit


def _batched(rows: Iterable[dict], size: int) -> Iterator[list[dict]]:
    rows = iter(rows)
    while batch := list(islice(rows, size)):
        yield batch


def flatten(row: dict) -> dict:
    """A row with its entity list spread over "|"-joined columns (ids like "sia|csia")."""
    linked = [e for e in row["entities"] if e["id"]]
    out = {}
    for column in COLUMNS:
        if column != "entities":
            out[column] = row[column]
            continue
        out["entities"] = "|".join(e["id"] for e in linked)
        out["entity_names_en"] = "|".join(e["name_en"] or "" for e in linked)
        out["entity_names_zh"] = "|".join(e["name_zh"] or "" for e in linked)
        out["entity_types"] = "|".join(e["type"] or "" for e in linked)
        out["entities_unlinked"] = "|".join(e["text"] or "" for e in row["entities"] if not e["id"])
    return out


# One encoder for every row (what `json.dumps(row, ensure_ascii=False)` makes, without building an
# encoder per row): UTF-8 text as it is, Chinese unescaped.
_JSON = json.JSONEncoder(ensure_ascii=False).encode
_NULL = b"null"
_KEYS: dict[str, bytes] = {}  # '"title": ' of each column, encoded once


def _value(value) -> bytes:
    """One value as `json.dumps(value, ensure_ascii=False)` spells it, in UTF-8. Strings, the bulk
    of an export, go through orjson, which escapes exactly as json does without ASCII escaping
    (checked over every code point) and writes UTF-8 directly; everything else through json."""
    kind = type(value)
    if kind is str:
        try:
            return orjson.dumps(value)
        except orjson.JSONEncodeError:  # a lone surrogate: json's own error, as before
            return _JSON(value).encode("utf-8")
    if value is None:
        return _NULL
    if kind is int:
        return str(value).encode("ascii")
    return _JSON(value).encode("utf-8")


def json_line(row: dict) -> bytes:
    """`json.dumps(row, ensure_ascii=False).encode("utf-8")`, byte for byte, several times faster
    on export rows (long Chinese text): the keys are spelled once, the values one by one."""
    parts = []
    for key, value in row.items():
        if type(key) is not str:
            return _JSON(row).encode("utf-8")
        spelled = _KEYS.get(key)
        if spelled is None:
            spelled = _KEYS[key] = _JSON(key).encode("utf-8") + b": "
        parts.append(spelled + _value(value))
    return b"{" + b", ".join(parts) + b"}"


def write_jsonl(rows: Iterable[dict], stream: BinaryIO, batch: int = 1000) -> WriteStats:
    """One JSON object per line (`json_line`), written a batch of lines at a time."""
    stats = WriteStats()
    for chunk in _batched(rows, batch):
        stream.write(b"\n".join(map(json_line, chunk)) + b"\n")
        stats.documents += len(chunk)
    return stats


def write_csv(rows: Iterable[dict], stream: BinaryIO, batch: int = 500) -> WriteStats:
    """UTF-8 with a byte-order mark (so Excel reads Chinese as UTF-8), CRLF rows, all fields quoted
    where needed; a NULL is an empty cell."""
    stats = WriteStats()
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=FLAT_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    stream.write(BOM + buffer.getvalue().encode("utf-8"))
    for chunk in _batched(rows, batch):
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(flatten(r) for r in chunk)
        stream.write(buffer.getvalue().encode("utf-8"))
        stats.documents += len(chunk)
    return stats


def parquet_schema():
    import pyarrow as pa

    entity = pa.struct([
        ("id", pa.string()), ("name_en", pa.string()), ("name_zh", pa.string()),
        ("type", pa.string()), ("text", pa.string()), ("mentions", pa.int32()),
    ])
    types = {"entities": pa.list_(entity), "cluster_size": pa.int32()}
    types.update({c: pa.timestamp("ms", tz="UTC") for c in TIME_COLUMNS})
    fields = [pa.field(c, types.get(c, pa.string())) for c in COLUMNS]
    return pa.schema(fields, metadata={"parallax.schema_version": str(SCHEMA_VERSION)})


def _timestamp(value: str | None):
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:  # not ISO 8601 in the store; JSONL and CSV keep the text
        return None


def write_parquet(rows: Iterable[dict], stream: BinaryIO, batch: int = 1000) -> WriteStats:
    """Typed columns (UTC timestamps, list<struct> entities), zstd, one row group per batch."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = parquet_schema()
    stats = WriteStats()
    with pq.ParquetWriter(stream, schema, compression="zstd") as writer:
        for chunk in _batched(rows, batch):
            for row in chunk:
                for column in TIME_COLUMNS:
                    row[column] = _timestamp(row[column])
            writer.write_table(pa.Table.from_pylist(chunk, schema=schema))
            stats.documents += len(chunk)
        if stats.documents == 0:
            writer.write_table(schema.empty_table())
    return stats


def write_xlsx(rows: Iterable[dict], stream: BinaryIO, sheet_rows: int = XLSX_SHEET_ROWS) -> WriteStats:
    """A sheet of documents with a frozen header (more sheets past Excel's row limit).

    Text that starts with "=" stays text (never a formula), characters XML cannot hold are
    dropped, and a cell over Excel's limit is cut with a note saying so (counted in the manifest).
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    bold = Font(bold=True)

    def new_sheet(number: int):
        sheet = workbook.create_sheet("documents" if number == 1 else f"documents {number}")
        sheet.freeze_panes = "A2"
        header = []
        for name in FLAT_COLUMNS:
            cell = WriteOnlyCell(sheet, value=name)
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        return sheet

    sheets, in_sheet = 1, 1
    sheet = new_sheet(1)
    stats = WriteStats()
    for row in rows:
        if in_sheet >= sheet_rows:
            sheets += 1
            sheet, in_sheet = new_sheet(sheets), 1
        values = []
        for value in flatten(row).values():
            if isinstance(value, str):
                value = ILLEGAL_CHARACTERS_RE.sub("", value)
                if len(value) > XLSX_CELL_LIMIT:
                    value = value[:XLSX_CELL_LIMIT - len(XLSX_CUT_MARK)] + XLSX_CUT_MARK
                    stats.truncated_cells += 1
                if value.startswith("="):
                    cell = WriteOnlyCell(sheet, value=value)
                    cell.data_type = "s"
                    value = cell
            values.append(value)
        sheet.append(values)
        in_sheet += 1
        stats.documents += 1
    workbook.save(stream)
    return stats


WRITERS = {"jsonl": write_jsonl, "csv": write_csv, "parquet": write_parquet, "xlsx": write_xlsx}
