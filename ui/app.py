"""Minimal search page; the full research app is built in ui/ (see the UI issue)."""

import os

import streamlit as st

from index.search import SearchRequest, open_backend
from index.store import Store
from parallax.settings import load_settings

st.set_page_config(page_title="Parallax", layout="wide")
settings = load_settings(os.environ.get("PARALLAX_CONFIG"))
query = st.text_input("Search", placeholder="export controls, 出口管制, entity:csia lang:zh")
with Store.open(settings) as store:
    result = open_backend(settings, store).search(SearchRequest(query=query, limit=20))
st.caption(f"{result.total} hits")
for hit in result.hits:
    st.text(hit.title)
    st.caption(f"{hit.source_name} · {hit.lang} · {(hit.published_at or '')[:10]}")
    st.text(hit.snippet.text)
