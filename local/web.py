"""The pages on 127.0.0.1: a small static server for ``.build/web`` (``make web``) that also
forwards ``/v1/*`` to the local stack's REST API, so the page reaches the API at its own origin
as it does behind CloudFront (``infra/stacks/web.py``), with the same security headers.

The emulator has no CloudFront data plane (docs/emulator-notes.md), hence this server. Like
CloudFront's ``/v1/*`` behaviour, it forwards every method, the body, the query string and every
header but ``Host`` and the hop-by-hop ones, and hands the answer back unchanged (status, headers,
body: still compressed if the API compressed it).
"""

from __future__ import annotations

import json
import mimetypes
import threading
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import requests
import urllib3

from infra import web_config
from infra.web_config import SECURITY_HEADERS_FILE
from local.emulator import HOST, ROOT

SITE = ROOT / ".build" / "web"
#: The security headers, one file for CloudFront's response headers policy and this server.
API_PREFIX = "/v1"
#: Headers that belong to one connection, never forwarded (RFC 9110 7.6.1), plus Host (the
#: upstream's own, as CloudFront's AllViewerExceptHostHeader) and the lengths we recompute.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
    }
)
FORWARD_TIMEOUT = 60.0
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml",
    ".webmanifest": "application/manifest+json",
}


#: The local inbox page (issue 23): local only, never part of the site CloudFront serves.
INBOX_PAGE = ROOT / "local" / "inbox_page"
#: Its data: every notification the local stack sent, newest first (local.inbox.InboxCollector).
INBOX_DATA = "/_local/inbox.json"


def page_config(
    sign_in: dict[str, str] | None = None, member_sign_in: dict[str, str] | None = None
) -> dict[str, object]:
    """The page's settings (``/config.json``), as the web stack writes them at deploy time;
    ``sign_in``: the staff console's (infra.web_config.staff_sign_in); ``member_sign_in``: the
    member pages' (infra.web_config.member_sign_in)."""
    return web_config.page_config(API_PREFIX, sign_in, member_sign_in)


def _origin(sign_in: dict[str, str] | None) -> str:
    if not sign_in:
        return ""
    endpoint = urlsplit(sign_in["tokenEndpoint"])
    return f"{endpoint.scheme}://{endpoint.netloc}"


def security_headers(path: Path = SECURITY_HEADERS_FILE, *sign_in_domains: str) -> dict[str, str]:
    """The headers of ``web/security-headers.json`` as plain http on 127.0.0.1 can honour them:
    without Strict-Transport-Security and the CSP's ``upgrade-insecure-requests`` (there is no
    https here to upgrade to), the rest verbatim; the CSP admits the ``sign_in_domains`` as the
    web stack's admits the staff and members pools' domains."""
    headers: dict[str, str] = json.loads(path.read_text())
    local = {k: v for k, v in headers.items() if k.lower() != "strict-transport-security"}
    for name, value in local.items():
        if name.lower() == "content-security-policy":
            directives = [d.strip() for d in value.split(";") if d.strip()]
            policy = "; ".join(d for d in directives if d != "upgrade-insecure-requests")
            domains = [d for d in sign_in_domains if d]
            if domains:
                policy = web_config.content_security_policy(policy, *domains)
            local[name] = policy
    return local


class WebServer:
    """The site of ``site`` on ``http://127.0.0.1:<port>`` (0: a free one), in a thread."""

    def __init__(
        self,
        api_url: str,
        *,
        site: Path = SITE,
        port: int = 0,
        sign_in: dict[str, str] | None = None,
        member_sign_in: dict[str, str] | None = None,
        inbox: Callable[[], list[dict[str, Any]]] | None = None,
    ) -> None:
        """``sign_in``: the staff console's sign-in (local.staff.console_sign_in), if any;
        ``member_sign_in``: the member pages' (local.members.page_sign_in); ``inbox``: what the
        local inbox page lists (local.inbox.InboxCollector.messages), if served."""
        self.api_url = api_url.rstrip("/")
        self.site = site
        self.port = port
        self.sign_in = sign_in
        self.member_sign_in = member_sign_in
        self.inbox = inbox
        self.headers = security_headers(SECURITY_HEADERS_FILE, _origin(sign_in), _origin(member_sign_in))
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> WebServer:
        handler = type("Handler", (_Handler,), {"web": self})
        server = ThreadingHTTPServer((HOST, self.port), handler)
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="anshin-web", daemon=True
        )
        self._thread.start()
        return self

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the web server is not started")
        return f"http://{HOST}:{self._server.server_address[1]}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None


