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
from index.search import (FACETS, Attention, Found, Matches, SearchRequest, SearchResult, build_hits,
                          check_attention, check_request, highlight_words, prepare, sort_facet)
from nlp.normalize import has_cjk
from parallax.errors import BackendUnavailable, ConfigError, IndexNotBuilt, ParallaxError, QueryError

# Field weights, the same as the SQLite backend's bm25 column weights.
BOOSTS = {"title": 5.0, "body": 1.0, "title_tr": 2.5, "body_tr": 0.6}
ORIGINAL_FIELDS = ("title", "body")
TRANSLATED_FIELDS = ("title_tr", "body_tr")
BULK_CHUNK = 500
BULK_BYTES = 50 * 1024 * 1024  # under Elasticsearch's default http.max_content_length (100 MB)
PAGE = 500
PIT_KEEP_ALIVE = "2m"  # how long a point in time lives between two pages of an export
HIGHLIGHT_INDEX_LIMIT = 1_000_000  # index.highlight.max_analyzed_offset (Elasticsearch's default)
HIGHLIGHT_QUERY_LIMIT = HIGHLIGHT_INDEX_LIMIT - 1
# Stories (clusters) are counted with a cardinality aggregation at Elasticsearch's highest precision:
# documented as close to exact below this many distinct clusters, an estimate above it.
CARDINALITY_PRECISION = 40_000
_EM = re.compile(r"<em>(.*?)</em>")

