"""REST API for the support app on a device (Appendix, R16): register, rotate the device token,
set the passphrase, report the result of a remote command. Public routes: registration is proved
by the member confirmation code, later calls by the device's own live token
(``Authorization: Bearer …``)."""

from decimal import Decimal
from typing import Annotated, Any, Literal

from anshin.adapters import metrics
from anshin.domain import clock
from anshin.runtime.http import DEVICE_ONLY, ApiError, body_refusal, install_error_handlers, proxy_error
from anshin.services import commands, devices
from anshin.store import limits
from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

logger = Logger()
app = APIGatewayRestResolver(enable_validation=True)
install_error_handlers(app)

DeviceId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._:-]{1,128}$")]


class Registration(BaseModel):
    model_config = ConfigDict(extra="forbid")
    memberConfirmationCode: Annotated[str, StringConstraints(pattern=r"^\d{8}$")]
    deviceId: DeviceId
    model: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    platform: Literal["android", "ios"]
    pushToken: Annotated[str, StringConstraints(min_length=1, max_length=4096)]


@app.post("/devices/registrations")
def register(body: Annotated[Registration, Body()]) -> Response[dict[str, Any]]:
    source = str(app.current_event.request_context.identity.source_ip or "unknown")
    try:
        answer = devices.register(
            body.memberConfirmationCode,
            body.deviceId,
            body.model,
            body.platform,
            body.pushToken,
            clock.now(),
            source,
        )
    except devices.UnknownCode:
        # One answer for an unknown code and for a known code with another device.
        raise ApiError(
            404, "MEMBER_CODE_NOT_FOUND", "No contract has this member confirmation code for this device."
        ) from None
    except limits.TooManyAttempts as refused:
        raise ApiError(
            429,
            "TOO_MANY_ATTEMPTS",
            "Too many registration attempts; try again later.",
            retry_after=refused.retry_after,
        ) from None
    except devices.ContractForming:
        raise ApiError(
            409,
            "CONTRACT_FORMING",
            "The contract is forming as its notification is sent; try again in a moment.",
            retry_after=2,
        ) from None
    except devices.UnsupportedDevice:
        raise ApiError(422, "UNSUPPORTED_DEVICE", "The support app runs on Android devices only.") from None
    logger.info("device registered", extra={"contractId": answer["contractId"]})
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=answer)


@app.post("/devices/<deviceId>/token", security=DEVICE_ONLY)
def rotate_token(deviceId: Annotated[str, Path(pattern=r"^[A-Za-z0-9._:-]{1,128}$")]) -> dict[str, Any]:
    """The app replaces its token before it expires; the old one stops working at once."""
    try:
        answer = devices.rotate_token(_device(), clock.now())
    except devices.TokenRefused:
        raise ApiError(401, "DEVICE_NOT_AUTHENTICATED", "This call needs the device's own token.") from None
    logger.info("device token rotated", extra={"deviceId": deviceId})
    return answer


class Passphrase(BaseModel):
    model_config = ConfigDict(extra="forbid")
    passphrase: Annotated[str, StringConstraints(min_length=4, max_length=64)]


#: The routes a device calls with its own token (``Authorization: Bearer …``).
DEVICE_ROUTES = frozenset(
    {
        "/devices/{deviceId}/passphrase",
        "/devices/{deviceId}/token",
        "/devices/{deviceId}/commands/{commandId}/result",
    }
)


def device_refusal(event: dict[str, Any]) -> dict[str, Any] | None:
    """401 unless the caller of a device route holds the token of the device in its path; checked
    before the body is parsed, so a caller without it learns nothing from validation errors. The
    authenticated device is kept in the resolver's context for the route."""
    if event.get("resource") not in DEVICE_ROUTES:
        return None
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    header = str(headers.get("authorization") or "")
    token = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else None
    device_id = str((event.get("pathParameters") or {}).get("deviceId") or "")
    device = devices.authenticate(device_id, token, clock.now()) if token and len(device_id) <= 128 else None
    if device is None:
        return proxy_error(401, "DEVICE_NOT_AUTHENTICATED", "This call needs the device's own token.")
    app.append_context(device=device)
    return None


def _device() -> dict[str, Any]:
    return dict(app.context["device"])


@app.put("/devices/<deviceId>/passphrase", security=DEVICE_ONLY)
def set_passphrase(
    deviceId: Annotated[str, Path(pattern=r"^[A-Za-z0-9._:-]{1,128}$")],
    body: Annotated[Passphrase, Body()],
) -> Response[None]:
    device = _device()
    try:
        devices.set_passphrase(str(device["contractId"]), deviceId, body.passphrase, clock.now())
    except devices.PassphraseRace:
        raise ApiError(
            409, "PASSPHRASE_CHANGED_MEANWHILE", "The passphrase changed at the same moment; try again."
        ) from None
    logger.info("passphrase registered", extra={"contractId": device["contractId"]})
    return Response(status_code=204, content_type=content_types.APPLICATION_JSON, body=None)


class Location(BaseModel):
    model_config = ConfigDict(extra="forbid")
    latitude: Annotated[Decimal, Field(ge=-90, le=90, max_digits=12)]
    longitude: Annotated[Decimal, Field(ge=-180, le=180, max_digits=12)]
    accuracyMeters: Annotated[Decimal, Field(ge=0, le=100_000, max_digits=12)] | None = None


class CommandResult(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Literal["SUCCEEDED", "FAILED"]
    failureReason: Annotated[str, StringConstraints(pattern=r"^[A-Z_]{1,64}$")] | None = None
    location: Location | None = None


@app.post("/devices/<deviceId>/commands/<commandId>/result", security=DEVICE_ONLY)
def report_result(
    deviceId: Annotated[str, Path(pattern=r"^[A-Za-z0-9._:-]{1,128}$")],
    commandId: Annotated[str, Path(pattern=r"^cmd-[a-f0-9]{32}$")],
    body: Annotated[CommandResult, Body()],
) -> dict[str, Any]:
    device = _device()
    try:
        answer = commands.report_result(
            command_id=commandId,
            device=device,
            status=commands.CommandStatus(body.status),
            location=body.location.model_dump(exclude_none=True) if body.location else None,
            failure_reason=body.failureReason,
            now=clock.now(),
        )
    except commands.CommandNotFound:
        raise ApiError(404, "COMMAND_NOT_FOUND", "This device has no such command.") from None
    except commands.CommandFinished as finished:
        raise ApiError(
            409, f"COMMAND_{finished.status}", "The command is over; its result cannot change."
        ) from None
    except commands.BackupMissing:
        raise ApiError(
            409, "BACKUP_NOT_UPLOADED", "Upload the backup through the command's URL first."
        ) from None
    if answer.get("finishedNow"):
        metrics.count(
            "CommandsFinished", dimensions={"Action": str(answer["action"]), "Status": str(answer["status"])}
        )
    logger.info("command result", extra={"commandId": commandId, "status": answer["status"]})
    return {"commandId": commandId, "status": answer["status"], "locationStored": "location" in answer}


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if refused := device_refusal(event) or body_refusal(event):
        return refused
    return app.resolve(event, context)
