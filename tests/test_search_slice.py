"""Search on the demo data, both languages, through the library and the real command line."""

import json

import pytest

from index.backends import open_backend
from index.search import SearchRequest
from index.store import Store
from tests.conftest import run_cli


def search(demo_data, query, **kw):
    settings, _ = demo_data
    with Store.open(settings) as store:
        return open_backend(settings, store).search(SearchRequest(query=query, **kw))


def test_english_query_finds_english_statements(demo_data):
    result = search(demo_data, "export controls")
    assert result.total >= 3
    assert any(h.lang == "en" for h in result.hits)
    assert all(h.snippet.highlights for h in result.hits if h.lang == "en")


def test_chinese_query_finds_chinese_statements(demo_data):
    result = search(demo_data, "出口管制")
    assert result.total >= 3
    assert {h.lang for h in result.hits} >= {"zh"}
    top = next(h for h in result.hits if h.lang == "zh")  # English ones come too, by expansion
    start, end = top.snippet.highlights[0]
    assert top.snippet.text[start:end] in ("出口管制", "出口管製")


def test_traditional_query_finds_simplified_documents(demo_data):
    simplified = {h.id for h in search(demo_data, "出口管制", limit=100).hits}
    traditional = {h.id for h in search(demo_data, "出口管製", limit=100).hits}
    assert simplified and simplified == traditional


def test_sub_word_of_an_organisation_name_matches(demo_data):
    """半导体 is inside 中国半导体行业协会, which the domain dictionary keeps as one word."""
    assert search(demo_data, "半导体").total >= 3


def test_filters_narrow_results(demo_data):
    all_hits = search(demo_data, "", limit=100)
    zh = search(demo_data, "lang:zh", limit=100)
    assert 0 < zh.total < all_hits.total
    assert all(h.lang == "zh" for h in zh.hits)


def test_pagination_is_stable(demo_data):
    first = search(demo_data, "", limit=5, sort="date")
    second = search(demo_data, "", limit=5, offset=5, sort="date")
    assert not {h.id for h in first.hits} & {h.id for h in second.hits}


def test_cli_search_json_in_both_languages(demo_data):
    settings, _ = demo_data
    for query in ("export controls", "出口管制"):
        out = run_cli("--data-dir", str(settings.data_dir), "search", query, "--format", "json")
        assert out.returncode == 0, out.stderr
        hits = json.loads(out.stdout)["hits"]
        assert isinstance(hits, list) and hits
        for key in ("id", "url", "title", "lang", "source", "published_at", "snippet", "score"):
            assert key in hits[0]


def test_cli_table_and_json_give_stories_and_documents(demo_data):
    """The demo republishes statements, so an empty query has fewer stories than documents; the
    table's first line and the JSON object say both counts, the same as the library."""
    settings, _ = demo_data
    result = search(demo_data, "")
    assert result.total_stories < result.total_documents
    table = run_cli("--data-dir", str(settings.data_dir), "search", "--limit", "3")
    assert table.returncode == 0, table.stderr
    assert table.stdout.splitlines()[0] == result.counts_line()
    out = run_cli("--data-dir", str(settings.data_dir), "search", "--format", "json", "--limit", "3")
    assert out.returncode == 0, out.stderr
    answer = json.loads(out.stdout)
    assert set(answer) == {"total_stories", "total_documents", "counts_exact", "expansions", "hits"}
    assert len(answer["hits"]) == 3
    assert (answer["total_stories"], answer["total_documents"]) == (result.total_stories,
                                                                    result.total_documents)


def test_cli_json_says_which_expansion_matched_and_returns_both_languages(demo_data):
    settings, _ = demo_data
    out = run_cli("--data-dir", str(settings.data_dir), "search", "export controls", "--format", "json",
                  "--limit", "50")
    assert out.returncode == 0, out.stderr
    answer = json.loads(out.stdout)
    hits = answer["hits"]
    langs = {h["lang"] for h in hits}
    assert langs == {"en", "zh"}
    chinese = [h for h in hits if h["lang"] == "zh"]
    assert all("出口管" in h["snippet"] for h in chinese)
    assert all(h["highlights"] for h in chinese)
    assert all("export controls → 出口管制 (glossary)" in h["expansions"] for h in chinese)
    assert "export controls → 出口管制 (glossary)" in answer["expansions"]


@pytest.mark.parametrize("query", ["entity:csia", "CSIA", "export controls"])
def test_cli_json_expansions_are_the_ones_the_table_prints(demo_data, query):
    """An entity filter's note names no single word ("tagged csia, or mentions …"): hits still
    say which of its names they contain, and the object's list is the table's "also matched"."""
    settings, _ = demo_data
    table = run_cli("--data-dir", str(settings.data_dir), "search", query, "--limit", "50",
                    env={"COLUMNS": "2000"})  # one line per note, however long
    printed = [line.removeprefix("also matched: ") for line in table.stdout.splitlines()
               if line.startswith("also matched: ")]
    out = run_cli("--data-dir", str(settings.data_dir), "search", query, "--format", "json", "--limit", "50")
    answer = json.loads(out.stdout)
    assert printed and answer["expansions"] == printed
    assert any(h["expansions"] for h in answer["hits"])
    assert all(set(h["expansions"]) <= set(printed) for h in answer["hits"])


def test_cli_no_expand_keeps_to_the_words_as_typed(demo_data):
    settings, _ = demo_data
    out = run_cli("--data-dir", str(settings.data_dir), "search", "export controls", "--no-expand",
                  "--format", "json", "--limit", "50")
    assert out.returncode == 0, out.stderr
    hits = json.loads(out.stdout)["hits"]
    assert all(h["expansions"] == [] for h in hits)
    assert {h["lang"] for h in hits} == {"en"}


def test_entity_filter_finds_both_languages_from_the_gazetteer(demo_data):
    result = search(demo_data, "entity:CSIA", limit=100)
    assert {h.lang for h in result.hits} == {"en", "zh"}
    assert any("(entity csia)" in note for note in result.expansions)
    assert all(h.snippet.highlights for h in result.hits)


def test_traditional_query_finds_simplified_documents_with_expansion_too(demo_data):
    simplified = search(demo_data, "出口管制", limit=100)
    traditional = search(demo_data, "出口管製", limit=100)
    assert {h.id for h in simplified.hits} == {h.id for h in traditional.hits}
    assert any(h.lang == "zh" and "出口管制" in h.title for h in traditional.hits)


def test_cli_malformed_query_is_one_clear_line(demo_data):
    settings, _ = demo_data
    out = run_cli("--data-dir", str(settings.data_dir), "search", "(export")
    assert out.returncode == 1
    assert "unclosed (" in out.stderr and "Traceback" not in out.stderr


@pytest.mark.slow
def test_demo_twice_keeps_the_document_count(tmp_path):
    """`parallax demo --no-ui` run twice over one data directory stores nothing new the second time."""
    import socket

    with socket.socket() as sock:  # a free port, the same for both runs (ids come from URLs)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    data = tmp_path / "data"
    counts = []
    for _ in range(2):
        out = run_cli("--data-dir", str(data), "demo", "--no-ui", "--site-port", str(port))
        assert out.returncode == 0, out.stderr
        counts.append(out.stdout)
    from tests.conftest import make_settings

    with Store.open(make_settings(data)) as store:
        total = store.count_documents()
    assert total >= 24
    assert f"{total} in the store" in counts[0] and f"{total} in the store" in counts[1]