INDEX_SETTINGS = {
    "number_of_shards": 1,
    "number_of_replicas": 0,
    "highlight": {"max_analyzed_offset": HIGHLIGHT_INDEX_LIMIT},
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


TEMPLATE_PRIORITY = 200


def index_template(alias: str) -> dict:
    """The index template every `<alias>-*` index is created from (settings and explicit mappings).

    Two aliases where one is a prefix of the other ("parallax" and "parallax-staging") have
    overlapping patterns, and Elasticsearch refuses a second template whose patterns overlap an
    existing one's at the same priority. Overlapping `<alias>-*` patterns always come from aliases
    of different lengths (two different prefixes of one length never match the same name), so the
    priority grows with the alias's length: overlapping templates never share a priority, and the
    longer, more specific alias's template is the one its own indices get.
    """
    return {
        "name": f"{alias}-template",
        "index_patterns": [f"{alias}-*"],
        "template": {"settings": INDEX_SETTINGS, "mappings": MAPPINGS},
        "priority": TEMPLATE_PRIORITY + len(alias),
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


def page_body(expanded: Expanded, request: SearchRequest, has_text: bool, pit: str, after=None,
              fields: list[str] | None = None) -> dict:
    """One page of every match (export, alerts): no source, no total, `search_after` the last hit;
    `fields` are doc values returned with each hit (alerts and export read `seq`)."""
    body = {"query": compile_query(expanded, request.since_seq), "size": PAGE, "_source": False,
            "sort": sort_clause(request.sort, has_text), "track_total_hits": False,
            "pit": {"id": pit, "keep_alive": PIT_KEEP_ALIVE}}
    if fields:
        body["docvalue_fields"] = list(fields)
    if after is not None:
        body["search_after"] = after
    return body


FACET_FIELDS = {"source": "source_id", "lang": "lang", "type": "kind", "country": "country",
                "entity": "entities", "month": "month"}
FACET_PAGE = 1000  # composite buckets per request; facets page on until every value is counted
# Documents per week, keyed by the week's Monday (Elasticsearch's calendar weeks start on Monday, UTC).
TIMELINE = {"date_histogram": {"field": "published_at", "calendar_interval": "week", "format": "yyyy-MM-dd",
                               "min_doc_count": 1}}


def facet_aggregations(after: dict[str, dict] | None = None, names=FACETS) -> dict:
    """One `composite` aggregation per facet: exact counts for every value, paged with `after`.

    A `terms` aggregation returns its top `size` buckets and drops the rest (and its counts can be
    approximate across shards); a composite aggregation walks every value in order, so a facet
    with 5,000 entities or 30 years of months is complete.
    """
    aggs = {}
    for name in names:
        composite: dict = {"size": FACET_PAGE, "sources": [{"value": {"terms": {"field": FACET_FIELDS[name]}}}]}
        if after and after.get(name):
            composite["after"] = after[name]
        aggs[name] = {"composite": composite}
    return aggs


def attention_body(expanded: Expanded, request: SearchRequest, per: str, split: str | None,
                   after: dict | None = None) -> dict:
    """Documents per calendar day, week (Monday) or month, by language or source: one `composite`
    aggregation over (period, series), paged with `after` like the facets, so every bucket is
    exact however many periods and sources there are. The first page also counts the matches
    without a date (`missing`)."""
    sources: list[dict] = [{"period": {"date_histogram": {"field": "published_at", "calendar_interval": per,
                                                          "format": "yyyy-MM-dd"}}}]
    if split:
        sources.append({"series": {"terms": {"field": FACET_FIELDS[split]}}})
    composite: dict = {"size": FACET_PAGE, "sources": sources}
    if after:
        composite["after"] = after
    aggs: dict = {"attention": {"composite": composite}}
    if after is None:
        aggs["undated"] = {"missing": {"field": "published_at"}}
    return {"size": 0, "track_total_hits": False, "query": compile_query(expanded, request.since_seq),
            "aggs": aggs}


def highlight_spec(translated: bool) -> dict:
    """Elasticsearch's highlighter on every text field, bounded so a long body cannot fail a search.

    Without `max_analyzed_offset` a field longer than `index.highlight.max_analyzed_offset`
    (1,000,000 characters; a long PDF) makes the whole search fail with 400. With it, the highlighter
    stops at that many characters; the snippet itself is computed from the store, so nothing a
    reader sees is lost.
    """
    return {"fields": {f.split("^")[0]: {} for f in _fields(translated)}, "pre_tags": ["<em>"],
            "post_tags": ["</em>"], "number_of_fragments": 3, "max_analyzed_offset": HIGHLIGHT_QUERY_LIMIT}


def search_body(expanded: Expanded, request: SearchRequest) -> dict:
    """The whole `_search` request body for one page of results.

    Cluster sizes, the other sources and each cluster's earliest member come from a second request
    over the page's clusters (`cluster_body`), not from inner hits, which stop at their `size`.
    """
    has_text = q.is_ranked(expanded.node)
    body: dict = {
        "query": compile_query(expanded, request.since_seq),
        "sort": sort_clause(request.sort, has_text),
        "from": request.offset,
        "size": request.limit,
        "track_total_hits": True,
        "_source": ["id", "source_id", "cluster_key"],
        "highlight": highlight_spec(expanded.translated),
    }
    if request.collapse and request.limit:
        body["collapse"] = {"field": "cluster_key"}
    # Both counts always: stories (clusters) from a cardinality aggregation, documents from the total.
    body["aggs"] = {"clusters": {"cardinality": {"field": "cluster_key", "precision_threshold": CARDINALITY_PRECISION}}}
    if request.facets:
        body["aggs"].update(facet_aggregations())
        body["aggs"]["timeline"] = TIMELINE
    return body


def cluster_body(expanded: Expanded, request: SearchRequest, keys: list[str], sources: int) -> dict:
    """Per cluster on the page: every member's count and sources, and the earliest matching member.

    The size and "also published by" cover the whole cluster in the index, members outside the
    query's filters too (a Chinese copy of an English statement filtered by lang:en); the member
    shown is the earliest published one that matches. A `terms` aggregation with one bucket per key
    counts every member exactly (inner hits stop at their `size`); `sources` is the store's number of
    sources, so no source of a cluster is left out.
    """
    matching = compile_query(expanded, request.since_seq)
    highlight = {**highlight_spec(expanded.translated), "highlight_query": matching}
    return {
        "size": 0,
        "query": {"bool": {"filter": [{"terms": {"cluster_key": keys}}]}},
        "aggs": {"clusters": {
            "terms": {"field": "cluster_key", "size": len(keys)},
            "aggs": {
                "sources": {"terms": {"field": "source_id", "size": max(1, sources)}},
                "matching": {"filter": matching, "aggs": {"first": {"top_hits": {
                    "size": 1, "_source": ["id", "source_id"],
                    "sort": [{"published_at": {"order": "asc", "missing": "_last"}}, {"id": "asc"}],
                    "highlight": highlight}}}},
            },
        }},
    }


# -- connection -------------------------------------------------------------------------------------


def client_options(settings) -> dict:
    """Keyword arguments for `Elasticsearch(...)`: URL, API key or user/password, CA file.

    The API key is the `encoded` value of the create-API-key response (base64 of "id:key", sent as
    `Authorization: ApiKey <encoded>`). An "id:key" pair pasted instead is accepted too: base64
    never contains a colon, so it is unambiguous, and the client encodes the pair itself.
    """
    es = settings.elasticsearch
    if not es.url:
        raise BackendUnavailable("no Elasticsearch URL is set; set PARALLAX_ES_URL "
                                 "(e.g. https://localhost:9200) or [elasticsearch] url")
    options: dict = {"hosts": [es.url], "request_timeout": 30, "retry_on_timeout": True, "max_retries": 2}
    if es.api_key:
        key_id, colon, key = es.api_key.partition(":")
        options["api_key"] = (key_id, key) if colon else es.api_key
    elif es.username:
        options["basic_auth"] = (es.username, es.password)
    if es.ca_file:
        options["ca_certs"] = es.ca_file
    return options


def _reason(exc) -> str:
    """Elasticsearch's own explanation from an error body (root cause first), else the message."""
    body = getattr(exc, "body", None)
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        error = body["error"]
        causes = error.get("root_cause") or []
        first = causes[0] if causes and isinstance(causes[0], dict) else error
        return f"{first.get('type', error.get('type'))}: {first.get('reason', error.get('reason'))}"
    return str(getattr(exc, "message", exc))


def translate_error(url: str, exc: Exception, action: str = "request") -> ParallaxError:
    """The Parallax error for a failed call: only no answer or a 5xx means "unavailable".

    `action` says what was being done ("search", "template", "bulk", ...), so a 400 or 404 becomes
    the error of that action: a missing index before the first sync, a query Elasticsearch refused,
    a result window too large, a template that collides with another, a request too large.
    """
    from elasticsearch import ApiError

    if not isinstance(exc, ApiError):
        return BackendUnavailable(
            f"cannot reach Elasticsearch at {url} ({type(exc).__name__}: {exc}); start it "
            "(`docker compose up -d elasticsearch`), check PARALLAX_ES_URL and PARALLAX_ES_CA_FILE, "
            "or switch index.backend (PARALLAX_INDEX_BACKEND) back to the embedded index")
    status, reason = exc.status_code, _reason(exc)
    if status >= 500 or status == 429:  # 429: too busy right now (rejected execution, circuit breaker)
        return BackendUnavailable(f"Elasticsearch at {url} failed with {status} ({reason}); check the "
                                  "cluster's health (`parallax index --check`) and try again")
    if status == 401:
        return ConfigError(f"Elasticsearch at {url} refused the credentials (401: {reason}); set "
                           "PARALLAX_ES_API_KEY (the `encoded` value of the create-API-key response) or "
                           "PARALLAX_ES_USERNAME and PARALLAX_ES_PASSWORD")
    if status == 403:
        return ConfigError(f"Elasticsearch at {url} denied the {action} (403: {reason}); the user or API "
                           "key needs the manage_index_templates and monitor cluster privileges and all "
                           "privileges on the indices named after PARALLAX_ES_INDEX")
    if status == 404 and "index_not_found" in reason:
        return IndexNotBuilt(f"nothing is indexed in Elasticsearch at {url} yet ({reason}); run "
                             "`parallax index` to build the index from the store")
    if status == 413:
        return ConfigError(f"Elasticsearch at {url} refused a {action} request as too large (413); raise "
                           "http.max_content_length on the cluster (or the limit of a proxy in front of it)")
    if "search_context_missing" in reason:
        return QueryError(f"the point in time of this export expired ({reason})", None,
                          f"pages were more than {PIT_KEEP_ALIVE} apart; run the export again")
    if "result window is too large" in reason.lower():
        return QueryError(f"that page is too deep for Elasticsearch ({reason})", None,
                          "narrow the search or sort by date; `parallax export` returns every match")
    if action == "template":
        return ConfigError(f"Elasticsearch at {url} refused the index template ({status}: {reason}); "
                           "another template matches the same index names: choose another "
                           "PARALLAX_ES_INDEX or remove the other template")
    if action == "search":
        return QueryError(f"Elasticsearch refused the query ({status}: {reason})", None, "simplify the query")
    return ConfigError(f"Elasticsearch at {url} refused the {action} ({status}: {reason})")


def _noted(exc: ParallaxError, note: str, lag: int | None = None) -> ParallaxError:
    """The same kind of error with `note` added to its message (every kind takes one message)."""
    if isinstance(exc, BackendUnavailable):
        return BackendUnavailable(f"{exc}{note}", lag=exc.lag if lag is None else lag)
    return type(exc)(f"{exc}{note}")


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

    def _call(self, fn, *args, action: str = "request", **kwargs):
        """Run one client call, turning transport and API failures into the matching Parallax error."""
        from elastic_transport import TransportError
        from elasticsearch import ApiError

        try:
            return fn(*args, **kwargs)
        except (TransportError, ApiError) as exc:
            raise translate_error(self.url, exc, action) from None

    # -- indexing -------------------------------------------------------------------------------

    def ensure_template(self) -> None:
        template = index_template(self.alias)
        name = template.pop("name")
        self._call(self.client.indices.put_index_template, name=name, action="template", **template)

    def _live_indices(self) -> list[str]:
        from elastic_transport import TransportError
        from elasticsearch import ApiError, NotFoundError

        try:
            return sorted(self.client.indices.get_alias(name=self.alias).body)
        except NotFoundError:
            return []
        except (TransportError, ApiError) as exc:
            raise translate_error(self.url, exc, "alias lookup") from None

    def _new_index(self, kind: str = "") -> str:
        name = f"{self.alias}-{kind}{time.strftime('%Y%m%d%H%M%S')}-{time.monotonic_ns() % 1000000:06d}"
        self._call(self.client.indices.create, index=name, action="index creation")
        return name

    def _index_docs(self, index: str, doc_ids: list[str], done: list[str], progress=None) -> dict[str, int]:
        """Bulk-index documents; a refused document is reported, a refused request raises.

        One document Elasticsearch rejects (a mapping error) is counted and listed in `errors` and
        the others go on. A bulk request refused as a whole (401, 403, 413, no answer) raises: every
        document in it would fail the same way. `done` collects the ids written so far, so the
        caller can record them even when a later request fails.
        """
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
        results = streaming_bulk(self.client, actions(), chunk_size=BULK_CHUNK, max_chunk_bytes=BULK_BYTES,
                                 max_retries=3, initial_backoff=1, raise_on_error=False,
                                 raise_on_exception=True)
        for ok, item in self._guarded(results, "bulk"):
            op, info = next(iter(item.items()))
            if ok or (op == "delete" and info.get("status") == 404):
                counts["removed" if op == "delete" else "indexed"] += 1
                if info.get("_id"):
                    done.append(info["_id"])
            else:
                counts["failed"] += 1
                self.errors.append({"id": info.get("_id"), "status": info.get("status"),
                                    "error": info.get("error")})
            if progress:
                progress.advance(1)
        return counts

    def _guarded(self, iterator, action: str):
        """Iterate, translating a client failure raised mid-way into a Parallax error."""
        from elastic_transport import TransportError
        from elasticsearch import ApiError

        try:
            yield from iterator
        except (TransportError, ApiError) as exc:
            raise translate_error(self.url, exc, action) from None

    def _mark_indexed(self, doc_ids: list[str], replace: bool = False) -> None:
        """Record what the live index holds; `replace` (after a rebuild) forgets everything else."""
        from index.document import utc_now

        with self.store.transaction():
            if replace:
                self.store.conn.execute("DELETE FROM es_index_state")
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
        """Ids the next sync sends, in store order (removals first), so that a sync refused
        part-way has indexed a prefix and `indexed_through` still advances over it."""
        rows = self.store.conn.execute(
            "SELECT d.id, d.seq FROM documents d JOIN analyses a ON a.doc_id = d.id "
            "LEFT JOIN es_index_state s ON s.doc_id = d.id "
            "WHERE a.content_hash = d.content_hash AND (s.doc_id IS NULL OR "
            "s.content_hash != d.content_hash OR s.processed_at != a.processed_at) "
            "UNION SELECT s.doc_id, -1 FROM es_index_state s LEFT JOIN documents d ON d.id = s.doc_id "
            "WHERE d.id IS NULL OR d.status = 'extract_failed' ORDER BY 2, 1")
        return list(dict.fromkeys(r[0] for r in rows))

    def lag(self) -> int:
        """Stored documents the index does not hold yet (or holds in an older version): the work
        the next successful sync does, read from `es_index_state` without asking Elasticsearch."""
        return len(self._behind())

    def pending(self) -> int:
        """Documents waiting for the next sync (the same figure as `lag`, the interface's name)."""
        return self.lag()

    def indexed_through(self) -> int:
        """The highest store sequence at or below which every searchable document is indexed,
        from `es_index_state` (alerts advance their watermark only this far)."""
        row = self.store.conn.execute(
            "SELECT d.seq FROM documents d LEFT JOIN es_index_state s ON s.doc_id = d.id "
            "WHERE d.status != 'extract_failed' AND (s.doc_id IS NULL OR s.content_hash != d.content_hash) "
            "ORDER BY d.seq LIMIT 1").fetchone()
        if row is not None:
            return row[0] - 1
        return self.store.conn.execute("SELECT COALESCE(MAX(seq), 0) FROM documents").fetchone()[0]

    def _behind_by(self, exc: ParallaxError) -> ParallaxError:
        lag = self.lag()
        return _noted(exc, f". The index is {lag} document(s) behind the store; they are kept in the "
                           "store and the next `parallax index` (or `parallax run` cycle) sends them", lag)

    def sync(self, store=None, progress=None) -> dict[str, int]:
        """Index what changed since the last sync into the live index (created on first use).

        When Elasticsearch is unreachable or refuses the work, the error says how far behind the
        index is."""
        try:
            return self._sync(progress)
        except ParallaxError as exc:
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
        done: list[str] = []
        try:
            counts = self._index_docs(live[0], ids, done, progress)
        finally:
            self._mark_indexed(done)  # what reached the index stays recorded, even if a later request failed
        self._call(self.client.indices.refresh, index=live[0], action="refresh")
        if progress:
            progress.finish()
        return counts

    def rebuild(self, store=None, progress=None) -> dict[str, int]:
        """Fill a new index from the store, then move the alias to it in one atomic step.

        Searches keep hitting the old index until the swap; the old one is deleted after it. A
        rebuild that cannot fill the new index (a bulk request refused as a whole, or every
        document refused) raises before the swap: the alias and the old index stay as they were and
        the half-filled new index is deleted.
        """
        try:
            return self._rebuild(progress)
        except ParallaxError as exc:
            raise self._behind_by(exc) from None

    def _rebuild(self, progress=None) -> dict[str, int]:
        self.errors = []
        self.ensure_template()
        old = self._live_indices()
        ids = [r[0] for r in self.store.conn.execute(
            "SELECT d.id FROM documents d JOIN analyses a ON a.doc_id = d.id "
            "WHERE a.content_hash = d.content_hash AND d.status != 'extract_failed' ORDER BY d.seq")]
        new = self._new_index()
        if progress:
            progress.start("index", len(ids))
        done: list[str] = []
        try:
            counts = self._index_docs(new, ids, done, progress)
            if ids and not counts["indexed"]:
                raise ConfigError(f"Elasticsearch refused every one of the {len(ids)} documents "
                                  f"(first: {self.errors[0]['status']} {self.errors[0]['error']})")
            self._call(self.client.indices.refresh, index=new, action="refresh")
            actions = [{"add": {"index": new, "alias": self.alias}}]
            actions += [{"remove": {"index": name, "alias": self.alias}} for name in old]
            self._call(self.client.indices.update_aliases, actions=actions, action="alias swap")
        except ParallaxError as exc:
            self._drop(new)
            kept = (f"the alias {self.alias} still points to {', '.join(old)}" if old
                    else f"the alias {self.alias} was not created")
            raise _noted(exc, f"; the rebuild stopped before the swap: {kept}, and the half-filled "
                              f"index {new} was deleted") from None
        self._mark_indexed(done, replace=True)
        for name in old:
            self._drop(name)
        if progress:
            progress.finish()
        return counts

    def _drop(self, index: str) -> None:
        """Delete an index we made; a failure here leaves litter, never wrong results, so it is quiet."""
        from elastic_transport import TransportError
        from elasticsearch import ApiError

        try:
            self.client.indices.delete(index=index)
        except (TransportError, ApiError) as exc:
            self.errors.append({"id": None, "status": getattr(exc, "status_code", None),
                                "error": f"could not delete index {index}: {exc}"})

    # -- searching ------------------------------------------------------------------------------

    def search(self, request: SearchRequest) -> SearchResult:
        check_request(request)
        expanded = prepare(request, self.settings, self.store.collections())
        body = search_body(expanded, request)
        response = self._call(self.client.search, index=self.alias, action="search", **body).body
        hits = response["hits"]["hits"]
        clusters = self._clusters(expanded, request, hits) if request.collapse else {}
        found = []
        for hit in hits:
            key = (hit.get("_source") or {}).get("cluster_key") or hit["_id"]
            shown_id, size, others, highlight = hit["_id"], 1, (), hit.get("highlight", {})
            if key in clusters:
                shown_id, size, others, first_highlight = clusters[key]
                if shown_id != hit["_id"]:
                    highlight = first_highlight
            marked = {w for fragments in highlight.values() for fragment in fragments for w in _EM.findall(fragment)}
            found.append(Found(shown_id, float(hit.get("_score") or 0.0), size, others, tuple(sorted(marked))))
        aggs = response.get("aggregations", {})
        documents = response["hits"]["total"]["value"]
        stories = min(documents, aggs["clusters"]["value"])
        facets = self._facets(expanded, request, aggs) if request.facets else {}
        timeline = [(b["key_as_string"][:10], b["doc_count"]) for b in aggs.get("timeline", {}).get("buckets", [])
                    if b["doc_count"]]
        built = build_hits(self.store, found, highlight_words(expanded))
        return SearchResult(hits=built, total=stories if request.collapse else documents, facets=facets,
                            expansions=list(expanded.expansions), total_documents=documents,
                            total_stories=stories, timeline=timeline,
                            exact=stories <= CARDINALITY_PRECISION)

    def _clusters(self, expanded: Expanded, request: SearchRequest,
                  hits: list[dict]) -> dict[str, tuple[str, int, tuple[str, ...], dict]]:
        """For each cluster on the page: (id to show, size, other members' sources, its highlight)."""
        keys = sorted({(h.get("_source") or {}).get("cluster_key") or h["_id"] for h in hits})
        if not keys:
            return {}
        body = cluster_body(expanded, request, keys, len(self.store.sources()))
        response = self._call(self.client.search, index=self.alias, action="search", **body).body
        out = {}
        for bucket in response["aggregations"]["clusters"]["buckets"]:
            firsts = bucket["matching"]["first"]["hits"]["hits"]
            if not firsts:
                continue
            first = firsts[0]
            first_source = first["_source"]["source_id"]
            others = tuple(sorted(b["key"] for b in bucket["sources"]["buckets"]
                                  if b["doc_count"] - (1 if b["key"] == first_source else 0) > 0))
            out[bucket["key"]] = (first["_id"], bucket["doc_count"], others, first.get("highlight", {}))
        return out

    def _facets(self, expanded: Expanded, request: SearchRequest, aggs: dict) -> dict[str, list[tuple[str, int]]]:
        """Every value of every facet with its exact count, following each composite's `after_key`."""
        values: dict[str, list[tuple[str, int]]] = {name: [] for name in FACETS}
        after: dict[str, dict] = {}
        while True:
            for name in list(FACETS):
                if name not in aggs:
                    continue
                agg = aggs[name]
                values[name] += [(b["key"]["value"], b["doc_count"]) for b in agg["buckets"] if b["key"]["value"]]
                if len(agg["buckets"]) == FACET_PAGE and agg.get("after_key"):
                    after[name] = agg["after_key"]
                else:
                    after.pop(name, None)
            if not after:
                break
            body = {"size": 0, "track_total_hits": False, "query": compile_query(expanded, request.since_seq),
                    "aggs": facet_aggregations(after, names=tuple(after))}
            aggs = self._call(self.client.search, index=self.alias, action="search", **body).body["aggregations"]
        return {name: sort_facet(name, values[name]) for name in FACETS}

    def attention(self, request: SearchRequest, per: str = "week", split: str | None = None) -> Attention:
        """Matching documents per period (and language or source), following the composite's pages."""
        check_request(request)
        check_attention(per, split)
        expanded = prepare(request, self.settings, self.store.collections())
        counts: list[tuple[str, str, int]] = []
        undated, after = 0, None
        while True:
            body = attention_body(expanded, request, per, split, after)
            aggs = self._call(self.client.search, index=self.alias, action="search", **body).body["aggregations"]
            if after is None:
                undated = aggs["undated"]["doc_count"]
            buckets = aggs["attention"]["buckets"]
            counts += [(b["key"]["period"][:10], b["key"].get("series", ""), b["doc_count"])
                       for b in buckets if b["doc_count"]]
            after = aggs["attention"].get("after_key")
            if len(buckets) < FACET_PAGE or not after:
                return Attention(sorted(counts), undated=undated)

    def stamp(self) -> str:
        """When the index was last written and how many documents it holds, from `es_index_state`
        (every sync and rebuild records what it sent there)."""
        latest, held = self.store.conn.execute(
            "SELECT COALESCE(MAX(indexed_at), ''), COUNT(*) FROM es_index_state").fetchone()
        return f"{latest}.{held}"

    def iter_ids(self, request: SearchRequest) -> Iterator[str]:
        """Every matching id (near-duplicates included), paged with `search_after` in a point in time.

        Syncs refresh the index and rebuilds swap the alias while an export runs; a point in time
        pins the index as it was when the export began, so no document is skipped or repeated.
        """
        for hits in self._hit_pages(request):
            for hit in hits:
                yield hit["_id"]

    def matches(self, request: SearchRequest) -> Matches:
        """Every match as store seqs (the `seq` doc value; with `since_seq` a range filter on it),
        for alerts: the same contract as the embedded index."""
        seqs: list[int] = []
        ids: list[str] = []
        for page in self.match_pages(request):
            seqs.extend(page.seqs)
            ids.extend(page.id_at(i) for i in range(len(page)))
        expanded = prepare(request, self.settings, self.store.collections())
        return Matches(seqs, ids.__getitem__, tuple(highlight_words(expanded)))

    def match_pages(self, request: SearchRequest) -> Iterator[Matches]:
        """Every match as store seqs, a page at a time from one point in time (export)."""
        for hits in self._hit_pages(request, fields=["seq"]):
            ids = [hit["_id"] for hit in hits]
            yield Matches([hit["fields"]["seq"][0] for hit in hits], ids.__getitem__)

    def _hit_pages(self, request: SearchRequest, fields: list[str] | None = None) -> Iterator[list[dict]]:
        """The hits of every match in the request's order, a page at a time, `search_after` in a
        point in time; `fields`: doc values to return with each hit."""
        check_request(request)
        expanded = prepare(request, self.settings, self.store.collections())
        has_text = q.is_ranked(expanded.node)
        pit = self._call(self.client.open_point_in_time, index=self.alias, keep_alive=PIT_KEEP_ALIVE,
                         action="search").body["id"]
        try:
            after = None
            while True:
                body = page_body(expanded, request, has_text, pit, after, fields)
                response = self._call(self.client.search, action="search", **body).body
                pit = response.get("pit_id", pit)
                hits = response["hits"]["hits"]
                if hits:
                    yield hits
                if len(hits) < PAGE:
                    return
                after = hits[-1]["sort"]
        finally:
            self._close_pit(pit)

    def _close_pit(self, pit: str) -> None:
        """Release the point in time; one left open expires by itself after PIT_KEEP_ALIVE."""
        from elastic_transport import TransportError
        from elasticsearch import ApiError

        try:
            self.client.close_point_in_time(id=pit)
        except (TransportError, ApiError):
            return

    # -- the smoke check ------------------------------------------------------------------------

    def check(self) -> list[tuple[str, bool, str]]:
        """`parallax index --check`: what a user runs against their own cluster before trusting it.

        Each line is (what, passed, detail): the server's version against the client's, the index
        template and the live index's mappings against the ones this code writes, the alias and its
        document count against the store's record, and a round trip of a bilingual test document
        through a scratch index made from the template (written, read back, found by an English
        stem and by a Chinese word, highlighted, deleted). Nothing in the live index is touched.
        """
        import elasticsearch

        lines: list[tuple[str, bool, str]] = []
        info = self._call(self.client.info, action="version check").body
        server = info.get("version", {}).get("number", "?")
        client = ".".join(str(p) for p in elasticsearch.__version__)
        same_major = server.split(".")[0] == str(elasticsearch.__version__[0])
        lines.append(("server", same_major, f"Elasticsearch {server} ({info.get('version', {}).get('build_flavor', '?')}) "
                                            f"at {self.url}; client {client}"
                                            + ("" if same_major else ": the major versions must match")))
        self.ensure_template()
        name = index_template(self.alias)["name"]
        stored = self._call(self.client.indices.get_index_template, name=name, action="template check").body
        template = stored["index_templates"][0]["index_template"]
        differences = _mapping_differences(template.get("template", {}).get("mappings", {}))
        lines.append(("template", not differences, f"{name} on {template['index_patterns']} priority "
                                                    f"{template.get('priority')}" + _said(differences)))
        live = self._live_indices()
        if not live:
            lines.append(("alias", False, f"{self.alias} does not exist yet: run `parallax index`"))
        else:
            count = self._call(self.client.count, index=self.alias, action="count").body["count"]
            recorded = self.store.conn.execute("SELECT COUNT(*) FROM es_index_state").fetchone()[0]
            lines.append(("alias", len(live) == 1 and count == recorded,
                          f"{self.alias} -> {', '.join(live)}: {count} documents, the store records "
                          f"{recorded}, {self.lag()} waiting for the next sync"))
            mappings = self._call(self.client.indices.get_mapping, index=self.alias, action="mapping check").body
            differences = _mapping_differences(next(iter(mappings.values()))["mappings"])
            lines.append(("mappings", not differences, f"{live[0]} has the mappings this version writes"
                                                       + _said(differences)))
        lines.append(self._round_trip())
        return lines

    def _round_trip(self) -> tuple[str, bool, str]:
        """Write a test document to a scratch index made from the template, find it, delete the index."""
        from types import SimpleNamespace

        scratch = self._new_index("check-")
        try:
            mappings = self._call(self.client.indices.get_mapping, index=scratch, action="mapping check").body
            if differences := _mapping_differences(mappings[scratch]["mappings"]):
                return "round trip", False, f"the template did not apply to {scratch}" + _said(differences)
            doc = SimpleNamespace(
                id="parallax-check", url="https://example.org/check", source_id="check", lang="en",
                declared_lang="en", kind="association", country="US", entities=({"canonical_id": "csia"},),
                cluster_id=None, published_at="2025-03-05T02:00:00+00:00", seq=0, content_hash="check",
                title="Statement on export controls", body="The association commented on 出口管制 rules.",
                title_tr=None, body_tr=None)
            source = es_document(doc)
            self._call(self.client.index, index=scratch, id=doc.id, document=source, refresh="true",
                       action="test write")
            back = self._call(self.client.get, index=scratch, id=doc.id, action="test read").body
            if back.get("_source") != source:
                return "round trip", False, f"{scratch} gave back a different document"
            missing = []
            for query in ("control", "出口管制"):  # an English stem, a Chinese word
                body = search_body(prepare(SearchRequest(query, expand=False), self.settings), SearchRequest(query))
                body.pop("collapse", None)
                hits = self._call(self.client.search, index=scratch, action="search", **body).body["hits"]["hits"]
                if not hits or hits[0]["_id"] != doc.id or not hits[0].get("highlight"):
                    missing.append(query)
            if missing:
                return "round trip", False, f"the test document was not found (or not highlighted) by {missing}"
            return "round trip", True, (f"wrote, read back, found by 'control' and '出口管制' with highlights "
                                        f"in {scratch} (deleted)")
        finally:
            self._drop(scratch)


def _mapping_differences(mappings: dict) -> list[str]:
    """Fields whose mapping differs from MAPPINGS (missing, extra or changed), by name."""
    want, have = MAPPINGS.get("properties", {}), mappings.get("properties", {})
    out = [f"missing {name}" for name in sorted(set(want) - set(have))]
    out += [f"unexpected {name}" for name in sorted(set(have) - set(want))]
    out += [f"{name} differs" for name in sorted(set(want) & set(have)) if want[name] != have[name]]
    if str(mappings.get("dynamic", "strict")) != "strict":
        out.append("dynamic is not strict")
    return out


def _said(differences: list[str]) -> str:
    if not differences:
        return ""
    return f": {', '.join(differences[:5])}" + (f" and {len(differences) - 5} more" if len(differences) > 5 else "") + \
        " (run `parallax index --rebuild` to recreate the index from the store)"
