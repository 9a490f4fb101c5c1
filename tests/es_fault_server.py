"""A small HTTP server on 127.0.0.1 that answers the Elasticsearch requests the backend makes, the way
Elasticsearch's documentation describes them, so that its fault paths can be driven through the
real `elasticsearch` client.

It injects faults; it is NOT Elasticsearch and passing tests against it shows nothing about
compatibility with a real cluster (that is `tests/test_search_behaviour.py` with PARALLAX_ES_URL).
It keeps documents in memory, applies index templates (highest priority wins; overlapping patterns
at one priority are refused, as Elasticsearch refuses them), swaps aliases, and evaluates only the
parts of the query language a fault test needs: match_all, bool, term, terms, numeric ranges and a
case-insensitive substring reading of multi_match. Sorting, search_after, point in time, collapse,
from/size with the 10,000 result window, the highlighter's max_analyzed_offset limit, and the
terms, composite, cardinality, filter, weekly date_histogram and top_hits aggregations follow the documented behaviour closely
enough to tell a backend that relies on a cap from one that does not.

`faults` lets a test make one kind of request fail: {"bulk": (status, after_n_ok)} answers the
bulk request after `after_n_ok` successful ones with that status (401, 403, 413 or 5xx).
"""

from __future__ import annotations

import base64
import copy
import datetime
import fnmatch
import itertools
import json
import re
import threading
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

from tests.loopback import LoopbackServer

VERSION = "9.5.1"
MAX_RESULT_WINDOW = 10_000
HIGHLIGHT_LIMIT = 1_000_000


class EsError(Exception):
    def __init__(self, status: int, kind: str, reason: str, root: str | None = None):
        self.status, self.kind, self.reason, self.root = status, kind, reason, root or kind
        super().__init__(reason)

    def body(self) -> dict:
        cause = {"type": self.root, "reason": self.reason}
        return {"error": {"root_cause": [cause], "type": self.kind, "reason": self.reason}, "status": self.status}


def _not_found(index: str) -> EsError:
    return EsError(404, "index_not_found_exception", f"no such index [{index}]")


