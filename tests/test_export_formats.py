"""Export round trips: each format read back by pandas / pyarrow / openpyxl has every document and
field, Chinese intact, and its manifest's count and checksum match the file."""

from __future__ import annotations

import hashlib
import json

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.export_fixtures import DOCS, EN_BODY, EN_TITLE, ZH_BODY, ZH_BODY_TR, ZH_TITLE, build_store, write_gazetteer
from index.export import (COLUMNS, FLAT_COLUMNS, FORMATS, SCHEMA_VERSION, export_bytes, export_payload,
                          export_to_path, iter_rows, load_entity_names, manifest_path)
from index.search import SearchRequest
from index.backends import open_backend
from index.store import Store

EN_ID, ZH_ID, ZH_COPY_ID, FORMULA_ID = (d.id for d in DOCS)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    from tests.conftest import make_settings

    root = tmp_path_factory.mktemp("export")
    settings = make_settings(root / "data")
    build_store(settings)
    return settings, load_entity_names(write_gazetteer(root))


@pytest.fixture
def opened(corpus):
    settings, names = corpus
    with Store.open(settings) as store:
        yield store, open_backend(settings, store), names


def read_back(fmt: str, path) -> pd.DataFrame:
    if fmt == "jsonl":
        return pd.read_json(path, lines=True, dtype=False)
    if fmt == "csv":
        return pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    if fmt == "parquet":
        return pq.read_table(path).to_pandas()
    return pd.read_excel(path, sheet_name="documents", dtype=str, keep_default_na=False)


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_document_and_field_reads_back_with_chinese_intact(opened, tmp_path, fmt):
    store, backend, names = opened
    path = tmp_path / f"all.{fmt}"
    manifest = export_to_path(store, backend, SearchRequest(query=""), fmt, path, entity_names=names)

    frame = read_back(fmt, path).set_index("id")
    assert len(frame) == len(DOCS) == manifest.documents
    expected_columns = COLUMNS if fmt in ("jsonl", "parquet") else FLAT_COLUMNS
    assert list(frame.reset_index().columns) == list(expected_columns) == manifest.columns
    zh, en = frame.loc[ZH_ID], frame.loc[EN_ID]
    assert zh["title"] == ZH_TITLE and zh["body"] == ZH_BODY
    assert en["title"] == EN_TITLE and en["body"] == EN_BODY
    assert zh["source_name"] == "中国半导体行业协会"
    assert zh["source_name_en"] == "China Semiconductor Industry Association"
    assert zh["body_tr"] == ZH_BODY_TR
    assert zh["language"] == "zh" and en["language"] == "en"
    assert zh["country"] == "CN" and zh["kind"] == "association"
    assert zh["processing_version"].startswith("langid=")
    assert int(zh["cluster_size"]) == 2 and int(frame.loc[ZH_COPY_ID]["cluster_size"]) == 2
    assert int(en["cluster_size"]) == 1
    assert en["author"] == "Press office"


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "xlsx"])
def test_times_are_iso_8601_utc_text(opened, fmt, tmp_path):
    store, backend, names = opened
    path = tmp_path / f"t.{fmt}"
    export_to_path(store, backend, SearchRequest(query=""), fmt, path, entity_names=names)
    frame = read_back(fmt, path).set_index("id")
    # Published 2025-03-05T09:00:00+08:00 in Beijing: 01:00 UTC. A bare date is midnight UTC.
    assert frame.loc[ZH_ID]["published_at"] == "2025-03-05T01:00:00Z"
    assert frame.loc[ZH_COPY_ID]["published_at"] == "2025-03-06T00:00:00Z"
    assert frame.loc[EN_ID]["fetched_at"].endswith("Z")


