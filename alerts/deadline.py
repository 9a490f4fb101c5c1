"""A total deadline for one network exchange, whatever the peer drips.

A socket time-out bounds each read, not the exchange: a receiver that sends one header (or an
SMTP relay one `220-` line) a second before each read would time out keeps the client waiting
forever. `Deadline` runs a timer beside the exchange; when the budget is spent it shuts the socket
down under the client's feet, so the blocked read returns at once and the client's own error
handling runs. `expired` then tells the caller to report a deadline rather than a lost peer.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from typing import Callable


class Deadline:
    """`with Deadline(seconds, lambda: conn.sock) as d: …` — the socket is looked up when the
    time is up (it may not exist yet when the exchange starts)."""

    POLL = 0.05  # after expiry, how often to look again for a socket being opened late

    def __init__(self, seconds: float, current_socket: Callable[[], socket.socket | None]):
        self.seconds = seconds
        self._socket = current_socket
        self.expired = False
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True, name="deadline")

    def __enter__(self) -> "Deadline":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._done.set()
        self._thread.join()

    def _watch(self) -> None:
        if self._done.wait(self.seconds):
            return
        self.expired = True
        # Keep cutting until the exchange is over: a connect still in progress when the time ran
        # out yields its socket later.
        while True:
            sock = self._socket()
            if sock is not None:
                # The plain socket's shutdown, also for TLS: it unblocks the reader without touching
                # the SSL object another thread is using. OSError: not connected yet, or closed.
                with contextlib.suppress(OSError):
                    socket.socket.shutdown(sock, socket.SHUT_RDWR)
            if self._done.wait(self.POLL):
                return
