"""A static site on 127.0.0.1: the bundled demo site, and the fixture sites of the tests.

Files are served as bytes, exactly as stored (a GBK page stays GBK); `headers.toml` in the site's
root sets per-path response headers, so a page can be served with a charset, a wrong charset or a
status code (with `location` for redirects), or after a `delay` in seconds, as real sites do.
Sitemaps must hold absolute URLs, and the port is only known at start,
so `{base}` in an .xml file (and in robots.txt, for its Sitemap: lines) is replaced by the server's own URL.
"""

from __future__ import annotations

import threading
from collections import Counter
import tomllib
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path

DEFAULT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".shtml": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".asp": "text/html",
    ".xml": "application/xml",
    ".txt": "text/plain; charset=utf-8",
    ".pdf": "application/pdf",
}


def bundled_site() -> Path:
    return Path(str(resources.files("parallax").joinpath("sample_site")))


class _Handler(SimpleHTTPRequestHandler):
    overrides: dict = {}

    def log_message(self, format, *args):  # noqa: A002
        """Silent: a request log would drown the test and demo output."""

    def send_head(self):
        path, _, query = self.path.split("#", 1)[0].partition("?")
        path = path.lstrip("/")
        # `page.asp?id=7` is served from the file `page.asp__id=7` when there is one (`&` as `_`),
        # so sites whose articles differ only by query string can be mimicked.
        if query and (Path(self.directory) / f"{path}__{query.replace('&', '_')}").is_file():
            path = f"{path}__{query.replace('&', '_')}"
            self.path = "/" + path
        self.server.hits[path] += 1
        self.server.agents.add(self.headers.get("User-Agent", ""))
        rule = self.overrides.get(path, {})
        if "delay" in rule:  # a slow page, to exercise time-outs
            import time

            time.sleep(float(rule["delay"]))
        if "status" in rule:
            self.send_response(int(rule["status"]))
            if "location" in rule:
                self.send_header("Location", rule["location"])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        file = Path(self.directory) / path
        if file.is_dir() and path and not path.endswith("/") and (file / "index.html").is_file():
            # `/press-releases` is both a page and the folder of its articles on many sites.
            path += "/"
            self.path = "/" + path
        if file.is_dir():
            file = file / "index.html"
        if file.is_file() and ("xml" in self.guess_type(str(file.resolve())) or file.name == "robots.txt"):
            return self._send_xml(file)
        return super().send_head()

    def _send_xml(self, file: Path):
        import io

        host, port = self.server.server_address[:2]
        data = file.read_bytes().replace(b"{base}", f"http://{host}:{port}".encode())
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(file.resolve())))
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        return io.BytesIO(data)

    def guess_type(self, path):
        rel = str(Path(path).relative_to(Path(self.directory).resolve())) if Path(path).is_absolute() else path
        rule = self.overrides.get(rel.replace("\\", "/"), {})
        if "content_type" in rule:
            return rule["content_type"]
        suffix = Path(path).suffix.split("__", 1)[0]
        if not suffix:  # extension-less article URLs (/news/some-slug) are HTML pages
            return DEFAULT_TYPES[".html"]
        return DEFAULT_TYPES.get(suffix, super().guess_type(path))


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        """A client that hung up (a crawler that timed out) is expected, not an error."""
        import sys

        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class SiteServer:
    """Serve `root` on 127.0.0.1 (port 0 picks a free one) from a background thread."""

    def __init__(self, root: Path | None = None, port: int = 0):
        self.root = Path(root or bundled_site()).resolve()
        headers_file = self.root / "headers.toml"
        overrides = tomllib.loads(headers_file.read_text("utf-8")) if headers_file.is_file() else {}
        self.overrides = overrides
        handler = type("Handler", (_Handler,), {"overrides": overrides})
        self.httpd = _QuietServer(("127.0.0.1", port), partial(handler, directory=str(self.root)))
        self.httpd.daemon_threads = True
        # Requests per path (query folded in as above), so tests can see what a crawl fetched.
        self.httpd.hits = Counter()
        self.httpd.agents = set()
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def set_rule(self, path: str, rule: dict | None) -> None:
        """Change one path's headers.toml rule while serving (e.g. {"status": 410}); None removes it,
        so a test can make a page disappear between two crawls."""
        if rule is None:
            self.overrides.pop(path, None)
        else:
            self.overrides[path] = dict(rule)

    @property
    def hits(self) -> Counter:
        return self.httpd.hits

    @property
    def agents(self) -> set[str]:
        """Every User-Agent that asked for something."""
        return self.httpd.agents

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> "SiteServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
