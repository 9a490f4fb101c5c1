"""Sending mail through an SMTP relay, one recipient per transaction.

Sending to one recipient at a time makes every outcome belong to one address: a refused address is
reported and the others still get their mail, and what is recorded as sent is exactly what the
relay accepted. Failures come in two kinds, because the caller treats them differently:
`RelayUnavailable` (cannot connect, TLS or login fails, connection lost, timeout) stops the run's
sending, and `RecipientRefused` (the relay rejected this address or this message) skips one
recipient. Both leave the digest unrecorded, so the next run retries it. `DeliveryUncertain` is
the relay lost after the message itself was sent: it may have been received, so it is reported
against that recipient (and resent next run with the same Message-ID), not as "not attempted".

Every transaction — connecting (with TLS and login), each message, the closing QUIT — runs under
one total deadline, `smtp.timeout` seconds, however slowly the relay drips its replies. Replies
are scrubbed of the password before they reach a message or a log: a hostile relay may echo the
AUTH line back.
"""

from __future__ import annotations

import base64
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import parseaddr

from alerts.deadline import Deadline
from parallax.errors import MailError


class RelayUnavailable(MailError):
    """The relay cannot be used at all right now; nothing more can be sent this run."""


class RecipientRefused(MailError):
    """The relay refused one recipient (or this message for it); others are unaffected."""

    def __init__(self, recipient: str, message: str):
        self.recipient = recipient
        super().__init__(message)


class DeliveryUncertain(RelayUnavailable):
    """The relay went away after the message was handed over: it may have received it."""

    def __init__(self, recipient: str, message: str):
        self.recipient = recipient
        super().__init__(message)


def _reply(code: int, text) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {text}".strip()


class _Tracked:
    """Remembers whether the message itself has been sent, for telling a lost relay apart from
    a lost delivery."""

    sent_data = False

    def data(self, msg):
        self.sent_data = True
        return super().data(msg)


class _SMTP(_Tracked, smtplib.SMTP):
    """smtplib.SMTP that knows when DATA went out."""


class _SMTP_SSL(_Tracked, smtplib.SMTP_SSL):
    """smtplib.SMTP_SSL that knows when DATA went out."""


