"""Who may use the device routes (Appendix, R16): the caller holding the live token of the device
in the path (``Authorization: Bearer …``); anshin.services.devices decides what a live token is."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver

from anshin.domain import clock, errors
from anshin.domain.entities import Device
from anshin.runtime.http import proxy_error, status_of
from anshin.services import devices

#: The routes a device calls with its own token (``Authorization: Bearer …``).
DEVICE_ROUTES = frozenset(
    {
        "/devices/{deviceId}/passphrase",
        "/devices/{deviceId}/token",
        "/devices/{deviceId}/commands/{commandId}/result",
        "/devices/{deviceId}/cancellation",
    }
)


def bearer_token(event: dict[str, Any]) -> str | None:
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    header = str(headers.get("authorization") or "")
    return header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else None


def refusal(event: dict[str, Any], app: APIGatewayRestResolver) -> dict[str, Any] | None:
    """401 unless the caller of a device route holds the token of the device in its path; checked
    before the body is parsed, so a caller without it learns nothing from validation errors. The
    authenticated device is kept in the resolver's context for the route (:func:`device`)."""
    if event.get("resource") not in DEVICE_ROUTES:
        return None
    token = bearer_token(event)
    device_id = str((event.get("pathParameters") or {}).get("deviceId") or "")
    device = devices.authenticate(device_id, token, clock.now()) if token and len(device_id) <= 128 else None
    if device is None:
        refused = errors.TokenRefused()
        return proxy_error(status_of(refused), refused.code, refused.message)
    app.append_context(device=device)  # type: ignore[no-untyped-call]
    return None


def device(app: APIGatewayRestResolver) -> Device:
    """The device :func:`refusal` authenticated for this request."""
    device = app.context["device"]  # what refusal put there
    if not isinstance(device, Device):
        raise TypeError("the request was not authenticated as a device")
    return device
