"""What the document page shows, computed from the store: aligned paragraphs, near-duplicates,
and the facts about processing."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import zip_longest


@dataclass(frozen=True)
class Related:
    id: str
    title: str
    source_name: str
    lang: str | None
    published_at: str | None


def translated_paragraphs(doc) -> list[str | None]:
    """The translation's paragraphs by position: the n-th belongs to the n-th original paragraph.

    The translation stage joins one translation per original paragraph with blank lines, so a
    paragraph the model rendered as nothing is an empty slot, kept as None; dropping it would move
    every later translation beside the wrong original.
    """
    parts = [p.strip() or None for p in (doc.body_tr or "").split("\n\n")]
    while parts and parts[-1] is None:
        parts.pop()
    return parts


def aligned_paragraphs(doc) -> list[tuple[str | None, str | None]]:
    """(original, translation) pairs, paragraph by paragraph.

    Translation keeps paragraph breaks, so the n-th translated paragraph belongs beside the n-th
    original; a missing one on either side is None rather than shifting the rest.
    """
    return list(zip_longest(doc.paragraphs, translated_paragraphs(doc)))


def translation_coverage(doc) -> str | None:
    """A note when the translation stops before the original does (the `lead` scope translates
    the title and the first paragraphs only), so a blank right column is not read as missing text."""
    if not doc.body_tr and not doc.title_tr:
        return None
    translated, original = len(translated_paragraphs(doc)), len(doc.paragraphs)
    if translated >= original:
        return None
    if translated == 0:
        return (f"Only the title is translated, not the {original} paragraph{'s' if original != 1 else ''} "
                "(setting nlp.translate_scope).")
    return (f"The translation covers the first {translated} of {original} paragraphs "
            "(settings nlp.translate_scope and nlp.lead_paragraphs).")


def near_duplicates(store, doc) -> list[Related]:
    """Other documents in the same near-duplicate cluster, oldest first."""
    if not doc.cluster_id:
        return []
    sources = store.sources()
    others = [d for d in store.iter_documents("a.cluster_id = ? AND d.id != ?", (doc.cluster_id, doc.id))]
    others.sort(key=lambda d: (d.published_at or "9999", d.id))
    return [Related(d.id, d.title, sources.get(d.source_id, {}).get("name_en", d.source_id),
                    d.lang or d.declared_lang, d.published_at) for d in others]


def shown_version(doc) -> str:
    """The processing version as stages that ran: the translation stage only when it translated.

    The stored version lists every stage (it decides what must re-run); a reader would take
    `translate=1` to mean the document was translated, so it is left out when it was not.
    """
    if not doc.analysis_version:
        return "not processed yet"
    parts = doc.analysis_version.split(";")
    if not doc.translation_model:
        parts = [p for p in parts if not p.startswith("translate=")]
    return ";".join(parts)


def translation_row(doc, details: dict) -> str:
    if not doc.translation_model:
        return str(details.get("translation") or "")
    extra = [details.get("translation_engine"), details.get("translation_scope") and
             f"scope {details['translation_scope']}"]
    return " · ".join([doc.translation_model, *[e for e in extra if e]])


def metadata_rows(doc, source: dict | None, details: dict | None = None) -> list[tuple[str, str]]:
    """Label/value pairs for the metadata panel (values are shown as text, never as markup)."""
    details = details or {}
    rows = [
        ("Source", (source or {}).get("name_en", doc.source_id)),
        ("Language", doc.lang or doc.declared_lang or "not identified yet"),
        ("Country", doc.country or ""),
        ("Type", doc.kind or ""),
        ("Author", doc.author or ""),
        ("Published", doc.published_at or "no date on the page"),
        ("Fetched", doc.fetched_at),
        ("First seen", doc.first_seen_at),
        ("Processing version", shown_version(doc)),
        ("Translation", translation_row(doc, details)),
        ("Document id", doc.id),
    ]
    return [(k, v) for k, v in rows if v]
