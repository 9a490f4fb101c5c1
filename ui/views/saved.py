"""The saved searches page: save the current search as an alert, list, edit and delete them."""

from __future__ import annotations

import streamlit as st

from alerts.saved import FREQUENCIES, LANGUAGES, SavedSearch, SavedSearches
from parallax.errors import ParallaxError
from ui import state
from ui.filters import Filters
from ui.markup import escape_markdown
from ui.resources import handles


def recipients_list(text: str) -> list[str]:
    """Addresses from a text box: separated by commas, semicolons, spaces or lines."""
    return [a for a in text.replace(";", ",").replace("\n", ",").replace(" ", ",").split(",") if a.strip()]


def _run_search(saved) -> None:
    state.update(text=saved.query, expand=saved.expand, filters=Filters())
    st.session_state["go_search"] = True  # switched to on the next run, with the search in the URL


def _flash(message: str) -> None:
    """Show `message` after a rerun, so the list below already reflects the change."""
    st.session_state["saved_flash"] = message
    st.rerun()


def save_form(searches: SavedSearches, s) -> None:
    st.subheader("Save the current search")
    if not s.query:
        st.caption("Search for something first; an alert on everything would mail every document.")
    with st.form("save_current", clear_on_submit=False):
        name = st.text_input("Name", placeholder="csia-export-controls")
        query = st.text_input("Query", value=s.query)
        recipients = st.text_area("Email recipients", placeholder="analyst@example.org, desk@example.org",
                                  height=68)
        a, b, c = st.columns(3)
        frequency = a.selectbox("Frequency", FREQUENCIES)
        lang = b.selectbox("Email language", LANGUAGES, format_func={"en": "English", "zh": "中文"}.get)
        expand = c.toggle("Match the other language too", value=s.expand)
        if st.form_submit_button("Save", icon=":material/save:", type="primary"):
            try:
                searches.add(SavedSearch(name=name, query=query, recipients=recipients_list(recipients),
                                         frequency=frequency, lang=lang, expand=expand))
            except ParallaxError as exc:
                st.error(str(exc))
            else:
                _flash(f"Saved {name.strip()!r}.")


def saved_item(searches: SavedSearches, saved) -> None:
    status = "active" if saved.active else "paused"
    with st.expander(f"{escape_markdown(saved.name)} · {saved.frequency} · {status}"):
        st.caption("Query: " + escape_markdown(saved.query))
        with st.form(f"edit_{saved.name}"):
            query = st.text_input("Query", value=saved.query)
            recipients = st.text_area("Email recipients", value=", ".join(saved.recipients), height=68)
            a, b, c, d = st.columns(4)
            frequency = a.selectbox("Frequency", FREQUENCIES, index=FREQUENCIES.index(saved.frequency))
            lang = b.selectbox("Email language", LANGUAGES, index=LANGUAGES.index(saved.lang),
                               format_func={"en": "English", "zh": "中文"}.get)
            expand = c.toggle("Other language", value=saved.expand)
            active = d.toggle("Active", value=saved.active)
            if st.form_submit_button("Update", icon=":material/edit:"):
                saved.query, saved.recipients = query, recipients_list(recipients)
                saved.frequency, saved.lang, saved.expand, saved.active = frequency, lang, expand, active
                try:
                    searches.update(saved)
                except ParallaxError as exc:
                    st.error(str(exc))
                else:
                    _flash(f"Updated {saved.name!r}.")
        a, b = st.columns(2)
        a.button("Run this search", key=f"run_{saved.name}", on_click=_run_search, args=(saved,),
                 icon=":material/search:")
        if b.button("Delete", key=f"delete_{saved.name}", icon=":material/delete:"):
            searches.remove(saved.name)
            _flash(f"Deleted {saved.name!r}.")


def render() -> None:
    if st.session_state.pop("go_search", False):
        from ui.navigation import page

        st.switch_page(page("search"), query_params=state.link_params(state.current()))
    st.title("Saved searches")
    if message := st.session_state.pop("saved_flash", None):
        st.success(message, icon=":material/check:")
    h = handles()
    searches = SavedSearches(h.store)
    save_form(searches, state.current())
    st.subheader("Your saved searches")
    existing = searches.list()
    if not existing:
        st.caption("None yet.")
    for saved in existing:
        saved_item(searches, saved)
