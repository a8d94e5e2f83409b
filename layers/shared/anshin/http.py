"""The error shape every API answer shares: ``{"code": ..., "message": ..., "errors"?: [...]}``."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from botocore.exceptions import ClientError

from anshin.errors import ContractEnded, ContractNotFound

logger = Logger()


class ApiError(Exception):
    """A refusal a client caused: an HTTP status, a machine-readable code (the rule's reason
    code where there is one) and a message for a person."""

    def __init__(self, status: int, code: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details


def error_response(status: int, code: str, message: str, **details: Any) -> Response[Any]:
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body={"code": code, "message": message, **details},
    )


def proxy_error(status: int, code: str, message: str) -> dict[str, Any]:
    """An API Gateway proxy answer in the shared error shape, for refusals made before routing."""
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps({"code": code, "message": message}),
        "isBase64Encoded": False,
    }


#: AWS error codes that mean "too much at once", not "wrong": worth a client's retry.
THROTTLING_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "TransactionConflictException",
        "Throttling",
        "TooManyRequestsException",
    }
)

#: The largest request body any route accepts. WAF refuses larger ones at the edge in AWS
#: (operations.py); the handlers refuse them too, so the limit holds where WAF is not deployed.
MAX_BODY_BYTES = 16 * 1024

#: OpenAPI security requirements of the routes (the schemes are in infra/openapi.py): a support
#: staff member's Cognito ID token, or the device's own token.
STAFF_ONLY: list[dict[str, list[str]]] = [{"staffToken": []}]
DEVICE_ONLY: list[dict[str, list[str]]] = [{"deviceToken": []}]


def body_refusal(event: dict[str, Any]) -> dict[str, Any] | None:
    """``413`` for a body over MAX_BODY_BYTES; ``415`` for a request body that is not JSON (a
    form-encoded ``curl -d``, say), which the resolver would otherwise parse as a form and refuse
    with confusing field errors."""
    body = event.get("body")
    if not body:
        return None
    size = len(body) * 3 // 4 if event.get("isBase64Encoded") else len(str(body).encode())
    if size > MAX_BODY_BYTES:
        return proxy_error(
            413, "PAYLOAD_TOO_LARGE", f"The request body may be at most {MAX_BODY_BYTES} bytes."
        )
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    if str(headers.get("content-type", "")).split(";")[0].strip().lower() == "application/json":
        return None
    return proxy_error(
        415, "UNSUPPORTED_MEDIA_TYPE", "Send the body as JSON (Content-Type: application/json)."
    )


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    # ("body", "applicant", "email") -> "applicant.email"; keep the query/path prefix otherwise.
    parts = [str(p) for p in loc]
    if parts and parts[0] == "body":
        parts = parts[1:]
    return ".".join(parts) or "body"


def install_error_handlers(app: APIGatewayRestResolver) -> None:
    """Answer malformed requests with 400 and one machine-readable error per field."""

    @app.exception_handler(RequestValidationError)  # type: ignore[untyped-decorator]
    def _invalid(exc: RequestValidationError) -> Response[Any]:
        if any(tuple(err.get("loc", ()))[:1] == ("response",) for err in exc.errors()):
            # Our own answer failed its schema: a server fault, never the client's.
            logger.error(
                "response failed validation", extra={"errors": [e.get("type") for e in exc.errors()]}
            )
            return error_response(500, "INTERNAL_ERROR", "Something went wrong on our side.")
        errors = [
            {
                "field": _field(err.get("loc", ())),
                "code": str(err.get("type", "invalid")),
                "message": err.get("msg", ""),
            }
            for err in exc.errors()
        ]
        return error_response(400, "VALIDATION_ERROR", "The request is malformed.", errors=errors)

    @app.exception_handler(ClientError)  # type: ignore[untyped-decorator]
    def _aws_refused(exc: ClientError) -> Response[Any]:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code not in THROTTLING_CODES:
            raise exc  # a fault of ours: the Lambda fails, the alarm fires
        # Throttled past the SDK's own retries (a hot key, a burst): the client may simply retry.
        # Every write is one conditional request or transaction, so nothing is half-written.
        logger.warning("throttled", extra={"awsError": code})
        response = error_response(503, "TEMPORARILY_UNAVAILABLE", "Please try again shortly.")
        response.headers["Retry-After"] = "1"
        return response

    @app.exception_handler(ContractNotFound)  # type: ignore[untyped-decorator]
    def _no_contract(_exc: ContractNotFound) -> Response[Any]:
        return error_response(404, "CONTRACT_NOT_FOUND", "No such contract.")

    @app.exception_handler(ContractEnded)  # type: ignore[untyped-decorator]
    def _contract_ended(_exc: ContractEnded) -> Response[Any]:
        return error_response(409, "CONTRACT_ENDED", "The contract has ended; it can no longer change.")

    @app.exception_handler(ApiError)  # type: ignore[untyped-decorator]
    def _refused(exc: ApiError) -> Response[Any]:
        return error_response(exc.status, exc.code, exc.message, **exc.details)

    @app.not_found
    def _not_found(_exc: Exception) -> Response[Any]:
        return error_response(404, "NOT_FOUND", "No such resource.")
