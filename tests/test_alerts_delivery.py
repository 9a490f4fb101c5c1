"""Alerts against a real SMTP server on 127.0.0.1: every new hit arrives, and arrives once."""

from __future__ import annotations

import re
from email import message_from_bytes, policy

import pytest
from tests.alerts_fixtures import (DOCS, EN_TITLE, QUERY, ZH_TITLE, Relay, add_documents, free_port,
                             parts, smtp_overrides)

from alerts.runner import run_alerts
from alerts.saved import SavedSearch, SavedSearches
from tests.conftest import make_settings
from index.document import Document
from index.backends import open_backend
from index.store import Store


@pytest.fixture
def relay():
    with Relay() as running:
        yield running


def settings_for(tmp_path, port, **extra):
    return make_settings(tmp_path / "data", **smtp_overrides(port), **extra)


def run(settings):
    with Store.open(settings) as store:
        return run_alerts(store, open_backend(settings, store), settings)


def new_store_with_alert(settings, *docs, **alert):
    store = Store.open(settings)
    add_documents(store, settings, *docs)
    fields = dict(name="wg", query=QUERY, recipients=["analyst@example.org"])
    fields.update(alert)
    SavedSearches(store).add(SavedSearch(**fields))
    return store


def deliveries(store):
    return store.conn.execute(
        "SELECT alert, recipient, doc_id, outcome FROM alert_deliveries ORDER BY 1, 2, 3").fetchall()


def test_alert_delivers_one_message_with_titles_in_both_languages(tmp_path, relay):
    settings = settings_for(tmp_path, relay.port)
    with new_store_with_alert(settings, DOCS["en"], DOCS["zh"]) as store:
        report = run_alerts(store, open_backend(settings, store), settings)
        assert report.ok and report.messages_sent == 1
        assert len(deliveries(store)) == 2
    [message] = relay.handler.messages
    assert message["Subject"] == "[Parallax] wg: 2 new hits"
    assert message["To"] == "analyst@example.org"
    assert message.get_content_type() == "multipart/alternative"
    body = parts(message)
    assert set(body) == {"text/plain", "text/html"}
    for text in body.values():
        assert EN_TITLE in text and ZH_TITLE in text
        assert "parallax alerts remove wg" in text  # how to stop it
        assert settings.alerts.ui_url in text
        assert "https://csia.example.cn/xwzx/gongzuozu-huiyi.html" in text
    # Highlights come from the search (one span per segmented word, so 出口管制 may be one or two).
    assert re.search("<mark>出口(</mark><mark>)?管制</mark>", body["text/html"])
    assert re.search(r"notes on \[export\]? ?\[?controls\] and", body["text/plain"])
    assert "中国半导体行业协会" not in body["text/plain"]  # English email: English source names
    assert "China Semiconductor Industry Association" in body["text/plain"]


def test_second_run_sends_nothing(tmp_path, relay):
    settings = settings_for(tmp_path, relay.port)
    new_store_with_alert(settings, DOCS["en"], DOCS["zh"]).close()  # builds the store; the run below reopens it
    assert run(settings).messages_sent == 1
    second = run(settings)
    assert second.ok and second.messages_sent == 0
    assert len(relay.handler.messages) == 1


def test_new_matching_document_after_a_run_is_sent_once(tmp_path, relay):
    settings = settings_for(tmp_path, relay.port)
    with new_store_with_alert(settings, DOCS["en"]) as store:
        run_alerts(store, open_backend(settings, store), settings)
        later = Document(url="https://sia.example.org/news/export-controls-update", source_id="sia",
                         title="Update on export controls for equipment", declared_lang="en",
                         published_at="2026-11-24T10:00:00+00:00",
                         body="An update on export controls that apply to equipment makers.")
        unrelated = Document(url="https://sia.example.org/news/annual-dinner", source_id="sia",
                             title="Annual dinner announced", declared_lang="en",
                             body="The association announced the date of its annual dinner.")
        add_documents(store, settings, later, unrelated)
        run_alerts(store, open_backend(settings, store), settings)
        run_alerts(store, open_backend(settings, store), settings)
    first, second = relay.handler.messages
    assert first["Subject"] == "[Parallax] wg: 1 new hit"
    assert second["Subject"] == "[Parallax] wg: 1 new hit"
    assert "Update on export controls for equipment" in parts(second)["text/plain"]
    assert EN_TITLE not in parts(second)["text/plain"]
    assert "Annual dinner" not in parts(second)["text/plain"]


def test_relay_down_fails_cleanly_and_next_run_delivers_everything_once(tmp_path):
    port = free_port()  # nothing listens here yet: the relay is down
    settings = settings_for(tmp_path, port)
    with new_store_with_alert(settings, DOCS["en"], DOCS["zh"]) as store:
        down = run_alerts(store, open_backend(settings, store), settings)
        assert not down.ok
        assert f"cannot reach the SMTP relay 127.0.0.1:{port}" in down.relay_error
        assert deliveries(store) == []
        assert SavedSearches(store).get("wg").last_seq == 0  # nothing considered done
    with Relay(port=port) as relay:
        assert run(settings).ok
        assert run(settings).messages_sent == 0
    [message] = relay.handler.messages
    assert message["Subject"] == "[Parallax] wg: 2 new hits"


