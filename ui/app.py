"""The Parallax research app (Streamlit): search (with attention over time), read side by side,
stories, saved searches, status; in English or Chinese. Started by `parallax ui` (and `parallax demo`), which passes the data directory and config
file through PARALLAX_* in the environment.

Every page lives in `ui/views/` as a `render()` function over small importable modules, so tests
reach the logic without a browser.
"""

import sys
from pathlib import Path

# `streamlit run ui/app.py` puts ui/ on the path, not the project root the packages live in.
_ROOT = str(Path(__file__).resolve().parent.parent)
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

import streamlit as st  # noqa: E402

from ui.navigation import all_pages, language_switch  # noqa: E402

st.set_page_config(page_title="Parallax", page_icon=":material/compare:", layout="wide")
current = st.navigation(all_pages(), position="top")
language_switch()
current.run()
