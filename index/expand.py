"""Cross-language matching as a rewrite of the query tree, so every backend gets the same thing.

A researcher who types `export controls` wants the Chinese statements about 出口管制 too, and one
who types `entity:csia` wants both the English and the Chinese releases of that association. The
parser's tree is rewritten here, before any backend compiles it:

- A term, or a run of adjacent terms (`export controls` typed without quotes), that names a
  bilingual glossary entry (`nlp/data/glossary.tsv`: en, zh, variants) becomes
  `(export AND controls) OR "出口管制"`: the other language's forms are added as phrases.
- A term or run that names an entity (`nlp/data/entities.toml`: canonical English and Chinese names
  and aliases) also matches every other name of that entity: `CSIA` finds 中国半导体行业协会.
- `entity:X` always (expansion on or off) matches documents the entity stage tagged with X *and*
  documents that mention one of X's names. Why both: the tags come from a later language stage that
  may not have run (or may miss a mention), while the names are known now; the union means an entity
  filter never silently returns less than a plain search for its name. X may be the canonical id or
  any of its names (`entity:中芯国际`).
- `collection:NAME` becomes `source:a OR source:b …` over the collection's members (always, like
  `entity:`). Membership is source configuration, not a document field: no index holds it, so a
  source joining a collection needs no re-index. An unknown name is a `QueryError` listing the
  known collections.
- A one-word Latin query that is the Latin part of a domain word glued to Chinese (`AI` and
  AI芯片, `SK` and SK海力士) also matches those words, always: the segmenter keeps them whole, so
  the index has them only as one token (`nlp.segment.glued_words`).
- With expansion on, text is also matched in the documents' translations (title_tr, body_tr);
  with it off, only in the original columns. That choice travels beside the tree (`Expanded.translated`)
  because it is about where to look, not what to look for.

Everything added is a `Phrase` built from the same segmenter as the index, so highlighting (which
collects the tree's positive terms) lights up the expansions as well, and `Expanded.expansions`
says in words what was added, e.g. "export controls → 出口管制 (glossary)".
"""

from __future__ import annotations

from dataclasses import dataclass, field

from index import query as q
from nlp import glossary
from nlp.files import cached_per_file_state
from nlp.normalize import has_cjk
from parallax.errors import QueryError

MAX_RUN = 8  # longest run of query words looked up as one glossary or entity name
MAX_FORMS = 8  # counterparts added for one run, so one common word cannot blow up a query
# Score weight of what cross-language matching adds (the best of a run's counterparts, and matches
# in machine translations): a document matching the words as typed ranks above one found only
# through an expansion, even one with the counterpart in its title (weighted 5), while strong
# matches in the other language still reach the first page.
EXPANSION_BOOST = 0.3


@dataclass(frozen=True)
class Counterpart(q.Phrase):
    """A phrase the rewrite added (not typed). Still a `Phrase` to every reader of the tree
    (highlighting, ranking rules); compilers score the best of an OR's counterparts (not their
    sum: "export control" and "export controls" match the same words) at `EXPANSION_BOOST`."""


@dataclass(frozen=True)
class Group:
    """One concept with its names: a glossary row or an entity."""

    origin: str  # "glossary" or "entity <id>"
    names: tuple[str, ...]  # as written, canonical names first
    cross_language_only: bool  # glossary: add only the other language's forms


@dataclass(frozen=True)
class EntityNames:
    id: str
    names: tuple[str, ...]


@dataclass
class Lexicon:
    """Names of concepts keyed by their segmented, normalised words."""

    groups: dict[tuple[str, ...], list[Group]] = field(default_factory=dict)
    entities: dict[str, EntityNames] = field(default_factory=dict)
    entity_by_name: dict[tuple[str, ...], str] = field(default_factory=dict)
    _longer: dict = field(default_factory=dict, repr=False)  # longer_names, per (key, entity id)

    def add(self, group: Group, segment) -> None:
        for name in group.names:
            key = name_key(name, segment)
            if key and group not in self.groups.setdefault(key, []):
                self.groups[key].append(group)

    def add_entity(self, entity: EntityNames, segment) -> None:
        self.entities[entity.id] = entity
        self.add(Group(f"entity {entity.id}", entity.names, cross_language_only=False), segment)
        for name in entity.names:
            self.entity_by_name.setdefault(name_key(name, segment), entity.id)
        self._longer.clear()

    def longer_names(self, key: tuple[str, ...], entity_id: str) -> tuple[q.Phrase, ...]:
        """Phrases for other entities' names that contain the words `key` in a row. Kept per
        lexicon: it scans every name, and `entity:` filters ask for the same few again and again."""
        cached = self._longer.get((key, entity_id))
        if cached is None:
            out = []
            n = len(key)
            for other_key, other_id in self.entity_by_name.items():
                if other_id == entity_id or len(other_key) <= n:
                    continue
                if any(other_key[i:i + n] == key for i in range(len(other_key) - n + 1)):
                    out.append(q.Phrase(("" if has_cjk("".join(other_key)) else " ").join(other_key), other_key))
            cached = self._longer[(key, entity_id)] = tuple(out[:MAX_FORMS])
        return cached

    def resolve_entity(self, value: str, segment) -> EntityNames | None:
        """The entity a filter value names: its canonical id, or any of its names."""
        if value.lower() in self.entities:
            return self.entities[value.lower()]
        entity_id = self.entity_by_name.get(name_key(value, segment))
        return self.entities.get(entity_id) if entity_id else None


