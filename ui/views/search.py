"""The search page: query, cross-language switch, filters with facet counts, sort, paged results,
and downloads of the current result set."""

from __future__ import annotations

from datetime import date

import streamlit as st

from index.search import SearchRequest
from nlp import gazetteer
from parallax.errors import ParallaxError
from ui import state
from ui.exporting import FORMATS, MIME, export_bytes
from ui.filters import Filters, collection_counts, entity_names, facet_label, facet_options
from ui.markup import escape_markdown, snippet_markdown
from ui.navigation import page
from ui.resources import app_settings, handles
from ui.views.versions import withdrawn_note

EXAMPLES = [
    ('"export controls"', "an exact phrase; also finds 出口管制 when matching the other language"),
    ("出口管制 lang:zh", "Chinese only"),
    ("working group OR 工作组", "either"),
    ("entity:csia after:2025-06-01", "an entity, after a date"),
    ("chips -tariffs source:sia", "without a word, one source"),
]

HELP = """
**Query language**

| write | finds |
| --- | --- |
| `export controls` | both words |
| `"export controls"` | the exact phrase |
| `SMIC OR 中芯国际` | either |
| `chips NOT tariffs`, `-tariffs` | without |
| `(a OR b) c` | grouping |
| `source:sia` `lang:zh` `type:government` `country:CN` `entity:csia` | filters |
| `collection:us-associations` | any source of a collection |
| `after:2025-01-01` `before:2025-12-31` | dates |

Chinese is segmented like the index, and Traditional characters also find Simplified ones.
"""

FACETS = [  # (facet, widget label, widget key)
    ("source", "Sources", "w_sources"),
    ("collection", "Collections", "w_collections"),
    ("lang", "Language", "w_langs"),
    ("type", "Type", "w_kinds"),
    ("country", "Country", "w_countries"),
    ("entity", "Entities", "w_entities"),
]
LANG_NAMES = {"en": "English", "zh": "Chinese"}


def known_entities(settings) -> dict[str, str]:
    """Display names of the entity list's ids; bare ids when the user's entity file cannot be read
    (the language stages report that file's problem; the search page still works)."""
    try:
        return entity_names(gazetteer.load(settings.nlp.entities_file))
    except ParallaxError:
        return {}


def _seed_widgets(s: state.SearchState) -> None:
    """Give widgets the remembered search when this page (re)appears."""
    seeds = {"w_text": s.text, "w_expand": s.expand, "w_sort": s.sort, "w_after": s.filters.after,
             "w_before": s.filters.before}
    for facet, _, key in FACETS:
        seeds[key] = list(s.filters.values(facet))
    for key, value in seeds.items():
        st.session_state.setdefault(key, value)


def _from_widgets() -> None:
    """Widget callback: copy the widgets back into the search state (and go to page 1)."""
    ss = st.session_state
    filters = Filters(
        sources=tuple(ss.get("w_sources", ())), langs=tuple(ss.get("w_langs", ())),
        kinds=tuple(ss.get("w_kinds", ())), countries=tuple(ss.get("w_countries", ())),
        entities=tuple(ss.get("w_entities", ())), collections=tuple(ss.get("w_collections", ())),
        after=ss.get("w_after"), before=ss.get("w_before"),
    )
    state.update(text=ss.get("w_text", ""), expand=ss.get("w_expand", True),
                 sort=ss.get("w_sort", "relevance"), filters=filters)


def _use_example(text: str) -> None:
    st.session_state["w_text"] = text
    _from_widgets()


def _clear_filters() -> None:
    for _, _, key in FACETS:
        st.session_state[key] = []
    st.session_state["w_after"] = None
    st.session_state["w_before"] = None
    _from_widgets()


def _go_to_page(number: int) -> None:
    state.update(page=number)


def _entity_chip_clicked(key: str) -> None:
    chosen = st.session_state.get(key)
    if chosen:
        state.filter_by_entity(chosen)
        st.session_state[key] = None


def query_box() -> None:
    left, right = st.columns([12, 1], vertical_alignment="bottom")
    left.text_input("Search", key="w_text", on_change=_from_widgets,
                    placeholder='export controls, 出口管制, "working group" lang:zh')
    with right.popover("Help", icon=":material/help:"):
        st.markdown(HELP)
        st.markdown("**Examples** (click to run)")
        for text, why in EXAMPLES:
            st.button(text, key=f"example_{text}", on_click=_use_example, args=(text,), help=why,
                      type="tertiary")
    cols = st.columns([4, 3, 5], vertical_alignment="center")
    cols[0].toggle("Match the other language too", key="w_expand", on_change=_from_widgets,
                   help="Also find the query's counterparts in the other language (glossary, "
                        "entity names, translations).")
    cols[1].segmented_control("Sort", ["relevance", "date"], key="w_sort", on_change=_from_widgets,
                              label_visibility="collapsed", format_func=lambda s: f"by {s}")


def filters_sidebar(facets: dict[str, list[tuple[str, int]]], names: dict[str, str], s,
                    entities: dict[str, str]) -> None:
    with st.sidebar:
        st.subheader("Filters")
        st.date_input("Published on or after", key="w_after", on_change=_from_widgets,
                      min_value=date(1990, 1, 1), max_value=date(2100, 1, 1), format="YYYY-MM-DD")
        st.date_input("Published on or before", key="w_before", on_change=_from_widgets,
                      min_value=date(1990, 1, 1), max_value=date(2100, 1, 1), format="YYYY-MM-DD")
        for facet, label, key in FACETS:
            counts = dict(facets.get(facet, []))
            options = facet_options(facets.get(facet, []), s.filters.values(facet))
            labels = {"lang": LANG_NAMES, "source": names, "entity": entities}.get(facet, {})
            st.multiselect(label, options, key=key, on_change=_from_widgets,
                           format_func=lambda v, c=counts, n=labels: facet_label(v, c, n),
                           placeholder="any")
        if not s.filters.is_empty():
            st.button("Clear filters", on_click=_clear_filters, icon=":material/filter_alt_off:")


