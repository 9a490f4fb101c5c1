"""Attention over time from the index: matching documents per day, week or month, split by language
or source, counted by the backend's own aggregation (the same expectations for every backend; the
Elasticsearch run needs PARALLAX_ES_URL), and the Elasticsearch request checked without a server."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from index import elastic
from index import query as q
from index.backends import open_backend
from index.document import Document
from index.expand import expand
from index.search import SearchRequest
from index.store import Store
from parallax.errors import ConfigError
from tests.conftest import BACKENDS, backend_settings, drop_backend, make_settings

SOURCES = [("sia", "en"), ("wire", "en"), ("csia", "zh")]
# key: (source, published, title). Written for these tests. Sunday 2 March 2025 belongs to the week
# of Monday 24 February; 3 March starts the next week; "undated" has no publication date.
DOCS = {
    "sunday": ("sia", "2025-03-02T09:00:00+00:00", "Wafer rules statement"),
    "monday": ("wire", "2025-03-03T10:00:00+00:00", "Wafer rules statement reprinted"),
    "monday-zh": ("csia", "2025-03-03T02:00:00+00:00", "晶圆规则声明 wafer rules"),
    "april": ("sia", "2025-04-30T23:30:00+00:00", "Wafer rules in April"),
    "may": ("csia", "2025-05-01T00:30:00+00:00", "五月 wafer rules 声明"),
    "undated": ("wire", None, "Undated wafer rules note"),
    "other": ("wire", "2025-03-04T10:00:00+00:00", "Tariff outreach"),
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    from nlp.pipeline import process

    settings = make_settings(tmp_path_factory.mktemp("attention") / "data")
    with Store.open(settings) as store:
        for sid, lang in SOURCES:
            store.upsert_source(SimpleNamespace(id=sid, name=sid, name_en=sid, language=lang, kind="news",
                                                country="US"))
        lang_of = dict(SOURCES)
        for key, (sid, published, title) in DOCS.items():
            store.upsert_document(Document(url=f"http://127.0.0.1/{key}.html", source_id=sid, title=title,
                                           body=title, published_at=published, declared_lang=lang_of[sid]))
        process(store, settings)
    return settings


@pytest.fixture(scope="module", params=BACKENDS)
def engine(request, corpus):
    settings = backend_settings(corpus, request.param, "parallax-attention")
    store = Store.open(settings)
    backend = open_backend(settings, store)
    backend.rebuild(store)
    yield backend
    drop_backend(backend)
    store.close()


WAFER = SearchRequest("wafer", expand=False)


def test_weeks_start_on_monday_and_undated_matches_are_counted_apart(engine):
    attention = engine.attention(WAFER, "week")
    assert attention.counts == [("2025-02-24", "", 1), ("2025-03-03", "", 2), ("2025-04-28", "", 2)]
    assert attention.undated == 1


def test_days_and_calendar_months_split_by_language(engine):
    assert engine.attention(WAFER, "day", "lang").counts == [
        ("2025-03-02", "en", 1), ("2025-03-03", "en", 1), ("2025-03-03", "zh", 1),
        ("2025-04-30", "en", 1), ("2025-05-01", "zh", 1)]
    # 30 April 23:30 and 1 May 00:30 (UTC) fall in different months.
    assert engine.attention(WAFER, "month", "lang").counts == [
        ("2025-03-01", "en", 2), ("2025-03-01", "zh", 1), ("2025-04-01", "en", 1), ("2025-05-01", "zh", 1)]


def test_split_by_source_counts_every_copy_under_the_filters(engine):
    assert engine.attention(SearchRequest("wafer source:sia OR source:csia", expand=False), "month", "source").counts \
        == [("2025-03-01", "csia", 1), ("2025-03-01", "sia", 1), ("2025-04-01", "sia", 1), ("2025-05-01", "csia", 1)]
    assert engine.attention(SearchRequest("", expand=False), "week").undated == 1  # everything
    assert engine.attention(SearchRequest("nothingmatchesthis", expand=False), "week", "source").counts == []


@pytest.mark.parametrize("per, split", [("year", None), ("week", "country"), ("", "lang")])
def test_unknown_periods_or_splits_are_refused_naming_the_choices(engine, per, split):
    with pytest.raises(ConfigError, match="choose one of"):
        engine.attention(WAFER, per, split)


def test_stamp_moves_when_the_index_changes(engine, corpus):
    from nlp.pipeline import process

    before = engine.stamp()
    assert engine.stamp() == before  # reading it changes nothing
    engine.store.upsert_document(Document(url="http://127.0.0.1/late.html", source_id="sia", title="Late wafer note",
                                          body="Late wafer note", published_at="2025-06-02T09:00:00+00:00",
                                          declared_lang="en"))
    process(engine.store, corpus)
    engine.sync()
    assert engine.stamp() != before
    assert ("2025-06-02", "", 1) in engine.attention(WAFER, "week").counts


def test_elasticsearch_counts_periods_and_series_with_one_paged_composite():
    expanded = expand(q.parse("wafer lang:en"), enabled=False)
    body = elastic.attention_body(expanded, SearchRequest("wafer lang:en"), "month", "source")
    assert body["size"] == 0 and body["query"] == elastic.compile_query(expanded)
    assert body["aggs"] == {
        "attention": {"composite": {"size": elastic.FACET_PAGE, "sources": [
            {"period": {"date_histogram": {"field": "published_at", "calendar_interval": "month",
                                           "format": "yyyy-MM-dd"}}},
            {"series": {"terms": {"field": "source_id"}}}]}},
        "undated": {"missing": {"field": "published_at"}},
    }
    following = elastic.attention_body(expanded, SearchRequest("wafer lang:en"), "week", None,
                                       after={"period": "2025-03-03"})
    weeks = {"date_histogram": {"field": "published_at", "calendar_interval": "week", "format": "yyyy-MM-dd"}}
    assert following["aggs"] == {"attention": {"composite": {
        "size": elastic.FACET_PAGE, "after": {"period": "2025-03-03"}, "sources": [{"period": weeks}]}}}
