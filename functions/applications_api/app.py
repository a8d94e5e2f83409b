"""REST API of applications: apply (public) and read an application's status (R6)."""

import json
import os
from typing import Annotated, Any

from anshin import applications, aws, clock
from anshin.applications import ApplicationRequest
from anshin.http import ApiError, install_error_handlers
from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()
tracer = Tracer()
app = APIGatewayRestResolver(enable_validation=True)
install_error_handlers(app)


@app.post("/applications")
@tracer.capture_method
def apply(body: Annotated[ApplicationRequest, Body()]) -> Response[dict[str, Any]]:
    application_id = applications.new_application_id()
    received_at = clock.now()
    applications.create(application_id, body, received_at)
    try:
        aws.client("stepfunctions").start_execution(
            stateMachineArn=os.environ["APPROVAL_STATE_MACHINE_ARN"],
            name=application_id,  # one execution per application, whatever retries happen
            input=json.dumps({"applicationId": application_id}),
        )
    except Exception:
        # Nothing half-written: an application that no workflow will decide is removed.
        applications.delete(application_id)
        logger.exception("could not start the approval workflow", extra={"applicationId": application_id})
        raise ApiError(503, "TEMPORARILY_UNAVAILABLE", "Please try again shortly.") from None
    logger.info("application received", extra={"applicationId": application_id})
    return Response(
        status_code=202,
        content_type=content_types.APPLICATION_JSON,
        body={"applicationId": application_id, "status": "RECEIVED"},
    )


@app.get("/applications/<applicationId>")
def read(applicationId: Annotated[str, Path(max_length=64)]) -> dict[str, Any]:
    item = applications.get(applicationId)
    if item is None:
        raise ApiError(404, "APPLICATION_NOT_FOUND", "No such application.")
    return applications.public_view(item)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
