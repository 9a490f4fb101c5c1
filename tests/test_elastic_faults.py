"""Fault paths of the Elasticsearch backend, through the real `elasticsearch` client, against
`tests/es_fault_server.py`: a small HTTP server on 127.0.0.1 that answers as Elasticsearch documents
(with the `X-Elastic-Product: Elasticsearch` header the client checks) and injects faults.

These tests inject faults; they are not a compatibility test. Whether the backend works with a real
cluster is what `tests/test_search_behaviour.py` checks when PARALLAX_ES_URL is set, and what
`parallax index --check` shows a user against their own cluster.
"""

from __future__ import annotations

import base64
from types import SimpleNamespace

import pytest

from index import elastic
from index.document import Document
from index.search import SearchRequest
from index.store import Store
from parallax.errors import BackendUnavailable, ConfigError, IndexNotBuilt, QueryError
from tests.conftest import ROOT, make_settings
from tests.es_fault_server import FaultServer


@pytest.fixture
def es():
    with FaultServer() as server:
        yield server


def _settings(tmp_path, es, **extra):
    return make_settings(tmp_path / "data", **{"index.backend": "elasticsearch", "elasticsearch.url": es.url,
                                               **extra})


def _store(settings, n: int = 3, sources: int = 1, cluster: str | None = None) -> Store:
    """A store with `n` short English statements, analysed by the real language stages."""
    from nlp.pipeline import process

    store = Store.open(settings)
    for i in range(sources):
        store.upsert_source(SimpleNamespace(id=f"s{i:02d}", name=f"Source {i}", name_en=f"s{i:02d}", language="en",
                                            kind="association", country="US"))
    for i in range(n):
        store.upsert_document(Document(
            url=f"http://127.0.0.1/doc{i}.html", source_id=f"s{i % sources:02d}", declared_lang="en",
            title=f"Statement {i} on export controls", body=f"The association commented on export rules, item {i}.",
            published_at=f"2025-03-{i + 1:02d}T09:00:00+00:00", kind="association", country="US"))
    process(store, settings)
    if cluster:
        with store.transaction():
            store.conn.execute("UPDATE analyses SET cluster_id = ?", (cluster,))
    return store


def _backend(tmp_path, es, n=3, sources=1, cluster=None, **extra):
    settings = _settings(tmp_path, es, **extra)
    store = _store(settings, n, sources, cluster)
    return elastic.ElasticBackend(settings, store), store


def _alias_target(es, alias="parallax"):
    return sorted(es.cluster.aliases.get(alias, set()))


# -- 4: a rebuild whose bulk requests are refused as a whole ------------------------------------------


@pytest.mark.parametrize("status", [401, 403, 413])
def test_rebuild_refused_as_a_whole_keeps_the_old_index_and_alias(tmp_path, es, status):
    """Bad input tried: every bulk request of a rebuild answered 401, 403 or 413."""
    backend, store = _backend(tmp_path, es)
    assert backend.sync()["indexed"] == 3
    (old,) = _alias_target(es)
    es.cluster.faults["bulk"] = (status, 0)
    with pytest.raises(ConfigError, match=f"{status}.*still points to {old}"):
        backend.rebuild()
    assert _alias_target(es) == [old]
    assert sorted(es.cluster.indices) == [old]  # the half-filled new index is gone, the old one is whole
    assert len(es.cluster.indices[old]["docs"]) == 3
    assert backend.lag() == 0  # the store's record still describes the live index
    es.cluster.faults.clear()
    assert backend.search(SearchRequest("", collapse=False)).total == 3
    store.close()


def test_rebuild_refused_after_the_first_request_keeps_the_old_index(tmp_path, es, monkeypatch):
    """Bad input tried: the second of three bulk requests answered 413 (one chunk too large)."""
    monkeypatch.setattr(elastic, "BULK_CHUNK", 2)
    backend, store = _backend(tmp_path, es, n=5)
    backend.sync()
    (old,) = _alias_target(es)
    es.cluster.faults["bulk"] = (413, es.cluster._bulk_ok + 1)
    with pytest.raises(ConfigError, match="too large"):
        backend.rebuild()
    assert _alias_target(es) == [old] and sorted(es.cluster.indices) == [old]
    assert len(es.cluster.indices[old]["docs"]) == 5
    store.close()


