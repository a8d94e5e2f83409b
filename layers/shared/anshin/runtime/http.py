"""The error shape every API answer shares: ``{"code": ..., "message": ..., "errors"?: [...]}``."""

from __future__ import annotations

import base64
import ipaddress
import json
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import ClientError

from anshin import settings as settings_module
from anshin.domain import errors

logger = Logger()


#: The one table from a refusal to its HTTP status; the answer's code and message are the
#: refusal's own (anshin.domain.errors). A subclass not listed answers as its nearest listed base.
STATUS: dict[type[errors.DomainError], int] = {
    errors.IdempotencyKeyInvalid: 400,
    errors.InvalidCursor: 400,
    errors.ReasonRequired: 400,
    errors.CommandNotCancellable: 409,
    errors.NoticeInTheFuture: 400,
    errors.NotModifiable: 400,
    errors.NotSignedIn: 401,
    errors.PassphraseMismatch: 401,
    errors.TokenRefused: 401,
    errors.NotStaff: 403,
    errors.DeviceRevoked: 403,
    errors.MembersOnly: 403,
    errors.NotAccountHolder: 403,
    errors.NotVerified: 403,
    errors.ApplicationNotFound: 404,
    errors.CommandNotFound: 404,
    errors.ContractNotFound: 404,
    errors.InvoiceNotFound: 404,
    errors.SessionNotFound: 404,
    errors.UnknownCode: 404,
    errors.UnknownDevice: 404,
    errors.BackupMissing: 409,
    errors.CommandFinished: 409,
    errors.ContractEnded: 409,
    errors.ContractForming: 409,
    errors.InvariantViolation: 409,
    errors.NoPassphrase: 409,
    errors.NonTransferable: 409,
    errors.NotDeferred: 409,
    errors.PassphraseRace: 409,
    errors.CodeReissuedMeanwhile: 409,
    errors.RequestInProgress: 409,
    errors.SessionNotOpen: 409,
    errors.WipeCoolingDown: 409,
    errors.AppUnsupported: 422,
    errors.IdempotencyKeyReused: 422,
    errors.NoCommandableDevice: 422,
    errors.SupportRefused: 422,
    errors.WipeNotConfirmed: 422,
    errors.VerificationLocked: 423,
    errors.TooManyAttempts: 429,
    # Cancelling online (R9); OneTimeCodeLocked answers 429 as a TooManyAttempts.
    errors.OneTimeCodeWrong: 401,
    errors.CancellationRequestNotFound: 404,
    errors.OneTimeCodeExpired: 409,
    errors.EndChanged: 409,
    errors.TemporarilyUnavailable: 503,
}


def status_of(error: errors.DomainError) -> int:
    """The HTTP status of a refusal: its class's row, else its nearest listed base's, else 422."""
    for cls in type(error).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 422


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
MAX_BODY_BYTES = settings_module.MAX_BODY_BYTES

#: OpenAPI security requirements of the routes (the schemes are in infra/openapi.py): a support
#: staff member's Cognito ID token, a member's (the holder of a mobile account, issue 23), or the
#: device's own token.
STAFF_ONLY: list[dict[str, list[str]]] = [{"staffToken": []}]
MEMBER_ONLY: list[dict[str, list[str]]] = [{"memberToken": []}]
DEVICE_ONLY: list[dict[str, list[str]]] = [{"deviceToken": []}]

#: OpenAPI documentation of the routes whose success is not ``200``: the status they answer.
CREATED: dict[int, OpenAPIResponse] = {201: {"description": "Created"}}
ACCEPTED: dict[int, OpenAPIResponse] = {202: {"description": "Accepted: it goes on asynchronously"}}
NO_CONTENT: dict[int, OpenAPIResponse] = {204: {"description": "Done; nothing to answer"}}


NOT_JSON = "Send the body as JSON (Content-Type: application/json)."


def body_refusal(event: dict[str, Any]) -> dict[str, Any] | None:
    """Refuse a request body before any route parses it: ``413`` over MAX_BODY_BYTES; ``415``
    for a body that is not JSON (a form-encoded ``curl -d``, say), which the resolver would
    otherwise parse as a form and refuse with confusing field errors; ``400 INVALID_JSON`` for a
    JSON body that does not parse. Media types are case-insensitive (RFC 9110): the event's
    Content-Type is rewritten in lower case, so the resolver reads ``Application/JSON`` as JSON."""
    body = event.get("body")
    if not body:
        return None
    size = len(body) * 3 // 4 if event.get("isBase64Encoded") else len(str(body).encode())
    if size > MAX_BODY_BYTES:
        return proxy_error(
            413, "PAYLOAD_TOO_LARGE", f"The request body may be at most {MAX_BODY_BYTES} bytes."
        )
    content_type = _normalize_content_type(event)
    if content_type.split(";")[0].strip() != "application/json":
        return proxy_error(415, "UNSUPPORTED_MEDIA_TYPE", NOT_JSON)
    try:
        json.loads(base64.b64decode(body) if event.get("isBase64Encoded") else body)
    except (ValueError, TypeError):
        return proxy_error(400, "INVALID_JSON", "The request body is not valid JSON.")
    return None


