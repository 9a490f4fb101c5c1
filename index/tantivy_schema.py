"""The tantivy index's fields, its text analyzers, and a stored document in indexed form.

Text (title, body, title_tr, body_tr) is indexed with positions, so phrases match words in order.
One analysis serves both languages (`nlp.phrases.analyzer`): split at anything that is not a
letter or digit, lower-case, English (Snowball) stemming — the same steps as tantivy's `en_stem`,
which is what the Elasticsearch backend's `english` analyzer does to English. The language stage
runs it on each title and body and stores the tokens (`nlp.terms`), so those two fields only split
them at spaces (`TERMS`); translations, which arrive later, are analysed by the engine
(`ANALYZER`). Chinese reaches the analysis already cut:

- The language stage stores each text in jieba's *search mode* (`analyses.title_seg/body_seg`,
  from `nlp.segment.index_text`): every word of the precise cut, each preceded by the shorter
  dictionary words inside it (中国 半导 导体 半导体 行业 协会 中国半导体行业协会), spaces between.
  The analyzer's split at spaces gives exactly those tokens, in that order, as positions.
- Why this and not the precise cut alone: a one-word query (半导体) must find the compound that
  contains it, and a phrase of words (中国 半导体) must find them inside it; both need the
  sub-words. Why not re-cut at index time with character offsets as positions: segmenting costs
  about 1 ms per Chinese document in Python, which alone would hold indexing under 2,000 docs/s;
  the stored cut costs nothing. The price is that within a compound the sub-words sit between the
  words a query is cut into, so a phrase of several Chinese words allows a few tokens between its
  words (`CJK_SLOP` per gap; tantivy's slop, as Elasticsearch's `match_phrase` slop). English
  phrases are exact.
- Traditional and Simplified meet because the stored cut is of the normalised text, and queries
  are normalised by the same code (`nlp.segment.query_words`).

Known phrases (the lexicon's names and terms of several words) are also indexed as one token per
occurrence, appended after a text's last word (`nlp.phrases`): a query for one of them reads one
term instead of every match's positions. A document whose translation could not be marked exactly
carries the field's name in `flags`, and is checked by positions in that field.

Fast (columnar) fields carry what filters, facets, sorting and collapsing read: source, lang, kind,
country, entity (multi-valued), status, month, published, seq, ckey (the near-duplicate cluster as
a number) and bucket (ckey modulo `BUCKETS`, indexed, for sampling facets of huge result sets).
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from datetime import datetime, timezone

from nlp import terms
from nlp.phrases import analyzer, clean

ANALYZER = "parallax"
TERMS = "parallax_terms"
SCHEMA_VERSION = 4  # bump when the fields change: an index of another version is rebuilt
TEXT_FIELDS = ("title", "body", "title_tr", "body_tr")
STORED_TERMS = ("title", "body")  # fed the language stage's tokens (`nlp.terms`)
BOOSTS = {"title": 5.0, "body": 1.0, "title_tr": 2.5, "body_tr": 0.6}
KEYWORD_FIELDS = ("source", "lang", "kind", "country", "entity", "status", "month")
BUCKETS = 64
CJK_SLOP = 6


def build_schema():
    from tantivy import SchemaBuilder

    builder = SchemaBuilder()
    # Ids are looked up by term (upserts, the members of a cluster) and read from the stored
    # document of a hit: no column of them (a million unique strings cost indexing time).
    builder.add_text_field("id", stored=True, tokenizer_name="raw")
    for name in TEXT_FIELDS:
        builder.add_text_field(name, tokenizer_name=TERMS if name in STORED_TERMS else ANALYZER,
                               index_option="position")
    for name in KEYWORD_FIELDS:
        builder.add_text_field(name, tokenizer_name="raw", fast=True)
    builder.add_text_field("flags", tokenizer_name="raw")
    builder.add_date_field("published", indexed=True, fast=True)
    builder.add_integer_field("seq", stored=True, indexed=True, fast=True)
    builder.add_integer_field("ckey", indexed=True, fast=True)
    builder.add_integer_field("bucket", indexed=True, fast=True)
    return builder.build()


def register(index) -> None:
    """Tokenizers are per open index, not stored in it: register ours on every open."""
    index.register_tokenizer(ANALYZER, analyzer())
    index.register_tokenizer(TERMS, _at_spaces())


@functools.lru_cache(maxsize=1)
def _at_spaces():
    """At spaces, nothing more: the tokens are the analyzer's already."""
    from tantivy import TextAnalyzerBuilder, Tokenizer

    return TextAnalyzerBuilder(Tokenizer.whitespace()).build()


