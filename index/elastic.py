"""The Elasticsearch backend: the same query tree compiled to a `bool` query, for when one machine
is not enough.

The store stays the truth: Elasticsearch holds a derived copy that `rebuild` recreates from it. The
name in settings (`elasticsearch.index`, default "parallax") is an alias; real indices are named
`<alias>-<timestamp>` and get their settings and mappings from an index template, so a rebuild fills
a fresh index while searches keep using the old one, then swaps the alias in one atomic call.

Text fields follow the document's language: English text goes to `*_en` fields (English analyzer,
stemming as FTS5's porter does), Chinese text to `*_zh` fields, indexed from the project's own
segmentation (`nlp.segment.index_text`) with a whitespace analyzer, plus a `cjk` bigram subfield for
recall where the segmenter cut differently. User text only ever reaches Elasticsearch as the value
of a `match_phrase`/`term`, never as `query_string` syntax.

Snippets are computed from the store by the same code as the SQLite backend (so both show the same
marks on the text as published); the words Elasticsearch's own highlighter marks are added to them,
so whatever its analyzers matched (a stem, a bigram) lights up too.
"""

from __future__ import annotations

import re
import time
from typing import Iterator

from index import query as q
from index.expand import EXPANSION_BOOST, Counterpart, Expanded
from index.search import (FACETS, Found, SearchRequest, SearchResult, build_hits, check_request,
                          highlight_words, prepare, sort_facet)
from nlp.normalize import has_cjk
from parallax.errors import BackendUnavailable, QueryError

# Field weights, the same as the SQLite backend's bm25 column weights.
BOOSTS = {"title": 5.0, "body": 1.0, "title_tr": 2.5, "body_tr": 0.6}
ORIGINAL_FIELDS = ("title", "body")
TRANSLATED_FIELDS = ("title_tr", "body_tr")
BULK_CHUNK = 500
PAGE = 500
_EM = re.compile(r"<em>(.*?)</em>")

INDEX_SETTINGS = {
    "number_of_shards": 1,
    "number_of_replicas": 0,
    "analysis": {
        "analyzer": {
            # Chinese arrives segmented by jieba (spaces between words); only split and fold case.
            "zh_segmented": {"type": "custom", "tokenizer": "whitespace", "filter": ["lowercase"]},
            "zh_cjk": {"type": "cjk"},
        },
    },
}


def _text_fields(prefix: str) -> dict:
    return {
        f"{prefix}_en": {"type": "text", "analyzer": "english"},
        f"{prefix}_zh": {"type": "text", "analyzer": "zh_segmented",
                         "fields": {"cjk": {"type": "text", "analyzer": "zh_cjk"}}},
    }


MAPPINGS = {
    "dynamic": "strict",
    "properties": {
        "id": {"type": "keyword"},
        "url": {"type": "keyword", "index": False},
        "source_id": {"type": "keyword"},
        "lang": {"type": "keyword"},
        "kind": {"type": "keyword"},
        "country": {"type": "keyword"},
        "entities": {"type": "keyword"},
        "cluster_key": {"type": "keyword"},
        "published_at": {"type": "date", "format": "strict_date_optional_time"},
        "month": {"type": "keyword"},
        "seq": {"type": "long"},
        "content_hash": {"type": "keyword", "index": False},
        **_text_fields("title"),
        **_text_fields("body"),
        **_text_fields("title_tr"),
        **_text_fields("body_tr"),
    },
}


def index_template(alias: str) -> dict:
    """The index template every `<alias>-*` index is created from (settings and explicit mappings)."""
    return {
        "name": f"{alias}-template",
        "index_patterns": [f"{alias}-*"],
        "template": {"settings": INDEX_SETTINGS, "mappings": MAPPINGS},
        "priority": 200,
        "_meta": {"description": "Parallax documents; derived from the store, rebuildable"},
    }


# -- documents --------------------------------------------------------------------------------------


def es_document(doc) -> dict:
    """The indexed form of a stored document: text in the field of its language, segmented."""
    from nlp.segment import index_text

    body: dict = {
        "id": doc.id, "url": doc.url, "source_id": doc.source_id, "lang": doc.lang or doc.declared_lang,
        "kind": doc.kind, "country": doc.country,
        "entities": sorted({e["canonical_id"] for e in doc.entities if e.get("canonical_id")}),
        "cluster_key": doc.cluster_id or doc.id, "published_at": doc.published_at,
        "month": (doc.published_at or "")[:7] or None, "seq": doc.seq, "content_hash": doc.content_hash,
    }
    for name, text in (("title", doc.title), ("body", doc.body), ("title_tr", doc.title_tr or ""),
                       ("body_tr", doc.body_tr or "")):
        if not text:
            continue
        if has_cjk(text):
            body[f"{name}_zh"] = index_text(text)
        else:
            body[f"{name}_en"] = text
    return body


