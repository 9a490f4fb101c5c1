"""Saved searches: the alerts a researcher has set, kept in the store beside the documents.

An alert lives in the same SQLite file as what it watches, so its bookkeeping (the last store
sequence it has seen, what it has sent) changes in the same transactions as the rest and survives
with the data directory. Everything is validated on the way in: a query that does not parse, an
address with a line break (header injection) or an unknown frequency is refused with a
`ConfigError` that names the value and the fix, and nothing is written.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from alerts.headers import check_header_text
from index.document import utc_now
from index.query import parse
from parallax.errors import ConfigError, QueryError

FREQUENCIES = ("immediate", "daily", "weekly")
LANGUAGES = ("en", "zh")
MAX_NAME_LENGTH = 100

# A plain addr-spec: local@domain, ASCII, no spaces, quotes or angle brackets. Relays accept more,
# but an address outside this is far more often a typo than a real mailbox.
_ADDRESS_RE = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
)


@dataclass
class SavedSearch:
    """One alert. `last_seq` is the store sequence up to which every document has been considered."""

    name: str
    query: str
    recipients: list[str]
    frequency: str = "immediate"
    lang: str = "en"  # the language the email is written in
    active: bool = True
    expand: bool = True  # also match the other language's counterparts, as search does
    created_at: str = field(default_factory=utc_now)
    last_run_at: str | None = None
    last_seq: int = 0
    channels: list[dict] = field(default_factory=list)  # webhooks: [{"url", "format"}]
    on_changes: bool = False  # also tell when a statement it sent is edited or withdrawn

    def targets(self) -> list[str]:
        """Everyone owed this alert's hits: the email recipients, then each webhook channel."""
        from alerts.webhooks import channel_key

        return [*self.recipients, *(channel_key(c["url"]) for c in self.channels)]


def check_address(address: str) -> str:
    """The address, stripped, or `ConfigError` saying what is wrong with it."""
    if not isinstance(address, str):
        raise ConfigError(f"recipient {address!r} is not text; give an address such as analyst@example.org")
    if any(c in address for c in "\r\n\x00"):
        raise ConfigError(
            f"recipient {address!r} contains a line break or NUL; an address is one line such as "
            "analyst@example.org"
        )
    cleaned = address.strip()
    if not _ADDRESS_RE.fullmatch(cleaned):
        raise ConfigError(
            f"recipient {cleaned!r} is not an email address; write it as name@domain, e.g. "
            "analyst@example.org (no display name, no spaces)"
        )
    return cleaned


def validate(saved: SavedSearch) -> SavedSearch:
    """Check every field; returns the search with its recipients cleaned, or raises."""
    name = saved.name.strip() if isinstance(saved.name, str) else ""
    if not name:
        raise ConfigError("an alert needs a name, e.g. 'csia-export-controls'")
    # The name goes into every Subject: checked for all Unicode line and format separators.
    check_header_text("alert name", name, "choose a name of letters, digits and punctuation, "
                      "e.g. 'csia-export-controls'")
    if len(name) > MAX_NAME_LENGTH:
        raise ConfigError(
            f"alert name {saved.name!r} must be one line of at most {MAX_NAME_LENGTH} characters"
        )
    if not isinstance(saved.query, str) or not saved.query.strip():
        raise ConfigError(f"alert {name!r} has an empty query; an alert on everything would mail "
                          "every document: give words or filters, e.g. --query '出口管制 OR \"export controls\"'")
    try:
        parse(saved.query)
    except QueryError as exc:
        raise QueryError(f"the query of alert {name!r} does not parse: {exc}") from None
    if saved.frequency not in FREQUENCIES:
        raise ConfigError(f"frequency {saved.frequency!r} of alert {name!r} is not known; "
                          f"choose one of: {', '.join(FREQUENCIES)}")
    if saved.lang not in LANGUAGES:
        raise ConfigError(f"email language {saved.lang!r} of alert {name!r} is not known; "
                          f"choose one of: {', '.join(LANGUAGES)}")
    if isinstance(saved.recipients, str) or not (saved.recipients or saved.channels):
        raise ConfigError(f"alert {name!r} needs at least one recipient or webhook, e.g. "
                          "--to analyst@example.org or --webhook https://hooks.example.org/parallax")
    from alerts.webhooks import check_channel

    channels: list[dict] = []
    for channel in saved.channels:
        checked = check_channel(channel, name)
        if checked["url"] not in {c["url"] for c in channels}:
            channels.append(checked)
    saved.channels = channels
    recipients: list[str] = []
    for address in saved.recipients:
        cleaned = check_address(address)
        if cleaned.lower() not in {r.lower() for r in recipients}:
            recipients.append(cleaned)
    saved.name = name
    saved.recipients = recipients
    return saved