def cluster_key(cluster_id: str | None, doc_id: str) -> int:
    """The near-duplicate cluster as a 63-bit number (a document outside any cluster is its own)."""
    digest = hashlib.blake2b((cluster_id or f"doc:{doc_id}").encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1


def parse_time(value: str | None) -> datetime | None:
    """A stored ISO 8601 time as an aware UTC datetime (a naive one is taken as UTC)."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


# In valid JSON an unescaped `"canonical_id"` followed by a colon is a key, never inside a string
# (a quote in a string is escaped), so this finds every mention's id and nothing else.
_CANONICAL_ID = re.compile(r'"canonical_id"\s*:\s*"([^"\\]*(?:\\.[^"\\]*)*)"')


def entity_ids(entities: str | None) -> list[str]:
    """The distinct canonical ids among a stored entities list (`analyses.entities`, JSON), sorted.

    Found in the JSON text instead of parsing it: a statement names a few dozen entities, and
    decoding them all (offsets, labels, texts) took about a quarter of indexing's Python time on
    processed stores (45 µs a document of the benchmark mix, 17 µs this way), for the one value
    the index keeps."""
    if not entities or "canonical_id" not in entities:
        return []
    found = {json.loads(f'"{v}"') if "\\" in v else v for v in _CANONICAL_ID.findall(entities)}
    return sorted(found - {""})


def to_document(row, phrases):
    """A stored, analysed document as tantivy indexes it, from a row of
    `index.holdings.INDEXED_COLUMNS` (the original text is read from the store when a hit is
    shown): the title's and body's tokens and marks as the language stage stored them for the
    `phrases` table (else worked out now), the translations followed by their marks."""
    from tantivy import Document

    from nlp.segment import index_text

    out = Document()
    doc_id, published_at = row["id"], row["published_at"]
    out.add_text("id", doc_id)
    if row["terms_table"] == terms.fingerprint(phrases):
        stored = (row["title_terms"], row["body_terms"])
    else:
        stored = (terms.indexed(row["title_seg"], phrases), terms.indexed(row["body_seg"], phrases))
    for name, text in zip(STORED_TERMS, stored):
        if text:
            out.add_text(name, text)
    for name, original in (("title_tr", row["title_tr"]), ("body_tr", row["body_tr"])):
        if original:
            text = clean(index_text(original))
            marks = phrases.marks(text)
            if marks is None:  # checked by positions in this field (`Marks.phrase`)
                out.add_text("flags", name)
            out.add_text(name, f"{text} {marks}" if marks else text)
    keywords = (("source", row["source_id"]), ("lang", row["lang"] or row["declared_lang"]),
                ("kind", row["kind"]), ("country", row["country"]), ("status", row["status"]),
                ("month", (published_at or "")[:7]))
    for name, value in keywords:
        if value:
            out.add_text(name, value)
    for entity in entity_ids(row["entities"]):
        out.add_text("entity", entity)
    published = parse_time(published_at)
    if published is not None:
        out.add_date("published", published)
    out.add_integer("seq", row["seq"])
    ckey = cluster_key(row["cluster_id"], doc_id)
    out.add_integer("ckey", ckey)
    out.add_integer("bucket", ckey % BUCKETS)
    return out
