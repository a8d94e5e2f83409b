"""REST API of the support centre (staff): identity verification, remote commands to a device
(Appendix) and support sessions (R7, R14)."""

import os
from datetime import timedelta
from typing import Annotated, Any, Literal

from anshin.domain import clock
from anshin.domain.support import EXCLUDED_CATEGORIES, SUPPORTED_CATEGORIES, Channel
from anshin.runtime import staff
from anshin.runtime.http import STAFF_ONLY, ApiError, body_refusal, install_error_handlers
from anshin.services import commands, devices, relay, support_sessions, verification
from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, StringConstraints

logger = Logger()
app = APIGatewayRestResolver(enable_validation=True)
install_error_handlers(app)

ContractId = Annotated[str, Path(pattern=r"^ctr-[a-f0-9]{1,64}$")]
Category = Literal[tuple(sorted(SUPPORTED_CATEGORIES | EXCLUDED_CATEGORIES))]  # type: ignore[valid-type]


class VerificationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    passphrase: Annotated[str, StringConstraints(min_length=1, max_length=64)]


def created(body: dict[str, Any]) -> Response[dict[str, Any]]:
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=body)


@app.post("/contracts/<contractId>/verifications", security=STAFF_ONLY)
def verify(contractId: ContractId, body: Annotated[VerificationRequest, Body()]) -> Response[dict[str, Any]]:
    who = staff.staff_id(app.current_event.raw_event)
    try:
        answer = verification.verify(contractId, body.passphrase, who, clock.now())
    except verification.NoPassphrase:
        raise ApiError(
            409, "PASSPHRASE_NOT_REGISTERED", "The subscriber has not registered a passphrase."
        ) from None
    except verification.Locked as locked:
        raise ApiError(
            423, "VERIFICATION_LOCKED", "Too many failed attempts; try again later.", lockedUntil=locked.until
        ) from None
    except verification.NotVerified:
        raise ApiError(401, "IDENTITY_NOT_VERIFIED", "The passphrase does not match.") from None
    return created(answer)


class CommandRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: commands.Action
    verificationId: Annotated[str, StringConstraints(pattern=r"^ver-[a-f0-9]{32}$")] | None = None
    confirm: Annotated[str, StringConstraints(max_length=16)] | None = None


def command_expiry() -> timedelta:
    """Appendix: how long a command waits for an unreachable device (a stack setting)."""
    return timedelta(seconds=int(os.environ.get("COMMAND_EXPIRY_SECONDS", str(72 * 3600))))


@app.post("/contracts/<contractId>/devices/<deviceId>/commands", security=STAFF_ONLY)
def send_command(
    contractId: ContractId,
    deviceId: Annotated[str, Path(pattern=r"^[A-Za-z0-9._:-]{1,128}$")],
    body: Annotated[CommandRequest, Body()],
) -> Response[dict[str, Any]]:
    who = staff.staff_id(app.current_event.raw_event)
    try:
        command, created = commands.request(
            contract_id=contractId,
            device_id=deviceId,
            action=body.action,
            verification_id=body.verificationId,
            confirm=body.confirm,
            staff_id=who,
            now=clock.now(),
            expires_in=command_expiry(),
            correlation_id=logger.get_correlation_id(),
        )
    except commands.UnsupportedDevice:
        raise ApiError(
            422,
            "UNSUPPORTED_DEVICE",
            "Remote commands need the contract's Android device with the support app registered.",
        ) from None
    except commands.NotVerified:
        raise ApiError(
            403,
            "IDENTITY_NOT_VERIFIED",
            "Lock and wipe need a current identity verification for this contract.",
        ) from None
    except commands.WipeNotConfirmed:
        raise ApiError(
            422, "WIPE_NOT_CONFIRMED", 'A wipe erases the device: send confirm: "WIPE" to proceed.'
        ) from None
    except commands.WipeCoolingDown as cooling:
        raise ApiError(
            409,
            "WIPE_COOLDOWN",
            "The device was registered again or the passphrase changed recently; a wipe waits "
            "until then (a lock does not).",
            wipeRefusedUntil=cooling.until,
        ) from None
    if created or (command["status"] == commands.CommandStatus.PENDING.value and not command["attempts"]):
        # A command not yet relayed (the first publish may have failed) is published again; the
        # relay pushes each attempt once.
        relay.publish(command, 1)
    logger.info(
        "command requested",
        extra={"commandId": command["commandId"], "action": body.action.value, "isNew": created},
    )
    return Response(
        status_code=202,
        content_type=content_types.APPLICATION_JSON,
        body={"commandId": command["commandId"], "status": command["status"], "created": created},
    )


class Revocation(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Annotated[str, StringConstraints(min_length=1, max_length=500)]


@app.post("/contracts/<contractId>/devices/<deviceId>/revocation", security=STAFF_ONLY)
def revoke_device(
    contractId: ContractId,
    deviceId: Annotated[str, Path(pattern=r"^[A-Za-z0-9._:-]{1,128}$")],
    body: Annotated[Revocation, Body()],
) -> dict[str, Any]:
    """The device's token stops working now (a lost phone, a suspected takeover); audited."""
    who = staff.staff_id(app.current_event.raw_event)
    try:
        answer = devices.revoke(contractId, deviceId, who, clock.now(), body.reason)
    except devices.UnknownDevice:
        raise ApiError(404, "DEVICE_NOT_FOUND", "No device of this contract has this id.") from None
    logger.info("device token revoked", extra={"contractId": contractId, "staff": who})
    return answer


@app.get("/commands/<commandId>", security=STAFF_ONLY)
def get_command(commandId: Annotated[str, Path(pattern=r"^cmd-[a-f0-9]{32}$")]) -> dict[str, Any]:
    staff.staff_id(app.current_event.raw_event)
    command = commands.current(commandId, clock.now())
    if command is None:
        raise ApiError(404, "COMMAND_NOT_FOUND", "No such command.")
    return commands.view(command)


class SessionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    contractId: Annotated[str, StringConstraints(pattern=r"^ctr-[a-f0-9]{1,64}$")]
    channel: Channel
    category: Category


@app.post("/support-sessions", security=STAFF_ONLY)
def open_session(body: Annotated[SessionRequest, Body()]) -> Response[dict[str, Any]]:
    who = staff.staff_id(app.current_event.raw_event)
    try:
        return created(
            support_sessions.open_session(body.contractId, body.channel, body.category, who, clock.now())
        )
    except support_sessions.Refused as refused:
        raise ApiError(
            422,
            refused.code,
            "This support request is refused under the terms.",
            sessionId=refused.session_id,
        ) from None


class CloseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: Literal["RESOLVED", "UNRESOLVED", "ESCALATED"]


@app.patch("/support-sessions/<sessionId>", security=STAFF_ONLY)
def close_session(
    sessionId: Annotated[str, Path(pattern=r"^ses-[a-f0-9]{32}$")],
    body: Annotated[CloseRequest, Body()],
) -> dict[str, Any]:
    who = staff.staff_id(app.current_event.raw_event)
    try:
        return support_sessions.close(sessionId, body.outcome, who, clock.now())
    except support_sessions.SessionNotFound:
        raise ApiError(404, "SESSION_NOT_FOUND", "No such support session.") from None
    except support_sessions.AlreadyClosed:
        raise ApiError(409, "SESSION_NOT_OPEN", "The session is closed or was refused.") from None


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if refused := staff.refusal(event) or body_refusal(event):
        return refused
    return app.resolve(event, context)
