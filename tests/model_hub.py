"""A model hub on 127.0.0.1 in the Hugging Face Hub's URL layout, for `snapshot_download`.

It answers the few endpoints huggingface_hub calls to fetch a snapshot: the revision's commit
(`/api/models/{repo}/revision/{rev}`), its file list (`/api/models/{repo}/tree/{sha}`), and each
file by HEAD and GET at `/{repo}/resolve/{sha}/{path}` with `X-Repo-Commit` and `ETag` (Range
requests honoured, so resumed downloads can be seen). Faults on demand: a file whose first GET is
cut off half-way, and 404 for every repository.
"""

from __future__ import annotations

import hashlib
import json
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import unquote, urlparse

from tests.loopback import LoopbackServer


class ModelHub(LoopbackServer):
    def __init__(self, repos: dict[str, Path]):
        self.repos = {name: Path(path) for name, path in repos.items()}
        self.commits = {name: hashlib.sha1(name.encode()).hexdigest() for name in self.repos}
        self.cut_once: set[str] = set()  # file names whose next GET stops half-way
        self.cut_always: set[str] = set()  # file names whose every GET stops half-way
        self.not_found = False
        self.requests: list[tuple[str, str, str | None]] = []  # (method, path, Range header)
        hub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # the test reads hub.requests instead of stderr
                return None

            def do_HEAD(self):
                hub._answer(self, head=True)

            def do_GET(self):
                hub._answer(self, head=False)

        super().__init__(Handler)
        self.url = self.origin

    # -- answers ----------------------------------------------------------------------------------

    def _files(self, repo: str) -> list[Path]:
        root = self.repos[repo]
        return sorted(p for p in root.rglob("*") if p.is_file())

    def _json(self, handler, status: int, body, headers: dict | None = None) -> None:
        data = json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            handler.send_header(k, v)
        handler.end_headers()
        handler.wfile.write(data)

    def _missing(self, handler, what: str) -> None:
        self._json(handler, 404, {"error": f"{what} not found"},
                   {"X-Error-Code": "RepoNotFound", "X-Error-Message": f"{what} not found"})

    def _repo_of(self, parts: list[str]) -> str | None:
        for n in (2, 1):
            name = "/".join(parts[:n])
            if name in self.repos:
                return name
        return None

    def _answer(self, handler, head: bool) -> None:
        url = urlparse(handler.path)
        path = unquote(url.path)
        self.requests.append((handler.command, path, handler.headers.get("Range")))
        parts = [p for p in path.split("/") if p]
        if parts[:2] == ["api", "models"] and len(parts) == 2:
            return self._json(handler, 200, [])
        if parts[:2] == ["api", "models"]:
            rest = parts[2:]
            repo = self._repo_of(rest)
            if repo is None or self.not_found:
                return self._missing(handler, f"repository {'/'.join(rest[:2])}")
            tail = rest[len(repo.split("/")):]
            sha = self.commits[repo]
            if tail[:1] == ["revision"]:
                siblings = [{"rfilename": str(p.relative_to(self.repos[repo]))} for p in self._files(repo)]
                return self._json(handler, 200, {"id": repo, "sha": sha, "siblings": siblings})
            if tail[:1] == ["tree"]:
                entries = [{"type": "file", "path": str(p.relative_to(self.repos[repo])),
                            "size": p.stat().st_size, "oid": hashlib.sha1(p.read_bytes()).hexdigest()}
                           for p in self._files(repo)]
                return self._json(handler, 200, entries)
            return self._missing(handler, path)
        repo = self._repo_of(parts)
        if repo is None or self.not_found:
            return self._missing(handler, f"repository {'/'.join(parts[:2])}")
        tail = parts[len(repo.split("/")):]
        if tail[:1] != ["resolve"] or len(tail) < 3:
            return self._missing(handler, path)
        file = self.repos[repo].joinpath(*tail[2:])
        if not file.is_file():
            return self._json(handler, 404, {"error": "entry not found"}, {"X-Error-Code": "EntryNotFound"})
        self._send_file(handler, repo, file, head)

    def _send_file(self, handler, repo: str, file: Path, head: bool) -> None:
        data = file.read_bytes()
        start = 0
        ranged = handler.headers.get("Range")
        if ranged and ranged.startswith("bytes="):
            start = int(ranged[6:].split("-")[0] or 0)
        body = data[start:]
        handler.send_response(206 if start else 200)
        handler.send_header("Content-Length", str(len(body)))
        handler.send_header("Content-Type", "application/octet-stream")
        handler.send_header("X-Repo-Commit", self.commits[repo])
        handler.send_header("ETag", '"' + hashlib.sha256(data).hexdigest() + '"')
        if start:
            handler.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        handler.end_headers()
        if head:
            return
        if file.name in self.cut_always or (file.name in self.cut_once and not start):
            self.cut_once.discard(file.name)
            handler.wfile.write(body[: len(body) // 2])
            handler.wfile.flush()
            handler.close_connection = True
            handler.connection.shutdown(2)
            return
        handler.wfile.write(body)
