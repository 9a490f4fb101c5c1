"""The errors Parallax raises on purpose.

Each message names the offending value, what would be valid, and what to do next. The command
line catches `ParallaxError` in one place and prints its message as one line; anything else is a
bug and keeps its traceback.
"""


class ParallaxError(Exception):
    """Base of every error meant for the user rather than the developer."""


class ConfigError(ParallaxError):
    """A setting, a sources entry or a command-line value is wrong."""


class StoreError(ParallaxError):
    """The store cannot be opened or written (missing directory, disk full, newer schema)."""


class QueryError(ParallaxError):
    """A search query that cannot be parsed. Carries the character position and a hint."""

    def __init__(self, message: str, position: int | None = None, hint: str | None = None):
        self.position = position
        self.hint = hint
        text = message
        if position is not None:
            text = f"{message} at position {position}"
        if hint:
            text = f"{text}: {hint}"
        super().__init__(text)


class BackendUnavailable(ParallaxError):
    """A search backend (Elasticsearch) cannot be reached or is misconfigured.

    `lag`, when known, is how many stored documents the index is behind: they are safe in the
    store and the next successful `parallax index` sends them.
    """

    def __init__(self, message: str, lag: int | None = None):
        self.lag = lag
        super().__init__(message)


class IndexNotBuilt(ParallaxError):
    """The search index does not exist yet (nothing was indexed since it was configured)."""


class MailError(ParallaxError):
    """Sending an alert failed (relay down, refused, bad address)."""


class ExportError(ParallaxError):
    """An export cannot be written where asked."""


class InputError(ParallaxError):
    """Input read from a file or standard input is malformed (bad JSON line, missing field)."""


class DiscoveryError(ParallaxError):
    """A site where no feed, sitemap or listing could be found; the message lists what was tried."""


class ModelError(ParallaxError):
    """A model cannot be installed (hub unreachable, not found, disk full, failed check)."""