def hit_card(hit, document_page, names: dict[str, str]) -> None:
    with st.container(border=True):
        st.markdown(f"##### {escape_markdown(hit.title) or '(untitled)'}")
        if hit.title_tr:
            st.markdown(f"*{escape_markdown(hit.title_tr)}*")
        meta = [hit.source_name, (hit.lang or "?").upper(), hit.country or "", hit.kind or "",
                (hit.published_at or "undated")[:10]]
        st.caption(" · ".join(escape_markdown(m) for m in meta if m))
        if withdrawn_note(hit.status, hit.withdrawn_at):
            st.markdown(":red[" + escape_markdown(withdrawn_note(hit.status, hit.withdrawn_at)) + "]")
        if hit.snippet and hit.snippet.text:
            st.markdown(snippet_markdown(hit.snippet))
        if hit.snippet_tr and hit.snippet_tr.text:
            st.markdown(":gray[" + snippet_markdown(hit.snippet_tr) + "]")
        entities = {}
        for e in hit.entities:
            if e.get("canonical_id") and e["canonical_id"] not in entities:
                entities[e["canonical_id"]] = e.get("text") or e["canonical_id"]
        if entities:
            key = f"chips_{hit.id}"
            st.pills("Entities (click to filter)", list(entities)[:10], key=key,
                     format_func=lambda v, names=entities: escape_markdown(names[v]),
                     on_change=_entity_chip_clicked, args=(key,), label_visibility="collapsed")
        row = st.columns([2, 3, 5], vertical_alignment="center")
        row[0].page_link(document_page, label="Read side by side", icon=":material/article:",
                         query_params={"id": hit.id})
        if hit.cluster_size > 1:
            row[1].caption(escape_markdown(also_published(hit, names)))


def also_published(hit, names: dict[str, str]) -> str:
    """`also published by 2 others: Wire, Hong Kong Post`: the near-duplicates folded into a hit."""
    others = hit.cluster_size - 1
    line = f"also published by {others} other{'s' if others != 1 else ''}"
    publishers = [names.get(source, source) for source in hit.also_published_by]
    return line + (": " + ", ".join(publishers) if publishers else "")


def summary(result, query: str, text: str) -> str:
    """`**12** stories, 31 matching documents`: results (one per near-duplicate cluster), then
    every document they cover; facet counts, the timeline and downloads count documents."""
    about = "" if result.exact else "about "
    stories, documents = result.total_stories, result.total_documents
    line = (f"{about}**{stories:,}** stor{'y' if stories == 1 else 'ies'}, "
            f"{documents:,} matching document{'s' if documents != 1 else ''}")
    if query and query != text:
        line += f" · query: {escape_markdown(query)}"
    return line


def pager(total: int, s) -> None:
    pages = max(1, -(-total // state.PAGE_SIZE))
    if pages == 1:
        return
    cols = st.columns([1, 2, 1, 6], vertical_alignment="center")
    cols[0].button("Previous", disabled=s.page == 0, on_click=_go_to_page, args=(s.page - 1,),
                   icon=":material/chevron_left:")
    cols[1].caption(f"page {s.page + 1} of {pages}")
    cols[2].button("Next", disabled=s.page + 1 >= pages, on_click=_go_to_page, args=(s.page + 1,),
                   icon=":material/chevron_right:")


def _export_data(settings, request: SearchRequest, fmt: str):
    """A callable for the download button: the file is made when clicked, on a fresh connection
    (the button may call it from another thread than the script's)."""
    def make() -> bytes:
        from index.backends import open_backend
        from index.store import Store

        with Store.open(settings) as store:
            return export_bytes(store, open_backend(settings, store), request, fmt)
    return make


def downloads(s, documents: int) -> None:
    settings = app_settings()
    request = SearchRequest(query=s.query, sort=s.sort, expand=s.expand, limit=s.request().limit)
    cols = st.columns(len(FORMATS) + 1, vertical_alignment="center")
    cols[0].caption(f"Download all {documents} matching document{'s' if documents != 1 else ''}")
    for col, fmt in zip(cols[1:], FORMATS):
        col.download_button(fmt.upper(), data=_export_data(settings, request, fmt),
                            file_name=f"parallax-export.{fmt}", mime=MIME.get(fmt, "application/octet-stream"),
                            key=f"download_{fmt}", icon=":material/download:", on_click="ignore")


def render() -> None:
    s = state.current()
    _seed_widgets(s)
    st.title("Parallax")
    query_box()
    h = handles()
    names = {k: v.get("name_en", k) for k, v in h.store.sources().items()}
    entities = known_entities(h.settings)
    try:
        # One search gives the page, both counts and the facets (counted under the filters applied).
        result = h.backend.search(s.request(facets=True))
        documents = result.total_documents
    except ParallaxError as exc:
        filters_sidebar({}, names, s, entities)
        st.error(f"Cannot search: {exc}", icon=":material/error:")
        return
    facets = {**result.facets, "collection": collection_counts(result.facets.get("source", []), h.store.collections())}
    filters_sidebar(facets, names, s, entities)
    st.markdown(summary(result, s.query, s.text))
    if result.expansions:
        st.caption("Also matched: " + "; ".join(escape_markdown(x) for x in result.expansions))
    if result.total:
        downloads(s, documents)
    document_page = page("document")
    for hit in result.hits:
        hit_card(hit, document_page, names)
    pager(result.total, s)
    if not result.total:
        st.info("Nothing matches. Try fewer words, switch on the other language, or clear filters.")
