"""The search page: query, cross-language switch, filters with facet counts, sort, paged results
(each a story: the original and its copies), attention over time, save as alert and downloads.

Everything shown is a function of the URL (`ui.state`): widgets are set from it on every run and
their callbacks write it, so reload, back/forward and a pasted link give the same page.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
import zlib

import streamlit as st

from index.export import FORMATS, MEDIA_TYPES as MIME, export_bytes, load_entity_names
from index.search import SearchRequest, highlight_words, prepare
from nlp import gazetteer
from parallax.errors import ParallaxError
from ui import state
from ui.filters import Filters, collection_counts, entity_names, facet_label, facet_options
from ui.i18n import lang_name, t
from ui.markup import escape_markdown, snippet_markdown, title_markdown
from ui.navigation import page
from ui.resources import app_settings, handles, search
from ui.stories import copy_languages
from ui.views.attention import render_attention
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

FACET_KEYS = "facet_widgets"  # session key: each facet's current widget key (see filters_sidebar)
FACETS = [  # (facet, widget key)
    ("source", "w_sources"),
    ("collection", "w_collections"),
    ("lang", "w_langs"),
    ("type", "w_kinds"),
    ("country", "w_countries"),
    ("entity", "w_entities"),
]


def known_entities(settings) -> dict[str, str]:
    """Display names of the entity list's ids; bare ids when the user's entity file cannot be read
    (the language stages report that file's problem; the search page still works)."""
    try:
        return entity_names(gazetteer.load(settings.nlp.entities_file))
    except ParallaxError:
        return {}


def _seed_widgets(s: state.SearchState) -> None:
    """Set every widget to what the URL says (before the widgets are drawn), so back/forward and
    a pasted link move the widgets too."""
    seeds = {"w_text": s.text, "w_expand": s.expand, "w_sort": s.sort, "w_after": s.filters.after,
             "w_before": s.filters.before}
    for key, value in seeds.items():
        if key not in st.session_state or st.session_state[key] != value:
            st.session_state[key] = value


def _from_widgets() -> None:
    """Widget callback: the widgets into the URL (and back to page 1)."""
    ss = st.session_state
    picked = {key: tuple(ss.get(ss.get(FACET_KEYS, {}).get(key, key), ())) for _, key in FACETS}
    filters = Filters(
        sources=picked["w_sources"], langs=picked["w_langs"], kinds=picked["w_kinds"],
        countries=picked["w_countries"], entities=picked["w_entities"],
        collections=picked["w_collections"],
        after=ss.get("w_after"), before=ss.get("w_before"),
    )
    state.update(text=ss.get("w_text", ""), expand=ss.get("w_expand", True),
                 sort=ss.get("w_sort") or "relevance", filters=filters)


def _use_example(text: str) -> None:
    st.session_state["w_text"] = text
    _from_widgets()


def _clear_filters() -> None:
    state.update(filters=Filters())


def _remove(facet: str, value: str | None) -> None:
    """One click on an applied filter's chip: that value (or date) is no longer required."""
    filters = state.current().filters
    state.update(filters=filters.without_value(facet, value))


def _go_to_page(number: int) -> None:
    state.update(page=number)


def _entity_chip_clicked(key: str) -> None:
    chosen = st.session_state.get(key)
    if chosen:
        state.filter_by_entity(chosen)
        st.session_state[key] = None


def query_box() -> None:
    left, right = st.columns([12, 1], vertical_alignment="bottom")
    left.text_input(t("search.box"), key="w_text", on_change=_from_widgets,
                    placeholder=t("search.placeholder"))
    drawer = right.popover(t("help"), icon=":material/help:", key="help_drawer", on_change="rerun")
    with drawer:
        if drawer.open:  # drawn when opened: every element is redrawn by the browser on every run
            st.markdown(HELP)
            st.markdown(t("examples"))
            for text, why in EXAMPLES:
                st.button(text, key=f"example_{text}", on_click=_use_example, args=(text,), help=why,
                          type="tertiary")
    cols = st.columns([4, 3, 5], vertical_alignment="center")
    cols[0].toggle(t("search.expand"), key="w_expand", on_change=_from_widgets, help=t("search.expand_help"))
    cols[1].segmented_control("Sort", ["relevance", "date"], key="w_sort", on_change=_from_widgets,
                              label_visibility="collapsed",
                              format_func=lambda v: t("search.by", sort=t(f"sort.{v}")))


def facet_names(facet: str, names: dict[str, str], entities: dict[str, str]) -> dict[str, str]:
    if facet == "lang":
        return {code: lang_name(code) for code in ("en", "zh")}
    return {"source": names, "entity": entities}.get(facet, {})


def filters_sidebar(facets: dict[str, list[tuple[str, int]]], names: dict[str, str], s,
                    entities: dict[str, str]) -> None:
    with st.sidebar:
        st.subheader(t("filters"), help=t("filters.help"))
        st.date_input(t("filters.after"), key="w_after", on_change=_from_widgets,
                      min_value=date(1990, 1, 1), max_value=date(2100, 1, 1), format="YYYY-MM-DD")
        st.date_input(t("filters.before"), key="w_before", on_change=_from_widgets,
                      min_value=date(1990, 1, 1), max_value=date(2100, 1, 1), format="YYYY-MM-DD")
        for facet, key in FACETS:
            counts = dict(facets.get(facet, []))
            options = facet_options(facets.get(facet, []), s.filters.values(facet))
            labels = facet_names(facet, names, entities)
            shown = [facet_label(v, counts, labels) for v in options]
            # The browser returns a multiselect's choices as their labels; when the counts in the
            # labels change, a widget under the old key would read them back as new values. So a
            # new label set is a new widget, set from the URL like every other.
            widget = f"{key}_{zlib.crc32(chr(31).join(shown).encode()):08x}"
            st.session_state.setdefault(FACET_KEYS, {})[key] = widget
            st.session_state[widget] = list(s.filters.values(facet))
            st.multiselect(t(f"facet.{facet}"), options, key=widget, on_change=_from_widgets,
                           format_func=dict(zip(options, shown)).get, placeholder=t("filters.any"))
        if not s.filters.is_empty():
            st.button(t("filters.clear"), on_click=_clear_filters, icon=":material/filter_alt_off:")


def applied_filters(s, names: dict[str, str], entities: dict[str, str]) -> None:
    """The filters in force as chips above the results; a click on one removes it."""
    chips = [(facet, value, f"{t(f'facet.{facet}')}: {facet_names(facet, names, entities).get(value, value)}")
             for facet, _ in FACETS for value in s.filters.values(facet)]
    for facet in ("after", "before"):
        if day := getattr(s.filters, facet):
            chips.append((facet, None, f"{t(f'facet.{facet}')} {day.isoformat()}"))
    if not chips:
        return
    cols = st.columns(min(len(chips), 6))
    for i, (facet, value, label) in enumerate(chips):
        cols[i % len(cols)].button(escape_markdown(label), key=f"remove_{facet}_{value}", on_click=_remove,
                                   args=(facet, value), icon=":material/close:", help=t("filters.remove"))


def facets_for_picking(h, s, result, collections: dict[str, tuple[str, ...]], stamp: str
                        ) -> dict[str, list[tuple[str, int]]]:
    """Facet counts as every faceted search shows them: a facet's values are counted under all the
    *other* filters (its own chosen values are alternatives, so the others stay worth offering);
    facets with nothing chosen take the counts of the search itself."""
    facets = dict(result.facets)
    # No index holds collections: their counts are summed from the source counts of the same search.
    facets["collection"] = collection_counts(result.facets.get("source", []), collections)
    for facet, _ in FACETS:
        if s.filters.values(facet):
            others = replace(s, filters=s.filters.without_value(facet, None), page=0)
            request = SearchRequest(query=others.query, limit=0, expand=s.expand, facets=True)
            found = search(h, request, stamp).facets
            facets[facet] = (collection_counts(found.get("source", []), collections) if facet == "collection"
                             else found.get(facet, []))
    return facets


def hit_card(hit, document_page, story_page, names: dict[str, str], words: list[str], copies, s) -> None:
    """One result: few elements (every element is redrawn by the browser on every run, so the
    title with its translation, and the snippets, are one Markdown block each)."""
    with st.container(border=True):
        heading = f"##### {title_markdown(hit.title, words) or t('untitled')}"
        if hit.title_tr:
            heading += f"\n\n*{title_markdown(hit.title_tr, words)}*"
        st.markdown(heading)
        meta = [hit.source_name, lang_name(hit.lang), hit.country or "", hit.kind or "",
                (hit.published_at or t("undated"))[:10]]
        st.caption(" · ".join(escape_markdown(m) for m in meta if m))
        if withdrawn_note(hit.status, hit.withdrawn_at):
            st.markdown(":red[" + escape_markdown(withdrawn_note(hit.status, hit.withdrawn_at)) + "]")
        snippets = []
        if hit.snippet and hit.snippet.text:
            snippets.append(snippet_markdown(hit.snippet))
        if hit.snippet_tr and hit.snippet_tr.text:
            snippets.append(":gray[" + snippet_markdown(hit.snippet_tr) + "]")
        if snippets:
            st.markdown("\n\n".join(snippets))
        entities = {}
        for e in hit.entities:
            if e.get("canonical_id") and e["canonical_id"] not in entities:
                entities[e["canonical_id"]] = e.get("text") or e["canonical_id"]
        if entities:
            key = f"chips_{hit.id}"
            st.pills(t("chips"), list(entities)[:10], key=key,
                     format_func=lambda v, names=entities: escape_markdown(names[v]),
                     on_change=_entity_chip_clicked, args=(key,), label_visibility="collapsed")
        read = dict(page=document_page, label=t("read"), icon=":material/article:",
                    query_params=state.link_params(s, id=hit.id))
        if hit.id not in copies:
            st.page_link(**read)
            return
        row = st.columns([2, 3, 5], vertical_alignment="center")
        row[0].page_link(**read)
        row[1].page_link(story_page, label=copies_line(*copies[hit.id]), icon=":material/library_books:",
                         query_params=state.link_params(s, id=hit.id), help=t("story.open"))
        row[2].caption(escape_markdown(also_published(hit, names)))


def copies_line(n: int, langs: tuple[str, ...]) -> str:
    """`+ 2 copies in zh, en`: the copies folded into a result, by language."""
    return t("copies", n=n, copies_word=t("copy") if n == 1 else t("copies_word"), langs=", ".join(langs))


def also_published(hit, names: dict[str, str]) -> str:
    """`also published by 2 others: Wire, Hong Kong Post`: the near-duplicates folded into a hit."""
    others = hit.cluster_size - 1
    line = f"also published by {others} other{'s' if others != 1 else ''}"
    publishers = [names.get(source, source) for source in hit.also_published_by]
    return line + (": " + ", ".join(publishers) if publishers else "")


def summary(result, query: str, text: str) -> str:
    """`**12** stories, 31 matching documents`: results (one per near-duplicate cluster), then
    every document they cover; facet counts, the chart and downloads count documents."""
    stories, documents = result.total_stories, result.total_documents
    line = t("summary", about="" if result.exact else t("about"), stories=f"{stories:,}",
             stories_word=t("story") if stories == 1 else t("stories"), documents=f"{documents:,}",
             documents_word=t("document") if documents == 1 else t("documents"))
    if query and query != text:
        line += " · " + t("query", query=escape_markdown(query))
    return line


def pager(total: int, s) -> None:
    pages = max(1, -(-total // state.PAGE_SIZE))
    if pages == 1:
        return
    row = st.container(horizontal=True, vertical_alignment="center")  # one block, not four columns
    row.button(t("previous"), disabled=s.page == 0, on_click=_go_to_page, args=(s.page - 1,),
               icon=":material/chevron_left:")
    row.caption(t("page_of", page=s.page + 1, pages=pages), width="content")
    row.button(t("next"), disabled=s.page + 1 >= pages, on_click=_go_to_page, args=(s.page + 1,),
               icon=":material/chevron_right:")


def _export_data(settings, request: SearchRequest, fmt: str):
    """A callable for the download button: the file is made when clicked, on a fresh connection
    (the button may call it from another thread than the script's)."""
    def make() -> bytes:
        from index.backends import open_backend
        from index.store import Store

        with Store.open(settings) as store:
            return export_bytes(store, open_backend(settings, store), request, fmt,
                                entity_names=load_entity_names(settings.nlp.entities_file))
    return make


def downloads(s, documents: int) -> None:
    """Every matching document in each export format, offered in a popover drawn when opened."""
    settings = app_settings()
    request = SearchRequest(query=s.query, sort=s.sort, expand=s.expand, limit=s.request().limit)
    drawer = st.popover(t("download_all", documents=f"{documents:,}"), icon=":material/download:",
                        key="download_drawer", on_change="rerun", type="tertiary")
    with drawer:
        if not drawer.open:
            return
        for fmt in FORMATS:
            st.download_button(fmt.upper(), data=_export_data(settings, request, fmt),
                               file_name=f"parallax-export.{fmt}", mime=MIME.get(fmt, "application/octet-stream"),
                               key=f"download_{fmt}", icon=":material/download:", on_click="ignore",
                               width="stretch")


def save_as_alert(h, s, result) -> None:
    """The results' "Save as alert": the query on screen, recipients and frequency, and how many
    documents its first digest would send (every document matching now: a new alert covers the
    store; near-duplicates arrive as one story)."""
    from alerts.saved import FREQUENCIES, LANGUAGES, SavedSearch, SavedSearches

    drawer = st.popover(t("alert.save"), icon=":material/notification_add:", key="alert_drawer", on_change="rerun")
    with drawer:
        if not drawer.open:  # drawn when opened: a closed form would be redrawn on every run
            return
        if not s.query:
            st.caption(t("alert.empty"))
            return
        st.caption(escape_markdown(s.query))
        st.markdown(t("alert.preview", documents=f"{result.total_documents:,}", stories=f"{result.total_stories:,}"))
        with st.form("save_alert"):
            name = st.text_input(t("alert.name"), placeholder="csia-export-controls")
            recipients = st.text_input(t("alert.recipients"), placeholder="analyst@example.org")
            a, b = st.columns(2)
            frequency = a.selectbox(t("alert.frequency"), FREQUENCIES)
            lang = b.selectbox(t("alert.email_lang"), LANGUAGES, format_func={"en": "English", "zh": "中文"}.get)
            if st.form_submit_button(t("alert.save"), icon=":material/save:", type="primary"):
                from ui.views.saved import recipients_list

                try:
                    SavedSearches(h.store).add(SavedSearch(name=name, query=s.query, frequency=frequency,
                                                           recipients=recipients_list(recipients),
                                                           lang=lang, expand=s.expand))
                except ParallaxError as exc:
                    st.error(str(exc))
                else:
                    st.success(t("alert.saved", name=name.strip()), icon=":material/check:")


def render() -> None:
    s = state.from_url()
    _seed_widgets(s)
    st.title("Parallax")
    query_box()
    h = handles()
    names = {k: v.get("name_en", k) for k, v in h.store.sources().items()}
    entities = known_entities(h.settings)
    try:
        # One search gives the page, both counts and the facets (counted under the filters applied).
        stamp = h.backend.stamp()
        result = search(h, s.request(facets=True), stamp)
        facets = facets_for_picking(h, s, result, h.store.collections(), stamp)
        words = highlight_words(prepare(s.request(facets=False), h.settings, h.store.collections()))
    except ParallaxError as exc:
        filters_sidebar({}, names, s, entities)
        st.error(t("cannot_search", error=exc), icon=":material/error:")
        return
    filters_sidebar(facets, names, s, entities)
    applied_filters(s, names, entities)
    top = st.columns([7, 2], vertical_alignment="center")
    top[0].markdown(summary(result, s.query, s.text))
    with top[1]:
        save_as_alert(h, s, result)
    if result.expansions:
        st.caption(t("also_matched", notes="; ".join(escape_markdown(x) for x in result.expansions)))
    chart = st.container()
    if result.total:
        downloads(s, result.total_documents)
    document_page, story_page = page("document"), page("story")
    copies = copy_languages(h.store, result.hits)
    for hit in result.hits:
        hit_card(hit, document_page, story_page, names, words, copies, s)
    pager(result.total, s)
    if not result.total:
        st.info(t("nothing"))
    with chart:  # drawn last, shown above the results: the first results paint without waiting
        render_attention(h, s, stamp)
