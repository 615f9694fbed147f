"""A local stand-in for Netlify: serves a built site with netlify.toml's headers and takes forms.

It does what the browser tests need Netlify to do, no more: pretty URLs (`/a/` serves
`a/index.html`, `/a` redirects to `/a/`), the site's 404 page with status 404, every matching
`[[headers]]` rule (later rules override earlier ones, as `netlify dev` merges them), gzip for
text when the browser accepts it, and form submissions: a POST whose `form-name` names a form
marked `data-netlify="true"` in the built HTML is recorded and answered with the page at the
POSTed path, as Netlify answers a form's action. Unknown forms get 404, like Netlify;
`failing` makes every submission fail with 500.
"""

from __future__ import annotations

import gzip
import mimetypes
import re
import threading
import tomllib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qsl, unquote, urlsplit

from lxml import html as lxml_html

MIME_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".xml": "application/xml; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".json": "application/json",
}


@dataclass(frozen=True, slots=True)
class HeaderRule:
    """One `[[headers]]` table: a path pattern and the headers it sets."""

    pattern: re.Pattern[str]
    values: Mapping[str, str]


def load_header_rules(netlify_toml: Path) -> list[HeaderRule]:
    """The `[[headers]]` rules of a netlify.toml, in file order."""
    config = tomllib.loads(netlify_toml.read_text(encoding="utf-8"))
    return [
        HeaderRule(_pattern(rule["for"]), dict(rule["values"]))
        for rule in config.get("headers", [])
    ]


def _pattern(for_path: str) -> re.Pattern[str]:
    # Netlify paths: `*` is a splat matching anything, `:name` matches one path segment.
    parts = re.split(r"(\*|:[A-Za-z_]\w*)", for_path)
    regex = "".join(
        ".*" if part == "*" else "[^/]+" if part.startswith(":") else re.escape(part)
        for part in parts
    )
    return re.compile(f"^{regex}$")


def headers_for(rules: list[HeaderRule], path: str) -> dict[str, str]:
    """Every matching rule's headers; a later rule overrides the same header of an earlier one."""
    merged: dict[str, str] = {}
    for rule in rules:
        if rule.pattern.match(path):
            merged.update(rule.values)
    return merged


def netlify_forms(site: Path) -> dict[str, str]:
    """Forms Netlify would detect at deploy: form name -> honeypot field name ('' for none)."""
    forms: dict[str, str] = {}
    for page in site.rglob("*.html"):
        for form in lxml_html.parse(str(page)).getroot().iter("form"):
            if form.get("data-netlify") == "true" and form.get("name"):
                forms[form.get("name", "")] = form.get("data-netlify-honeypot", "")
    return forms


@dataclass(frozen=True, slots=True)
class Submission:
    path: str
    fields: dict[str, str]
    content_type: str
    spam: bool


@dataclass
class NetlifyState:
    """What the server was configured with and what it received; shared with its threads."""

    site: Path
    rules: list[HeaderRule]
    forms: dict[str, str]
    failing: bool = False
    submissions: list[Submission] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def received(self) -> list[Submission]:
        with self.lock:
            return list(self.submissions)


class _Handler(BaseHTTPRequestHandler):
    state: ClassVar[NetlifyState]
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: pytest shows failures, not every request."""

    def do_GET(self) -> None:
        self._serve_path(urlsplit(self.path).path, head=False)

    def do_HEAD(self) -> None:
        self._serve_path(urlsplit(self.path).path, head=True)

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8")
        content_type = self.headers.get("Content-Type", "")
        fields = dict(parse_qsl(body, keep_blank_values=True))
        name = fields.get("form-name", "")
        state = self.state
        if name not in state.forms:
            self._send(HTTPStatus.NOT_FOUND, path, b"Not found: no such form", "text/plain")
            return
        honeypot = state.forms[name]
        with state.lock:
            state.submissions.append(
                Submission(path, fields, content_type, bool(honeypot and fields.get(honeypot)))
            )
            failing = state.failing
        if failing:
            self._send(HTTPStatus.INTERNAL_SERVER_ERROR, path, b"Server error", "text/plain")
            return
        self._serve_path(path, head=False)

    def _serve_path(self, path: str, *, head: bool) -> None:
        site = self.state.site
        relative = unquote(path).lstrip("/")
        if ".." in relative.split("/"):
            self._send(HTTPStatus.BAD_REQUEST, path, b"Bad path", "text/plain")
            return
        target = site / relative
        if target.is_dir() and not path.endswith("/"):
            self.send_response(HTTPStatus.MOVED_PERMANENTLY)
            self.send_header("Location", path + "/")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if target.is_dir():
            target /= "index.html"
        if target.is_file():
            self._send(HTTPStatus.OK, path, target.read_bytes(), _mime(target), head=head)
            return
        not_found = site / "404.html"
        body = not_found.read_bytes() if not_found.is_file() else b"Not found"
        self._send(HTTPStatus.NOT_FOUND, path, body, _mime(not_found), head=head)

    def _send(
        self, status: HTTPStatus, path: str, body: bytes, content_type: str, *, head: bool = False
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        if _compressible(content_type) and "gzip" in self.headers.get("Accept-Encoding", ""):
            body = gzip.compress(body, mtime=0)
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Vary", "Accept-Encoding")
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers_for(self.state.rules, path).items():
            self.send_header(name, value)
        self.end_headers()
        if not head:
            # The browser may move on before the body arrives: then there is nobody to answer.
            with suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)


def _compressible(content_type: str) -> bool:
    return content_type.startswith(("text/", "application/", "image/svg+xml"))


def _mime(path: Path) -> str:
    return MIME_TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "text/plain"


@dataclass(frozen=True, slots=True)
class NetlifyServer:
    """A running server: its origin and the state to steer it and inspect submissions."""

    origin: str
    state: NetlifyState

    def url(self, path: str) -> str:
        return self.origin + path


@contextmanager
def netlify_server(site: Path, netlify_toml: Path) -> Iterator[NetlifyServer]:
    """Serve `site` on 127.0.0.1 on a free port, in a thread, until the block ends."""
    state = NetlifyState(site, load_header_rules(netlify_toml), netlify_forms(site))
    handler = type("NetlifyHandler", (_Handler,), {"state": state})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, name="netlify-server", daemon=True)
    thread.start()
    try:
        yield NetlifyServer(f"http://127.0.0.1:{httpd.server_address[1]}", state)
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
