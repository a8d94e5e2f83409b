"""The simulated device installs the app as a real one would (R6.4): a registration that fails for
a reason that can pass is tried again with backoff, one that cannot is given up. Against a stub
API on 127.0.0.1; the fleet's clock is moved by hand, nothing sleeps."""

import http.server
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from local.devices import RETRY_GIVE_UP_AFTER, DeviceFleet, Installation, retry_delay


def http_error(status: int, body: dict[str, Any] | None = None, **headers: str) -> requests.HTTPError:
    response = requests.Response()
    response.status_code = status
    response._content = json.dumps(body or {}).encode()
    response.headers.update({"Content-Type": "application/json", **headers})
    return requests.HTTPError(response=response)


@pytest.mark.parametrize(
    ("failure", "expected"),
    [
        (http_error(409, {"code": "CONTRACT_FORMING"}, **{"Retry-After": "2"}), 2.0),
        (http_error(404, {"code": "MEMBER_CODE_NOT_FOUND"}), None),
        (http_error(422, {"code": "UNSUPPORTED_DEVICE"}), None),
        (http_error(409, {"code": "DEVICE_MISMATCH"}), None),
        (http_error(409, {"code": "CONTRACT_ENDED"}), None),
        (http_error(503, {"code": "TEMPORARILY_UNAVAILABLE"}, **{"Retry-After": "1"}), 1.0),
        (http_error(502), 0.5 * 2**3),  # backoff: attempt 3, the jitter at its top
        (requests.ConnectionError("refused"), 0.5 * 2**3),
        (ValueError("not a request failure"), None),
    ],
)
def test_what_is_tried_again_and_when(failure: BaseException, expected: float | None) -> None:
    assert retry_delay(3, failure, rng=lambda: 1.0) == expected


def test_the_wait_doubles_up_to_a_cap_and_then_the_app_gives_up() -> None:
    failure = requests.ConnectionError("refused")
    delays = [retry_delay(n, failure, rng=lambda: 1.0) for n in range(1, RETRY_GIVE_UP_AFTER + 1)]
    assert delays[:4] == [1.0, 2.0, 4.0, 8.0]
    assert max(d for d in delays if d is not None) == 30.0
    assert delays[-1] is None


class StubApi:
    """Answers registrations from a script of statuses, then accepts the passphrase."""

    def __init__(self, script: list[int]) -> None:
        self.script = script
        self.registrations = 0
        stub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self, status: int, body: dict[str, Any], headers: dict[str, str]) -> None:
                payload = json.dumps(body).encode()
                self.send_response(status)
                for name, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                status = stub.script[min(stub.registrations, len(stub.script) - 1)]
                stub.registrations += 1
                if status == 201:
                    self._answer(201, {"deviceId": "d", "contractId": "ctr-1", "deviceToken": "tok"}, {})
                else:
                    code = "CONTRACT_FORMING" if status == 409 else "UNSUPPORTED_DEVICE"
                    self._answer(status, {"code": code, "message": "m"}, {"Retry-After": "1"})

            def do_PUT(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                self._answer(200, {"passphraseSet": True}, {})

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def forming_twice() -> Iterator[StubApi]:
    api = StubApi([409, 409, 201])
    yield api
    api.server.shutdown()


def test_a_contract_still_forming_is_registered_on_a_later_try(forming_twice: StubApi) -> None:
    now = [100.0]
    fleet = DeviceFleet("http://127.0.0.1:9", forming_twice.url, clock=lambda: now[0])
    fleet.pending.append(Installation({"deviceId": "dev-1", "memberConfirmationCode": "12345678"}, due=100.0))

    fleet.install_due()  # 409 CONTRACT_FORMING, Retry-After: 1
    assert (forming_twice.registrations, fleet.pending[0].due) == (1, 101.0)
    fleet.install_due()  # not yet due: nothing is sent
    assert forming_twice.registrations == 1
    now[0] = 101.0
    fleet.install_due()  # 409 again
    now[0] = 102.0
    fleet.install_due()  # 201

    assert forming_twice.registrations == 3
    assert fleet.pending == [] and fleet.given_up == {}
    device = fleet.by_id("dev-1")
    assert device is not None and device.device_token == "tok"


def test_a_final_refusal_is_given_up_at_once() -> None:
    api = StubApi([422])
    try:
        fleet = DeviceFleet("http://127.0.0.1:9", api.url, clock=lambda: 0.0)
        fleet.pending.append(Installation({"deviceId": "ios-1", "memberConfirmationCode": "12345678"}))
        fleet.install_due()
        assert fleet.pending == []
        assert list(fleet.given_up) == ["ios-1"]
        assert api.registrations == 1
    finally:
        api.server.shutdown()