def test_sync_refused_mid_way_records_what_reached_the_index(tmp_path, es, monkeypatch):
    """Bad input tried: new documents whose second bulk request is answered 403."""
    monkeypatch.setattr(elastic, "BULK_CHUNK", 2)
    backend, store = _backend(tmp_path, es, n=1)
    backend.sync()
    for i in range(3):
        store.upsert_document(Document(url=f"http://127.0.0.1/new{i}.html", source_id="s00", declared_lang="en",
                                       title=f"New {i}", body="More on export rules.",
                                       published_at="2025-04-01T09:00:00+00:00"))
    from nlp.pipeline import process

    process(store, backend.settings)
    es.cluster.faults["bulk"] = (403, es.cluster._bulk_ok + 1)
    with pytest.raises(ConfigError, match=r"403.*1 document\(s\) behind"):
        backend.sync()
    assert backend.lag() == 1  # the two that were written are recorded; only the refused one waits
    es.cluster.faults.clear()
    assert backend.sync()["indexed"] == 1 and backend.lag() == 0
    store.close()


def test_rebuild_with_every_document_refused_keeps_the_old_index(tmp_path, es, monkeypatch):
    """Bad input tried: a mapping that refuses every document (an old index template left behind)."""
    backend, store = _backend(tmp_path, es)
    backend.sync()
    (old,) = _alias_target(es)
    strict = {"dynamic": "strict", "properties": {"id": {"type": "keyword"}}}
    monkeypatch.setattr(elastic, "MAPPINGS", strict)
    with pytest.raises(ConfigError, match="refused every one of the 3 documents"):
        backend.rebuild()
    assert _alias_target(es) == [old] and len(es.cluster.indices[old]["docs"]) == 3
    store.close()


def test_server_errors_are_backend_unavailable(tmp_path, es):
    """Bad input tried: a bulk request answered 500."""
    backend, store = _backend(tmp_path, es)
    es.cluster.faults["bulk"] = (500, 0)
    with pytest.raises(BackendUnavailable, match="failed with 500") as caught:
        backend.sync()
    assert caught.value.lag == 3
    store.close()


# -- 9: 4xx errors are the right kind ---------------------------------------------------------------


def test_search_before_the_first_sync_says_run_parallax_index(tmp_path, es):
    """Bad input tried: a search and an export on an alias that does not exist yet (404)."""
    backend, store = _backend(tmp_path, es)
    with pytest.raises(IndexNotBuilt, match="run `parallax index`"):
        backend.search(SearchRequest("export"))
    with pytest.raises(IndexNotBuilt, match="run `parallax index`"):
        list(backend.iter_ids(SearchRequest("")))
    store.close()


def test_result_window_too_large_is_a_paging_error(tmp_path, es):
    """Bad input tried: offset 9,995 with 10 hits a page (past index.max_result_window)."""
    backend, store = _backend(tmp_path, es)
    backend.sync()
    with pytest.raises(QueryError, match="too deep.*Result window is too large.*export"):
        backend.search(SearchRequest("", offset=9_995, limit=10))
    store.close()


# -- 3: index templates of aliases whose names overlap -------------------------------------------------


def test_templates_of_overlapping_aliases_are_both_accepted_and_each_index_gets_its_own(tmp_path, es):
    short, short_store = _backend(tmp_path / "a", es)
    long_, long_store = _backend(tmp_path / "b", es, **{"elasticsearch.index": "parallax-staging"})
    short.sync()
    long_.sync()  # refused before the fix: same priority, overlapping patterns
    assert set(es.cluster.templates) == {"parallax-template", "parallax-staging-template"}
    (staging_index,) = _alias_target(es, "parallax-staging")
    matching = [t for t in es.cluster.templates.values()
                if staging_index.startswith(t["index_patterns"][0].rstrip("*"))]
    assert len(matching) == 2  # both patterns match the longer alias's index ...
    winner = max(matching, key=lambda t: t["priority"])
    assert winner["index_patterns"] == ["parallax-staging-*"]  # ... and its own template wins
    assert short.search(SearchRequest("", collapse=False)).total == 3
    short_store.close()
    long_store.close()


