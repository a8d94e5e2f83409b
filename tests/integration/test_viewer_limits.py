"""Per-source limits behind CloudFront (issue 24): every request reaches the stage from one of
CloudFront's addresses (``sourceIp``), so the limits count the viewer's address CloudFront passes
in ``CloudFront-Viewer-Address``: one viewer's attempts do not spend another's allowance."""

from typing import Any

import time_machine
from anshin.settings import REGISTRATION_ATTEMPTS_PER_SOURCE

from tests.integration.conftest import handler_fixture, rest_event
from tests.integration.test_credentials import NOON, contract_id  # noqa: F401 - the fixture

devices_api = handler_fixture("devices_api")

#: One CloudFront edge address, in front of every viewer.
EDGE = "130.176.1.1"


def register(api: Any, context: object, code: str, viewer: str | None) -> int:
    body = {
        "memberConfirmationCode": code,
        "deviceId": f"phone-{code}",
        "model": "Pixel 9",
        "platform": "android",
        "pushToken": "fcm",
    }
    headers = {"CloudFront-Viewer-Address": viewer} if viewer else {}
    event = rest_event("POST", "/devices/registrations", body, headers=headers)
    event["requestContext"]["identity"]["sourceIp"] = EDGE
    status: int = api.handler(event, context)["statusCode"]
    return status


@time_machine.travel(NOON, tick=False)
def test_two_viewers_behind_one_cloudfront_address_have_separate_allowances(
    devices_api: Any,
    lambda_context: object,
    contract_id: str,  # noqa: F811 - the fixture
) -> None:
    assert REGISTRATION_ATTEMPTS_PER_SOURCE == 20
    viewer_a, viewer_b = "198.51.100.10:40000", "203.0.113.20:50000"
    for n in range(REGISTRATION_ATTEMPTS_PER_SOURCE):  # twenty codes from viewer A
        assert register(devices_api, lambda_context, f"{n:08d}", viewer_a) == 404
    assert register(devices_api, lambda_context, "77777777", viewer_a) == 429  # A is spent
    # ... from another port of A too (the port is not part of the address that counts) ...
    assert register(devices_api, lambda_context, "77777778", "198.51.100.10:40001") == 429
    # ... but not B, behind the same CloudFront address.
    assert register(devices_api, lambda_context, "88888888", viewer_b) == 404
    # Without the header (locally, no CloudFront) the connection's address counts, as before.
    for n in range(REGISTRATION_ATTEMPTS_PER_SOURCE):
        register(devices_api, lambda_context, f"1{n:07d}", None)
    assert register(devices_api, lambda_context, "99999999", None) == 429
