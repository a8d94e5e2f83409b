"""The local static server of the pages (local/web.py, issue 15): the site with its security
headers, the page's config document, and /v1/* forwarded to the API like CloudFront's behaviour."""

import gzip
import http.client
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from anshin.domain.screening import CURRENT_TERMS_VERSION

from local.emulator import free_port
from local.staff import console_sign_in
from local.web import SECURITY_HEADERS_FILE, WebServer, page_config, security_headers


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Upstream:
    """A fake REST API stage on 127.0.0.1 that records what reaches it and answers as told."""

    url: str
    seen: list[Seen] = field(default_factory=list)
    status: int = 201
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b'{"applicationId":"A-1"}'


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    fake = Upstream(url="")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_: object) -> None:
            pass

        def answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            fake.seen.append(
                Seen(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            )
            self.send_response(fake.status)
            for name, value in fake.headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(fake.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(fake.body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = answer

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/_aws/execute-api/abc123/v1"
    yield fake
    server.shutdown()
    server.server_close()


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    (root / "js").mkdir(parents=True)
    (root / "index.html").write_text("<!doctype html><title>申し込み</title>")
    (root / "status.html").write_text("<!doctype html><title>status</title>")
    (root / "js" / "app.js").write_text("export const x = 1;\n")
    (tmp_path / "secret.txt").write_text("not for the browser")
    return root


@pytest.fixture
def web(site: Path, upstream: Upstream) -> Iterator[WebServer]:
    server = WebServer(upstream.url, site=site).start()
    yield server
    server.stop()


def call(
    web: WebServer, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, http.client.HTTPMessage, bytes]:
    """One request with the path exactly as given (no client-side normalization of ``..``)."""
    port = int(web.url.rsplit(":", 1)[1])
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        answer = connection.getresponse()
        return answer.status, answer.headers, answer.read()
    finally:
        connection.close()


LOCAL_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def assert_security_headers(headers: http.client.HTTPMessage) -> None:
    assert headers["Content-Security-Policy"] == LOCAL_CSP
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Permissions-Policy"] == "camera=(), microphone=(), geolocation=()"
    assert "Strict-Transport-Security" not in headers


# --- the headers ---------------------------------------------------------------------------------
def test_the_file_holds_the_cloudfront_headers_and_the_local_server_drops_only_what_needs_https() -> None:
    in_file = json.loads(SECURITY_HEADERS_FILE.read_text())
    assert in_file["Content-Security-Policy"] == LOCAL_CSP + "; upgrade-insecure-requests"
    assert in_file["Strict-Transport-Security"].startswith("max-age=")
    local = security_headers()
    assert local["Content-Security-Policy"] == LOCAL_CSP
    assert set(in_file) - set(local) == {"Strict-Transport-Security"}


# --- the site ------------------------------------------------------------------------------------
def test_the_root_serves_index_html_with_the_security_headers(web: WebServer) -> None:
    status, headers, body = call(web, "GET", "/")
    assert status == 200
    assert body.decode() == "<!doctype html><title>申し込み</title>"
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert headers["Server"] == "anshin-web"
    assert_security_headers(headers)


def test_pages_and_modules_are_served_with_their_types(web: WebServer) -> None:
    status, headers, _ = call(web, "GET", "/status.html?id=A-1")
    assert (status, headers["Content-Type"]) == (200, "text/html; charset=utf-8")
    status, headers, body = call(web, "GET", "/js/app.js")
    assert (status, headers["Content-Type"], body) == (
        200,
        "text/javascript; charset=utf-8",
        b"export const x = 1;\n",
    )
    assert_security_headers(headers)


def test_head_gives_the_length_without_the_body(web: WebServer) -> None:
    status, headers, body = call(web, "HEAD", "/js/app.js")
    assert (status, headers["Content-Length"], body) == (200, "20", b"")


def test_a_missing_file_is_404_with_the_security_headers(web: WebServer) -> None:
    status, headers, _ = call(web, "GET", "/nothing.html")
    assert status == 404
    assert_security_headers(headers)


@pytest.mark.parametrize(
    "path",
    [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/js/../../secret.txt",
        "/js/..%2f..%2fsecret.txt",
        "/js/%2e%2e%5c..%5csecret.txt",
        "/./index.html",
        "/index.html%00.js",
    ],
)
def test_paths_outside_the_site_are_refused(web: WebServer, path: str) -> None:
    status, _, body = call(web, "GET", path)
    assert status == 404
    assert b"not for the browser" not in body


def test_the_site_is_read_only(web: WebServer) -> None:
    status, headers, _ = call(web, "POST", "/index.html", b"x", {"Content-Type": "text/plain"})
    assert (status, headers["Allow"]) == (405, "GET, HEAD")


def test_config_json_is_the_page_config(web: WebServer) -> None:
    status, headers, body = call(web, "GET", "/config.json")
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    assert (
        json.loads(body)
        == page_config()
        == {
            "apiBase": "/v1",
            "termsVersion": CURRENT_TERMS_VERSION,
            "termsDocument": "terms/smartphone-support-terms.ja.txt",
        }
    )
    assert_security_headers(headers)


# --- /v1 forwarded to the API --------------------------------------------------------------------
def test_a_post_is_forwarded_with_its_body_headers_and_query(web: WebServer, upstream: Upstream) -> None:
    upstream.status, upstream.body = 400, b'{"errors":[{"field":"applicant.email"}]}'
    upstream.headers = [("Content-Type", "application/json"), ("X-Amzn-RequestId", "r-1")]
    body = json.dumps({"mobileContractId": "MC-1"}).encode()
    status, headers, answer = call(
        web,
        "POST",
        "/v1/applications?dryRun=1",
        body,
        {
            "Content-Type": "application/json",
            "Idempotency-Key": "k-123",
            "Authorization": "Bearer t",
            "Host": "example.test",
        },
    )
    assert (status, answer) == (400, b'{"errors":[{"field":"applicant.email"}]}')
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Amzn-RequestId"] == "r-1"
    assert len(headers.get_all("Date") or []) == 1  # the API's, not a second one of ours
    assert_security_headers(headers)
    [seen] = upstream.seen
    assert (seen.method, seen.path, seen.body) == (
        "POST",
        "/_aws/execute-api/abc123/v1/applications?dryRun=1",
        body,
    )
    assert seen.headers["content-type"] == "application/json"
    assert seen.headers["idempotency-key"] == "k-123"
    assert seen.headers["authorization"] == "Bearer t"
    assert seen.headers["host"] == upstream.url.split("/")[2]  # the API's own Host, as CloudFront


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE", "OPTIONS"])
def test_every_method_is_forwarded(web: WebServer, upstream: Upstream, method: str) -> None:
    upstream.status = 200
    status, _, _ = call(web, method, "/v1/applications/A-1")
    assert status == 200
    assert [(s.method, s.path) for s in upstream.seen] == [
        (method, "/_aws/execute-api/abc123/v1/applications/A-1")
    ]


def test_a_compressed_answer_is_passed_on_as_it_came(web: WebServer, upstream: Upstream) -> None:
    upstream.status, upstream.body = 200, gzip.compress(b'{"openapi":"3.0.1"}')
    upstream.headers = [("Content-Type", "application/json"), ("Content-Encoding", "gzip")]
    status, headers, body = call(web, "GET", "/v1/openapi.json", headers={"Accept-Encoding": "gzip"})
    assert (status, headers["Content-Encoding"], headers["Content-Length"]) == (200, "gzip", str(len(body)))
    assert gzip.decompress(body) == b'{"openapi":"3.0.1"}'


@pytest.mark.parametrize("length", ["many", "-5"])
def test_a_content_length_that_is_not_a_size_is_400_and_nothing_is_forwarded(
    web: WebServer, upstream: Upstream, length: str
) -> None:
    status, headers, _ = call(web, "POST", "/v1/applications", headers={"Content-Length": length})
    assert status == 400
    assert_security_headers(headers)
    assert upstream.seen == []


def test_an_api_that_does_not_answer_is_a_502(site: Path) -> None:
    web = WebServer(f"http://127.0.0.1:{free_port()}/v1", site=site).start()
    try:
        status, headers, body = call(web, "GET", "/v1/openapi.json")
    finally:
        web.stop()
    assert status == 502
    assert b"did not answer" in body
    assert_security_headers(headers)


# --- where it listens ----------------------------------------------------------------------------
def test_it_listens_on_127_0_0_1_only_and_stop_frees_the_port(site: Path, upstream: Upstream) -> None:
    port = free_port()
    web = WebServer(upstream.url, site=site, port=port).start()
    assert web.url == f"http://127.0.0.1:{port}"
    assert web._server is not None and web._server.server_address[0] == "127.0.0.1"
    web.stop()
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))


def test_the_console_sign_in_is_in_the_config_and_its_domain_in_connect_src(
    site: Path, upstream: Upstream
) -> None:
    sign_in = console_sign_in("http://127.0.0.1:4566", "us-east-1_abc", "client-1")
    server = WebServer(upstream.url, site=site, sign_in=sign_in).start()
    try:
        status, headers, body = call(server, "GET", "/config.json")
    finally:
        server.stop()
    assert status == 200
    assert json.loads(body)["staffSignIn"] == {
        "issuer": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_abc",
        "clientId": "client-1",
        "authorizationEndpoint": "http://127.0.0.1:4566/oauth2/authorize",
        "tokenEndpoint": "http://127.0.0.1:4566/oauth2/token",
        "logoutEndpoint": "http://127.0.0.1:4566/logout",
        "staffGroup": "support-staff",
    }  # no revocation endpoint: the emulator has none (docs/emulator-notes.md)
    policy = headers["Content-Security-Policy"]
    assert "connect-src 'self' http://127.0.0.1:4566;" in policy
    assert policy.replace(" http://127.0.0.1:4566", "") == security_headers()["Content-Security-Policy"]


def test_the_member_sign_in_is_in_the_config_beside_the_consoles(site: Path, upstream: Upstream) -> None:
    from local.members import page_sign_in

    staff = console_sign_in("http://127.0.0.1:4566", "us-east-1_abc", "client-1")
    member = page_sign_in("http://127.0.0.1:4566", "us-east-1_members", "client-2")
    server = WebServer(upstream.url, site=site, sign_in=staff, member_sign_in=member).start()
    try:
        status, headers, body = call(server, "GET", "/config.json")
    finally:
        server.stop()
    assert status == 200
    assert json.loads(body)["memberSignIn"] == {
        "issuer": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_members",
        "clientId": "client-2",
        "authorizationEndpoint": "http://127.0.0.1:4566/oauth2/authorize",
        "tokenEndpoint": "http://127.0.0.1:4566/oauth2/token",
        "logoutEndpoint": "http://127.0.0.1:4566/logout",
    }
    assert (
        "connect-src 'self' http://127.0.0.1:4566 http://127.0.0.1:4566;"
        in headers["Content-Security-Policy"]
    )


def test_the_inbox_page_and_its_data_are_served_only_with_an_inbox(site: Path, upstream: Upstream) -> None:
    """The local inbox (issue 23): ``/inbox.html`` from local/inbox_page and ``/_local/inbox.json``
    from the collector, with the same headers; a server without an inbox serves neither."""
    messages = [{"receivedAt": "2026-12-07T03:00:00.000Z", "kind": "CONTRACT_FORMED", "message": {"x": 1}}]
    with_inbox = WebServer(upstream.url, site=site, inbox=lambda: messages).start()
    without = WebServer(upstream.url, site=site).start()
    try:
        status, headers, body = call(with_inbox, "GET", "/_local/inbox.json")
        assert (status, json.loads(body)) == (200, {"messages": messages})
        assert headers["Cache-Control"] == "no-store"
        status, headers, page = call(with_inbox, "GET", "/inbox.html")
        assert status == 200 and headers["Content-Type"].startswith("text/html") and page.strip()
        assert headers["Content-Security-Policy"] == security_headers()["Content-Security-Policy"]
        assert call(with_inbox, "GET", "/inbox.html/../../README.md")[0] == 404
        assert call(without, "GET", "/_local/inbox.json")[0] == 404
        assert call(without, "GET", "/inbox.html")[0] == 404
    finally:
        with_inbox.stop()
        without.stop()