def name_key(name: str, segment) -> tuple[str, ...]:
    return tuple(w.lower() for w in segment(name))


def read_entities(text: str, origin: str) -> list[EntityNames]:
    """The names of every entity in an entity list, parsed by the one gazetteer reader."""
    from nlp import gazetteer

    return [EntityNames(e.id.lower(), e.names) for e in gazetteer.parse(text, origin)]


def _entities(entities_path: str) -> list[EntityNames]:
    """The bundled entity list plus the user's (`nlp.entities_file`), as the entity stage sees it."""
    from nlp import gazetteer

    return [EntityNames(e.id.lower(), e.names) for e in gazetteer.load(entities_path).entities.values()]


@cached_per_file_state(maxsize=4)
def load_lexicon(glossary_path: str = "", entities_path: str = "") -> Lexicon:
    """The bundled glossary and entity list (or the given files), keyed for lookup; built once
    per state of the files (an edit is seen at the next search, also by a running app)."""
    from nlp.segment import query_words

    lexicon = Lexicon()
    for en, zh, variants in glossary.load(glossary_path):
        lexicon.add(Group("glossary", (en, zh, *variants), cross_language_only=True), query_words)
    for entity in _entities(entities_path):
        lexicon.add_entity(entity, query_words)
    return lexicon


class Expansion(str):
    """One "also matched" line ("export controls → 出口管制, 出口控制 (glossary)") that also
    carries, as data, the names it added: whoever needs them (the CLI's per-hit expansions) reads
    `names` instead of parsing the words back out of the line. It is a str, so every reader of
    the line (table, app, JSON) is unchanged."""

    names: tuple[str, ...]

    def __new__(cls, text: str, names=()) -> "Expansion":
        made = super().__new__(cls, text)
        made.names = tuple(names)
        return made

    def __reduce__(self):
        return (Expansion, (str(self), self.names))


@dataclass(frozen=True)
class Expanded:
    """A query tree after the rewrite, what was added, and whether translations are searched."""

    node: q.Node
    expansions: tuple[Expansion, ...]
    translated: bool