# -- queries ----------------------------------------------------------------------------------------


def _fields(translated: bool) -> list[str]:
    names = ORIGINAL_FIELDS + (TRANSLATED_FIELDS if translated else ())
    out = []
    for name in names:
        # A match in a machine translation is cross-language matching too: weighted as an expansion.
        boost = round(BOOSTS[name] * (EXPANSION_BOOST if name in TRANSLATED_FIELDS else 1.0), 3)
        out += [f"{name}_en^{boost}", f"{name}_zh^{boost}", f"{name}_zh.cjk^{round(boost / 2, 2)}"]
    return out


def text_query(words: tuple[str, ...], translated: bool) -> dict:
    """A phrase over every text field; Chinese words may have the index's sub-words between them."""
    if not words:
        raise QueryError("a search term has no words to match", None, "remove the empty term")
    slop = 6 * (len(words) - 1) if len(words) > 1 and any(has_cjk(w) for w in words) else 0
    return {"multi_match": {"query": " ".join(words), "type": "phrase", "slop": slop,
                            "fields": _fields(translated)}}


_FILTER_FIELD = {"source": "source_id", "lang": "lang", "type": "kind", "country": "country",
                 "entity": "entities"}


def filter_query(node: q.Filter) -> dict:
    if node.field in _FILTER_FIELD:
        return {"term": {_FILTER_FIELD[node.field]: node.value}}
    if node.field == "after":
        return {"range": {"published_at": {"gte": node.value}}}
    if node.field == "before":
        return {"range": {"published_at": {"lt": f"{node.value}||+1d/d"}}}
    raise QueryError(f"unknown filter {node.field}:", None, f"use one of: {', '.join(q.FIELDS)}")


def compile_node(node: q.Node, translated: bool = True) -> dict:
    """The Elasticsearch query for a syntax tree; every user value is a bound field value."""
    if isinstance(node, q.MatchAll):
        return {"match_all": {}}
    if isinstance(node, (q.Term, q.Phrase)):
        return text_query(node.words, translated)
    if isinstance(node, q.Filter):
        return filter_query(node)
    if isinstance(node, q.Not):
        return {"bool": {"must_not": [compile_node(node.child, translated)]}}
    if isinstance(node, q.Or):
        added = [c for c in node.children if isinstance(c, Counterpart)]
        should = [compile_node(c, translated) for c in node.children if c not in added]
        if added:  # the best of the counterparts (not their sum), weighted below the words as typed
            should.append({"dis_max": {"queries": [compile_node(c, translated) for c in added],
                                       "boost": EXPANSION_BOOST}})
        return {"bool": {"should": should, "minimum_should_match": 1}}
    if isinstance(node, q.And):
        must, filters, must_not = [], [], []
        for child in node.children:
            if isinstance(child, q.Filter):
                filters.append(filter_query(child))
            elif isinstance(child, q.Not):
                must_not.append(compile_node(child.child, translated))
            else:
                must.append(compile_node(child, translated))
        out: dict = {}
        if must:
            out["must"] = must
        if filters:
            out["filter"] = filters
        if must_not:
            out["must_not"] = must_not
        return {"bool": out}
    raise QueryError(f"cannot compile {type(node).__name__}", None, "simplify the query")


def compile_query(expanded: Expanded, since_seq: int | None = None) -> dict:
    """The top-level `bool` query for an expanded tree (plus the alerts' sequence cut-off)."""
    query = {"bool": {"must": [compile_node(expanded.node, expanded.translated)]}}
    if since_seq is not None:
        query["bool"]["filter"] = [{"range": {"seq": {"gt": since_seq}}}]
    return query


def sort_clause(sort: str, has_text: bool) -> list:
    """Relevance then id, or newest first then id: the same order as the SQLite backend."""
    if sort == "date" or not has_text:
        return [{"published_at": {"order": "desc", "missing": "_last"}}, {"id": "asc"}]
    return [{"_score": "desc"}, {"id": "asc"}]


def aggregations() -> dict:
    fields = {"source": "source_id", "lang": "lang", "type": "kind", "country": "country",
              "entity": "entities", "month": "month"}
    aggs = {name: {"terms": {"field": fields[name], "size": 100}} for name in FACETS}
    aggs["clusters"] = {"cardinality": {"field": "cluster_key", "precision_threshold": 40000}}
    return aggs


