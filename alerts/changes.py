"""Revision alerts: a statement an alert already sent was edited, or withdrawn.

An alert with `on_changes` watches the documents it has delivered to each recipient or channel
(`alert_deliveries`). A document whose newest stored version is not the text that was sent is
"edited"; one marked withdrawn is "withdrawn". Each event has a key — `v<version>` or
`withdrawn:<date>` — recorded in `alert_changes` once sent, so each new version and each
withdrawal is told once per recipient, however many runs see it. Several edits between two runs
make one event, for the newest version.
"""

from __future__ import annotations

from dataclasses import dataclass

from alerts.saved import SavedSearches
from index.revisions import word_diff
from index.store import StoredDocument

MAX_CHANGED_WORDS = 12


@dataclass
class Change:
    doc: StoredDocument
    kind: str  # "edited" | "withdrawn"
    key: str
    version: int | None = None
    added: str = ""  # a short view of the words added and removed, for the message
    removed: str = ""

    def note(self) -> str:
        if self.kind == "withdrawn":
            return f"withdrawn: missing from its source since {(self.doc.withdrawn_at or '')[:10]}"
        text = f"edited (now version {self.version})"
        if self.added:
            text += f"; added: {self.added}"
        if self.removed:
            text += f"; removed: {self.removed}"
        return text


def _short(parts: list[str]) -> str:
    words = " ".join(" ".join(parts).split())
    return words if len(words) <= 120 else words[:117] + "…"


def owed_changes(store, alert: str, recipient: str) -> list[Change]:
    """The edits and withdrawals of documents `recipient` had from `alert` and not yet heard of."""
    saved = SavedSearches(store)
    rows = saved.delivered(alert, recipient)
    told = saved.told_changes(alert, recipient)
    docs = store.get_many([r["doc_id"] for r in rows])
    out: list[Change] = []
    for row in rows:
        doc = docs.get(row["doc_id"])
        if doc is None:
            continue
        if doc.status == "withdrawn":
            key = f"withdrawn:{doc.withdrawn_at}"
            if (doc.id, key) not in told:
                out.append(Change(doc=doc, kind="withdrawn", key=key))
            continue
        if row["latest"] is None or doc.content_hash == row["sent_hash"]:
            continue
        key = f"v{row['latest']}"
        if (doc.id, key) in told:
            continue
        versions = store.versions(doc.id)
        sent = next((v for v in versions if v["content_hash"] == row["sent_hash"]), versions[0])
        diff = word_diff(sent["body"], versions[-1]["body"])
        added = [t for op, t in diff if op == "added" and t.strip()][:MAX_CHANGED_WORDS]
        removed = [t for op, t in diff if op == "removed" and t.strip()][:MAX_CHANGED_WORDS]
        out.append(Change(doc=doc, kind="edited", key=key, version=row["latest"],
                          added=_short(added), removed=_short(removed)))
    return out


def record_changes(store, alert: str, recipient: str, changes: list[Change], sent_at: str) -> None:
    SavedSearches(store).record_changes(alert, recipient, [(c.doc.id, c.key) for c in changes], sent_at)
