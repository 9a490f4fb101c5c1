"""The search backends by name: `index.backend` in settings picks one.

A small registry kept apart from the contract (`index.search`), so the contract imports no backend
and every backend may import the contract. Backends are imported only when chosen: a user of the
embedded index never imports the Elasticsearch client, and the reverse.
"""

from __future__ import annotations

from importlib import import_module

from index.search import SearchBackend
from parallax.errors import ConfigError

# name -> (module, class); the names are the choices of `index.backend` (parallax/settings.py).
BACKENDS: dict[str, tuple[str, str]] = {
    "tantivy": ("index.tantivy", "TantivyBackend"),
    "elasticsearch": ("index.elastic", "ElasticBackend"),
}


def open_backend(settings, store) -> SearchBackend:
    """The backend named in `settings.index.backend`, over `store` (the truth it is built from)."""
    name = settings.index.backend
    if name not in BACKENDS:
        raise ConfigError(f"index.backend {name!r} is not known; choose one of: {', '.join(BACKENDS)}")
    module, cls = BACKENDS[name]
    return getattr(import_module(module), cls)(settings, store)