class Cluster:
    """The in-memory state: templates, indices (documents, settings, mappings), aliases, points in time."""

    def __init__(self):
        self.lock = threading.RLock()
        self.templates: dict[str, dict] = {}
        self.indices: dict[str, dict] = {}
        self.aliases: dict[str, set[str]] = {}
        self.pits: dict[str, list[dict]] = {}
        self.faults: dict[str, tuple[int, int]] = {}
        self.api_key: str | None = None  # when set, only "ApiKey <this>" is let in
        self.requests: list[tuple[str, str]] = []
        self._bulk_ok = 0
        self._ids = itertools.count(1)

    # -- resolution -----------------------------------------------------------------------------

    def resolve(self, target: str) -> list[str]:
        if target in self.aliases:
            return sorted(self.aliases[target])
        if target in self.indices:
            return [target]
        raise _not_found(target)

    def docs_of(self, target: str) -> list[dict]:
        return [{"_index": name, "_id": doc_id, "_source": src}
                for name in self.resolve(target) for doc_id, src in self.indices[name]["docs"].items()]

    # -- templates and indices ------------------------------------------------------------------

    def put_template(self, name: str, body: dict) -> dict:
        patterns, priority = body.get("index_patterns", []), body.get("priority", 0)
        for other, existing in self.templates.items():
            if other == name or existing.get("priority", 0) != priority:
                continue
            if _overlap(patterns, existing.get("index_patterns", [])):
                raise EsError(400, "illegal_argument_exception",
                              f"index template [{name}] has index patterns {patterns} matching patterns from "
                              f"existing templates [{other}] with patterns ({other} => "
                              f"{existing['index_patterns']}) that have the same priority [{priority}], multiple "
                              "index templates may not match during index creation, please use a different priority")
        self.templates[name] = body
        return {"acknowledged": True}

    def create_index(self, name: str) -> dict:
        if name in self.indices:
            raise EsError(400, "resource_already_exists_exception", f"index [{name}] already exists")
        matching = [t for t in self.templates.values()
                    if any(fnmatch.fnmatchcase(name, p) for p in t.get("index_patterns", []))]
        template = max(matching, key=lambda t: t.get("priority", 0))["template"] if matching else {}
        self.indices[name] = {"docs": {}, "settings": copy.deepcopy(template.get("settings", {})),
                              "mappings": copy.deepcopy(template.get("mappings", {}))}
        return {"acknowledged": True, "shards_acknowledged": True, "index": name}

    def delete_index(self, name: str) -> dict:
        if name not in self.indices:
            raise _not_found(name)
        del self.indices[name]
        for members in self.aliases.values():
            members.discard(name)
        self.aliases = {a: m for a, m in self.aliases.items() if m}
        return {"acknowledged": True}

    def update_aliases(self, actions: list[dict]) -> dict:
        staged = {a: set(m) for a, m in self.aliases.items()}
        for action in actions:
            (verb, spec), = action.items()
            if spec["index"] not in self.indices:
                raise _not_found(spec["index"])
            if verb == "add":
                staged.setdefault(spec["alias"], set()).add(spec["index"])
            elif verb == "remove":
                staged.get(spec["alias"], set()).discard(spec["index"])
        self.aliases = {a: m for a, m in staged.items() if m}
        return {"acknowledged": True}

    def highlight_limit(self, index: str) -> int:
        return int(self.indices[index]["settings"].get("highlight", {}).get("max_analyzed_offset", HIGHLIGHT_LIMIT))

    # -- writing --------------------------------------------------------------------------------

    def index_doc(self, index: str, doc_id: str, source: dict) -> dict:
        if index in self.aliases:
            index = self.resolve(index)[0]
        if index not in self.indices:
            self.create_index(index)
        mappings = self.indices[index]["mappings"]
        if mappings.get("dynamic") == "strict":
            unknown = sorted(set(source) - set(mappings.get("properties", {})))
            if unknown:
                raise EsError(400, "strict_dynamic_mapping_exception",
                              f"[1:2] mapping set to strict, dynamic introduction of [{unknown[0]}] within "
                              "[_doc] is not allowed", "document_parsing_exception")
        created = doc_id not in self.indices[index]["docs"]
        self.indices[index]["docs"][doc_id] = source
        return {"_index": index, "_id": doc_id, "result": "created" if created else "updated",
                "status": 201 if created else 200}

    def bulk(self, lines: list[dict]) -> dict:
        fault = self.faults.get("bulk")
        if fault and self._bulk_ok >= fault[1]:
            status = fault[0]
            if status == 401:
                raise EsError(401, "security_exception", "unable to authenticate user [parallax] for REST "
                              "request [/_bulk]")
            if status == 403:
                raise EsError(403, "security_exception", "action [indices:data/write/bulk[s]] is unauthorized "
                              "for user [parallax] with effective roles [reader]")
            raise EsError(status, "status_exception" if status < 500 else "internal_server_error",
                          f"injected status {status}")
        self._bulk_ok += 1
        items, errors = [], False
        pairs = iter(lines)
        for action in pairs:
            (op, meta), = action.items()
            if op == "delete":
                docs = self.indices.get(meta["_index"], {"docs": {}})["docs"]
                found = docs.pop(meta["_id"], None) is not None
                items.append({"delete": {"_index": meta["_index"], "_id": meta["_id"],
                                         "result": "deleted" if found else "not_found",
                                         "status": 200 if found else 404}})
                continue
            source = next(pairs)
            try:
                items.append({op: self.index_doc(meta["_index"], meta["_id"], source)})
            except EsError as exc:
                errors = True
                items.append({op: {"_index": meta["_index"], "_id": meta["_id"], "status": exc.status,
                                   "error": {"type": exc.root, "reason": exc.reason}}})
        return {"took": 1, "errors": errors, "items": items}

    # -- searching ------------------------------------------------------------------------------

    def open_pit(self, target: str) -> dict:
        pit = base64.b64encode(f"pit-{next(self._ids)}".encode()).decode()
        self.pits[pit] = copy.deepcopy(self.docs_of(target))
        return {"id": pit}

    def search(self, target: str | None, body: dict) -> dict:
        if "pit" in body:
            pit = body["pit"]["id"]
            if pit not in self.pits:
                raise EsError(404, "search_context_missing_exception", f"No search context found for id [{pit}]")
            docs, indices = self.pits[pit], sorted({d["_index"] for d in self.pits[pit]})
        else:
            indices = self.resolve(target)
            docs = self.docs_of(target)
        start, size = body.get("from", 0), body.get("size", 10)
        if start + size > MAX_RESULT_WINDOW:
            raise EsError(400, "search_phase_execution_exception",
                          f"Result window is too large, from + size must be less than or equal to: "
                          f"[{MAX_RESULT_WINDOW}] but was [{start + size}]. See the scroll api for a more "
                          "efficient way to request large data sets. This limit can be set by changing the "
                          "[index.max_result_window] index level setting.", "illegal_argument_exception")
        matched = [d for d in docs if _matches(body.get("query", {"match_all": {}}), d["_source"])]
        sort = body.get("sort", [{"_score": "desc"}])
        matched.sort(key=lambda d: _sort_key(sort, d))
        if "search_after" in body:
            after = _after_key(sort, body["search_after"])
            matched = [d for d in matched if _sort_key(sort, d) > after]
        total = len(matched)
        page = matched
        if "collapse" in body:
            seen, page = set(), []
            for d in matched:
                value = d["_source"].get(body["collapse"]["field"])
                if value not in seen:
                    seen.add(value)
                    page.append(d)
        hits = [self._hit(d, body, sort, indices) for d in page[start:start + size]]
        inner = body.get("collapse", {}).get("inner_hits")
        if inner:  # the members of each shown hit's group, at most `size` of them (default 3)
            field = body["collapse"]["field"]
            for hit, d in zip(hits, page[start:start + size]):
                members = [m for m in matched if m["_source"].get(field) == d["_source"].get(field)]
                members.sort(key=lambda m: _sort_key(inner.get("sort", []), m))
                shown = [self._hit(m, {"_source": inner.get("_source", True)}, [], indices)
                         for m in members[:inner.get("size", 3)]]
                hit["inner_hits"] = {inner["name"]: {"hits": {"total": {"value": len(members), "relation": "eq"},
                                                              "hits": shown}}}
        out = {"took": 1, "timed_out": False, "hits": {"total": {"value": total, "relation": "eq"},
                                                       "max_score": 1.0, "hits": hits}}
        if "aggs" in body:
            out["aggregations"] = {name: self._agg(spec, matched, body) for name, spec in body["aggs"].items()}
        if "pit" in body:
            out["pit_id"] = body["pit"]["id"]
        return out

    def _hit(self, doc: dict, body: dict, sort: list, indices: list[str]) -> dict:
        hit = {"_index": doc["_index"], "_id": doc["_id"], "_score": 1.0, "sort": _sort_values(sort, doc)}
        wanted = body.get("_source", True)
        if wanted is not False:
            src = doc["_source"]
            hit["_source"] = {k: v for k, v in src.items() if wanted is True or k in wanted}
        if "highlight" in body:
            hit["highlight"] = self._highlight(doc, body)
        if body.get("docvalue_fields"):  # doc values come back as lists, under "fields"
            hit["fields"] = {f: [doc["_source"][f]] for f in body["docvalue_fields"] if doc["_source"].get(f) is not None}
        return hit

    def _highlight(self, doc: dict, body: dict) -> dict:
        spec = body["highlight"]
        limit = self.highlight_limit(doc["_index"])
        words = _query_words(spec.get("highlight_query") or body.get("query", {}))
        out = {}
        for field in spec.get("fields", {}):
            text = doc["_source"].get(field.split(".")[0])
            if not isinstance(text, str):
                continue
            if len(text) > limit and "max_analyzed_offset" not in spec:
                raise EsError(400, "search_phase_execution_exception",
                              f"The length [{len(text)}] of field [{field}] in doc[0]/index[{doc['_index']}] "
                              f"exceeds the [index.highlight.max_analyzed_offset] limit [{limit}]. To avoid this "
                              "error, set the query parameter [max_analyzed_offset] to a value less than index "
                              f"setting [{limit}] and this will tolerate long field values by truncating them.",
                              "illegal_argument_exception")
            analysed = text[:min(limit, spec.get("max_analyzed_offset", limit))]
            found = [w for w in words if w.lower() in analysed.lower()]
            if found:
                out[field] = [f"<em>{w}</em>" for w in found]
        return out

    def _agg(self, spec: dict, docs: list[dict], body: dict):
        if "cardinality" in spec:
            return {"value": len({_value(d["_source"], spec["cardinality"]["field"]) for d in docs} - {None})}
        if "terms" in spec:
            field, size = spec["terms"]["field"], spec["terms"].get("size", 10)
            counts = _counts(docs, field)
            ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
            buckets = []
            for key, count in ranked[:size]:
                bucket = {"key": key, "doc_count": count}
                members = [d for d in docs if key in _values(d["_source"], field)]
                for name, sub in spec.get("aggs", {}).items():
                    bucket[name] = self._agg(sub, members, body)
                buckets.append(bucket)
            return {"doc_count_error_upper_bound": 0,
                    "sum_other_doc_count": sum(c for _, c in ranked[size:]), "buckets": buckets}
        if "composite" in spec:
            comp = spec["composite"]
            (name, source), = comp["sources"][0].items()
            counts = _counts(docs, source["terms"]["field"])
            keys = sorted(counts)
            if "after" in comp:
                keys = [k for k in keys if k > comp["after"][name]]
            page = keys[:comp.get("size", 10)]
            out = {"buckets": [{"key": {name: k}, "doc_count": counts[k]} for k in page]}
            if page:
                out["after_key"] = {name: page[-1]}
            return out
        if "filter" in spec:
            members = [d for d in docs if _matches(spec["filter"], d["_source"])]
            out = {"doc_count": len(members)}
            for name, sub in spec.get("aggs", {}).items():
                out[name] = self._agg(sub, members, body)
            return out
        if "date_histogram" in spec:
            hist = spec["date_histogram"]
            if hist.get("calendar_interval") not in ("week", "1w"):
                raise EsError(400, "parsing_exception", "this fault server only does calendar weeks")
            weeks: dict[str, int] = {}
            for d in docs:
                value = _value(d["_source"], hist["field"])
                if value:
                    day = datetime.date.fromisoformat(value[:10])
                    monday = (day - datetime.timedelta(days=day.weekday())).isoformat()
                    weeks[monday] = weeks.get(monday, 0) + 1
            return {"buckets": [{"key_as_string": k, "doc_count": n} for k, n in sorted(weeks.items())
                                if n >= hist.get("min_doc_count", 0)]}
        if "top_hits" in spec:
            top = spec["top_hits"]
            ordered = sorted(docs, key=lambda d: _sort_key(top.get("sort", []), d))
            sub_body = {"_source": top.get("_source", True), "query": body.get("query", {})}
            if "highlight" in top:
                sub_body["highlight"] = top["highlight"]
            hits = [self._hit(d, sub_body, top.get("sort", []), []) for d in ordered[:top.get("size", 3)]]
            return {"hits": {"total": {"value": len(docs), "relation": "eq"}, "hits": hits}}
        raise EsError(400, "parsing_exception", f"this fault server does not implement aggregation {spec}")