_COLUMNS = ("name, query, recipients, frequency, lang, active, expand, created_at, last_run_at, last_seq, "
            "channels, on_changes")


def _from_row(row) -> SavedSearch:
    return SavedSearch(
        name=row["name"], query=row["query"], recipients=json.loads(row["recipients"]),
        frequency=row["frequency"], lang=row["lang"], active=bool(row["active"]),
        expand=bool(row["expand"]), created_at=row["created_at"], last_run_at=row["last_run_at"],
        last_seq=row["last_seq"], channels=json.loads(row["channels"]),
        on_changes=bool(row["on_changes"]),
    )


def _values(saved: SavedSearch) -> tuple:
    return (saved.name, saved.query, json.dumps(saved.recipients, ensure_ascii=False),
            saved.frequency, saved.lang, int(saved.active), int(saved.expand), saved.created_at,
            saved.last_run_at, saved.last_seq, json.dumps(saved.channels, ensure_ascii=False),
            int(saved.on_changes))


class SavedSearches:
    """The alerts in one store: add, list, get, update, remove; and their bookkeeping (what was
    delivered, which changes were told, why an alert last failed). The only writer of the alerts'
    tables: `saved_searches`, `alert_deliveries`, `alert_changes`, `alert_errors`."""

    def __init__(self, store):
        self.store = store

    def add(self, saved: SavedSearch) -> SavedSearch:
        """Store a new alert; a name already taken is a `ConfigError` (use `update` to change it)."""
        validate(saved)
        with self.store.transaction() as conn:
            if conn.execute("SELECT 1 FROM saved_searches WHERE name = ?", (saved.name,)).fetchone():
                raise ConfigError(f"an alert named {saved.name!r} already exists; pick another name "
                                  f"or remove it first (parallax alerts remove {saved.name!r})")
            conn.execute(f"INSERT INTO saved_searches ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                         _values(saved))
        return saved

    def list(self) -> list[SavedSearch]:
        rows = self.store.conn.execute(f"SELECT {_COLUMNS} FROM saved_searches ORDER BY name")
        return [_from_row(r) for r in rows]

    def get(self, name: str) -> SavedSearch:
        """The alert called `name`, or `ConfigError` listing the names there are."""
        row = self.store.conn.execute(
            f"SELECT {_COLUMNS} FROM saved_searches WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise self._unknown(name)
        return _from_row(row)

    def _unknown(self, name: str, action: str = "") -> ConfigError:
        known = [s.name for s in self.list()]
        return ConfigError(f"no alert named {name!r}{action}; known: {', '.join(known) or 'none yet'} "
                           "(parallax alerts list)")

    def update(self, saved: SavedSearch) -> SavedSearch:
        """Write back every field of an existing alert (validated first)."""
        validate(saved)
        with self.store.transaction() as conn:
            cur = conn.execute(
                "UPDATE saved_searches SET query=?, recipients=?, frequency=?, lang=?, active=?, "
                "expand=?, created_at=?, last_run_at=?, last_seq=?, channels=?, on_changes=? WHERE name=?",
                (*_values(saved)[1:], saved.name))
            if cur.rowcount == 0:
                raise self._unknown(saved.name, " to update")
        return saved

    def advance(self, name: str, watermark: int, when: str) -> None:
        """Every document up to store seq `watermark` has been considered for `name` (never backwards)."""
        with self.store.transaction() as conn:
            conn.execute(
                "UPDATE saved_searches SET last_seq = MAX(last_seq, ?), last_run_at = ? WHERE name = ?",
                (watermark, when, name))

    # -- what was sent --------------------------------------------------------------------------

    def record_deliveries(self, rows: list[tuple]) -> None:
        """(alert, doc_id, recipient, outcome, content_hash, cluster_id, message_id, sent_at) per
        document sent; a document already recorded for that recipient keeps its first row."""
        with self.store.transaction() as conn:
            conn.executemany(
                "INSERT OR IGNORE INTO alert_deliveries (alert, doc_id, recipient, outcome, content_hash, "
                "cluster_id, message_id, sent_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)

    def delivered(self, name: str, recipient: str) -> list[dict]:
        """What `recipient` had from `name`: {doc_id, sent_hash, latest (the newest stored version)}."""
        return [dict(r) for r in self.store.conn.execute(
            """SELECT d.doc_id, d.content_hash AS sent_hash,
                      (SELECT MAX(version) FROM document_versions v WHERE v.doc_id = d.doc_id) AS latest
               FROM alert_deliveries d WHERE d.alert = ? AND d.recipient = ?""", (name, recipient))]

    def told_changes(self, name: str, recipient: str) -> set[tuple[str, str]]:
        """(doc_id, change key) of every change already told to `recipient` for `name`."""
        return {(r[0], r[1]) for r in self.store.conn.execute(
            "SELECT doc_id, change FROM alert_changes WHERE alert = ? AND recipient = ?", (name, recipient))}

    def record_changes(self, name: str, recipient: str, keys: list[tuple[str, str]], sent_at: str) -> None:
        """(doc_id, change key) pairs told to `recipient`, each kept once."""
        with self.store.transaction() as conn:
            conn.executemany(
                "INSERT OR IGNORE INTO alert_changes (alert, recipient, doc_id, change, sent_at) "
                "VALUES (?, ?, ?, ?, ?)", [(name, recipient, doc_id, key, sent_at) for doc_id, key in keys])

    # -- why an alert was last not delivered ----------------------------------------------------

    def last_errors(self) -> dict[str, str]:
        """{alert name: why its last run did not deliver everything}; alerts that are fine are absent."""
        return dict(self.store.conn.execute("SELECT alert, error FROM alert_errors ORDER BY alert"))

    def record_error(self, name: str, error: str, when: str) -> None:
        """Keep `error` as the alert's last; an alert already failing stays "already told"."""
        with self.store.transaction() as conn:
            conn.execute(
                "INSERT INTO alert_errors (alert, error, failed_at) VALUES (?, ?, ?) "
                "ON CONFLICT(alert) DO UPDATE SET error = excluded.error, failed_at = excluded.failed_at",
                (name, error, when))

    def clear_error(self, name: str) -> None:
        with self.store.transaction() as conn:
            conn.execute("DELETE FROM alert_errors WHERE alert = ?", (name,))

    def untold_errors(self) -> list[tuple[str, str]]:
        """(name, error) of the failing alerts the operators have not heard of yet."""
        return [tuple(r) for r in self.store.conn.execute(
            "SELECT alert, error FROM alert_errors WHERE notified_at IS NULL ORDER BY alert")]

    def mark_told(self, name: str, when: str) -> None:
        with self.store.transaction() as conn:
            conn.execute("UPDATE alert_errors SET notified_at = ? WHERE alert = ?", (when, name))

    def remove(self, name: str) -> None:
        """Delete the alert and its delivery records; an unknown name is a `ConfigError`."""
        with self.store.transaction() as conn:
            conn.execute("DELETE FROM alert_errors WHERE alert = ?", (name,))
            conn.execute("DELETE FROM alert_deliveries WHERE alert = ?", (name,))
            conn.execute("DELETE FROM alert_changes WHERE alert = ?", (name,))
            cur = conn.execute("DELETE FROM saved_searches WHERE name = ?", (name,))
            if cur.rowcount == 0:
                raise self._unknown(name, " to remove")
