"""What every API handler refuses before it parses a request: a body over 16 KB (413), a body
that is not JSON (415), a caller of a device route without that device's own token (401). The
staff routes' 401/403 are in the other API tests and on the local service (tests/e2e)."""

import json
from typing import Any

import pytest
from anshin.runtime.http import MAX_BODY_BYTES

from tests.integration.conftest import STAFF, api_call, handler_fixture, member_claims
from tests.integration.test_device_commands import device  # noqa: F401 - a fixture

applications_api = handler_fixture("applications_api")
contracts_api = handler_fixture("contracts_api")
support_api = handler_fixture("support_api")
devices_api = handler_fixture("devices_api")
members_api = handler_fixture("members_api")

#: Who calls each API's route: its own kind of caller (a member's routes refuse staff first).
HOLDER = member_claims("MC-0001")
CALLER = {"applications_api": HOLDER, "members_api": HOLDER}

#: One route per API function: (fixture, method, path, resource, path parameters).
ROUTES = [
    ("applications_api", "POST", "/applications", "/applications", None),
    (
        "contracts_api",
        "POST",
        "/contracts/ctr-1/cancellation",
        "/contracts/{contractId}/cancellation",
        {"contractId": "ctr-1"},
    ),
    ("support_api", "POST", "/support-sessions", "/support-sessions", None),
    ("devices_api", "POST", "/devices/registrations", "/devices/registrations", None),
    (
        "members_api",
        "PATCH",
        "/me/contracts/ctr-1",
        "/me/contracts/{contractId}",
        {"contractId": "ctr-1"},
    ),
]


@pytest.mark.parametrize(("api", "method", "path", "resource", "params"), ROUTES)
def test_a_body_over_16_kb_is_413_and_nothing_is_parsed(
    request: pytest.FixtureRequest,
    lambda_context: object,
    api: str,
    method: str,
    path: str,
    resource: str,
    params: dict[str, str] | None,
) -> None:
    handler = request.getfixturevalue(api)
    oversized = {"padding": "x" * MAX_BODY_BYTES}
    caller = CALLER.get(api, STAFF)
    status, body = api_call(handler, lambda_context, method, path, resource, params, oversized, claims=caller)
    assert (status, body["code"]) == (413, "PAYLOAD_TOO_LARGE")
    # Multi-byte text counts in bytes, not characters: 6 000 kana are 18 000 bytes.
    kana = {"padding": "あ" * 6000}
    status, body = api_call(handler, lambda_context, method, path, resource, params, kana, claims=caller)
    assert (status, body["code"]) == (413, "PAYLOAD_TOO_LARGE")


@pytest.mark.parametrize(("api", "method", "path", "resource", "params"), ROUTES)
@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        ('{"a": ', "application/json", 400, "INVALID_JSON"),
        ("{'single': 'quotes'}", "Application/JSON", 400, "INVALID_JSON"),
        ("a=1&b=2", "application/x-www-form-urlencoded", 415, "UNSUPPORTED_MEDIA_TYPE"),
        ("<a/>", "text/xml", 415, "UNSUPPORTED_MEDIA_TYPE"),
    ],
)
def test_every_route_answers_a_body_it_cannot_read_with_a_code_and_no_field_errors(
    request: pytest.FixtureRequest,
    lambda_context: object,
    api: str,
    method: str,
    path: str,
    resource: str,
    params: dict[str, str] | None,
    body: str,
    content_type: str,
    status: int,
    code: str,
) -> None:
    handler = request.getfixturevalue(api)
    caller = CALLER.get(api, STAFF)
    answer = api_call(
        handler, lambda_context, method, path, resource, params, body, caller, {"Content-Type": content_type}
    )
    assert answer[0] == status
    assert answer[1]["code"] == code and answer[1]["message"] and "errors" not in answer[1]


def test_a_body_at_the_limit_is_parsed(applications_api: Any, lambda_context: object) -> None:
    body = {"padding": "x" * (MAX_BODY_BYTES - len(json.dumps({"padding": ""})))}
    status, answer = api_call(
        applications_api, lambda_context, "POST", "/applications", "/applications", None, body, claims=HOLDER
    )
    assert (status, answer["code"]) == (400, "VALIDATION_ERROR")  # parsed, then refused on its fields


def _device_call(devices_api: Any, context: object, device_id: str, body: Any, token: str | None) -> Any:
    return api_call(
        devices_api,
        context,
        "PUT",
        f"/devices/{device_id}/passphrase",
        "/devices/{deviceId}/passphrase",
        {"deviceId": device_id},
        body,
        claims=None,
        headers={"Authorization": f"Bearer {token}"} if token else None,
    )


def test_device_routes_check_the_token_before_the_body(
    devices_api: Any,
    lambda_context: object,
    device: dict[str, str],  # noqa: F811 - fixture
) -> None:
    malformed = {"unexpected": True}
    for token in (None, "forged", device["token"] + "x"):
        status, body = _device_call(devices_api, lambda_context, device["deviceId"], malformed, token)
        assert (status, body["code"]) == (401, "DEVICE_NOT_AUTHENTICATED"), token
    # The right token reaches validation; another device's id with this token does not.
    status, body = _device_call(devices_api, lambda_context, device["deviceId"], malformed, device["token"])
    assert (status, body["code"]) == (400, "VALIDATION_ERROR")
    status, body = _device_call(
        devices_api, lambda_context, "ctr-other", {"passphrase": "abcd"}, device["token"]
    )
    assert (status, body["code"]) == (401, "DEVICE_NOT_AUTHENTICATED")
