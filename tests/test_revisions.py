"""Edited statements: the store keeps every version, and the diff is by words in both languages."""

from index.document import Document
from index.revisions import word_diff
from index.store import Store


def _doc(body: str) -> Document:
    return Document(url="https://example.org/s", source_id="s", title="Statement", body=body)


def test_every_version_is_kept_and_the_current_one_is_searchable_text(settings):
    with Store.open(settings) as store:
        store.upsert_document(_doc("We welcome the dialogue."))
        store.upsert_document(_doc("We welcome the dialogue."))  # unchanged: no new version
        store.upsert_document(_doc("We cautiously welcome the dialogue."))
        versions = store.versions(_doc("").id)
        assert [v["version"] for v in versions] == [1, 2]
        assert versions[0]["body"] == "We welcome the dialogue."
        assert store.get(_doc("").id).body == "We cautiously welcome the dialogue."


def test_english_diff_is_by_words():
    diff = word_diff("We welcome the dialogue.", "We cautiously welcome the dialogue.")
    assert [t.strip() for op, t in diff if op == "added"] == ["cautiously"]
    assert "".join(t for op, t in diff if op != "removed") == "We cautiously welcome the dialogue."


def test_chinese_diff_is_by_segmented_words():
    old = "协会欢迎双方就出口管制继续对话。"
    new = "协会谨慎欢迎双方就出口管制继续对话。"
    diff = word_diff(old, new)
    assert ("added", "谨慎") in diff
    assert all(op == "same" or "出口管制" not in t for op, t in diff)
    assert "".join(t for op, t in diff if op != "added") == old