# -- query evaluation ---------------------------------------------------------------------------------


def _overlap(a: list[str], b: list[str]) -> bool:
    """Whether two lists of `prefix*` patterns can match one name (all the backend uses)."""
    for x in a:
        for y in b:
            px, py = x.rstrip("*"), y.rstrip("*")
            if px.startswith(py) or py.startswith(px):
                return True
    return False


def _values(source: dict, field: str) -> list:
    value = source.get(field)
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _value(source: dict, field: str):
    values = _values(source, field)
    return values[0] if values else None


def _counts(docs: list[dict], field: str) -> dict:
    counts: dict = {}
    for d in docs:
        for v in set(_values(d["_source"], field)):
            counts[v] = counts.get(v, 0) + 1
    return counts


def _matches(query: dict, source: dict) -> bool:
    (kind, spec), = query.items()
    if kind == "match_all":
        return True
    if kind == "bool":
        ok = all(_matches(c, source) for c in spec.get("must", []) + spec.get("filter", []))
        ok = ok and not any(_matches(c, source) for c in spec.get("must_not", []))
        if spec.get("should"):
            ok = ok and sum(_matches(c, source) for c in spec["should"]) >= spec.get("minimum_should_match", 1)
        return ok
    if kind == "term":
        (field, value), = spec.items()
        return value in _values(source, field)
    if kind == "terms":
        (field, values), = spec.items()
        return bool(set(values) & set(_values(source, field)))
    if kind == "range":
        (field, bounds), = spec.items()
        value = _value(source, field)
        if value is None:
            return False
        for op, bound in bounds.items():
            if isinstance(bound, str) and "||" in bound:
                raise EsError(400, "parsing_exception", "this fault server does not do date math")
            if not {"gt": value > bound, "gte": value >= bound, "lt": value < bound, "lte": value <= bound}[op]:
                return False
        return True
    if kind == "multi_match":
        words = spec["query"].lower().split()
        texts = [str(source.get(f.split("^")[0].split(".")[0], "")).lower() for f in spec["fields"]]
        return any(all(w in t for w in words) for t in texts)
    raise EsError(400, "parsing_exception", f"this fault server does not implement query [{kind}]")


