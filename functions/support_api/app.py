"""REST API of the support centre (staff): identity verification, remote commands to a device
(Appendix), support sessions (R7, R14) and the contract's timeline."""

from typing import Annotated, Any

from anshin.domain import clock, paging
from anshin.runtime import staff
from anshin.runtime.http import ACCEPTED, CREATED, STAFF_ONLY, entry, respond, rest_api
from anshin.services import commands, devices, requests, support_sessions, timeline, verification
from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

logger = Logger()
app = rest_api()
ContractId = Annotated[str, Path(pattern=r"^ctr-[a-f0-9]{1,64}$")]
DeviceId = Annotated[str, Path(pattern=r"^[A-Za-z0-9._:-]{1,128}$")]
SessionId = Annotated[str, Path(pattern=r"^ses-[a-f0-9]{32}$")]
CommandId = Annotated[str, Path(pattern=r"^cmd-[a-f0-9]{32}$")]
Limit = Annotated[int, Query(ge=1, le=paging.MAX_LIMIT)]
Cursor = Annotated[str | None, Query(min_length=1, max_length=paging.MAX_CURSOR_CHARS)]
Created = Response[dict[str, Any]]


@app.post("/contracts/<contractId>/verifications", security=STAFF_ONLY, responses=CREATED)
def verify(contractId: ContractId, body: Annotated[requests.VerificationRequest, Body()]) -> Created:
    return respond(201, verification.verify(contractId, body.passphrase, staff.caller(app), clock.now()))


@app.get("/contracts/<contractId>/verification", security=STAFF_ONLY)
def verification_state(contractId: ContractId) -> dict[str, Any]:
    """Where identity verification stands: NONE, VERIFIED or LOCKED_OUT (never the passphrase)."""
    return verification.state(contractId, clock.now(), staff.caller(app))


@app.post("/contracts/<contractId>/devices/<deviceId>/commands", security=STAFF_ONLY, responses=ACCEPTED)
def send_command(
    contractId: ContractId, deviceId: DeviceId, body: Annotated[requests.CommandRequest, Body()]
) -> Created:
    correlation_id = logger.get_correlation_id()
    return respond(
        202, commands.send(contractId, deviceId, body, staff.caller(app), clock.now(), correlation_id)
    )


@app.get("/contracts/<contractId>/devices/<deviceId>/commands", security=STAFF_ONLY)
def command_history(
    contractId: ContractId, deviceId: DeviceId, limit: Limit = paging.DEFAULT_LIMIT, cursor: Cursor = None
) -> dict[str, Any]:
    """The device's commands, newest first, paged."""
    return commands.history(contractId, deviceId, cursor, limit, clock.now())


@app.post("/contracts/<contractId>/devices/<deviceId>/revocation", security=STAFF_ONLY)
def revoke_device(
    contractId: ContractId, deviceId: DeviceId, body: Annotated[requests.Revocation, Body()]
) -> dict[str, Any]:
    """The device's token stops working now (a lost phone, a suspected takeover); audited."""
    return devices.revoke(contractId, deviceId, staff.caller(app), clock.now(), body.reason)


@app.post("/contracts/<contractId>/member-code", security=STAFF_ONLY)
def reissue_member_code(
    contractId: ContractId, body: Annotated[requests.CodeReissue, Body()]
) -> dict[str, Any]:
    """A new member confirmation code, sent to the holder's contact on file; the old one dies
    (and a revoked device may register again with the new one); audited (issue 24)."""
    return devices.reissue_code(contractId, staff.caller(app), clock.now(), body.reason)


@app.get("/commands/<commandId>", security=STAFF_ONLY)
def get_command(commandId: CommandId) -> dict[str, Any]:
    return commands.show(commandId, clock.now())


@app.post("/commands/<commandId>/cancellation", security=STAFF_ONLY)
def cancel_command(commandId: CommandId, body: Annotated[commands.Cancellation, Body()]) -> dict[str, Any]:
    """CANCELLED while the device has not reported (PENDING, SENT); pushed no more; audited."""
    return commands.cancel(commandId, body.reason, staff.caller(app), clock.now())


@app.get("/contracts/<contractId>/timeline", security=STAFF_ONLY)
def contract_timeline(
    contractId: ContractId, limit: Limit = paging.DEFAULT_LIMIT, cursor: Cursor = None
) -> dict[str, Any]:
    """Everything that happened to the contract, newest first, paged."""
    return timeline.timeline(contractId, cursor, limit, clock.now())


@app.post("/support-sessions", security=STAFF_ONLY, responses=CREATED)
def open_session(body: Annotated[requests.SessionRequest, Body()]) -> Created:
    return respond(201, support_sessions.open_session(body, staff.caller(app), clock.now()))


@app.patch("/support-sessions/<sessionId>", security=STAFF_ONLY)
def close_session(sessionId: SessionId, body: Annotated[requests.CloseRequest, Body()]) -> dict[str, Any]:
    return support_sessions.close(sessionId, body.outcome, staff.caller(app), clock.now())


handler = entry(app, logger, staff.refusal)
