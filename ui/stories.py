"""Stories: a statement and its near-duplicate copies (one cluster), as the story page and the
result cards show them — who published first, in which languages, and how the copies differ."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Copy:
    id: str
    title: str
    body: str
    source_id: str
    source_name: str
    lang: str
    published_at: str | None
    first: bool  # the earliest published copy: the original statement


def story(store, doc_id: str) -> list[Copy]:
    """Every copy in `doc_id`'s cluster, earliest published first (the first is marked); just the
    document itself when it has no near-duplicates; empty when it is not in the store."""
    members = store.cluster_members([doc_id]).get(doc_id) or [{"id": doc_id}]
    docs = store.get_many([m["id"] for m in members])
    sources = store.sources()
    out = []
    for i, member in enumerate(m for m in members if m["id"] in docs):
        doc = docs[member["id"]]
        out.append(Copy(doc.id, doc.title, doc.body, doc.source_id,
                        sources.get(doc.source_id, {}).get("name_en", doc.source_id),
                        doc.lang or doc.declared_lang or "?", doc.published_at, first=i == 0))
    return out


def copy_languages(store, hits) -> dict[str, tuple[int, tuple[str, ...]]]:
    """For each folded hit: (number of other copies, their languages, most frequent first)."""
    folded = [h.id for h in hits if h.cluster_size > 1]
    if not folded:
        return {}
    members = store.cluster_members(folded)
    everyone = sorted({m["id"] for ms in members.values() for m in ms})
    docs = store.get_many(everyone)
    out = {}
    for hit_id, ms in members.items():
        langs: dict[str, int] = {}
        for m in ms:
            if m["id"] != hit_id and m["id"] in docs:
                lang = docs[m["id"]].lang or docs[m["id"]].declared_lang or "?"
                langs[lang] = langs.get(lang, 0) + 1
        order = tuple(sorted(langs, key=lambda k: (-langs[k], k)))
        out[hit_id] = (sum(langs.values()), order)
    return out