def test_parquet_schema_is_typed_with_entities_as_list_of_structs(opened, tmp_path):
    store, backend, names = opened
    path = tmp_path / "typed.parquet"
    export_to_path(store, backend, SearchRequest(query=""), "parquet", path, entity_names=names)
    table = pq.read_table(path)
    schema = table.schema
    assert schema.field("published_at").type == pa.timestamp("ms", tz="UTC")  # Parquet has no seconds unit
    assert schema.field("cluster_size").type == pa.int32()
    entity_type = schema.field("entities").type
    assert pa.types.is_list(entity_type) and pa.types.is_struct(entity_type.value_type)
    assert [f.name for f in entity_type.value_type] == ["id", "name_en", "name_zh", "type", "text", "mentions"]
    assert schema.metadata[b"parallax.schema_version"] == str(SCHEMA_VERSION).encode()
    rows = {r["id"]: r for r in table.to_pylist()}
    assert str(rows[ZH_ID]["published_at"]) == "2025-03-05 01:00:00+00:00"
    assert rows[ZH_ID]["entities"] == [
        {"id": "csia", "name_en": "China Semiconductor Industry Association", "name_zh": "中国半导体行业协会",
         "type": "ORG", "text": "中国半导体行业协会", "mentions": 1},
        {"id": "sia", "name_en": "Semiconductor Industry Association", "name_zh": "美国半导体行业协会",
         "type": "ORG", "text": "美国半导体行业协会", "mentions": 1},
        {"id": None, "name_en": None, "name_zh": None, "type": "GPE", "text": "供应链", "mentions": 1},
    ]
    # The copy's entities come from the entity stage itself: linked ones carry both names.
    copy_entities = rows[ZH_COPY_ID]["entities"]
    assert "csia" in {e["id"] for e in copy_entities}
    assert all(e["name_en"] and e["name_zh"] for e in copy_entities if e["id"])


def test_repeated_mentions_are_one_entity_with_a_count(opened):
    store, backend, names = opened
    rows = {r["id"]: r for r in iter_rows(store, backend, SearchRequest(query=""), names)}
    assert [(e["id"], e["mentions"]) for e in rows[EN_ID]["entities"]] == [("sia", 2), ("csia", 1)]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_flat_formats_join_entities_with_bars_aligned_by_position(opened, tmp_path, fmt):
    store, backend, names = opened
    path = tmp_path / f"flat.{fmt}"
    export_to_path(store, backend, SearchRequest(query=""), fmt, path, entity_names=names)
    zh = read_back(fmt, path).set_index("id").loc[ZH_ID]
    assert zh["entities"] == "csia|sia"
    assert zh["entity_names_en"] == "China Semiconductor Industry Association|Semiconductor Industry Association"
    assert zh["entity_names_zh"] == "中国半导体行业协会|美国半导体行业协会"
    assert zh["entity_types"] == "ORG|ORG"
    assert zh["entities_unlinked"] == "供应链"


def test_csv_has_a_byte_order_mark_and_crlf_rows_for_excel(opened):
    store, backend, names = opened
    data = export_bytes(store, backend, SearchRequest(query=""), "csv", names)
    assert data.startswith(b"\xef\xbb\xbf")
    header = data[3:].split(b"\r\n", 1)[0].decode()
    assert header == ",".join(FLAT_COLUMNS)
    assert ZH_TITLE.encode("utf-8") in data


def test_xlsx_keeps_text_starting_with_equals_as_text_not_a_formula(opened, tmp_path):
    from openpyxl import load_workbook

    store, backend, names = opened
    path = tmp_path / "formula.xlsx"
    export_to_path(store, backend, SearchRequest(query=""), "xlsx", path, entity_names=names)
    sheet = load_workbook(path, read_only=True)["documents"]
    rows = list(sheet.iter_rows())
    header = [c.value for c in rows[0]]
    title_col, id_col = header.index("title"), header.index("id")
    formula_row = next(r for r in rows[1:] if r[id_col].value == FORMULA_ID)
    assert formula_row[title_col].value == "=SUM(1,2) is not a formula here"
    assert formula_row[title_col].data_type == "s"


def test_xlsx_cuts_cells_over_excels_limit_and_says_so(tmp_path):
    from openpyxl import load_workbook

    from index.export.writers import XLSX_CELL_LIMIT, XLSX_CUT_MARK, write_xlsx

    row = {c: None for c in COLUMNS} | {"id": "long", "body": "长" * 40000, "entities": [], "cluster_size": 1}
    with (tmp_path / "long.xlsx").open("wb") as handle:
        stats = write_xlsx(iter([row]), handle)
    assert stats.truncated_cells == 1
    body = load_workbook(tmp_path / "long.xlsx")["documents"].cell(row=2, column=FLAT_COLUMNS.index("body") + 1).value
    assert len(body) == XLSX_CELL_LIMIT and body.endswith(XLSX_CUT_MARK)


