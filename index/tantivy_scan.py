"""Every match of a query from a tantivy searcher, as store sequence numbers: for alerts and export.

A result page wants ten documents; alerts and exports want all of them, in order, and then read
the documents from the store. Both are built on the `seq` fast field (the store's
`documents.seq` as the index holds it), read for a whole page of hits in one call, so no stored
document is decompressed and no id string is built for a match on the index side:

- `matches` (alerts): one `search` over the new documents only — the query AND a range on `seq`
  above the alert's last run, which tantivy answers from the fast field — every hit collected in
  one call (sized by the number of new documents), so the cost is one pass over the new
  documents' matches, whatever the size of the index.
- `pages` (export): fixed-size pages from one searcher (a snapshot: commits meanwhile change
  nothing here), so Python holds one page of hits however many documents match.

A document re-stored since it was indexed is still held under its old `seq` (absent from the
store now); its id is read from the index's doc store, only for those.
"""

from __future__ import annotations

from operator import itemgetter
from typing import Iterator

from index.search import Matches, SearchRequest, highlight_words
from index.tantivy_compile import compile_request

PAGE = 10_000
# Up to this many possible matches, collect them in one call (the collector reserves room for
# twice as many hits); beyond it, count them first and reserve exactly that.
ONE_CALL = 100_000


def _options(expanded, request: SearchRequest) -> dict:
    from index.tantivy_page import order_options

    return order_options(expanded, request)


_address = itemgetter(1)  # of a hit, (order key, DocAddress)


def _stored_id(searcher, address) -> str:
    return searcher.doc(address)["id"][0]


def matches(searcher, schema, expanded, request: SearchRequest, at_most: int | None = None,
            marks=None) -> Matches:
    """Every document matching the request (with `since_seq`: only those stored after it), in the
    request's order. `at_most` bounds the number of matches (the documents after `since_seq`):
    up to `ONE_CALL` the hits are collected in one call, otherwise counted first."""
    query = compile_request(expanded, schema, request.since_seq, marks=marks)
    words = tuple(highlight_words(expanded))
    options = _options(expanded, request)
    limit = at_most if at_most is not None and 0 < at_most <= ONE_CALL else None
    hits = searcher.search(query, limit, count=False, **options).hits if limit else None
    if hits is None or len(hits) >= limit:  # unbounded, or the bound was reached: count, then collect
        limit = searcher.search(query, 1, count=True).count
        hits = searcher.search(query, limit, count=False, **options).hits if limit else []
    addresses = list(map(_address, hits))
    seqs = searcher.fast_field_values("seq", addresses) if addresses else []
    return Matches(seqs, lambda i: _stored_id(searcher, addresses[i]), words)


def pages(searcher, schema, expanded, request: SearchRequest, size: int = PAGE,
          marks=None) -> Iterator[Matches]:
    """Every match in the request's order, `size` at a time (the last page may be shorter)."""
    query = compile_request(expanded, schema, request.since_seq, marks=marks)
    options = _options(expanded, request)
    offset = 0
    while True:
        hits = searcher.search(query, size, count=False, offset=offset, **options).hits
        if not hits:
            return
        addresses = list(map(_address, hits))
        yield Matches(searcher.fast_field_values("seq", addresses),
                      lambda i, addresses=addresses: _stored_id(searcher, addresses[i]))
        if len(hits) < size:
            return
        offset += size