class Mailer:
    """One SMTP session, opened on the first send and closed on exit."""

    def __init__(self, smtp):
        self.smtp = smtp
        self._conn: smtplib.SMTP | None = None
        self._opening: smtplib.SMTP | None = None  # the connection being set up, for the deadline
        self.where = f"{smtp.host}:{smtp.port} ({smtp.security})"
        self._secrets = _secret_forms(smtp.username, smtp.password)

    def _scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def _deadline(self) -> Deadline:
        return Deadline(self.smtp.timeout, lambda: getattr(self._conn or self._opening, "sock", None))

    def _late(self, deadline: Deadline, what: str) -> str | None:
        if not deadline.expired:
            return None
        return (f"the SMTP relay {self.where} did not finish {what} within {self.smtp.timeout} s "
                "(smtp.timeout, a total deadline for each transaction)")

    def __enter__(self) -> "Mailer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self._conn is not None:
            try:
                with self._deadline():
                    self._conn.quit()
            except (smtplib.SMTPException, OSError):
                self._conn.close()
            self._conn = None

    def _connect(self) -> smtplib.SMTP:
        s = self.smtp
        conn = _SMTP_SSL(context=ssl.create_default_context()) if s.security == "tls" else _SMTP()
        conn.timeout = s.timeout
        self._opening = conn
        deadline = self._deadline()
        try:
            with deadline:
                conn._host = s.host  # what connect() would set; SMTP_SSL checks the certificate against it
                conn.connect(s.host, s.port)
                conn.ehlo_or_helo_if_needed()
                if s.security == "starttls":
                    conn.starttls(context=ssl.create_default_context())
                    conn.ehlo()
                if s.username:
                    conn.login(s.username, s.password)
        except smtplib.SMTPAuthenticationError as exc:
            conn.close()
            raise RelayUnavailable(self._scrub(
                f"the SMTP relay {self.where} refused the login for {s.username!r} "
                f"({_reply(exc.smtp_code, exc.smtp_error)}); check PARALLAX_SMTP_USERNAME and "
                "PARALLAX_SMTP_PASSWORD")) from None
        except smtplib.SMTPNotSupportedError as exc:
            conn.close()
            raise RelayUnavailable(self._scrub(
                f"the SMTP relay {self.where} does not support what is configured ({exc}); "
                "check PARALLAX_SMTP_SECURITY (none | starttls | tls)")) from None
        except (smtplib.SMTPException, OSError, ValueError) as exc:
            conn.close()
            late = self._late(deadline, "connecting")
            raise RelayUnavailable(self._scrub(
                f"{late or f'cannot reach the SMTP relay {self.where}: {exc or type(exc).__name__}'}; "
                "check PARALLAX_SMTP_HOST, PARALLAX_SMTP_PORT and PARALLAX_SMTP_SECURITY. Nothing was "
                "recorded as sent: the next run retries")) from None
        finally:
            self._opening = None
        return conn

    def send(self, msg: EmailMessage, recipient: str) -> None:
        """Hand `msg` to the relay for `recipient` alone; returns only once the relay accepted it."""
        if self._conn is None:
            self._conn = self._connect()
        envelope_from = parseaddr(str(msg["From"]))[1]
        self._conn.sent_data = False
        deadline = self._deadline()
        try:
            with deadline:
                refused = self._conn.send_message(msg, from_addr=envelope_from, to_addrs=[recipient])
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = exc.recipients.get(recipient, (0, b"refused"))
            self._reset()
            raise RecipientRefused(recipient, f"the relay refused {recipient} ({_reply(code, text)})") from None
        except smtplib.SMTPDataError as exc:
            self._reset()
            raise RecipientRefused(
                recipient, self._scrub(f"the relay rejected the message to {recipient} "
                                       f"({_reply(exc.smtp_code, exc.smtp_error)})")) from None
        except smtplib.SMTPSenderRefused as exc:
            self.close()
            raise RelayUnavailable(
                f"the SMTP relay {self.where} refused the sender {exc.sender} "
                f"({_reply(exc.smtp_code, exc.smtp_error)}); check PARALLAX_SMTP_SENDER") from None
        except (smtplib.SMTPException, OSError) as exc:
            after_data = self._conn.sent_data
            self._drop()
            why = self._late(deadline, f"the message to {recipient}") or (
                f"lost the SMTP relay {self.where} while sending to {recipient}: "
                f"{exc or type(exc).__name__}")
            if after_data:
                raise DeliveryUncertain(recipient, self._scrub(
                    f"{why}, after the message was handed over: the relay may have received it; "
                    "it is not recorded as sent, so the next run sends it again with the same "
                    "Message-ID")) from None
            raise RelayUnavailable(self._scrub(f"{why}; the next run retries")) from None
        if refused:
            code, text = refused[recipient]
            raise RecipientRefused(recipient, f"the relay refused {recipient} ({_reply(code, text)})")

    def _reset(self) -> None:
        """After a refusal the session is still usable once the transaction is reset."""
        try:
            self._conn.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()

    def _drop(self) -> None:
        """Forget a connection that cannot be used any more (closing it sends nothing)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def _secret_forms(username: str, password: str) -> list[str]:
    """The password as a relay could echo it: plain, and base64 as AUTH PLAIN and LOGIN send it."""
    if not password:
        return []
    forms = [f"\0{username}\0{password}", password]
    encoded = {base64.b64encode(f.encode("utf-8")).decode("ascii") for f in forms}
    # A very short password would blank out ordinary words of every message; its base64 forms
    # (what a relay echoes) are still scrubbed.
    plain = {password} if len(password) >= 4 else set()
    return sorted(encoded | plain, key=len, reverse=True)
