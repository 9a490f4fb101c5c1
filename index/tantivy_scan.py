"""Every match of a query from a tantivy searcher, as store sequence numbers: for alerts and export.

A result page wants ten documents; alerts and exports want all of them, in order, and then read
the documents from the store. Both are built on the `seq` fast field (the store's
`documents.seq` as the index holds it), read for a whole page of hits in one call, so no stored
document is decompressed and no id string is built for a match on the index side:

- `matches` (alerts): one `search` over the new documents only — the query AND a range on `seq`
  above the alert's last run, which tantivy answers from the fast field — collected in one call
  of exactly the number of matches, so the cost is one pass over the new documents' postings,
  whatever the size of the index.
- `pages` (export): fixed-size pages from one searcher (a snapshot: commits meanwhile change
  nothing here), so Python holds one page of hits however many documents match.

A document re-stored since it was indexed is still held under its old `seq` (absent from the
store now); its id is read from the index's doc store, only for those.
"""

from __future__ import annotations

from typing import Iterator

from index.search import Matches, SearchRequest
from index.tantivy_compile import compile_request

PAGE = 10_000


def _options(expanded, request: SearchRequest) -> dict:
    from index.tantivy_page import order_options

    return order_options(expanded, request)


def _stored_id(searcher, address) -> str:
    return searcher.doc(address)["id"][0]


def matches(searcher, schema, expanded, request: SearchRequest) -> Matches:
    """Every document matching the request (with `since_seq`: only those stored after it), in the
    request's order, from two calls: the count, then exactly that many hits."""
    query = compile_request(expanded, schema, request.since_seq)
    total = searcher.search(query, 1, count=True).count
    if not total:
        return Matches([], lambda i: "")
    addresses = [a for _, a in searcher.search(query, total, count=False, **_options(expanded, request)).hits]
    seqs = searcher.fast_field_values("seq", addresses)
    return Matches(seqs, lambda i: _stored_id(searcher, addresses[i]))


def pages(searcher, schema, expanded, request: SearchRequest, size: int = PAGE) -> Iterator[Matches]:
    """Every match in the request's order, `size` at a time (the last page may be shorter)."""
    query = compile_request(expanded, schema, request.since_seq)
    options = _options(expanded, request)
    offset = 0
    while True:
        hits = searcher.search(query, size, count=False, offset=offset, **options).hits
        if not hits:
            return
        addresses = [a for _, a in hits]
        yield Matches(searcher.fast_field_values("seq", addresses),
                      lambda i, addresses=addresses: _stored_id(searcher, addresses[i]))
        if len(hits) < size:
            return
        offset += size