class _Handler(BaseHTTPRequestHandler):
    web: WebServer
    protocol_version = "HTTP/1.1"
    server_version = "anshin-web"

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: ``make run`` prints a summary, not a line per request."""

    def _dispatch(self) -> None:
        path = urlsplit(self.path).path
        if path == API_PREFIX or path.startswith(API_PREFIX + "/"):
            self._forward()
        elif self.command not in ("GET", "HEAD"):
            self._reply(HTTPStatus.METHOD_NOT_ALLOWED, b"method not allowed\n", {"Allow": "GET, HEAD"})
        elif path == "/config.json":
            config = page_config(self.web.sign_in, self.web.member_sign_in)
            self._json(json.dumps(config, ensure_ascii=False).encode())
        elif path == INBOX_DATA and self.web.inbox is not None:
            self._json(json.dumps({"messages": self.web.inbox()}, ensure_ascii=False).encode())
        elif self.web.inbox is not None and path.startswith("/inbox.") and "/" not in path[1:]:
            self._static(path, INBOX_PAGE)
        else:
            self._static(path)

    def _json(self, body: bytes) -> None:
        self._reply(HTTPStatus.OK, body, {"Content-Type": "application/json", "Cache-Control": "no-store"})

    # Every method: the API's are forwarded, the site's are GET and HEAD only.
    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _dispatch

    def _static(self, path: str, root: Path | None = None) -> None:
        file = self._file_of(path, root or self.web.site)
        if file is None:
            self._reply(HTTPStatus.NOT_FOUND, b"not found\n", {"Content-Type": "text/plain; charset=utf-8"})
            return
        kind = TYPES.get(file.suffix) or mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        # The developer edits web/ and runs make web again: always revalidate.
        self._reply(HTTPStatus.OK, file.read_bytes(), {"Content-Type": kind, "Cache-Control": "no-cache"})

    def _file_of(self, path: str, site: Path) -> Path | None:
        """The file of ``path`` inside ``site``, or None (missing, or outside it: any ``..``,
        backslash or NUL is refused rather than normalized)."""
        name = unquote(path)
        parts = [p for p in name.split("/") if p]
        if any(p in (".", "..") or "\\" in p or "\0" in p for p in parts):
            return None
        root = site.resolve()
        file = root.joinpath(*parts).resolve()
        if file.is_dir():
            file = file / "index.html"
        if not file.is_relative_to(root) or not file.is_file():
            return None
        return file

    def _forward(self) -> None:
        split = urlsplit(self.path)
        target = self.web.api_url + split.path[len(API_PREFIX) :] + (f"?{split.query}" if split.query else "")
        if "transfer-encoding" in {k.lower() for k in self.headers}:
            # Browsers send a Content-Length with fetch() bodies; chunked uploads are not needed.
            self._reply(HTTPStatus.LENGTH_REQUIRED, b"a Content-Length is required\n")
            return
        length = self.headers.get("Content-Length") or "0"
        if not length.isdigit():  # not a number, or negative: reading on would hang or fail
            self._reply(HTTPStatus.BAD_REQUEST, b"a Content-Length must be a number of bytes\n")
            return
        size = int(length)
        body = self.rfile.read(size) if size else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        try:
            with requests.Session() as session:
                session.trust_env = False  # no proxy from the environment between us and 127.0.0.1
                answer = session.request(
                    self.command,
                    target,
                    data=body,
                    headers=headers,
                    allow_redirects=False,
                    stream=True,
                    timeout=FORWARD_TIMEOUT,
                )
                content = answer.raw.read(decode_content=False)
        except (requests.RequestException, urllib3.exceptions.HTTPError) as error:
            # No answer, or one cut off while its body was read (the emulator stopped).
            message = f"the local API at {self.web.api_url} did not answer: {error}\n"
            self._reply(
                HTTPStatus.BAD_GATEWAY, message.encode(), {"Content-Type": "text/plain; charset=utf-8"}
            )
            return
        passed = [(k, v) for k, v in answer.raw.headers.items() if k.lower() not in HOP_BY_HOP]
        # A HEAD answer has no body but tells the length the GET's would have.
        announced = answer.headers.get("Content-Length") if self.command == "HEAD" else None
        self._reply(answer.status_code, content, passed, length=announced, upstream=True)

    def _reply(
        self,
        status: int,
        body: bytes,
        headers: dict[str, str] | list[tuple[str, str]] | None = None,
        *,
        length: str | None = None,
        upstream: bool = False,
    ) -> None:
        pairs = list(headers.items()) if isinstance(headers, dict) else list(headers or [])
        # The security headers win over an upstream header of the same name (CloudFront's
        # response headers policy overrides them too).
        ours = {k.lower() for k in self.web.headers}
        if upstream:  # the API's own Date (and Server, if any) pass through: not ours as well
            self.send_response_only(status)
        else:
            self.send_response(status)
        for name, value in pairs:
            if name.lower() not in ours:
                self.send_header(name, value)
        for name, value in self.web.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", length or str(len(body)))
        try:
            self.end_headers()
            if self.command != "HEAD" and status not in (HTTPStatus.NO_CONTENT, HTTPStatus.NOT_MODIFIED):
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            # The browser went away first (a navigation cancels the page's requests): nobody
            # is left to answer, and that is no error of the server's.
            self.close_connection = True
