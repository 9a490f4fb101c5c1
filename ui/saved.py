"""Saved searches for the UI: `alerts.saved` when it is installed, else the interim JSON storage."""

from __future__ import annotations

try:
    from alerts.saved import FREQUENCIES, LANGUAGES, SavedSearch, SavedSearches
except ImportError:  # the alerts work has not been merged into this tree yet
    from ui.interim_saved import FREQUENCIES, LANGUAGES, SavedSearch, SavedSearches

__all__ = ["FREQUENCIES", "LANGUAGES", "SavedSearch", "SavedSearches"]
