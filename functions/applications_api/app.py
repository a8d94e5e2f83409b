"""REST API of applications: apply and follow one (the signed-in member, holder of the account:
R5 (Art. 5), issue 23; idempotent), and, for staff, the queue of deferred applications and the
decision on one (R6, R6.2)."""

from typing import Annotated, Any, Literal

from anshin.domain.applications import ApplicationRequest, DecisionRequest
from anshin.domain.members import Member
from anshin.runtime import members, staff
from anshin.runtime.http import ACCEPTED, MEMBER_ONLY, STAFF_ONLY, entry, respond, rest_api
from anshin.services import applications
from anshin.settings import settings
from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.utilities import idempotency

logger = Logger()
app = rest_api()
persistence = idempotency.DynamoDBPersistenceLayer(table_name=settings.idempotency_table)


@idempotency.idempotent_function(  # type: ignore[untyped-decorator]
    data_keyword_argument="request", persistence_store=persistence, config=applications.IDEMPOTENCY
)
def receive_once(request: dict[str, Any]) -> dict[str, Any]:
    member = Member(request["member"]["id"], request["member"]["mobileContractId"])
    return applications.receive(
        ApplicationRequest.model_validate(request["body"]), logger.get_correlation_id(), member
    )


@app.post("/applications", responses=ACCEPTED, security=MEMBER_ONLY)
def apply(body: Annotated[ApplicationRequest, Body()]) -> Response[dict[str, Any]]:
    key = app.current_event.headers.get("Idempotency-Key") or app.current_event.headers.get("idempotency-key")
    member = members.caller(app)
    answer = applications.apply(body, member, key, logger.get_correlation_id(), receive_once)
    return respond(202, answer)


@app.get("/applications", security=STAFF_ONLY)
def deferred(
    status: Annotated[Literal["DEFERRED"], Query()],
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
    cursor: Annotated[str | None, Query(min_length=1, max_length=2048)] = None,
) -> dict[str, Any]:
    staff.caller(app)
    return applications.deferred(cursor, limit)


@app.get("/applications/<applicationId>", security=MEMBER_ONLY)
def read(applicationId: Annotated[str, Path(max_length=64)]) -> dict[str, Any]:
    return applications.view(applicationId, members.caller(app))


@app.post("/applications/<applicationId>/decision", security=STAFF_ONLY)
def decide(
    applicationId: Annotated[str, Path(max_length=64)], body: Annotated[DecisionRequest, Body()]
) -> dict[str, Any]:
    return applications.decide(applicationId, body.decision, staff.caller(app))


#: The staff-only routes: a resource (every method), or "<METHOD> <resource>" where the resource
#: has member methods too (POST /applications is the member's signup). Every other route is the
#: member's: a route is refused to a caller of the other kind before it parses anything.
STAFF_ROUTES = frozenset({"/applications/{applicationId}/decision", "GET /applications"})


def caller_gate(event: dict[str, Any]) -> dict[str, Any] | None:
    resource = event.get("resource")
    route = f"{event.get('httpMethod')} {resource}"
    if resource in STAFF_ROUTES or route in STAFF_ROUTES:
        return staff.refusal(event)
    return members.refusal(event)


handler = entry(
    app,
    logger,
    caller_gate,
    on_context=applications.IDEMPOTENCY.register_lambda_context,
)
