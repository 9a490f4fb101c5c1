"""Handles the app keeps across reruns: the settings, and one store (with its search backend) per
script thread.

`parallax ui` hands the data directory and config file to the app through `PARALLAX_*` in the
environment, which `load_settings` reads; the settings are built once per distinct environment.
A SQLite connection may only be used by the thread that opened it, and Streamlit runs each script
run in a thread, so the store is cached per (store file, thread). A thread id is only reused after
the thread that had it has ended, so a cached connection is never used by two threads at once.
"""

from __future__ import annotations

import os
import threading

import streamlit as st

from index.query import parse
from index.backends import open_backend
from index.store import Store
from parallax.settings import Settings, load_settings


@st.cache_resource(show_spinner=False)
def _settings_for(environment: tuple[tuple[str, str], ...]) -> Settings:
    return load_settings(env=dict(environment))


def app_settings() -> Settings:
    """The settings for this process (defaults < $PARALLAX_CONFIG < other $PARALLAX_* variables)."""
    return _settings_for(tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("PARALLAX_"))))


class Handles:
    """A store and the configured search backend over it, used by one thread."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.store = Store.open(settings)
        self.backend = open_backend(settings, self.store)


@st.cache_resource(show_spinner=False, max_entries=64)
def _handles_for(store_path: str, thread_id: int, _settings: Settings) -> Handles:
    return Handles(_settings)


@st.cache_resource(show_spinner="Loading the Chinese word list…")
def _segmenter_loaded() -> bool:
    """Parse a Chinese query once per process: jieba's dictionary takes about a second to load,
    which would otherwise land on the first Chinese search a researcher makes."""
    parse("出口管制")
    return True


@st.cache_data(ttl=120, max_entries=256, show_spinner=False)
def _search(store_path: str, stamp: str, request, _h: Handles):
    return _h.backend.search(request)


def search(h: Handles, request, stamp: str):
    """The backend's answer to `request`, kept while the index is unchanged (`stamp`, see
    `SearchBackend.stamp`) and for two minutes at most (hits are read from the store, which may
    change before the index does): a rerun that leaves the search alone (a chart option, an
    opened popover, a facet's other counts) asks the index nothing."""
    return _search(str(h.settings.store_path), stamp, request, h)


def handles() -> Handles:
    """This thread's store and backend (opened on first use, then reused)."""
    _segmenter_loaded()
    settings = app_settings()
    return _handles_for(str(settings.store_path), threading.get_ident(), settings)
