"""The API's refusals through the deployed stage (the staff routes' 401/403 are proved in
test_month_end_and_billing.py): the body size limit, which the handlers enforce where WAF is not
deployed, and the device routes, which accept only the device's own token."""

import json
from collections.abc import Callable

import requests
from anshin.runtime.http import MAX_BODY_BYTES

from local.service import LocalService
from tests.e2e.test_applications import application, holder_of
from tests.e2e.test_device_commands import Subscriber, subscriber  # noqa: F401 - a fixture


def test_a_body_over_16_kb_is_413(local_service: LocalService) -> None:
    body = application("MC-TOO-BIG")
    body["applicant"]["name"] = "x" * MAX_BODY_BYTES
    answer = requests.post(
        f"{local_service.api_url}/applications",
        json=body,
        headers=holder_of(local_service, "MC-TOO-BIG"),
        timeout=30,
    )
    assert (answer.status_code, answer.json()["code"]) == (413, "PAYLOAD_TOO_LARGE")


def test_device_routes_accept_only_the_devices_own_token(
    local_service: LocalService,
    subscriber: Callable[..., Subscriber],  # noqa: F811 - a fixture
) -> None:
    mine, theirs = subscriber(), subscriber()
    url = f"{local_service.api_url}/devices/{theirs.device.device_id}/passphrase"
    for headers in (
        {},
        {"Authorization": "Bearer forged"},
        {"Authorization": f"Bearer {mine.device.device_token}"},  # a real token, of another device
        {"Authorization": str(mine.device.device_token)},  # not a bearer token
    ):
        answer = requests.put(url, json={"passphrase": "taken-over"}, headers=headers, timeout=30)
        assert (answer.status_code, answer.json()["code"]) == (401, "DEVICE_NOT_AUTHENTICATED"), headers
    answer = requests.put(
        url,
        json={"passphrase": "sakura-2027"},
        headers={"Authorization": f"Bearer {theirs.device.device_token}"},
        timeout=30,
    )
    assert answer.status_code == 204


def test_http_edges_answer_in_the_shared_shape(local_service: LocalService) -> None:
    """Through the deployed stage: unknown routes and methods (API Gateway's own answer, shaped
    by its gateway responses), media types in any case, broken JSON."""
    api = local_service.api_url
    for method, path in (("GET", "/no-such-route"), ("DELETE", "/applications"), ("PATCH", "/openapi.json")):
        answer = requests.request(method, api + path, timeout=30)
        assert (answer.status_code, answer.json()["code"]) == (404, "ROUTE_NOT_FOUND"), (method, path)
        assert answer.json()["message"]
    holder = holder_of(local_service, "MC-NO-SUCH-ACCOUNT")
    accepted = requests.post(
        f"{api}/applications",
        data=json.dumps(application("MC-NO-SUCH-ACCOUNT")),
        headers={"Content-Type": "Application/JSON; Charset=UTF-8", **holder},
        timeout=30,
    )
    assert (accepted.status_code, accepted.json()["status"]) == (202, "RECEIVED")
    broken = requests.post(
        f"{api}/applications",
        data='{"mobileContractId": ',
        headers={"Content-Type": "application/json", **holder},
        timeout=30,
    )
    assert (broken.status_code, broken.json()["code"]) == (400, "INVALID_JSON")
    assert "errors" not in broken.json()
    form = requests.post(f"{api}/applications", data={"a": "1"}, headers=holder, timeout=30)
    assert (form.status_code, form.json()["code"]) == (415, "UNSUPPORTED_MEDIA_TYPE")