def _query_words(query: dict) -> list[str]:
    return re.findall(r"'query': '([^']*)'", repr(query))[0].split() if "'multi_match'" in repr(query) else []


def _sort_spec(clause) -> tuple[str, str, str]:
    if isinstance(clause, str):
        return clause, "asc", "_last"
    (field, how), = clause.items()
    if isinstance(how, str):
        return field, how, "_last"
    return field, how.get("order", "asc"), how.get("missing", "_last")


class _Desc:
    """Reverses the order of a value inside a sort key."""

    def __init__(self, value):
        self.value = value

    def __lt__(self, other):
        return self.value > other.value

    def __gt__(self, other):
        return self.value < other.value

    def __eq__(self, other):
        return self.value == other.value


def _sort_values(sort: list, doc: dict) -> list:
    out = []
    for clause in sort:
        field, _, _ = _sort_spec(clause)
        out.append(1.0 if field == "_score" else _value(doc["_source"], field))
    return out


def _key_part(value, order: str, missing: str):
    absent = value is None
    part = (absent if missing == "_last" else not absent, value if not absent else "")
    if order == "desc":
        return (part[0], _Desc(part[1]))
    return part


def _sort_key(sort: list, doc: dict) -> tuple:
    return _after_key(sort, _sort_values(sort, doc))


