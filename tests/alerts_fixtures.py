"""Real parts for the alert tests: an aiosmtpd relay on 127.0.0.1 and a small bilingual store.

The documents below were written for these tests.
"""

from __future__ import annotations

import socket
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller

from crawler.sources import Source
from index.document import Document
from index.backends import open_backend
from index.store import Store
from nlp.pipeline import process

SOURCES = [
    Source(id="sia", name="Semiconductor Industry Association", name_en="Semiconductor Industry Association",
           language="en", kind="association", country="US"),
    Source(id="csia", name="中国半导体行业协会", name_en="China Semiconductor Industry Association",
           language="zh", kind="association", country="CN"),
]

EN_TITLE = "Working group on export controls holds first session"
ZH_TITLE = "中美半导体产业工作组讨论出口管制与供应链安全"
DOCS = {
    "en": Document(
        url="https://sia.example.org/news/working-group-first-session", source_id="sia",
        title=EN_TITLE, declared_lang="en", kind="association", country="US",
        published_at="2026-11-20T09:00:00+00:00",
        body=("The industry working group met to compare notes on export controls and on the "
              "security of the semiconductor supply chain.\n\n"
              "Members agreed to publish a joint summary after the next meeting.")),
    "zh": Document(
        url="https://csia.example.cn/xwzx/gongzuozu-huiyi.html", source_id="csia",
        title=ZH_TITLE, declared_lang="zh", kind="association", country="CN",
        published_at="2026-11-21T02:00:00+00:00",
        body=("中美两国半导体行业协会的工作组召开会议，就出口管制和供应链安全问题交换了意见。\n\n"
              "双方同意在下次会议后发布联合纪要。")),
}
QUERY = '"export controls" OR 出口管制'


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Collector:
    """An SMTP handler that keeps every accepted message and refuses chosen recipients with 550."""

    def __init__(self, refuse: tuple[str, ...] = ()):
        self.refuse = set(refuse)
        self.envelopes: list[tuple[str, list[str], bytes]] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"

    @property
    def messages(self) -> list[EmailMessage]:
        return [message_from_bytes(raw, policy=policy.default) for _, _, raw in self.envelopes]

    def to(self, recipient: str) -> list[EmailMessage]:
        return [message_from_bytes(raw, policy=policy.default)
                for _, rcpts, raw in self.envelopes if recipient in rcpts]


class Relay:
    """aiosmtpd on 127.0.0.1:port; start/stop may be called repeatedly on the same port."""

    def __init__(self, port: int | None = None, refuse: tuple[str, ...] = ()):
        self.port = port or free_port()
        self.handler = Collector(refuse)
        self._controller: Controller | None = None

    def start(self) -> "Relay":
        self._controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> "Relay":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def smtp_overrides(port: int) -> dict:
    return {"smtp.host": "127.0.0.1", "smtp.port": port, "smtp.security": "none", "smtp.timeout": 5,
            "smtp.sender": "Parallax 监测 <alerts@parallax.example.org>"}


def add_documents(store: Store, settings, *docs: Document, index: bool = True) -> None:
    """Store documents, run the language stages, and (unless told not to) sync the index."""
    for source in SOURCES:
        store.upsert_source(source)
    for doc in docs:
        store.upsert_document(doc)
    process(store, settings)
    if index:
        open_backend(settings, store).sync(store)


def parts(message: EmailMessage) -> dict[str, str]:
    """The decoded text of each MIME part, by content type."""
    return {part.get_content_type(): part.get_content() for part in message.walk()
            if not part.is_multipart()}
