"""REST API of the support centre (staff): identity verification, remote commands to a device
(Appendix) and support sessions (R7, R14)."""

from typing import Annotated, Any

from anshin.domain import clock
from anshin.runtime import staff
from anshin.runtime.http import ACCEPTED, CREATED, STAFF_ONLY, entry, respond, rest_api
from anshin.services import commands, devices, requests, support_sessions, verification
from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path

logger = Logger()
app = rest_api()
ContractId = Annotated[str, Path(pattern=r"^ctr-[a-f0-9]{1,64}$")]
DeviceId = Annotated[str, Path(pattern=r"^[A-Za-z0-9._:-]{1,128}$")]
SessionId = Annotated[str, Path(pattern=r"^ses-[a-f0-9]{32}$")]
Created = Response[dict[str, Any]]


@app.post("/contracts/<contractId>/verifications", security=STAFF_ONLY, responses=CREATED)
def verify(contractId: ContractId, body: Annotated[requests.VerificationRequest, Body()]) -> Created:
    return respond(201, verification.verify(contractId, body.passphrase, staff.caller(app), clock.now()))


@app.post("/contracts/<contractId>/devices/<deviceId>/commands", security=STAFF_ONLY, responses=ACCEPTED)
def send_command(
    contractId: ContractId, deviceId: DeviceId, body: Annotated[requests.CommandRequest, Body()]
) -> Created:
    correlation_id = logger.get_correlation_id()
    return respond(
        202, commands.send(contractId, deviceId, body, staff.caller(app), clock.now(), correlation_id)
    )


@app.post("/contracts/<contractId>/devices/<deviceId>/revocation", security=STAFF_ONLY)
def revoke_device(
    contractId: ContractId, deviceId: DeviceId, body: Annotated[requests.Revocation, Body()]
) -> dict[str, Any]:
    """The device's token stops working now (a lost phone, a suspected takeover); audited."""
    return devices.revoke(contractId, deviceId, staff.caller(app), clock.now(), body.reason)


@app.get("/commands/<commandId>", security=STAFF_ONLY)
def get_command(commandId: Annotated[str, Path(pattern=r"^cmd-[a-f0-9]{32}$")]) -> dict[str, Any]:
    return commands.show(commandId, clock.now())


@app.post("/support-sessions", security=STAFF_ONLY, responses=CREATED)
def open_session(body: Annotated[requests.SessionRequest, Body()]) -> Created:
    return respond(201, support_sessions.open_session(body, staff.caller(app), clock.now()))


@app.patch("/support-sessions/<sessionId>", security=STAFF_ONLY)
def close_session(sessionId: SessionId, body: Annotated[requests.CloseRequest, Body()]) -> dict[str, Any]:
    return support_sessions.close(sessionId, body.outcome, staff.caller(app), clock.now())


handler = entry(app, logger, staff.refusal)
