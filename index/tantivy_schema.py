"""The tantivy index's fields, its text analyzer, and a stored document in indexed form.

Text (title, body, title_tr, body_tr) is indexed with positions, so phrases match words in order.
One analyzer serves both languages: split at anything that is not a letter or digit, lower-case,
English (Snowball) stemming — the same steps as tantivy's `en_stem`, which is what the
Elasticsearch backend's `english` analyzer does to English. Chinese reaches it already cut:

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
term instead of every match's positions. Documents whose texts could not be marked exactly carry
`flags: unmarked`, and are checked by positions.

Fast (columnar) fields carry what filters, facets, sorting and collapsing read: source, lang, kind,
country, entity (multi-valued), status, month, published, seq, ckey (the near-duplicate cluster as
a number) and bucket (ckey modulo `BUCKETS`, indexed, for sampling facets of huge result sets).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone

from nlp.phrases import analyzer, clean

ANALYZER = "parallax"
SCHEMA_VERSION = 3  # bump when the fields change: an index of another version is rebuilt
TEXT_FIELDS = ("title", "body", "title_tr", "body_tr")
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
        builder.add_text_field(name, tokenizer_name=ANALYZER, index_option="position")
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


def _marked(text: str, marks: str | None) -> str:
    return f"{clean(text)} {marks}" if marks else clean(text)


def to_document(row, phrases):
    """A stored, analysed document as tantivy indexes it, from a row of
    `index.holdings.INDEXED_COLUMNS` (the segmented text; the original is read from the store
    when a hit is shown), each text followed by its marks of the `phrases` table (stored by the
    language stage when it marked with this table, else found now)."""
    from tantivy import Document

    from nlp.segment import index_text

    out = Document()
    doc_id, published_at = row["id"], row["published_at"]
    out.add_text("id", doc_id)
    title_tr, body_tr = row["title_tr"], row["body_tr"]
    texts = (row["title_seg"], row["body_seg"], index_text(title_tr) if title_tr else "",
             index_text(body_tr) if body_tr else "")
    if row["marks_table"] == phrases.fingerprint:
        marks = [row["title_marks"], row["body_marks"]]
    else:
        marks = [phrases.marks(texts[0]), phrases.marks(texts[1])]
    marks += [phrases.marks(texts[2]), phrases.marks(texts[3])]
    if any(found is None for found in marks):  # checked by positions alone (`Marks.phrase`)
        marks = ["", "", "", ""]
        out.add_text("flags", "unmarked")
    for name, text, found in zip(TEXT_FIELDS, texts, marks):
        if text:
            out.add_text(name, _marked(text, found))
    keywords = (("source", row["source_id"]), ("lang", row["lang"] or row["declared_lang"]),
                ("kind", row["kind"]), ("country", row["country"]), ("status", row["status"]),
                ("month", (published_at or "")[:7]))
    for name, value in keywords:
        if value:
            out.add_text(name, value)
    entities = row["entities"]
    if entities and entities != "[]":
        for entity in sorted({e["canonical_id"] for e in json.loads(entities) if e.get("canonical_id")}):
            out.add_text("entity", entity)
    published = parse_time(published_at)
    if published is not None:
        out.add_date("published", published)
    out.add_integer("seq", row["seq"])
    ckey = cluster_key(row["cluster_id"], doc_id)
    out.add_integer("ckey", ckey)
    out.add_integer("bucket", ckey % BUCKETS)
    return out