def search_body(expanded: Expanded, request: SearchRequest) -> dict:
    """The whole `_search` request body for one page of results."""
    has_text = q.is_ranked(expanded.node)
    body: dict = {
        "query": compile_query(expanded, request.since_seq),
        "sort": sort_clause(request.sort, has_text),
        "from": request.offset,
        "size": request.limit,
        "track_total_hits": True,
        "_source": ["id", "source_id"],
        "highlight": {"fields": {f.split("^")[0]: {} for f in _fields(expanded.translated)},
                      "pre_tags": ["<em>"], "post_tags": ["</em>"], "number_of_fragments": 3},
        "aggs": {"clusters": aggregations()["clusters"]},
    }
    if request.facets:
        body["aggs"] = aggregations()
    if request.collapse:
        body["collapse"] = {"field": "cluster_key", "inner_hits": {
            "name": "cluster", "size": 20, "_source": ["id", "source_id"], "sort": [{"id": "asc"}]}}
    return body


# -- connection -------------------------------------------------------------------------------------


def client_options(settings) -> dict:
    """Keyword arguments for `Elasticsearch(...)`: URL, API key or user/password, CA file."""
    es = settings.elasticsearch
    if not es.url:
        raise BackendUnavailable("no Elasticsearch URL is set; set PARALLAX_ES_URL "
                                 "(e.g. https://localhost:9200) or [elasticsearch] url")
    options: dict = {"hosts": [es.url], "request_timeout": 30, "retry_on_timeout": True, "max_retries": 2}
    if es.api_key:
        options["api_key"] = es.api_key
    elif es.username:
        options["basic_auth"] = (es.username, es.password)
    if es.ca_file:
        options["ca_certs"] = es.ca_file
    return options


def _unavailable(url: str, exc: Exception) -> BackendUnavailable:
    from elasticsearch import ApiError, AuthenticationException, AuthorizationException

    if isinstance(exc, AuthenticationException):
        return BackendUnavailable(
            f"Elasticsearch at {url} refused the credentials (401); set PARALLAX_ES_API_KEY or "
            "PARALLAX_ES_USERNAME and PARALLAX_ES_PASSWORD")
    if isinstance(exc, AuthorizationException):
        return BackendUnavailable(
            f"Elasticsearch at {url} denied the request (403); the user or API key needs the "
            "manage_index_templates cluster privilege and all privileges on the index pattern")
    if isinstance(exc, ApiError):
        return BackendUnavailable(f"Elasticsearch at {url} answered with an error: {exc}")
    return BackendUnavailable(
        f"cannot reach Elasticsearch at {url} ({type(exc).__name__}: {exc}); start it "
        "(`docker compose up -d elasticsearch`), check PARALLAX_ES_URL and PARALLAX_ES_CA_FILE, "
        "or set PARALLAX_INDEX_BACKEND=tantivy")


