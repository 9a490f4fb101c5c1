"""A threaded HTTP server on 127.0.0.1 (port 0) for a test's own handler: the webhook receiver,
the model hub and the Elasticsearch fault server all stand on it, and differ only in what they
answer."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class LoopbackServer:
    """`with` starts it on a free port and stops it; `origin` is `http://127.0.0.1:PORT`."""

    def __init__(self, handler: type[BaseHTTPRequestHandler]):
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True  # a client that hangs up mid-answer never holds the test
        self.origin = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