def test_chinese_alert_name_survives_the_subject_header(tmp_path, relay):
    settings = settings_for(tmp_path, relay.port)
    new_store_with_alert(settings, DOCS["zh"], name="出口管制观察", lang="zh").close()  # builds the store; the run below reopens it
    assert run(settings).ok
    _, _, raw = relay.handler.envelopes[0]
    head = raw.split(b"\r\n\r\n", 1)[0]
    head.decode("ascii")  # every header encoded for transport (RFC 2047), no raw UTF-8
    message = message_from_bytes(raw, policy=policy.default)
    assert message["Subject"] == "[Parallax] 出口管制观察：1 条新结果"
    assert message["From"].addresses[0].display_name == "Parallax 监测"
    text = parts(message)["text/plain"]
    assert "提醒“出口管制观察”" in text
    assert "中国半导体行业协会" in text  # Chinese email: the source's own name
    assert "停止提醒：parallax alerts remove '出口管制观察'" in text


def test_refused_recipient_does_not_stop_the_others_and_is_retried(tmp_path):
    port = free_port()
    settings = settings_for(tmp_path, port)
    recipients = ["first@example.org", "gone@example.org", "third@example.org"]
    with new_store_with_alert(settings, DOCS["en"], DOCS["zh"], recipients=recipients) as store:
        with Relay(port=port, refuse=("gone@example.org",)) as relay:
            report = run_alerts(store, open_backend(settings, store), settings)
        assert [r for _, r, _ in report.failures] == ["gone@example.org"]
        assert "550" in report.failures[0][2]
        assert sorted(report.alerts[0].sent) == ["first@example.org", "third@example.org"]
        assert len(relay.handler.to("first@example.org")) == 1
        assert len(relay.handler.to("third@example.org")) == 1
        assert relay.handler.to("gone@example.org") == []
        # The mailbox is fixed: the next run sends to it alone, and only once.
        with Relay(port=port) as fixed:
            assert run_alerts(store, open_backend(settings, store), settings).ok
            assert run_alerts(store, open_backend(settings, store), settings).messages_sent == 0
        assert [m["To"] for m in fixed.handler.messages] == ["gone@example.org"]
        assert "2 new hits" in fixed.handler.messages[0]["Subject"]


def test_document_stored_but_not_yet_indexed_is_not_skipped(tmp_path, relay):
    settings = settings_for(tmp_path, relay.port)
    with new_store_with_alert(settings, DOCS["en"]) as store:
        add_documents(store, settings, DOCS["zh"], index=False)
        run_alerts(store, open_backend(settings, store), settings)  # sends the English one only
        open_backend(settings, store).sync(store)
        run_alerts(store, open_backend(settings, store), settings)
    first, second = relay.handler.messages
    assert EN_TITLE in parts(first)["text/plain"] and ZH_TITLE not in parts(first)["text/plain"]
    assert ZH_TITLE in parts(second)["text/plain"] and EN_TITLE not in parts(second)["text/plain"]


def test_edited_document_already_sent_is_not_sent_again(tmp_path, relay):
    settings = settings_for(tmp_path, relay.port)
    with new_store_with_alert(settings, DOCS["en"]) as store:
        run_alerts(store, open_backend(settings, store), settings)
        edited = Document(**{**DOCS["en"].__dict__, "body": DOCS["en"].body + "\n\nA typo was fixed."})
        add_documents(store, settings, edited)
        report = run_alerts(store, open_backend(settings, store), settings)
    assert report.ok and report.messages_sent == 0
    assert len(relay.handler.messages) == 1


def test_edit_that_makes_a_document_match_sends_it_once(tmp_path, relay):
    settings = settings_for(tmp_path, relay.port)
    before = Document(url="https://sia.example.org/news/agenda", source_id="sia", declared_lang="en",
                      title="Agenda for the autumn meeting", body="Topics to be announced.")
    with new_store_with_alert(settings, before) as store:
        assert run_alerts(store, open_backend(settings, store), settings).messages_sent == 0
        after = Document(**{**before.__dict__, "body": "Topics: export controls and standards."})
        add_documents(store, settings, after)
        assert run_alerts(store, open_backend(settings, store), settings).messages_sent == 1
    assert "Agenda for the autumn meeting" in parts(relay.handler.messages[0])["text/plain"]


def set_cluster(store, doc: Document, cluster: str) -> None:
    """What the near-duplicate stage writes: the same cluster id on every copy."""
    with store.transaction() as conn:
        conn.execute("UPDATE analyses SET cluster_id = ? WHERE doc_id = ?", (cluster, doc.id))


REPOST = Document(url="https://news.example.com/wire/working-group-session", source_id="sia",
                  title="Working group on export controls holds first session (wire copy)",
                  declared_lang="en", published_at="2026-11-20T12:00:00+00:00",
                  body=DOCS["en"].body)


