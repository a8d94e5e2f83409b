"""REST API of applications: apply (public, idempotent), follow one (public), and the staff's
decision on a deferred one (R6, R6.2)."""

import json
import os
import random
import time
from typing import Annotated, Any, Literal

from anshin.adapters import aws
from anshin.domain import clock
from anshin.runtime import staff
from anshin.runtime.http import STAFF_ONLY, ApiError, body_refusal, install_error_handlers
from anshin.services import applications
from anshin.services.applications import ApplicationRequest, ApplicationStatus
from anshin.store import db
from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict

logger = Logger()
app = APIGatewayRestResolver(enable_validation=True)
install_error_handlers(app)

idempotency = IdempotencyConfig(
    event_key_jmespath="key", payload_validation_jmespath="body", expires_after_seconds=24 * 3600
)
persistence = DynamoDBPersistenceLayer(table_name=os.environ["IDEMPOTENCY_TABLE"])
RECEIVE_ATTEMPTS = 30


@idempotent_function(data_keyword_argument="request", persistence_store=persistence, config=idempotency)
def receive_once(request: dict[str, Any]) -> dict[str, Any]:
    return receive(ApplicationRequest.model_validate(request["body"]))


def receive(body: ApplicationRequest) -> dict[str, Any]:
    """Store the application in its account's line and start its one approval execution."""
    application_id = applications.new_application_id()
    for attempt in range(1, RECEIVE_ATTEMPTS + 1):
        try:
            applications.create(application_id, body, clock.now())
            break
        except applications.AccountBusy:
            # Another application of the same account took the sequence number: back off with
            # jitter and take the next one (optimistic concurrency, R6.1).
            if attempt == RECEIVE_ATTEMPTS:
                raise ApiError(503, "TEMPORARILY_UNAVAILABLE", "Please try again shortly.") from None
            time.sleep(random.uniform(0, 0.01 * attempt))  # noqa: S311 - jitter, not a secret
    try:
        aws.client("stepfunctions").start_execution(
            stateMachineArn=os.environ["APPROVAL_STATE_MACHINE_ARN"],
            name=application_id,  # one execution per application, whatever retries happen
            input=json.dumps({"applicationId": application_id, "correlationId": logger.get_correlation_id()}),
        )
    except Exception:
        # Nothing half-written: an application that no workflow will decide is removed.
        applications.delete(application_id)
        logger.exception("could not start the approval workflow", extra={"applicationId": application_id})
        raise ApiError(503, "TEMPORARILY_UNAVAILABLE", "Please try again shortly.") from None
    logger.info("application received", extra={"applicationId": application_id})
    return {"applicationId": application_id, "status": ApplicationStatus.RECEIVED.value}


@app.post("/applications")
def apply(body: Annotated[ApplicationRequest, Body()]) -> Response[dict[str, Any]]:
    key = app.current_event.headers.get("Idempotency-Key") or app.current_event.headers.get("idempotency-key")
    if key is None:
        answer = receive(body)
    else:
        if not 8 <= len(key) <= 128:
            raise ApiError(400, "INVALID_IDEMPOTENCY_KEY", "Idempotency-Key must be 8 to 128 characters.")
        try:
            answer = receive_once(request={"key": key, "body": body.model_dump(mode="json")})
        except IdempotencyValidationError:
            raise ApiError(
                422, "IDEMPOTENCY_KEY_REUSED", "This Idempotency-Key was used for a different application."
            ) from None
        except IdempotencyAlreadyInProgressError:
            raise ApiError(409, "REQUEST_IN_PROGRESS", "The same request is being processed.") from None
    return Response(status_code=202, content_type=content_types.APPLICATION_JSON, body=answer)


@app.get("/applications/<applicationId>")
def read(applicationId: Annotated[str, Path(max_length=64)]) -> dict[str, Any]:
    item = applications.get(applicationId)
    if item is None:
        raise ApiError(404, "APPLICATION_NOT_FOUND", "No such application.")
    return applications.public_view(item)


class DecisionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: Literal["APPROVE", "REJECT"]
    reason: Literal["OTHER"] | None = None  # R6.3(5): staff refuse for other business reasons


@app.post("/applications/<applicationId>/decision", security=STAFF_ONLY)
def decide(
    applicationId: Annotated[str, Path(max_length=64)],
    body: Annotated[DecisionRequest, Body()],
) -> dict[str, Any]:
    staff_id = staff.staff_id(app.current_event.raw_event)
    item = applications.get(applicationId)
    if item is None:
        raise ApiError(404, "APPLICATION_NOT_FOUND", "No such application.")
    reason = "OTHER" if body.decision == "REJECT" else None
    try:
        db.contracts_table().update_item(
            Key=applications.key(applicationId),
            UpdateExpression="SET decidedBy = :by, staffDecision = :d",
            ConditionExpression="#s = :deferred AND attribute_not_exists(staffDecision)"
            " AND attribute_exists(taskToken)",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={
                ":by": staff_id,
                ":d": body.decision,
                ":deferred": ApplicationStatus.DEFERRED.value,
            },
        )
    except db.dynamodb().exceptions.ConditionalCheckFailedException:
        raise ApiError(
            409, "NOT_DEFERRED", "Only a deferred application awaiting a decision can be decided."
        ) from None
    try:
        aws.client("stepfunctions").send_task_success(
            taskToken=item["taskToken"], output=json.dumps({"decision": body.decision, "reason": reason})
        )
    except Exception:
        db.contracts_table().update_item(
            Key=applications.key(applicationId), UpdateExpression="REMOVE decidedBy, staffDecision"
        )
        logger.exception("could not resume the approval workflow", extra={"applicationId": applicationId})
        raise ApiError(409, "NOT_DEFERRED", "The application is no longer waiting for a decision.") from None
    logger.info("staff decision", extra={"applicationId": applicationId, "decision": body.decision})
    return {"applicationId": applicationId, "decision": body.decision}


STAFF_ROUTES = frozenset({"/applications/{applicationId}/decision"})


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if refused := staff.refusal(event, STAFF_ROUTES) or body_refusal(event):
        return refused
    idempotency.register_lambda_context(context)
    return app.resolve(event, context)
