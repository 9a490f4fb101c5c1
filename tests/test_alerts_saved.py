"""Saved searches in the store: add, list, get, update, remove, and bad input refused whole."""

from __future__ import annotations

import pytest

from alerts.saved import SavedSearch, SavedSearches
from index.store import Store
from parallax.errors import ConfigError, QueryError


def alert(**kw):
    base = dict(name="wg", query='"export controls" OR 出口管制', recipients=["analyst@example.org"])
    base.update(kw)
    return SavedSearch(**base)


@pytest.fixture
def searches(settings):
    with Store.open(settings) as store:
        yield SavedSearches(store)


def test_add_list_get_update_remove_round_trip(searches):
    searches.add(alert(recipients=[" analyst@example.org ", "Second@Example.org", "second@example.org"],
                       frequency="weekly", lang="zh", expand=False))
    searches.add(alert(name="出口管制观察", query="出口管制"))
    assert [s.name for s in searches.list()] == ["wg", "出口管制观察"]
    got = searches.get("wg")
    assert got.recipients == ["analyst@example.org", "Second@Example.org"]  # trimmed, deduplicated
    assert (got.frequency, got.lang, got.expand, got.active, got.last_seq, got.last_run_at) == \
        ("weekly", "zh", False, True, 0, None)
    got.active = False
    got.query = "SMIC OR 中芯国际"
    searches.update(got)
    assert searches.get("wg").active is False
    assert searches.get("wg").query == "SMIC OR 中芯国际"
    searches.remove("wg")
    assert [s.name for s in searches.list()] == ["出口管制观察"]


# (what is wrong, the field values, the error class, words the message must contain)
BAD = [
    ("query does not parse", {"query": "(export controls"}, QueryError, ["unclosed (", "'wg'"]),
    ("empty query", {"query": "  "}, ConfigError, ["empty query"]),
    ("header injection in an address", {"recipients": ["a@example.org\r\nBcc: all@example.org"]},
     ConfigError, ["line break"]),
    ("newline only", {"recipients": ["a@example.org\n"]}, ConfigError, ["line break"]),
    ("display name instead of an address", {"recipients": ["Ann <a@example.org>"]}, ConfigError,
     ["not an email address", "analyst@example.org"]),
    ("no domain", {"recipients": ["analyst@"]}, ConfigError, ["not an email address"]),
    ("no recipients", {"recipients": []}, ConfigError, ["at least one recipient"]),
    ("one string instead of a list", {"recipients": "a@example.org"}, ConfigError, ["at least one recipient"]),
    ("unknown frequency", {"frequency": "hourly"}, ConfigError, ["'hourly'", "immediate, daily, weekly"]),
    ("unknown email language", {"lang": "fr"}, ConfigError, ["'fr'", "en, zh"]),
    ("empty name", {"name": " "}, ConfigError, ["needs a name"]),
    ("name with a line break", {"name": "a\nb"}, ConfigError, ["one line"]),
]


@pytest.mark.parametrize("why, fields, error, words", BAD, ids=[b[0] for b in BAD])
def test_bad_alert_is_refused_and_nothing_is_stored(searches, why, fields, error, words):
    with pytest.raises(error) as caught:
        searches.add(alert(**fields))
    for word in words:
        assert word in str(caught.value)
    assert searches.list() == []


def test_bad_update_leaves_the_stored_alert_unchanged(searches):
    """Tried: changing the recipients to an address carrying a second header line."""
    searches.add(alert())
    changed = searches.get("wg")
    changed.recipients = ["x@example.org\r\nSubject: spoofed"]
    with pytest.raises(ConfigError, match="line break"):
        searches.update(changed)
    assert searches.get("wg").recipients == ["analyst@example.org"]


def test_duplicate_name_is_refused(searches):
    searches.add(alert())
    with pytest.raises(ConfigError, match="already exists.*alerts remove"):
        searches.add(alert(query="other"))
    assert searches.get("wg").query == '"export controls" OR 出口管制'


@pytest.mark.parametrize("operation", ["get", "remove"])
def test_unknown_name_lists_the_known_ones(searches, operation):
    searches.add(alert())
    with pytest.raises(ConfigError, match="no alert named 'nope'.*wg"):
        getattr(searches, operation)("nope")


def test_update_of_an_alert_that_does_not_exist_is_refused(searches):
    with pytest.raises(ConfigError, match="no alert named 'wg' to update"):
        searches.update(alert())
