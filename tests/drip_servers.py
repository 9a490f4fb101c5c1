"""Hostile peers on 127.0.0.1 for the deadline tests: servers that answer, but one line at a time.

Each is a real TCP server in a thread on port 0. `DripServer` sends a script of lines, waiting
`interval` seconds before each — the way a tar-pit or a broken proxy keeps a client waiting while
never letting a per-read time-out expire. `ScriptedSmtp` speaks just enough SMTP to get a client
into a chosen state (the login refused with the credentials echoed back).
"""

from __future__ import annotations

import abc
import contextlib
import socket
import threading
import time


class _ThreadServer(abc.ABC):
    def __init__(self):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.stopping = threading.Event()
        self.received: list[bytes] = []
        self.hangups = 0
        self._threads: list[threading.Thread] = []
        self._accept = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self):
        self._accept.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        with contextlib.suppress(OSError):  # wakes the accept loop; refused once it has ended
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
        self._accept.join(timeout=5)
        self.sock.close()
        for t in self._threads:
            t.join(timeout=5)

    def _serve(self):
        while not self.stopping.is_set():
            conn, _ = self.sock.accept()
            if self.stopping.is_set():
                conn.close()
                break
            t = threading.Thread(target=self._guarded, args=(conn,), daemon=True)
            self._threads.append(t)
            t.start()

    def _guarded(self, conn):
        try:
            self.handle(conn)
        except OSError:
            self.hangups += 1  # the client hung up (or was cut off): what the tests provoke
        finally:
            conn.close()

    @abc.abstractmethod
    def handle(self, conn):
        """Talk to one client on `conn` (each server's script of the protocol)."""


class DripServer(_ThreadServer):
    """Reads whatever comes, and sends `lines` one every `interval` seconds, `repeat` forever."""

    def __init__(self, lines: list[bytes], interval: float = 1.0, repeat: bytes | None = None):
        super().__init__()
        self.lines, self.interval, self.repeat = lines, interval, repeat
        self.connections = 0

    def handle(self, conn):
        self.connections += 1
        conn.settimeout(0.05)
        for line in self._script():
            deadline = time.monotonic() + self.interval
            while time.monotonic() < deadline:
                if self.stopping.is_set():
                    return
                try:
                    data = conn.recv(65536)
                    if data:
                        self.received.append(data)
                except socket.timeout:
                    continue
            conn.sendall(line)

    def _script(self):
        yield from self.lines
        while self.repeat is not None and not self.stopping.is_set():
            yield self.repeat


class ScriptedSmtp(_ThreadServer):
    """An SMTP relay that refuses every login with a reply echoing the client's AUTH line."""

    def handle(self, conn):
        conn.settimeout(5)
        f = conn.makefile("rwb")
        f.write(b"220 hostile.example ESMTP\r\n")
        f.flush()
        while line := f.readline():
            self.received.append(line)
            verb = line.split(b" ", 1)[0].upper().strip()
            if verb == b"EHLO":
                f.write(b"250-hostile.example\r\n250 AUTH PLAIN\r\n")
            elif verb == b"AUTH":
                f.write(b"535 5.7.8 credentials rejected: " + line.strip() + b"\r\n")
            elif verb == b"QUIT":
                f.write(b"221 bye\r\n")
                f.flush()
                return
            else:
                f.write(b"250 OK\r\n")
            f.flush()