class ElasticBackend:
    name = "elasticsearch"

    def __init__(self, settings, store, client=None):
        self.settings = settings
        self.store = store
        self.url = settings.elasticsearch.url
        self.alias = settings.elasticsearch.index
        if client is None:
            from elasticsearch import Elasticsearch

            try:
                client = Elasticsearch(**client_options(settings))
            except (ValueError, TypeError) as exc:
                raise BackendUnavailable(f"the Elasticsearch settings are not usable ({exc}); check "
                                         "PARALLAX_ES_URL (e.g. https://localhost:9200)") from None
        self.client = client
        self.errors: list[dict] = []  # per-document failures of the last sync or rebuild

    def _call(self, fn, *args, **kwargs):
        """Run one client call, turning transport and API failures into `BackendUnavailable`."""
        from elastic_transport import TransportError
        from elasticsearch import ApiError

        try:
            return fn(*args, **kwargs)
        except (TransportError, ApiError) as exc:
            raise _unavailable(self.url, exc) from None

    # -- indexing -------------------------------------------------------------------------------

    def ensure_template(self) -> None:
        template = index_template(self.alias)
        name = template.pop("name")
        self._call(self.client.indices.put_index_template, name=name, **template)

    def _live_indices(self) -> list[str]:
        from elastic_transport import TransportError
        from elasticsearch import ApiError, NotFoundError

        try:
            return sorted(self.client.indices.get_alias(name=self.alias).body)
        except NotFoundError:
            return []
        except (TransportError, ApiError) as exc:
            raise _unavailable(self.url, exc) from None

    def _new_index(self) -> str:
        name = f"{self.alias}-{time.strftime('%Y%m%d%H%M%S')}-{time.monotonic_ns() % 1000000:06d}"
        self._call(self.client.indices.create, index=name)
        return name

    def _index_docs(self, index: str, doc_ids: list[str], progress=None) -> dict[str, int]:
        """Bulk-index documents with retries; failures are reported per document, not raised."""
        from elastic_transport import TransportError
        from elasticsearch import ApiError
        from elasticsearch.helpers import streaming_bulk

        def actions():
            for start in range(0, len(doc_ids), BULK_CHUNK):
                docs = self.store.get_many(doc_ids[start:start + BULK_CHUNK])
                for doc_id in doc_ids[start:start + BULK_CHUNK]:
                    doc = docs.get(doc_id)
                    if doc is None or doc.status == "extract_failed":
                        yield {"_op_type": "delete", "_index": index, "_id": doc_id}
                    else:
                        yield {"_op_type": "index", "_index": index, "_id": doc.id, "_source": es_document(doc)}

        counts = {"indexed": 0, "removed": 0, "failed": 0}
        done: list[str] = []
        try:
            for ok, item in streaming_bulk(self.client, actions(), chunk_size=BULK_CHUNK, max_retries=3,
                                           initial_backoff=1, raise_on_error=False,
                                           raise_on_exception=False):
                op, info = next(iter(item.items()))
                if ok or (op == "delete" and info.get("status") == 404):
                    counts["removed" if op == "delete" else "indexed"] += 1
                    done.append(info.get("_id"))
                else:
                    counts["failed"] += 1
                    self.errors.append({"id": info.get("_id"), "status": info.get("status"),
                                        "error": info.get("error")})
                if progress:
                    progress.advance(1)
        except (TransportError, ApiError) as exc:
            raise _unavailable(self.url, exc) from None
        self._mark_indexed([d for d in done if d])
        return counts

    def _mark_indexed(self, doc_ids: list[str]) -> None:
        from index.document import utc_now

        with self.store.transaction():
            for doc_id in doc_ids:
                self.store.conn.execute(
                    "INSERT INTO es_index_state (doc_id, content_hash, processed_at, indexed_at) "
                    "SELECT d.id, d.content_hash, COALESCE(a.processed_at, ''), ? FROM documents d "
                    "LEFT JOIN analyses a ON a.doc_id = d.id WHERE d.id = ? "
                    "ON CONFLICT(doc_id) DO UPDATE SET content_hash=excluded.content_hash, "
                    "processed_at=excluded.processed_at, indexed_at=excluded.indexed_at",
                    (utc_now(), doc_id))
                if not self.store.has_document(doc_id):
                    self.store.conn.execute("DELETE FROM es_index_state WHERE doc_id = ?", (doc_id,))

    def _behind(self) -> list[str]:
        rows = self.store.conn.execute(
            "SELECT d.id FROM documents d JOIN analyses a ON a.doc_id = d.id "
            "LEFT JOIN es_index_state s ON s.doc_id = d.id "
            "WHERE a.content_hash = d.content_hash AND (s.doc_id IS NULL OR "
            "s.content_hash != d.content_hash OR s.processed_at != a.processed_at) "
            "UNION SELECT s.doc_id FROM es_index_state s LEFT JOIN documents d ON d.id = s.doc_id "
            "WHERE d.id IS NULL OR d.status = 'extract_failed'")
        return [r[0] for r in rows]

    def lag(self) -> int:
        """Stored documents the index does not hold yet (or holds in an older version): the work
        the next successful sync does, read from `es_index_state` without asking Elasticsearch."""
        return len(self._behind())

    def pending(self) -> int:
        return self.lag()

    def indexed_through(self) -> int:
        """The highest store sequence at or below which every searchable document is indexed,
        from `es_index_state` (see `index.search.SearchBackend`)."""
        row = self.store.conn.execute(
            "SELECT d.seq FROM documents d LEFT JOIN es_index_state s ON s.doc_id = d.id "
            "WHERE d.status != 'extract_failed' AND (s.doc_id IS NULL OR s.content_hash != d.content_hash) "
            "ORDER BY d.seq LIMIT 1").fetchone()
        if row is not None:
            return row[0] - 1
        return self.store.conn.execute("SELECT COALESCE(MAX(seq), 0) FROM documents").fetchone()[0]

    def _behind_by(self, exc: BackendUnavailable) -> BackendUnavailable:
        lag = self.lag()
        return BackendUnavailable(
            f"{exc}. The index is {lag} document(s) behind the store; they are kept in the store "
            "and the next `parallax index` (or `parallax run` cycle) sends them", lag=lag)

    def sync(self, store=None, progress=None) -> dict[str, int]:
        """Index what changed since the last sync into the live index (created on first use).

        With Elasticsearch unreachable the error says how far behind the index is."""
        try:
            return self._sync(progress)
        except BackendUnavailable as exc:
            raise self._behind_by(exc) from None

    def _sync(self, progress=None) -> dict[str, int]:
        self.errors = []
        self.ensure_template()
        live = self._live_indices()
        if not live:
            return self._rebuild(progress)
        ids = self._behind()
        if progress:
            progress.start("index", len(ids))
        counts = self._index_docs(live[0], ids, progress)
        self._call(self.client.indices.refresh, index=live[0])
        if progress:
            progress.finish()
        return counts

    def rebuild(self, store=None, progress=None) -> dict[str, int]:
        """Fill a new index from the store, then move the alias to it in one atomic step.

        Searches keep hitting the old index until the swap; the old one is deleted after it.
        """
        try:
            return self._rebuild(progress)
        except BackendUnavailable as exc:
            raise self._behind_by(exc) from None

    def _rebuild(self, progress=None) -> dict[str, int]:
        self.errors = []
        self.ensure_template()
        old = self._live_indices()
        new = self._new_index()
        ids = [r[0] for r in self.store.conn.execute(
            "SELECT d.id FROM documents d JOIN analyses a ON a.doc_id = d.id "
            "WHERE a.content_hash = d.content_hash AND d.status != 'extract_failed' ORDER BY d.seq")]
        with self.store.transaction():
            self.store.conn.execute("DELETE FROM es_index_state")
        if progress:
            progress.start("index", len(ids))
        counts = self._index_docs(new, ids, progress)
        self._call(self.client.indices.refresh, index=new)
        actions = [{"add": {"index": new, "alias": self.alias}}]
        actions += [{"remove": {"index": name, "alias": self.alias}} for name in old]
        self._call(self.client.indices.update_aliases, actions=actions)
        for name in old:
            self._call(self.client.indices.delete, index=name)
        if progress:
            progress.finish()
        return counts

    # -- searching ------------------------------------------------------------------------------

    def search(self, request: SearchRequest) -> SearchResult:
        check_request(request)
        expanded = prepare(request, self.settings)
        body = search_body(expanded, request)
        response = self._call(self.client.search, index=self.alias, **body).body
        found = []
        for hit in response["hits"]["hits"]:
            members = [h["_source"] for h in
                       hit.get("inner_hits", {}).get("cluster", {}).get("hits", {}).get("hits", [])]
            others = tuple(sorted({m["source_id"] for m in members if m["id"] != hit["_id"]}))
            marked = {w for fragments in hit.get("highlight", {}).values()
                      for fragment in fragments for w in _EM.findall(fragment)}
            found.append(Found(hit["_id"], float(hit.get("_score") or 0.0), max(1, len(members)),
                               others, tuple(sorted(marked))))
        aggs = response.get("aggregations", {})
        total = aggs["clusters"]["value"] if request.collapse else response["hits"]["total"]["value"]
        facets = {}
        if request.facets:
            for name in FACETS:
                values = [(b["key"], b["doc_count"]) for b in aggs[name]["buckets"] if b["key"]]
                facets[name] = sort_facet(name, values)
        hits = build_hits(self.store, found, highlight_words(expanded))
        return SearchResult(hits=hits, total=total, facets=facets, expansions=list(expanded.expansions),
                            total_documents=response["hits"]["total"]["value"],
                            total_stories=aggs["clusters"]["value"])

    def iter_ids(self, request: SearchRequest) -> Iterator[str]:
        """Every matching id (near-duplicates included), paged with `search_after`."""
        check_request(request)
        expanded = prepare(request, self.settings)
        has_text = q.is_ranked(expanded.node)
        after = None
        while True:
            body = {"query": compile_query(expanded, request.since_seq),
                    "sort": sort_clause(request.sort, has_text), "size": PAGE, "_source": False}
            if after is not None:
                body["search_after"] = after
            hits = self._call(self.client.search, index=self.alias, **body).body["hits"]["hits"]
            for hit in hits:
                yield hit["_id"]
            if len(hits) < PAGE:
                return
            after = hits[-1]["sort"]
