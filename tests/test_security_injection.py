"""Injection: input built to break query, SQL or Elasticsearch syntax, to escape a filter, to climb out
of the export directory, or to inject mail headers. Each one is either a clear `ParallaxError` or is
searched literally, and the store is byte-for-byte the same afterwards (compared as an SQL dump).
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from alerts.saved import SavedSearch, SavedSearches
from index import elastic
from index.search import SearchRequest, prepare
from index.backends import open_backend
from index.store import Store
from parallax.errors import ConfigError, ParallaxError, QueryError
from tests.alerts_fixtures import DOCS, add_documents
from tests.conftest import PARALLAX, ROOT, make_settings, run_cli

# (what it tries, query, "error" or the document keys that a literal search must find)
QUERIES = [
    ("FTS5 unclosed quote", '"export controls', "error"),
    ("FTS5 NEAR operator", "NEAR(export controls)", set()),
    ("FTS5 NEAR between words", "export NEAR controls", set()),
    ("FTS5 column filter", "title:export", "error"),  # not a filter: refused, naming the filters
    ("FTS5 column filter on the table name", "doc_fts:export", set()),
    ("FTS5 column set", "{title body}:export", set()),
    ("FTS5 prefix star alone", "*", "error"),
    ("FTS5 prefix star on a word", "contr*", set()),
    ("FTS5 initial-token caret", "^export controls", {"en"}),
    ("FTS5 phrase of a star", '"*"', "error"),
    ("SQL comment", "export controls;--", {"en"}),
    ("SQL statement", "export'; DROP TABLE documents;--", set()),
    ("SQL tautology", "' OR '1'='1", "error"),
    ("SQL function call", "bm25(doc_fts) rank", set()),
    ("NUL byte", "export\x00controls", "error"),
    ("filter escape with a double quote", 'source:sia" OR 1=1 --', "error"),
    ("filter escape with a single quote", "source:sia' OR '1'='1", set()),
    ("filter escape with a parenthesis", "lang:zh) OR (lang:en", "error"),
    ("date filter with SQL", "after:2025-01-01;DELETE", "error"),
    ("ES query_string syntax", "title:* AND body:/.*/ OR _exists_:id", "error"),  # title: is not a filter
    ("ES query_string syntax after a word", "chips _exists_:id OR published_at:/.*/", set()),
    ("ES boosts and fuzziness", "export^9 controls~2", set()),  # the phrases "export 9", "controls 2"
    ("ES range syntax", "published_at:[2000 TO 3000]", set()),
    ("ES script-ish text", '{"script": "ctx._source.x = 1"}', "error"),
    ("Chinese with SQL quote", "出口管制'--", {"zh"}),
]


def _dump(path) -> list[str]:
    with Store(path) as store:
        return list(store.conn.iterdump())


@pytest.fixture(scope="module")
def store_settings(tmp_path_factory):
    settings = make_settings(tmp_path_factory.mktemp("inject") / "data")
    with Store.open(settings) as store:
        add_documents(store, settings, DOCS["en"], DOCS["zh"])
        SavedSearches(store).add(SavedSearch(name="wg", query='"export controls"', recipients=["a@example.org"]))
    return settings


@pytest.fixture(scope="module")
def doc_ids(store_settings):
    with Store.open(store_settings) as store:
        return {key: store.conn.execute("SELECT id FROM documents WHERE url = ?", (doc.url,)).fetchone()[0]
                for key, doc in DOCS.items()}


@pytest.mark.parametrize("why,query,expected", QUERIES, ids=[row[0] for row in QUERIES])
def test_hostile_query_is_a_query_error_or_searched_literally_and_changes_nothing(
        store_settings, doc_ids, why, query, expected):
    """Input: the query in the row, through the tantivy backend with and without expansion."""
    before = _dump(store_settings.store_path)
    with Store.open(store_settings) as store:
        backend = open_backend(store_settings, store)
        for expand in (False, True):
            request = SearchRequest(query=query, limit=10, expand=expand)
            if expected == "error":
                with pytest.raises(QueryError) as err:
                    backend.search(request)
                assert "position" in str(err.value)
                continue
            found = {hit.id for hit in backend.search(request).hits}
            if not expand:
                assert found == {doc_ids[k] for k in expected}, why
    assert _dump(store_settings.store_path) == before


@pytest.mark.parametrize("why,query,expected", [r for r in QUERIES if r[2] != "error"],
                         ids=[r[0] for r in QUERIES if r[2] != "error"])
def test_compiled_elasticsearch_query_holds_user_text_only_as_values(why, query, expected):
    """Input: the same queries compiled for Elasticsearch: no query_string or simple_query_string
    (which would interpret the text's syntax) appears anywhere in the request body."""
    request = SearchRequest(query=query, facets=True)
    body = elastic.search_body(prepare(request), request)

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                assert key not in ("query_string", "simple_query_string", "script", "script_score",
                                   "regexp", "wildcard"), (why, key)
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(body)
    json.dumps(body)  # plain data, nothing executable


def test_cli_search_with_sql_and_fts_syntax_reports_one_line_and_leaves_the_store(store_settings):
    """Input: `parallax search 'source:sia" OR 1=1 --'` and `parallax search "title:export;--"`."""
    before = _dump(store_settings.store_path)
    env = {"PARALLAX_DATA_DIR": str(store_settings.data_dir)}
    bad = run_cli("search", 'source:sia" OR 1=1 --', env=env, timeout=120)
    assert bad.returncode != 0
    assert bad.stderr.strip().startswith("Error: unclosed quote at position")
    assert "Traceback" not in bad.stderr
    literal = run_cli("search", "--format", "json", "--no-expand", "export controls;--", env=env, timeout=120)
    assert literal.returncode == 0, literal.stderr
    assert [h["title"] for h in json.loads(literal.stdout)["hits"]] == [DOCS["en"].title]
    assert _dump(store_settings.store_path) == before


@pytest.mark.parametrize("why,changes", [
    ("recipient with a Bcc header", {"recipients": ["a@b.c\r\nBcc: x@y.z"]}),
    ("recipient with a bare LF", {"recipients": ["a@b.c\nSubject: hijacked"]}),
    ("recipient with a NUL", {"recipients": ["a@b.c\x00x@y.z"]}),
    ("recipient list in one address", {"recipients": ["a@b.c, x@y.z"]}),
    ("recipient with a display name", {"recipients": ["Boss <x@y.z>"]}),
    ("name with CRLF", {"name": "wg2\r\nBcc: x@y.z"}),
    ("name with a bare CR", {"name": "wg2\rX-Injected: 1"}),
    ("query escaping a filter", {"query": 'source:sia" OR 1=1 --'}),
])
def test_alert_with_header_injection_is_refused_and_stores_nothing(store_settings, why, changes):
    """Input: a saved search whose recipient or name carries mail headers, added and edited."""
    before = _dump(store_settings.store_path)
    fields = {"name": "wg2", "query": "出口管制", "recipients": ["b@example.org"], **changes}
    with Store.open(store_settings) as store:
        saved = SavedSearches(store)
        with pytest.raises((ConfigError, QueryError)) as added:
            saved.add(SavedSearch(**fields))
        edited = {**fields, "name": "wg"} if "name" not in changes else fields
        with pytest.raises(ParallaxError):
            saved.update(SavedSearch(**edited))
    message = str(added.value)
    assert "\r" not in message.replace("\\r", "") and "\n" not in message.replace("\\n", "")
    assert _dump(store_settings.store_path) == before


def test_cli_alert_add_with_crlf_recipient_is_one_line_error(store_settings):
    """Input: `parallax alerts add x --to 'a@b.c\\r\\nBcc: x@y.z'` through the real command line."""
    before = _dump(store_settings.store_path)
    result = run_cli("alerts", "add", "x", "--query", "出口管制", "--to", "a@b.c\r\nBcc: x@y.z",
                     env={"PARALLAX_DATA_DIR": str(store_settings.data_dir)}, timeout=120)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error:") and "a@b.c" in lines[0]
    assert _dump(store_settings.store_path) == before


@pytest.mark.parametrize("path", ["../escaped.csv", "out/../../escaped.jsonl", "./../../../tmp/escaped.csv"])
def test_export_path_climbing_out_with_dotdot_is_refused_and_writes_nothing(store_settings, tmp_path, path):
    """Input: `parallax export --output PATH` with `..` in a relative path."""
    before = _dump(store_settings.store_path)
    work = tmp_path / "work" / "inner"
    work.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARALLAX_")}
    env.update({"PARALLAX_DATA_DIR": str(store_settings.data_dir), "PYTHONPATH": str(ROOT)})
    result = subprocess.run([*PARALLAX, "export", "出口管制", "--output", path], cwd=work, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "contains '..'" in result.stderr and path in result.stderr
    assert not list((tmp_path / "work").rglob("escaped*")) and not list(tmp_path.glob("escaped*"))
    assert _dump(store_settings.store_path) == before
