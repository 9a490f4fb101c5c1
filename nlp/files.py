"""Caches of what is built from the user's files (entity list, glossary) that see an edit.

A long-running process (`parallax run --every`, the app) builds the lexicon once; a cache keyed
on the path alone kept the old one after an edit while the worker processes it started read the
new file, and the two then disagreed on every document, every cycle. Keyed on each file's state
(modification time and size) as well, the next use after an edit builds again.
"""

from __future__ import annotations

import functools
import inspect
from pathlib import Path


def _file_version(path: str) -> tuple[int, int] | None:
    """What tells one state of a file from the next; None when no file is set or it cannot be
    read (its loader says why)."""
    if not path:
        return None
    try:
        stat = Path(path).expanduser().stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


def cached_per_file_state(maxsize: int):
    """`functools.lru_cache` for a function whose arguments are file paths ('' for none),
    rebuilt when any of the files changes."""
    def wrap(fn):
        signature = inspect.signature(fn)

        @functools.lru_cache(maxsize=maxsize)
        def build(paths: tuple[str, ...], versions: tuple):
            return fn(*paths)

        @functools.wraps(fn)
        def call(*args, **kwargs):
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            paths = tuple(bound.arguments.values())
            return build(paths, tuple(_file_version(p) for p in paths))

        return call
    return wrap
