"""The document page: original and translation side by side, paragraph by paragraph, the search's
words and the entities highlighted, entities clickable, link to the source, near-duplicates, metadata.

The URL carries the document (`id`) and the search it was opened from, so the highlights, "Back to
results" and a pasted link all know that search."""

from __future__ import annotations

import streamlit as st

from index.search import highlight_words, prepare
from parallax.errors import ParallaxError
from ui import state
from ui.markup import escape_markdown, paragraph_markdown, safe_link, title_markdown
from ui.navigation import page
from ui.reading import aligned_paragraphs, metadata_rows, near_duplicates, translation_coverage
from ui.resources import handles
from ui.i18n import t
from ui.views.versions import render_versions

NOT_TRANSLATED = "Not translated yet: the translation stage has not produced a translation of this document."
NO_TRANSLATION_COLUMN = "No translation of this document (the note above says why and what to run)."


def translation_state(settings, doc) -> tuple[bool, str | None]:
    """(a model for this document's language is on this machine, why not when it is not)."""
    from nlp import models

    if doc.lang not in ("zh", "en"):
        return False, (f"Not translated: only Chinese and English documents are translated "
                       f"(this one is {doc.lang or 'not identified yet'}).")
    state = next(s for s in models.status(settings) if s.spec.source_lang == doc.lang)
    if state.available:
        return True, None
    if not state.spec.name:
        return False, f"Not translated yet: no {state.spec.direction} model is set ({state.spec.setting})."
    return False, (f"Not translated yet: the {state.spec.direction} model {state.spec.name} is not installed. "
                   f"Install it with `{models.INSTALL_COMMAND}`, then run `parallax process --translate` "
                   "(or use the button here).")


def translate_now(h, doc) -> None:
    """Translate the whole document with a progress bar, save it, bring the index up to date."""
    from nlp.translate import translate_stored

    bar = st.progress(0.0, text="Translating…")

    def advance(done: int, total: int) -> None:
        bar.progress(done / max(total, 1), text=f"Translating: {done} of {total} sentences")

    result = translate_stored(h.store, h.settings, doc.id, scope="full", on_progress=advance)
    h.backend.sync(h.store)
    bar.empty()
    st.session_state["translated_note"] = (
        f"Translated {result.sentences} sentences ({result.from_cache} from the cache)." if result.model
        else result.note)


def translated_markdown(markdown: str) -> str:
    """Translated text in the muted colour the search page uses for translations too: on a narrow
    screen Streamlit stacks the two columns, and the colour is then what tells a translated
    paragraph (or one of several translated paragraphs under one original) from the original."""
    return f":gray[{markdown}]"


def _entity_clicked(entity_id: str) -> None:
    state.filter_by_entity(entity_id)
    st.session_state["go_search"] = True


def entity_buttons(entities) -> None:
    distinct: dict[str, dict] = {}
    for e in entities:
        if e.get("canonical_id"):
            distinct.setdefault(e["canonical_id"], e)
    if not distinct:
        return
    st.caption("Entities (click one to search for documents that mention it)")
    cols = st.columns(min(len(distinct), 6))
    for i, (entity_id, e) in enumerate(distinct.items()):
        cols[i % len(cols)].button(
            escape_markdown(e.get("text") or entity_id), key=f"entity_{entity_id}",
            on_click=_entity_clicked, args=(entity_id,), icon=":material/sell:",
            help=f"{e.get('label') or 'entity'} · filter by entity:{entity_id}")


def search_words(settings, s, collections=None) -> list[str]:
    """The words the search in the URL lights up (its expansions too); none when it cannot parse."""
    if not s.text:
        return []
    try:
        return highlight_words(prepare(s.request(facets=False), settings, collections))
    except ParallaxError:
        return []


