"""REST API for the support app on a device (Appendix, R16): register, rotate the device token,
set the passphrase, report the result of a remote command, give notice of cancellation (R9).
Public routes: registration is proved by the member confirmation code, later calls by the
device's own live token (``Authorization: Bearer …``, anshin.runtime.device_auth)."""

import functools
from typing import Annotated, Any

from anshin.domain import clock
from anshin.runtime import device_auth
from anshin.runtime.http import CREATED, DEVICE_ONLY, NO_CONTENT, caller_address, entry, respond, rest_api
from anshin.services import cancellations, devices
from anshin.services.devices import CommandResult, Passphrase, Registration
from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path

logger = Logger()
app = rest_api()
DeviceId = Annotated[str, Path(pattern=r"^[A-Za-z0-9._:-]{1,128}$")]
CommandId = Annotated[str, Path(pattern=r"^cmd-[a-f0-9]{32}$")]


@app.post("/devices/registrations", responses=CREATED)
def register(body: Annotated[Registration, Body()]) -> Response[dict[str, Any]]:
    answer = devices.register_app(body, clock.now(), caller_address(app.current_event.raw_event))
    logger.info("device registered", extra={"contractId": answer["contractId"]})
    return respond(201, answer)


@app.post("/devices/<deviceId>/token", security=DEVICE_ONLY)
def rotate_token(deviceId: DeviceId) -> dict[str, Any]:
    """The app replaces its token before it expires; the old one stops working at once."""
    answer = devices.rotate_token(device_auth.device(app), clock.now())
    logger.info("device token rotated", extra={"deviceId": deviceId})
    return answer


@app.put("/devices/<deviceId>/passphrase", security=DEVICE_ONLY, responses=NO_CONTENT)
def set_passphrase(deviceId: DeviceId, body: Annotated[Passphrase, Body()]) -> Response[None]:
    contract_id = device_auth.device(app).contract_id
    devices.set_passphrase(contract_id, deviceId, body.passphrase, clock.now())
    logger.info("passphrase registered", extra={"contractId": contract_id})
    return respond(204, None)


@app.post("/devices/<deviceId>/commands/<commandId>/result", security=DEVICE_ONLY)
def report_result(
    deviceId: DeviceId, commandId: CommandId, body: Annotated[CommandResult, Body()]
) -> dict[str, Any]:
    answer = devices.report_command_result(device_auth.device(app), commandId, body, clock.now())
    logger.info("command result", extra={"commandId": commandId, "status": answer["status"]})
    return {"commandId": commandId, "status": answer["status"], "locationStored": "location" in answer}


@app.post("/devices/<deviceId>/cancellation", security=DEVICE_ONLY)
def cancel(deviceId: DeviceId) -> dict[str, Any]:
    """R9 from the app: notice for the device's contract, received now; a retry answers the same."""
    return cancellations.cancel_from_app(device_auth.device(app), clock.now())


handler = entry(app, logger, functools.partial(device_auth.refusal, app=app))