def test_template_priority_separates_every_pair_of_overlapping_aliases():
    aliases = ["parallax", "parallax-staging", "parallax-test-1", "parallax-test-12", "p", "parallax2"]
    for a in aliases:
        for b in aliases:
            if a == b:
                continue
            ta, tb = elastic.index_template(a), elastic.index_template(b)
            pa, pb = ta["index_patterns"][0][:-1], tb["index_patterns"][0][:-1]
            if pa.startswith(pb) or pb.startswith(pa):
                assert ta["priority"] != tb["priority"], (a, b)
                longer = ta if len(a) > len(b) else tb
                assert longer["priority"] == max(ta["priority"], tb["priority"])


def test_refused_template_is_a_settings_error_naming_the_fix(tmp_path, es):
    """Bad input tried: another application's template on `parallax-*` at our priority."""
    es.cluster.templates["someone-else"] = {"index_patterns": ["parallax-*"],
                                            "priority": elastic.index_template("parallax")["priority"]}
    backend, store = _backend(tmp_path, es)
    with pytest.raises(ConfigError, match="refused the index template.*PARALLAX_ES_INDEX"):
        backend.sync()
    store.close()


# -- 5: highlighting a body over 1,000,000 characters ----------------------------------------------


def test_search_over_a_body_longer_than_the_highlighter_limit_succeeds(tmp_path, es):
    """Bad input tried: an indexed body of 1.2 million characters (a long PDF)."""
    backend, store = _backend(tmp_path, es)
    backend.sync()
    (index,) = _alias_target(es)
    doc_id = sorted(es.cluster.indices[index]["docs"])[0]
    es.cluster.indices[index]["docs"][doc_id]["body_en"] = "export rules and licences. " * 45_000
    result = backend.search(SearchRequest("export", collapse=False))
    assert result.total == 3 and doc_id in {h.id for h in result.hits}
    store.close()


# -- 6: cluster sizes and "also published by" -------------------------------------------------------


def test_cluster_of_twenty_five_copies_counts_every_copy_and_source(tmp_path, es):
    backend, store = _backend(tmp_path, es, n=25, sources=25, cluster="c-big")
    backend.sync()
    result = backend.search(SearchRequest("", limit=10))
    assert result.total == 1
    (hit,) = result.hits
    assert hit.cluster_size == 25  # inner hits with size 20 stopped at 20
    earliest = store.get_many([Document(url="http://127.0.0.1/doc0.html", source_id="s00").id])
    assert hit.id in earliest  # the cluster's earliest published copy stands for it
    assert hit.also_published_by == tuple(f"s{i:02d}" for i in range(1, 25))
    store.close()


# -- 7: facets ------------------------------------------------------------------------------------


def test_facets_count_every_value_and_every_month(tmp_path, es):
    """150 entities and 130 months in one result: more than a terms aggregation of size 100 returns."""
    backend, store = _backend(tmp_path, es, n=1)
    backend.sync()
    (index,) = _alias_target(es)
    for i in range(150):
        year, month = 2010 + (i % 130) // 12, (i % 130) % 12 + 1
        es.cluster.index_doc(index, f"seed{i}", {
            "id": f"seed{i}", "source_id": "s00", "lang": "en", "cluster_key": f"seed{i}",
            "entities": [f"entity-{i:03d}"], "month": f"{year}-{month:02d}",
            "published_at": f"{year}-{month:02d}-15T00:00:00+00:00", "seq": 1000 + i})
    facets = backend.search(SearchRequest("", limit=0, facets=True)).facets
    entities = dict(facets["entity"])
    assert all(entities[f"entity-{i:03d}"] == 1 for i in range(150))
    months = [m for m, _ in facets["month"]]
    assert len(months) == 131  # 130 seeded months and the stored statement's 2025-03
    assert months == sorted(months) and months[0] == "2010-01" and months[-1] == "2025-03"
    assert dict(facets["source"])["s00"] == 151
    store.close()


# -- 8: exports through a point in time --------------------------------------------------------------