def test_xlsx_continues_on_a_second_sheet_past_the_row_limit(tmp_path):
    from openpyxl import load_workbook

    from index.export.writers import write_xlsx

    rows = [{c: None for c in COLUMNS} | {"id": f"d{i}", "entities": [], "cluster_size": 1} for i in range(5)]
    with (tmp_path / "sheets.xlsx").open("wb") as handle:
        write_xlsx(iter(rows), handle, sheet_rows=3)  # header + 2 documents per sheet
    book = load_workbook(tmp_path / "sheets.xlsx")
    assert book.sheetnames == ["documents", "documents 2", "documents 3"]
    ids = [r[0] for name in book.sheetnames for r in book[name].iter_rows(min_row=2, values_only=True)]
    assert ids == [f"d{i}" for i in range(5)]


@pytest.mark.parametrize("fmt", FORMATS)
def test_manifest_count_and_checksum_match_the_file(opened, tmp_path, fmt):
    store, backend, names = opened
    path = tmp_path / f"m.{fmt}"
    returned = export_to_path(store, backend, SearchRequest(query="source:csia -lang:en"), fmt, path,
                              entity_names=names)
    written = json.loads(manifest_path(path).read_text(encoding="utf-8"))
    assert written == returned.to_dict()
    assert written["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert written["bytes"] == path.stat().st_size
    assert written["documents"] == len(read_back(fmt, path)) == 2
    assert written["schema_version"] == SCHEMA_VERSION
    assert written["query"] == "source:csia -lang:en"
    assert written["filters"] == [{"field": "source", "value": "csia", "negated": False},
                                  {"field": "lang", "value": "en", "negated": True}]
    assert written["data_file"] == path.name and written["format"] == fmt
    assert written["exported_at"].endswith("+00:00")


def test_export_holds_what_search_finds_in_the_same_order(opened):
    store, backend, names = opened
    request = SearchRequest(query="出口管制 OR tariffs", sort="date", expand=False)
    expected = list(backend.iter_ids(request))
    assert len(expected) == 3  # both Chinese statements and the tariffs note
    assert [r["id"] for r in iter_rows(store, backend, request, names)] == expected
    expanded = SearchRequest(query="出口管制 OR tariffs", sort="date")  # also export controls, 关税
    assert [r["id"] for r in iter_rows(store, backend, expanded, names)] == list(backend.iter_ids(expanded))


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_download_bytes_equal_the_file_written_to_a_path(opened, tmp_path, fmt):
    store, backend, names = opened
    path = tmp_path / f"same.{fmt}"
    export_to_path(store, backend, SearchRequest(query="lang:zh"), fmt, path, entity_names=names)
    data, manifest = export_payload(store, backend, SearchRequest(query="lang:zh"), fmt, names)
    assert data == path.read_bytes()
    assert manifest.sha256 == hashlib.sha256(data).hexdigest() and manifest.documents == 2


@pytest.mark.parametrize("fmt", FORMATS)
def test_query_matching_nothing_gives_a_readable_empty_file(opened, tmp_path, fmt):
    store, backend, names = opened
    path = tmp_path / f"empty.{fmt}"
    manifest = export_to_path(store, backend, SearchRequest(query="nonexistentword"), fmt, path,
                              entity_names=names)
    assert manifest.documents == 0
    if fmt == "jsonl":
        assert path.read_bytes() == b""
    else:
        assert len(read_back(fmt, path)) == 0


def test_missing_gazetteer_file_is_the_loaders_config_error(tmp_path):
    from parallax.errors import ConfigError

    # Bad input: an entities file that does not exist (the same error as the entity stage gives).
    with pytest.raises(ConfigError, match="nlp.entities_file"):
        load_entity_names(tmp_path / "no-such-entities.toml")


def test_without_entity_names_ids_are_kept_and_names_empty(opened):
    store, backend, _ = opened
    names = {}
    rows = {r["id"]: r for r in iter_rows(store, backend, SearchRequest(query=""), names)}
    first = rows[ZH_ID]["entities"][0]
    assert first["id"] == "csia" and first["name_en"] is None and first["name_zh"] is None
    assert first["type"] == "ORG"  # from the tagger's label when the gazetteer has no type


@pytest.mark.parametrize("text, message", [
    # Bad input: a gazetteer that is not TOML.
    ("[[entity]\nid = ", "not valid TOML"),
    # Bad input: an entity without an id.
    ('[[entity]]\nen = "Nameless"\n', "has no 'id'"),
])
def test_broken_gazetteer_is_a_config_error_naming_the_file(tmp_path, text, message):
    from parallax.errors import ConfigError

    path = tmp_path / "entities.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as caught:
        load_entity_names(path)
    assert str(path) in str(caught.value)