def render() -> None:
    s = state.from_url()
    if st.session_state.pop("go_search", False):
        st.switch_page(page("search"), query_params=state.link_params(state.current()))
    doc_id = st.query_params.get("id") or st.session_state.get("doc_id")
    h = handles()
    doc = h.store.get(doc_id) if doc_id else None
    if doc is None:
        st.title("Document")
        st.info("Open a document from the search results." if not doc_id
                else f"No document with id {doc_id!r} in the store.")
        st.page_link(page("search"), label=t("back"), icon=":material/arrow_back:",
                     query_params=state.link_params(s))
        return
    st.session_state["doc_id"] = doc.id
    st.query_params["id"] = doc.id
    sources = h.store.sources()
    words = search_words(h.settings, s, h.store.collections())
    st.page_link(page("search"), label=t("back"), icon=":material/arrow_back:",
                 query_params=state.link_params(s))
    st.markdown(f"## {title_markdown(doc.title, words) or t('untitled')}")
    link = safe_link(doc.url)
    top = st.columns([3, 7], vertical_alignment="center")
    if link:
        top[0].link_button("Open the source page", link, icon=":material/open_in_new:")
    else:
        top[0].caption("The source address is not an http(s) link: " + escape_markdown(doc.url))
    top[1].caption(" · ".join(escape_markdown(x) for x in (
        sources.get(doc.source_id, {}).get("name_en", doc.source_id), (doc.lang or "?").upper(),
        (doc.published_at or "undated")[:10]) if x))
    entity_buttons(doc.entities)
    render_versions(h.store, doc)

    can_translate, why_not = translation_state(h.settings, doc)
    if note := st.session_state.pop("translated_note", None):
        st.success(note, icon=":material/translate:")
    partial = bool(doc.title_tr) and translation_coverage(doc) is not None
    if not doc.title_tr and not doc.body_tr:
        st.info(why_not or NOT_TRANSLATED, icon=":material/translate:")
    if can_translate and (partial or not doc.title_tr):
        label = "Translate the rest of this document" if partial else "Translate this document"
        if st.button(label, key="translate_document", icon=":material/translate:"):
            translate_now(h, doc)
            st.rerun()
    left, right = st.columns(2)
    left.markdown("**Original**" + (f" ({escape_markdown(doc.lang)})" if doc.lang else ""))
    right.markdown("**Translation**" + (f" ({escape_markdown(doc.translation_model)})"
                                        if doc.translation_model else ""))
    if note := translation_coverage(doc):
        right.caption(note)
    if not doc.title_tr and not doc.body_tr:  # the column points at the reason, rather than standing empty
        right.caption(NO_TRANSLATION_COLUMN)
    if doc.title_tr:
        # Headings, not **bold**: a highlight is bold already, and bold cannot nest in bold.
        left.markdown(f"###### {title_markdown(doc.title, words)}")
        right.markdown("###### " + translated_markdown(title_markdown(doc.title_tr, words)))
    for original, translated_text in aligned_paragraphs(doc):
        left, right = st.columns(2)
        if original is not None:
            left.markdown(paragraph_markdown(original, doc.entities, words))
        if translated_text is not None:
            right.markdown(translated_markdown(paragraph_markdown(translated_text, doc.entities, words)))

    with st.expander("Near-duplicates", expanded=True):
        related = near_duplicates(h.store, doc)
        if not related:
            st.caption("No other document says nearly the same thing.")
        for r in related:
            st.page_link(page("document"), label=escape_markdown(
                f"{r.title} — {r.source_name} · {(r.lang or '?').upper()} · {(r.published_at or '')[:10]}"),
                query_params=state.link_params(s, id=r.id))
    with st.expander("Metadata"):
        from nlp.analyses import Analyses

        rows = metadata_rows(doc, sources.get(doc.source_id), Analyses(h.store).details(doc.id))
        # A dataframe grid shows cell values as plain text (st.table would read them as markdown).
        st.dataframe({"field": [k for k, _ in rows], "value": [v for _, v in rows]},
                     hide_index=True, width="stretch")