def test_export_pages_through_a_point_in_time_while_the_alias_moves(tmp_path, es, monkeypatch):
    """A rebuild swaps the alias between two pages of an export: nothing is skipped or repeated."""
    monkeypatch.setattr(elastic, "PAGE", 2)
    backend, store = _backend(tmp_path, es, n=5)
    backend.sync()
    expected = list(backend.iter_ids(SearchRequest("", sort="date")))
    assert len(expected) == 5 and not es.cluster.pits  # each export closes its point in time
    ids = backend.iter_ids(SearchRequest("", sort="date"))
    seen = [next(ids), next(ids), next(ids)]
    # Meanwhile: a newer document arrives and an older one is withdrawn from a rebuilt index.
    (old,) = _alias_target(es)
    es.cluster.create_index("parallax-moved")
    docs = dict(es.cluster.indices[old]["docs"])
    docs.pop(expected[-1])
    newest = dict(docs[expected[0]], id="newest", published_at="2026-01-01T00:00:00+00:00")
    es.cluster.indices["parallax-moved"]["docs"] = {**docs, "newest": newest}
    es.cluster.update_aliases([{"add": {"index": "parallax-moved", "alias": "parallax"}},
                               {"remove": {"index": old, "alias": "parallax"}}])
    seen += list(ids)
    assert seen == expected
    assert not es.cluster.pits
    store.close()


def test_alert_matches_are_the_seqs_stored_after_the_last_run_in_date_order(tmp_path, es, monkeypatch):
    """The alerts' contract on Elasticsearch: a range filter on `seq`, paged in a point in time."""
    monkeypatch.setattr(elastic, "PAGE", 2)
    backend, store = _backend(tmp_path, es, n=5)
    backend.sync()
    seqs = dict(store.conn.execute("SELECT id, seq FROM documents").fetchall())
    newest_first = list(backend.iter_ids(SearchRequest("", sort="date")))
    cut = sorted(seqs.values())[1]  # the alert has seen the two oldest stored
    found = backend.matches(SearchRequest("export", since_seq=cut, sort="date", collapse=False))
    expected = [i for i in newest_first if seqs[i] > cut]
    assert found.seqs == [seqs[i] for i in expected] and len(expected) == 3
    assert [found.id_at(i) for i in range(len(found))] == expected
    assert "export" in found.words
    pages = list(backend.match_pages(SearchRequest("", sort="date")))
    assert [len(p) for p in pages] == [2, 2, 1]
    assert [s for p in pages for s in p.seqs] == [seqs[i] for i in newest_first]
    assert not es.cluster.pits
    store.close()


# -- 10: the API key ------------------------------------------------------------------------------


def test_api_key_is_the_encoded_value_and_a_pasted_id_key_pair_works_too(tmp_path, es):
    """Bad input tried: the key as "id:key" (what people paste), and a wrong key."""
    es.cluster.api_key = base64.b64encode(b"VuaCfGcBCdbkQm-e5aOx:ui2lp2axTNmsyakw9tvNnw").decode()
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    assert "PARALLAX_ES_API_KEY" in text and "`encoded`" in text and 'not "id:key"' in text
    for key in (es.cluster.api_key, "VuaCfGcBCdbkQm-e5aOx:ui2lp2axTNmsyakw9tvNnw"):
        backend, store = _backend(tmp_path / key[:4], es, n=1, **{"elasticsearch.api_key": key})
        with pytest.raises(IndexNotBuilt):  # authenticated: the server only says nothing is indexed
            backend.search(SearchRequest("x"))
        store.close()
    backend, store = _backend(tmp_path / "wrong", es, n=1, **{"elasticsearch.api_key": "d3Jvbmc="})
    with pytest.raises(ConfigError, match="401.*`encoded`"):
        backend.search(SearchRequest("x"))
    store.close()


def test_export_whose_point_in_time_expired_says_run_it_again(tmp_path, es, monkeypatch):
    """Bad input tried: the point in time dropped by the cluster between two pages (keep-alive passed)."""
    monkeypatch.setattr(elastic, "PAGE", 2)
    backend, store = _backend(tmp_path, es, n=5)
    backend.sync()
    ids = backend.iter_ids(SearchRequest("", sort="date"))
    next(ids)
    es.cluster.pits.clear()
    with pytest.raises(QueryError, match="point in time of this export expired.*run the export again"):
        list(ids)
    store.close()


def test_indexed_through_stops_below_what_a_refused_sync_left_behind(tmp_path, es, monkeypatch):
    """Bad input tried: a sync whose second bulk request is refused; alerts must not pass the gap."""
    monkeypatch.setattr(elastic, "BULK_CHUNK", 1)
    backend, store = _backend(tmp_path, es, n=1)
    backend.sync()
    first = backend.indexed_through()
    assert first == store.conn.execute("SELECT MAX(seq) FROM documents").fetchone()[0]
    for i in range(2):
        store.upsert_document(Document(url=f"http://127.0.0.1/late{i}.html", source_id="s00", declared_lang="en",
                                       title=f"Late {i}", body="Late news on export rules.",
                                       published_at="2025-05-01T09:00:00+00:00"))
    from nlp.pipeline import process

    process(store, backend.settings)
    es.cluster.faults["bulk"] = (403, es.cluster._bulk_ok + 1)
    with pytest.raises(ConfigError):
        backend.sync()
    seqs = [r[0] for r in store.conn.execute("SELECT seq FROM documents ORDER BY seq")]
    assert backend.indexed_through() == seqs[-1] - 1  # the first late document is in, the second is not
    store.close()


