"""Saved searches for the UI: the same storage and validation as `parallax alerts`."""

from __future__ import annotations

from alerts.saved import FREQUENCIES, LANGUAGES, SavedSearch, SavedSearches

__all__ = ["FREQUENCIES", "LANGUAGES", "SavedSearch", "SavedSearches"]
