"""Filters with a value no document can have are errors listing the values there are, as `lang:`
always was; a field that is not a filter is an error naming the filters; a query may start with -.

Bad input tried: type:foo, type:agency, country:ZZZ, country:ZZ, country:C, title:export,
language:zh, site:sia.example.org, kind:news; and `parallax search -chips` / `-- -chips`.
"""

from __future__ import annotations

import pytest

from index.query import Filter, Not, parse
from parallax.errors import QueryError
from tests.conftest import run_cli


@pytest.mark.parametrize("query, expected", [
    ("type:foo", "association, company, government, news"),
    ("chips type:agency", "association, company, government, news"),
    ("country:ZZZ", "two-letter"),
    ("country:ZZ", "ISO 3166"),
    ("country:C", "two-letter"),
])
def test_unknown_filter_value_is_an_error_listing_the_known_values(query, expected):
    with pytest.raises(QueryError) as err:
        parse(query)
    assert expected in str(err.value) and "at position" in str(err.value)


@pytest.mark.parametrize("query, hint", [
    ("title:export", "filters are"),
    ("language:zh", "lang:zh"),
    ("site:sia.example.org", "source:"),
    ("kind:news", "type:news"),
])
def test_a_field_that_is_not_a_filter_is_an_error_naming_the_filters(query, hint):
    with pytest.raises(QueryError) as err:
        parse(query)
    assert hint in str(err.value) and '"' in str(err.value)  # says how to search it as words


@pytest.mark.parametrize("query, field, value", [
    ("type:Government", "type", "government"),
    ("country:cn", "country", "CN"),
    ("country:TW", "country", "TW"),
])
def test_known_values_still_parse(query, field, value):
    assert parse(query) == Filter(field, value)


def test_quoted_field_text_and_other_words_with_a_colon_are_searched_as_words():
    assert parse('"title:export"').text == "title:export"
    assert parse("note:this").text == "note:this"


@pytest.mark.slow
def test_a_query_may_start_with_a_minus(tmp_path):
    assert isinstance(parse("-chips tariffs").children[0], Not)
    env = {"PARALLAX_DATA_DIR": str(tmp_path / "data")}
    for args in (["-chips"], ["--", "-chips"], ["tariffs", "-chips"]):
        done = run_cli("search", *args, env=env)
        assert done.returncode == 0, done.stderr
        assert "0 stories, 0 documents" in done.stdout
    typo = run_cli("search", "chips", "--limt", "5", env=env)
    assert typo.returncode == 2 and "no such option: --limt" in typo.stderr
    bad = run_cli("search", "type:foo", env=env)
    assert bad.returncode == 1 and "association, company, government, news" in bad.stderr