class _Rewriter:
    def __init__(self, lexicon: Lexicon, segment, expand: bool, collections=None):
        self.collections = collections or {}
        self.lexicon = lexicon
        self.segment = segment
        self.expand = expand
        self.notes: list[str] = []

    def note(self, text: str, names: list[str]) -> None:
        if text not in self.notes:
            self.notes.append(Expansion(text, names))

    def counterparts(self, key: tuple[str, ...]) -> list[tuple[q.Phrase, str]]:
        """Phrases for the other names of every concept called `key`, with their origin."""
        out: list[tuple[q.Phrase, str]] = []
        seen = {key}
        typed_cjk = any(has_cjk(w) for w in key)
        for group in self.lexicon.groups.get(key, []):
            for name in group.names:
                if group.cross_language_only and has_cjk(name) == typed_cjk:
                    continue
                words = tuple(self.segment(name))
                name_k = tuple(w.lower() for w in words)
                if not words or name_k in seen or len(out) >= MAX_FORMS:
                    continue
                seen.add(name_k)
                out.append((Counterpart(name, words), group.origin))
        return out

    def expand_run(self, typed: str, original: q.Node, words: tuple[str, ...],
                   also: tuple[q.Node, ...] = ()) -> q.Node:
        found = self.counterparts(tuple(w.lower() for w in words)) if self.expand else []
        if not found and not also:
            return original
        by_origin: dict[str, list[str]] = {}
        for phrase, origin in found:
            by_origin.setdefault(origin, []).append(phrase.text)
        for origin, names in by_origin.items():
            self.note(f"{typed} → {', '.join(names)} ({origin})", names)
        return q.Or((original, *also, *(phrase for phrase, _ in found)))

    def glued(self, node: q.Term | q.Phrase) -> tuple[q.Phrase, ...]:
        """The domain words that glue a one-word Latin query to Chinese (AI → AI芯片), which the
        index holds as single tokens (`nlp.segment.glued_words`): added always, expansion on or
        off, since they are the same word, not another language's."""
        from nlp.segment import glued_words

        if len(node.words) != 1 or has_cjk(node.words[0]):
            return ()
        forms = glued_words(node.words[0])
        if forms:
            self.note(f"{node.text} → {', '.join(forms)} (domain words)", list(forms))
        return tuple(q.Phrase(form, (form,)) for form in forms)

    def rewrite(self, node: q.Node) -> q.Node:
        if isinstance(node, q.Filter):
            if node.field == "collection":
                return collection_filter(node.value, self.collections)
            return self.entity_filter(node) if node.field == "entity" else node
        if isinstance(node, (q.Term, q.Phrase)):
            return self.expand_run(node.text, node, node.words, self.glued(node))
        if isinstance(node, q.Not):
            return q.Not(self.rewrite(node.child))
        if isinstance(node, q.Or):
            return q.Or(tuple(self.rewrite(c) for c in node.children))
        if isinstance(node, q.And):
            return q.And(tuple(self.rewrite_and(node.children)))
        return node

    def rewrite_and(self, children: tuple[q.Node, ...]) -> list[q.Node]:
        """Children of an AND, with the longest runs of adjacent plain terms looked up first."""
        out: list[q.Node] = []
        i = 0
        while i < len(children):
            child = children[i]
            if self.expand and isinstance(child, q.Term):
                run_end = i
                while run_end < len(children) and isinstance(children[run_end], q.Term):
                    run_end += 1
                matched = None
                for end in range(min(run_end, i + MAX_RUN), i + 1, -1):  # runs of two or more
                    run = children[i:end]
                    words = tuple(w for t in run for w in t.words)
                    key = tuple(w.lower() for w in words)
                    if key in self.lexicon.groups:
                        matched = (end, run, words)
                        break
                if matched is not None:
                    end, run, words = matched
                    typed = " ".join(t.text for t in run)
                    out.append(self.expand_run(typed, q.And(tuple(run)), words))
                    i = end
                    continue
            out.append(self.rewrite(child))
            i += 1
        return out

    def entity_filter(self, node: q.Filter) -> q.Node:
        entity = self.lexicon.resolve_entity(node.value, self.segment)
        if entity is None:
            return node
        phrases = []
        mentions: list[q.Node] = []
        seen = set()
        for name in entity.names:
            words = tuple(self.segment(name))
            key = tuple(w.lower() for w in words)
            if words and key not in seen:
                seen.add(key)
                phrase = q.Phrase(name, words)
                phrases.append(phrase)
                longer = self.lexicon.longer_names(key, entity.id)
                # Longest match wins: "Semiconductor Industry Association" (SIA) inside "China
                # Semiconductor Industry Association" is CSIA, so a text mention counts only in a
                # document without the longer name; one that names both is found by its tag.
                mentions.append(q.And((phrase, *(q.Not(p) for p in longer))) if longer else phrase)
        self.note(f"entity:{node.value} → tagged {entity.id}, or mentions "
                  f"{', '.join(p.text for p in phrases)} (entity {entity.id})", [p.text for p in phrases])
        return q.Or((q.Filter("entity", entity.id), *mentions))

def collection_filter(name: str, collections) -> q.Node:
    """`collection:NAME` as an OR of `source:` filters over its members (see the module docstring)."""
    members = tuple(collections.get(name, ()))
    if not members:
        known = ", ".join(sorted(collections)) or "none (add collections = [...] to sources)"
        raise QueryError(f"collection:{name} is not a collection", None, f"known collections: {known}")
    filters = tuple(q.Filter("source", source_id) for source_id in members)
    return filters[0] if len(filters) == 1 else q.Or(filters)


def expand(node: q.Node, enabled: bool = True, lexicon: Lexicon | None = None, segment=None,
           collections=None) -> Expanded:
    """Rewrite a parsed query for cross-language matching (see the module docstring).

    `collections` is {name: member source ids} (`Store.collections()`), for `collection:` filters."""
    if segment is None:
        from nlp.segment import query_words as segment
    rewriter = _Rewriter(lexicon if lexicon is not None else load_lexicon(), segment, enabled, collections)
    rewritten = rewriter.rewrite(node)
    return Expanded(rewritten, tuple(rewriter.notes), translated=enabled)
