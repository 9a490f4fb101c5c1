"""An alert can watch a collection: `collection:NAME` in a saved search sends only its members'
documents, through a real SMTP relay on 127.0.0.1 (aiosmtpd)."""

from __future__ import annotations

import dataclasses

import pytest

from alerts.runner import run_alerts
from alerts.saved import SavedSearch, SavedSearches
from index.backends import open_backend
from index.store import Store
from tests.alerts_fixtures import DOCS, EN_TITLE, SOURCES, ZH_TITLE, Relay, add_documents, smtp_overrides
from tests.conftest import make_settings


@pytest.fixture
def relay():
    with Relay() as running:
        yield running


def test_an_alert_on_a_collection_sends_only_its_members_documents(tmp_path, relay):
    settings = make_settings(tmp_path / "data", **smtp_overrides(relay.port))
    with Store.open(settings) as store:
        add_documents(store, settings, DOCS["en"], DOCS["zh"])
        store.upsert_source(dataclasses.replace(SOURCES[1], collections=("prc-associations",)))
        SavedSearches(store).add(SavedSearch(name="prc", query="collection:prc-associations 出口管制",
                                             recipients=["analyst@example.org"]))
        report = run_alerts(store, open_backend(settings, store), settings)
        assert report.ok and report.messages_sent == 1
    [message] = relay.handler.messages
    text = message.get_body(("plain",)).get_content()
    assert ZH_TITLE in text and EN_TITLE not in text