# -- the result page: the same contract as the embedded backend ---------------------------------------

PAGE_SOURCES = [("sia", "en", "association", "US"), ("wire", "en", "news", "GB"), ("csia", "zh", "association", "CN"),
                ("commerce", "en", "government", "US")]
# key: (source, date, title, body, cluster). The wire copy came a day after SIA's; the Chinese copy
# is in the same cluster but another language.
PAGE_DOCS = {
    "sia": ("sia", "2025-03-02T09:00:00+00:00", "SIA statement", "The association said broad wafer rules would hurt.", "c1"),
    "wire": ("wire", "2025-03-03T10:00:00+00:00", "Wafer rules: SIA statement", "The association said broad wafer rules would hurt.", "c1"),
    "csia": ("csia", "2025-03-04T02:00:00+00:00", "中国半导体行业协会转载声明", "美国半导体行业协会表示，晶圆规则将损害供应商。wafer rules", "c1"),
    "other": ("commerce", "2025-04-01T12:00:00+00:00", "Outreach on wafer licensing", "Officials explained wafer licensing.", None),
    "late": ("commerce", "2025-05-01T08:00:00+00:00", "Licensing timelines", "Officials explained licensing timelines.", None),
}


def test_result_page_shows_the_earliest_matching_copy_with_the_whole_cluster_and_both_counts(tmp_path, es):
    from nlp.pipeline import process

    settings = _settings(tmp_path, es)
    store = Store.open(settings)
    meta = {s[0]: s for s in PAGE_SOURCES}
    for sid, lang, kind, country in PAGE_SOURCES:
        store.upsert_source(SimpleNamespace(id=sid, name=sid, name_en=sid, language=lang, kind=kind, country=country))
    ids = {}
    for key, (sid, date, title, body, _) in PAGE_DOCS.items():
        doc = Document(url=f"http://127.0.0.1/{key}.html", source_id=sid, title=title, body=body, published_at=date,
                       declared_lang=meta[sid][1], kind=meta[sid][2], country=meta[sid][3])
        store.upsert_document(doc)
        ids[key] = doc.id
    process(store, settings)
    with store.transaction():
        for key, spec in PAGE_DOCS.items():
            store.conn.execute("UPDATE analyses SET cluster_id = ? WHERE doc_id = ?", (spec[4], ids[key]))
    backend = elastic.ElasticBackend(settings, store)
    backend.sync()

    top = backend.search(SearchRequest("wafer rules", expand=False, limit=10)).hits[0]
    assert top.id == ids["sia"] and top.cluster_size == 3 and top.also_published_by == ("csia", "wire")
    english = backend.search(SearchRequest("wafer lang:en", expand=False, limit=10))
    shown = next(h for h in english.hits if h.id == ids["sia"])
    assert shown.cluster_size == 3 and "csia" in shown.also_published_by  # the Chinese copy is outside lang:en

    collapsed = backend.search(SearchRequest(""))
    assert (collapsed.total, collapsed.total_stories, collapsed.total_documents) == (3, 3, 5)
    apart = backend.search(SearchRequest("", collapse=False))
    assert (apart.total, apart.total_stories, apart.total_documents) == (5, 3, 5)
    assert collapsed.counts_line() == "3 stories, 5 documents" and collapsed.exact

    faceted = backend.search(SearchRequest("lang:en", facets=True))
    assert faceted.facets["lang"] == [("en", 4)]
    assert faceted.facets["month"] == [("2025-03", 2), ("2025-04", 1), ("2025-05", 1)]
    everything = backend.search(SearchRequest("", facets=True))
    # Sunday 2 March belongs to the week of Monday 24 February.
    assert everything.timeline == [("2025-02-24", 1), ("2025-03-03", 2), ("2025-03-31", 1), ("2025-04-28", 1)]
    store.close()
