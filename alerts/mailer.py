"""Sending mail through an SMTP relay, one recipient per transaction.

Sending to one recipient at a time makes every outcome belong to one address: a refused address is
reported and the others still get their mail, and what is recorded as sent is exactly what the
relay accepted. Failures come in two kinds, because the caller treats them differently:
`RelayUnavailable` (cannot connect, TLS or login fails, connection lost, timeout) stops the run's
sending, and `RecipientRefused` (the relay rejected this address or this message) skips one
recipient. Both leave the digest unrecorded, so the next run retries it.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import parseaddr

from parallax.errors import MailError


class RelayUnavailable(MailError):
    """The relay cannot be used at all right now; nothing more can be sent this run."""


class RecipientRefused(MailError):
    """The relay refused one recipient (or this message for it); others are unaffected."""

    def __init__(self, recipient: str, message: str):
        self.recipient = recipient
        super().__init__(message)


def _reply(code: int, text) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {text}".strip()


class Mailer:
    """One SMTP session, opened on the first send and closed on exit."""

    def __init__(self, smtp):
        self.smtp = smtp
        self._conn: smtplib.SMTP | None = None
        self.where = f"{smtp.host}:{smtp.port} ({smtp.security})"

    def __enter__(self) -> "Mailer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.quit()
            except (smtplib.SMTPException, OSError):
                self._conn.close()
            self._conn = None

    def _connect(self) -> smtplib.SMTP:
        s = self.smtp
        try:
            if s.security == "tls":
                conn = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout,
                                        context=ssl.create_default_context())
            else:
                conn = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
            conn.ehlo_or_helo_if_needed()
            if s.security == "starttls":
                conn.starttls(context=ssl.create_default_context())
                conn.ehlo()
            if s.username:
                conn.login(s.username, s.password)
        except smtplib.SMTPAuthenticationError as exc:
            raise RelayUnavailable(
                f"the SMTP relay {self.where} refused the login for {s.username!r} "
                f"({_reply(exc.smtp_code, exc.smtp_error)}); check PARALLAX_SMTP_USERNAME and "
                "PARALLAX_SMTP_PASSWORD") from None
        except smtplib.SMTPNotSupportedError as exc:
            raise RelayUnavailable(
                f"the SMTP relay {self.where} does not support what is configured ({exc}); "
                "check PARALLAX_SMTP_SECURITY (none | starttls | tls)") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise RelayUnavailable(
                f"cannot reach the SMTP relay {self.where}: {exc or type(exc).__name__}; "
                "check PARALLAX_SMTP_HOST, PARALLAX_SMTP_PORT and PARALLAX_SMTP_SECURITY. Nothing was "
                "recorded as sent: the next run "
                "retries") from None
        return conn

    def send(self, msg: EmailMessage, recipient: str) -> None:
        """Hand `msg` to the relay for `recipient` alone; returns only once the relay accepted it."""
        if self._conn is None:
            self._conn = self._connect()
        envelope_from = parseaddr(str(msg["From"]))[1]
        try:
            refused = self._conn.send_message(msg, from_addr=envelope_from, to_addrs=[recipient])
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = exc.recipients.get(recipient, (0, b"refused"))
            self._reset()
            raise RecipientRefused(recipient, f"the relay refused {recipient} ({_reply(code, text)})") from None
        except smtplib.SMTPDataError as exc:
            self._reset()
            raise RecipientRefused(
                recipient, f"the relay rejected the message to {recipient} "
                           f"({_reply(exc.smtp_code, exc.smtp_error)})") from None
        except smtplib.SMTPSenderRefused as exc:
            self.close()
            raise RelayUnavailable(
                f"the SMTP relay {self.where} refused the sender {exc.sender} "
                f"({_reply(exc.smtp_code, exc.smtp_error)}); check PARALLAX_SMTP_SENDER") from None
        except (smtplib.SMTPException, OSError) as exc:
            self._drop()
            raise RelayUnavailable(
                f"lost the SMTP relay {self.where} while sending to {recipient}: "
                f"{exc or type(exc).__name__}; the next run retries") from None
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
        if self._conn is not None:
            self._conn.close()
            self._conn = None
