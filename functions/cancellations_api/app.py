"""REST API of cancelling online from the web (R9), for subscribers without the support app:
the member confirmation code asks for a one-time code sent to the contact on file; with it, the
page previews the end, then confirms the notice. Public routes: the codes are the proof, checked
and limited by anshin.services.cancellations."""

from typing import Annotated, Any

from anshin.domain import clock
from anshin.runtime.http import ACCEPTED, caller_address, entry, respond, rest_api
from anshin.services import cancellations
from anshin.services.cancellations import CodeAttempt, CodeRequest
from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path

logger = Logger()
app = rest_api()
RequestId = Annotated[str, Path(pattern=r"^cxl-[a-f0-9]{32}$")]


def _source() -> str:
    """The viewer's address behind CloudFront (anshin.runtime.http.caller_address says why)."""
    return caller_address(app.current_event.raw_event)


@app.post("/cancellation-requests", responses=ACCEPTED)
def request_code(body: Annotated[CodeRequest, Body()]) -> Response[dict[str, Any]]:
    """A one-time code to the contact on file; the same answer whether the member code is known."""
    return respond(202, cancellations.request_code(body, clock.now(), _source()))


@app.post("/cancellation-requests/<requestId>/preview")
def preview(requestId: RequestId, body: Annotated[CodeAttempt, Body()]) -> dict[str, Any]:
    """The end (R9) a notice received now would give; nothing is written but the audit."""
    return cancellations.preview(requestId, body, clock.now(), _source())


@app.post("/cancellation-requests/<requestId>/confirmation")
def confirm(requestId: RequestId, body: Annotated[CodeAttempt, Body()]) -> dict[str, Any]:
    """The notice, received now (R9); a retry with the same code answers the same."""
    return cancellations.confirm(requestId, body, clock.now(), _source())


handler = entry(app, logger, lambda _event: None)  # public: the codes are checked by the service
