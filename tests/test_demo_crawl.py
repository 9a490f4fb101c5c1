"""The demo slice: the real Scrapy engine crawls the bundled sample site on 127.0.0.1 into a real
store; every article page is stored once, GBK and Big5 pages are decoded, the private page is not."""

import tomllib

from index.backends import open_backend
from index.document import document_id
from index.store import Store
from parallax.sample_server import bundled_site

EXPECTED = tomllib.loads((bundled_site() / "expected.toml").read_text("utf-8"))


def _stored(demo_data):
    settings, _ = demo_data
    with Store.open(settings) as store:
        return {d.url: d for d in store.iter_documents()}


def test_every_article_page_is_stored_once(demo_data, sample_site):
    docs = _stored(demo_data)
    expected_urls = {f"{sample_site.url}/{p['path']}" for p in EXPECTED["page"]}
    assert set(docs) == expected_urls
    settings, report = demo_data
    assert report.documents == len(EXPECTED["page"])


def test_robots_disallowed_page_is_not_crawled(demo_data, sample_site):
    docs = _stored(demo_data)
    for page in EXPECTED.get("not_crawled", []):
        assert f"{sample_site.url}/{page['path']}" not in docs


def test_gbk_and_big5_pages_are_decoded(demo_data, sample_site):
    docs = _stored(demo_data)
    special = [p for p in EXPECTED["page"] if p["encoding"] in ("gbk", "big5")]
    assert {p["encoding"] for p in special} == {"gbk", "big5"}
    for page in special:
        doc = docs[f"{sample_site.url}/{page['path']}"]
        assert doc.title == page["title"]
        for phrase in page["body_must"]:
            assert phrase in doc.body


def test_page_served_with_wrong_charset_header_is_decoded_from_its_bytes(demo_data, sample_site):
    """headers.toml serves one UTF-8 page as iso-8859-1; mojibake would break its Chinese title."""
    headers = tomllib.loads((bundled_site() / "headers.toml").read_text("utf-8"))
    wrong = [path for path, rule in headers.items() if "iso-8859-1" in rule.get("content_type", "")]
    assert wrong
    docs = _stored(demo_data)
    expected = {p["path"]: p for p in EXPECTED["page"]}
    for path in wrong:
        assert docs[f"{sample_site.url}/{path}"].title == expected[path]["title"]


def test_titles_and_dates_match_what_the_pages_say(demo_data, sample_site):
    docs = _stored(demo_data)
    for page in EXPECTED["page"]:
        doc = docs[f"{sample_site.url}/{page['path']}"]
        assert doc.title == page["title"], page["path"]
        assert doc.published_at and doc.published_at[:10] == str(page["published"]), page["path"]


def test_tracking_parameters_do_not_create_a_second_document(demo_data, sample_site):
    docs = _stored(demo_data)
    assert not [u for u in docs if "utm_" in u]


def test_documents_are_processed_and_indexed(demo_data):
    settings, report = demo_data
    with Store.open(settings) as store:
        assert store.count_documents("a.doc_id IS NOT NULL") == report.documents
        langs = dict(store.conn.execute("SELECT lang, COUNT(*) FROM analyses GROUP BY 1").fetchall())
        assert langs.get("en", 0) >= 12 and langs.get("zh", 0) >= 12
        backend = open_backend(settings, store)
        assert backend.pending() == 0 and backend.held() == report.documents


def test_document_id_comes_from_the_canonical_url(demo_data, sample_site):
    docs = _stored(demo_data)
    for url, doc in docs.items():
        assert doc.id == document_id(url)


def test_republished_statements_share_a_cluster_and_nothing_else_does(demo_data, sample_site):
    """The demo's three republications (an English copy with an intro line, a Simplified copy with
    an editor's note, a Traditional copy served as Big5) each join their original's cluster."""
    settings, _ = demo_data
    url = {p["path"]: f"{sample_site.url}/{p['path']}" for p in EXPECTED["page"]}
    with Store.open(settings) as store:
        cluster = {d.url: d.cluster_id for d in store.iter_documents()}
    pairs = [(p["path"], p["near_duplicate_of"]) for p in EXPECTED["page"] if p.get("near_duplicate_of")]
    assert len(pairs) == 3
    for copy, original in pairs:
        assert cluster[url[copy]] is not None and cluster[url[copy]] == cluster[url[original]], copy
    paired = {url[p] for pair in pairs for p in pair}
    others = [c for u, c in cluster.items() if u not in paired]
    assert len(set(others)) == len(others), "no other documents are clustered together"