def _after_key(sort: list, values: list) -> tuple:
    return tuple(_key_part(v, *_sort_spec(c)[1:]) for c, v in zip(sort, values))


# -- HTTP ---------------------------------------------------------------------------------------------


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    cluster: Cluster

    def log_message(self, *args):  # the test output is for assertions, not access logs
        return

    def _send(self, status: int, body=None, headers: dict | None = None):
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("X-Elastic-Product", "Elasticsearch")
        self.send_header("Content-Type", "application/vnd.elasticsearch+json;compatible-with=9")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _read(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _handle(self, method: str):
        raw = self._read()
        url = urlsplit(self.path)
        parts = [p for p in url.path.split("/") if p]
        params = {k: v[-1] for k, v in parse_qs(url.query).items()}
        c = self.cluster
        with c.lock:
            c.requests.append((method, url.path))
            try:
                if c.api_key is not None and self.headers.get("Authorization") != f"ApiKey {c.api_key}":
                    raise EsError(401, "security_exception", "unable to authenticate with provided credentials "
                                  f"and anonymous access is not allowed for this request [{url.path}]")
                result = self._route(method, parts, params, raw)
                self._send(200, result)
            except EsError as exc:
                if exc.status == 413:
                    self._send(413)
                elif exc.status == 404 and exc.kind == "alias_missing":
                    self._send(404, {"error": exc.reason, "status": 404})
                else:
                    headers = {"WWW-Authenticate": 'ApiKey, Basic realm="security"'} if exc.status == 401 else None
                    self._send(exc.status, exc.body(), headers)

    def _route(self, method: str, parts: list[str], params: dict, raw: bytes):
        c = self.cluster
        body = json.loads(raw) if raw and not (parts and parts[-1] == "_bulk") else {}
        if not parts:
            return {"name": "fault-server", "cluster_name": "fault-injection", "tagline": "You Know, for Search",
                    "version": {"number": VERSION, "build_flavor": "default", "lucene_version": "10.3.0"}}
        if parts[0] == "_index_template":
            if method == "PUT":
                return c.put_template(parts[1], body)
            if parts[1] not in c.templates:
                raise EsError(404, "resource_not_found_exception", f"index template matching [{parts[1]}] not found")
            return {"index_templates": [{"name": parts[1], "index_template": c.templates[parts[1]]}]}
        if parts[0] == "_alias":
            if parts[1] not in c.aliases:
                raise EsError(404, "alias_missing", f"alias [{parts[1]}] missing")
            return {name: {"aliases": {parts[1]: {}}} for name in sorted(c.aliases[parts[1]])}
        if parts[0] == "_aliases":
            return c.update_aliases(body["actions"])
        if parts[0] == "_bulk":
            return c.bulk([json.loads(line) for line in raw.splitlines() if line.strip()])
        if parts[0] == "_pit" and method == "DELETE":
            return {"succeeded": c.pits.pop(body.get("id"), None) is not None, "num_freed": 1}
        if parts[0] == "_search":
            return c.search(None, body)
        if len(parts) == 1:
            if method == "PUT":
                return c.create_index(parts[0])
            if method == "DELETE":
                return c.delete_index(parts[0])
        if parts[1] == "_refresh":
            c.resolve(parts[0])
            return {"_shards": {"total": 1, "successful": 1, "failed": 0}}
        if parts[1] == "_search":
            return c.search(parts[0], body)
        if parts[1] == "_pit":
            return c.open_pit(parts[0])
        if parts[1] == "_count":
            return {"count": len([d for d in c.docs_of(parts[0])
                                  if _matches(body.get("query", {"match_all": {}}), d["_source"])])}
        if parts[1] == "_mapping":
            return {name: {"mappings": c.indices[name]["mappings"]} for name in c.resolve(parts[0])}
        if parts[1] == "_doc" and method in ("PUT", "POST"):
            result = c.index_doc(parts[0], parts[2], body)
            return {k: v for k, v in result.items() if k != "status"}
        if parts[1] == "_doc" and method == "GET":
            for name in c.resolve(parts[0]):
                if parts[2] in c.indices[name]["docs"]:
                    return {"_index": name, "_id": parts[2], "found": True,
                            "_source": c.indices[name]["docs"][parts[2]]}
            raise EsError(404, "not_found", f"document [{parts[2]}] missing")
        raise EsError(400, "illegal_argument_exception", f"this fault server does not answer {method} /{'/'.join(parts)}")

    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")

    def do_PUT(self):
        self._handle("PUT")

    def do_DELETE(self):
        self._handle("DELETE")

    def do_HEAD(self):
        self._handle("HEAD")


class FaultServer(LoopbackServer):
    """`with FaultServer() as es:` serves a fresh cluster on 127.0.0.1 (port 0) at `es.url`."""

    def __init__(self):
        self.cluster = Cluster()
        super().__init__(type("BoundHandler", (Handler,), {"cluster": self.cluster}))
        self.url = self.origin