def _normalize_content_type(event: dict[str, Any]) -> str:
    """The request's Content-Type in lower case, written back under one name in both header maps."""
    found = ""
    for field in ("headers", "multiValueHeaders"):
        headers = event.get(field) or {}
        for name in [n for n in headers if n.lower() == "content-type"]:
            value = headers.pop(name)
            found = found or str(value[0] if isinstance(value, list) and value else value)
    found = found.strip().lower()
    if found:
        event["headers"] = {**(event.get("headers") or {}), "content-type": found}
        if event.get("multiValueHeaders") is not None:
            event["multiValueHeaders"]["content-type"] = [found]
    return found


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

    @app.exception_handler(RequestUnsupportedContentType)  # type: ignore[untyped-decorator]
    def _media_type(_exc: RequestUnsupportedContentType) -> Response[Any]:
        # body_refusal answers first; this keeps the shape should a route be reached without it.
        return error_response(415, "UNSUPPORTED_MEDIA_TYPE", NOT_JSON)

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

    @app.exception_handler(errors.DomainError)  # type: ignore[untyped-decorator]
    def _refused(exc: errors.DomainError) -> Response[Any]:
        response = error_response(status_of(exc), exc.code, exc.message, **exc.details)
        if exc.retry_after is not None:
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.not_found
    def _not_found(_exc: Exception) -> Response[Any]:
        return error_response(404, "NOT_FOUND", "No such resource.")


#: A check of the raw event made before any route parses it: a proxy answer refusing it, or None.
Gate = Callable[[dict[str, Any]], dict[str, Any] | None]
Handler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]


def rest_api() -> APIGatewayRestResolver:
    """A REST resolver that validates each route's input with its pydantic models and answers
    every refusal in the shared shape."""
    app = APIGatewayRestResolver(enable_validation=True)
    install_error_handlers(app)
    return app


def respond(status: int, body: dict[str, Any] | None) -> Response[Any]:
    """A JSON answer with a status other than 200 (201 created, 202 accepted, 204)."""
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body)


def entry(
    app: APIGatewayRestResolver,
    logger: Logger,
    gate: Gate,
    on_context: Callable[[LambdaContext], None] | None = None,
) -> Handler:
    """The Lambda handler of an API: log under the request's correlation id, refuse through
    ``gate`` (who may call) and :func:`body_refusal` (what may be sent) before any route parses
    the request, then route it."""

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        if refused := gate(event) or body_refusal(event):
            return refused
        if on_context is not None:
            on_context(context)
        return app.resolve(event, context)

    return handler


#: The header CloudFront sets to the viewer's address and source port (``ip:port``) when the
#: behaviour's origin request policy includes it (the web stack's ``/v1/*`` behaviour does).
VIEWER_ADDRESS_HEADER = "cloudfront-viewer-address"


def _address_part(value: str) -> str | None:
    """The address of an ``ip:port`` (IPv4 ``198.51.100.10:46532``, IPv6 as CloudFront writes it,
    unbracketed ``2001:db8::1:46532``, or bracketed ``[2001:db8::1]:46532``), keyed as a limit
    counts it: an IPv4 address as itself, an IPv6 address by its /64 (one subscriber's line
    usually gets a whole /64, so the addresses in it are one caller). None if it is not one."""
    text = value.strip()
    host = text[1 : text.index("]")] if text.startswith("[") and "]" in text else text.rpartition(":")[0]
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{address}/64", strict=False))
    return str(address)


def caller_address(event: dict[str, Any]) -> str:
    """The address a per-source limit counts a request against: the viewer's, as CloudFront passed
    it in ``CloudFront-Viewer-Address``, else the connection's (``requestContext.identity.sourceIp``,
    which behind CloudFront is one of CloudFront's origin-facing addresses, shared by everyone).

    Why the header can be believed: in AWS the stage answers only requests that came through the
    site's CloudFront distribution. The regional web ACL on the stage blocks every request whose
    ``x-origin-verify`` header is not the origin secret, which CloudFront adds as an origin custom
    header (CloudFront docs, "Add custom headers to origin requests": a custom header the viewer
    sent too is overwritten, not passed on). ``CloudFront-Viewer-Address`` is one of the headers
    CloudFront itself adds from the viewer's connection ("Add CloudFront request headers": the IP
    address of the viewer and the source port, e.g. ``198.51.100.10:46532``), included by the
    behaviour's origin request policy. The docs do not say in so many words what CloudFront does
    with a viewer-sent header of that name; if an event ever carries more than one value, the last
    (the one CloudFront appended) is taken, and a value that is not an address is ignored. The
    per-address rate rule of the distribution's own web ACL does not depend on this header at all:
    WAF at the edge sees the viewer's address itself. Locally (no CloudFront) the header is absent
    and the connection's address counts."""
    values: list[str] = []
    for name, listed in (event.get("multiValueHeaders") or {}).items():
        if name.lower() == VIEWER_ADDRESS_HEADER and listed:
            values.extend(str(v) for v in listed)
    if not values:
        values = [
            str(v) for k, v in (event.get("headers") or {}).items() if k.lower() == VIEWER_ADDRESS_HEADER
        ]
    if values and (viewer := _address_part(values[-1])) is not None:
        return viewer
    source = ((event.get("requestContext") or {}).get("identity") or {}).get("sourceIp")
    return str(source or "unknown")