def test_near_duplicate_of_something_already_sent_is_folded_in(tmp_path, relay):
    settings = settings_for(tmp_path, relay.port)
    with new_store_with_alert(settings, DOCS["en"]) as store:
        set_cluster(store, DOCS["en"], "c1")
        run_alerts(store, open_backend(settings, store), settings)
        add_documents(store, settings, REPOST)
        set_cluster(store, REPOST, "c1")
        report = run_alerts(store, open_backend(settings, store), settings)
        assert report.ok and report.messages_sent == 0
        assert ("wg", "analyst@example.org", REPOST.id, "folded") in [tuple(r) for r in deliveries(store)]
    assert len(relay.handler.messages) == 1


def test_near_duplicates_arriving_together_are_one_entry(tmp_path, relay):
    settings = settings_for(tmp_path, relay.port)
    store = Store.open(settings)
    add_documents(store, settings, DOCS["en"], REPOST)
    set_cluster(store, DOCS["en"], "c1")
    set_cluster(store, REPOST, "c1")
    SavedSearches(store).add(SavedSearch(name="wg", query=QUERY, recipients=["analyst@example.org"]))
    store.close()
    assert run(settings).ok
    [message] = relay.handler.messages
    assert message["Subject"] == "[Parallax] wg: 1 new hit"
    assert "Also reported by 1 near-identical document" in parts(message)["text/plain"]


def test_documents_without_a_cluster_are_each_sent(tmp_path, relay):
    """Before the near-duplicate stage has run, cluster_id is NULL: nothing is folded."""
    settings = settings_for(tmp_path, relay.port)
    with new_store_with_alert(settings, DOCS["en"], REPOST) as store:
        store.conn.execute("UPDATE analyses SET cluster_id = NULL")  # as if dedup had not run yet
    assert run(settings).ok
    assert relay.handler.messages[0]["Subject"] == "[Parallax] wg: 2 new hits"


def test_many_hits_list_the_top_ones_then_say_how_many_more(tmp_path, relay):
    settings = settings_for(tmp_path, relay.port, **{"alerts.max_hits": 2})
    docs = [Document(url=f"https://sia.example.org/news/{i}", source_id="sia", declared_lang="en",
                     title=f"Export controls note {i}", body=f"Note {i} on export controls.",
                     published_at=f"2026-11-{10 + i:02d}T00:00:00+00:00") for i in range(5)]
    with new_store_with_alert(settings, *docs) as store:
        assert run_alerts(store, open_backend(settings, store), settings).ok
        assert {r["outcome"] for r in deliveries(store)} == {"listed", "summarised"}
    [message] = relay.handler.messages
    text = parts(message)["text/plain"]
    assert message["Subject"] == "[Parallax] wg: 5 new hits"
    assert "Export controls note 4" in text and "Export controls note 3" in text  # newest first
    assert "Export controls note 0" not in text
    assert "…and 3 more. See them all with: parallax search --sort date" in text
    assert "and 3 more" in parts(message)["text/html"]


def test_page_text_is_escaped_in_the_html_part(tmp_path, relay):
    settings = settings_for(tmp_path, relay.port)
    hostile = Document(url="https://sia.example.org/news/x?a=1&b=2", source_id="sia", declared_lang="en",
                       title='Export controls <script>alert("x")</script>',
                       body="Export controls & <b>tags</b> in the text.")
    new_store_with_alert(settings, hostile).close()  # builds the store; the run below reopens it
    assert run(settings).ok
    html_part = parts(relay.handler.messages[0])["text/html"]
    assert "<script>" not in html_part and "&lt;script&gt;" in html_part
    assert "<b>tags</b>" not in html_part
    assert 'href="https://sia.example.org/news/x?a=1&amp;b=2"' in html_part


def test_translated_title_is_shown_when_there_is_one(tmp_path, relay):
    settings = settings_for(tmp_path, relay.port)
    with new_store_with_alert(settings, DOCS["zh"]) as store:
        with store.transaction() as conn:  # what the translation stage stores
            conn.execute("UPDATE analyses SET title_tr = ? WHERE doc_id = ?",
                         ("China-US industry working group discusses export controls", DOCS["zh"].id))
        run_alerts(store, open_backend(settings, store), settings)
    text = parts(relay.handler.messages[0])["text/plain"]
    assert ZH_TITLE in text
    assert "Translated: China-US industry working group discusses export controls" in text


def test_paused_alert_sends_nothing(tmp_path, relay):
    settings = settings_for(tmp_path, relay.port)
    new_store_with_alert(settings, DOCS["en"], active=False).close()  # builds the store; the run below reopens it
    report = run(settings)
    assert report.ok and not report.alerts[0].due
    assert relay.handler.messages == []


def test_nothing_to_send_does_not_need_the_relay(tmp_path):
    settings = settings_for(tmp_path, free_port())  # nothing listens there
    new_store_with_alert(settings, query="semiconductor tariffs").close()  # builds the store; the run below reopens it
    assert run(settings).ok
