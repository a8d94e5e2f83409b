"""The REST API: one API Gateway stage, throttled and logged; the staff routes and the members'
(issue 23) behind one Cognito authorizer that admits tokens of both user pools, each handler then
requiring its own kind of caller from the token's issuer (a member's token on a staff route is
403, a staff token on a member route 403); public routes few, each saying why; refusals API
Gateway makes itself carry the same machine-readable body as the handlers'."""

from __future__ import annotations

import json

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_lambda as lambda_

from infra.constructs.functions import Functions
from infra.nag import acknowledge

#: The stage: the API's path prefix, behind CloudFront too (the web stack's ``/v1/*`` behaviour).
STAGE = "v1"

#: The stage's budget for any one method not listed below (requests per second, burst). API
#: Gateway's limits count every caller together: they protect the functions and the account's
#: concurrency, not one caller from another (the per-address limits do that: the distribution's
#: web ACL and anshin.store.limits). docs/operations.md, "Throttling", gives the reasons.
STAGE_THROTTLE = (50, 100)

#: Per-route throttling, sized to each group's demand: (group, rate per second, burst, routes as
#: ``/path/METHOD``). A group's numbers apply to each of its methods.
ROUTE_THROTTLES: tuple[tuple[str, int, int, tuple[str, ...]], ...] = (
    # Once per contract, from the app; guessing member codes is what else would use it.
    ("device registration", 5, 10, ("/devices/registrations/POST",)),
    # Each code request sends an e-mail/SMS to the contact on file (R9): cost and spam.
    (
        "online cancellation",
        5,
        10,
        (
            "/cancellation-requests/POST",
            "/cancellation-requests/{requestId}/preview/POST",
            "/cancellation-requests/{requestId}/confirmation/POST",
        ),
    ),
    # A member applies a few times a year; ten at once is a family (the e2e test sends ten).
    ("applications", 10, 20, ("/applications/POST", "/applications/{applicationId}/GET")),
    # The app: token rotation monthly, a passphrase once, a result per command, notice once.
    (
        "device calls",
        10,
        20,
        (
            "/devices/{deviceId}/token/POST",
            "/devices/{deviceId}/passphrase/PUT",
            "/devices/{deviceId}/commands/{commandId}/result/POST",
            "/devices/{deviceId}/cancellation/POST",
        ),
    ),
    # The member's own page: a handful of reads per visit.
    (
        "member pages",
        10,
        20,
        (
            "/me/GET",
            "/me/invoices/GET",
            "/me/invoices/{month}/GET",
            "/me/contracts/{contractId}/PATCH",
            "/me/contracts/{contractId}/cancellation/POST",
            "/me/contracts/{contractId}/cancellation/preview/GET",
        ),
    ),
    # Commands reach phones (lock, wipe): a support centre's pace, not a script's.
    (
        "staff device commands",
        5,
        10,
        (
            "/contracts/{contractId}/devices/{deviceId}/commands/POST",
            "/contracts/{contractId}/verifications/POST",
        ),
    ),
    # The API's description, for developers and tests.
    ("openapi document", 2, 5, ("/openapi.json/GET",)),
)

#: Refusals made by API Gateway itself: (construct id, response type, status or None for the
#: type's own, code, message).
GATEWAY_RESPONSES: tuple[tuple[str, apigw.ResponseType, str | None, str, str], ...] = (
    (
        "Unauthorized",
        apigw.ResponseType.UNAUTHORIZED,
        None,
        "UNAUTHENTICATED",
        "Sign in: members with the member sign-in, support staff with the staff sign-in.",
    ),
    ("AccessDenied", apigw.ResponseType.ACCESS_DENIED, None, "FORBIDDEN", "You may not do this."),
    ("Throttled", apigw.ResponseType.THROTTLED, None, "THROTTLED", "Too many requests; retry later."),
    (
        "NoRoute",
        apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN,
        "404",
        "ROUTE_NOT_FOUND",
        "No such route: check the method and the path (GET /openapi.json lists them).",
    ),
    ("WafBlocked", apigw.ResponseType.WAF_FILTERED, None, "REQUEST_BLOCKED", "The request was blocked."),
    (
        "TooLarge",
        apigw.ResponseType.REQUEST_TOO_LARGE,
        None,
        "PAYLOAD_TOO_LARGE",
        "The request is too large.",
    ),
    (
        "MediaType",
        apigw.ResponseType.UNSUPPORTED_MEDIA_TYPE,
        None,
        "UNSUPPORTED_MEDIA_TYPE",
        "Send the body as JSON (Content-Type: application/json).",
    ),
    (
        "BadParameters",
        apigw.ResponseType.BAD_REQUEST_PARAMETERS,
        None,
        "INVALID_PARAMETERS",
        "A path or query parameter is missing or malformed.",
    ),
    ("Default4xx", apigw.ResponseType.DEFAULT_4_XX, None, "REQUEST_REFUSED", "The request was refused."),
    (
        "Timeout",
        apigw.ResponseType.INTEGRATION_TIMEOUT,
        None,
        "TIMEOUT",
        "We could not answer in time; please try again.",
    ),
    (
        "Default5xx",
        apigw.ResponseType.DEFAULT_5_XX,
        None,
        "INTERNAL_ERROR",
        "Something went wrong on our side.",
    ),
)


class RestApi:
    api: apigw.RestApi

    def __init__(
        self,
        stack: Stack,
        functions: Functions,
        *,
        staff_pool: cognito.IUserPool,
        members_pool: cognito.IUserPool,
        applications_api: lambda_.IFunction,
        members_api: lambda_.IFunction,
        contracts_api: lambda_.IFunction,
        support_api: lambda_.IFunction,
        devices_api: lambda_.IFunction,
    ) -> None:
        self.api = self._stage(stack, functions)
        # One authorizer for both pools (its logical id kept from when it admitted staff only):
        # API Gateway verifies the token (401 otherwise); the handlers tell staff from members by
        # the token's issuer (anshin.runtime.staff, anshin.runtime.members).
        self.staff_authorizer = apigw.CognitoUserPoolsAuthorizer(
            stack,
            "StaffAuthorizer",
            cognito_user_pools=[staff_pool, members_pool],
            identity_source=apigw.IdentitySource.header("Authorization"),
            results_cache_ttl=Duration.minutes(5),
        )
        root = self.api.root
        public, staff, member = self.public_method, self.staff_method, self.staff_method

        applications = root.add_resource("applications")
        api_integration = apigw.LambdaIntegration(applications_api)
        member(applications, "POST", api_integration)  # the account's holder applies (Art. 5, R6)
        staff(applications, "GET", api_integration)  # ?status=DEFERRED: the staff's queue (R6.2)
        application = applications.add_resource("{applicationId}")
        member(application, "GET", api_integration)  # only a member of its account reads it
        staff(application.add_resource("decision"), "POST", api_integration)

        # The subscriber's own page (issue 23): the signed-in member's account.
        my_integration = apigw.LambdaIntegration(members_api)
        me = root.add_resource("me")
        member(me, "GET", my_integration)
        my_invoices = me.add_resource("invoices")
        member(my_invoices, "GET", my_integration)
        member(my_invoices.add_resource("{month}"), "GET", my_integration)
        my_contract = me.add_resource("contracts").add_resource("{contractId}")
        member(my_contract, "PATCH", my_integration)
        my_cancellation = my_contract.add_resource("cancellation")
        member(my_cancellation, "POST", my_integration)
        member(my_cancellation.add_resource("preview"), "GET", my_integration)

        contracts_integration = apigw.LambdaIntegration(contracts_api)
        contract = root.add_resource("contracts").add_resource("{contractId}")
        staff(contract, "GET", contracts_integration)
        staff(contract, "PATCH", contracts_integration)
        cancellation = contract.add_resource("cancellation")
        staff(cancellation, "POST", contracts_integration)
        staff(cancellation.add_resource("preview"), "GET", contracts_integration)
        staff(root.add_resource("contract-searches"), "POST", contracts_integration)
        staff(contract.add_resource("termination"), "POST", contracts_integration)
        staff(contract.add_resource("holder"), "PUT", contracts_integration)
        staff(contract.add_resource("verifications"), "POST", apigw.LambdaIntegration(support_api))
        support_integration = apigw.LambdaIntegration(support_api)
        sessions = root.add_resource("support-sessions")
        staff(sessions, "POST", support_integration)
        staff(sessions.add_resource("{sessionId}"), "PATCH", support_integration)
        contract_device = contract.add_resource("devices").add_resource("{deviceId}")
        device_commands = contract_device.add_resource("commands")
        staff(device_commands, "POST", support_integration)
        staff(device_commands, "GET", support_integration)
        staff(contract_device.add_resource("revocation"), "POST", support_integration)
        staff(contract.add_resource("member-code"), "POST", support_integration)  # reissue (issue 24)
        command = root.add_resource("commands").add_resource("{commandId}")
        staff(command, "GET", support_integration)
        staff(command.add_resource("cancellation"), "POST", support_integration)
        staff(contract.add_resource("verification"), "GET", support_integration)
        staff(contract.add_resource("timeline"), "GET", support_integration)

        devices_integration = apigw.LambdaIntegration(devices_api)
        devices = root.add_resource("devices")
        public(
            devices.add_resource("registrations"),
            "POST",
            devices_integration,
            "the support app registers with the member confirmation code it was sent (R6.4)",
        )
        device = devices.add_resource("{deviceId}")
        public(
            device.add_resource("passphrase"),
            "PUT",
            devices_integration,
            "the device authenticates with its own device token, checked by the handler",
        )
        public(
            device.add_resource("token"),
            "POST",
            devices_integration,
            "the device rotates its own device token, checked by the handler",
        )
        public(
            device.add_resource("commands").add_resource("{commandId}").add_resource("result"),
            "POST",
            devices_integration,
            "the device reports a command's result with its own device token, checked by the handler",
        )
        public(
            device.add_resource("cancellation"),
            "POST",
            devices_integration,
            "the subscriber gives notice (R9) with the device's own token, checked by the handler",
        )
        # Cancelling online from the web (R9; infra.constructs.cancellations made the function).
        cancellations_integration = apigw.LambdaIntegration(functions.by_name["cancellations_api"])
        cancellation_requests = root.add_resource("cancellation-requests")
        public(
            cancellation_requests,
            "POST",
            cancellations_integration,
            "a subscriber without the app asks, with the member code, for a one-time code to the "
            "contact on file (R9); limited per source and per code, the same answer for any code",
        )
        cancellation_request = cancellation_requests.add_resource("{requestId}")
        for step in ("preview", "confirmation"):
            public(
                cancellation_request.add_resource(step),
                "POST",
                cancellations_integration,
                "proved by the one-time code sent to the contact on file, checked by the handler; "
                "wrong codes lock the request",
            )
        invoices = root.add_resource("accounts").add_resource("{mobileContractId}").add_resource("invoices")
        staff(invoices, "GET", contracts_integration)
        month_invoice = invoices.add_resource("{month}")
        staff(month_invoice, "GET", contracts_integration)
        staff(month_invoice.add_resource("preview"), "GET", contracts_integration)
        public(
            root.add_resource("openapi.json"),
            "GET",
            apigw.LambdaIntegration(functions.function("api_docs", "The API's OpenAPI document")),
            "the API's description, for client developers and tests",
        )

    def _stage(self, stack: Stack, functions: Functions) -> apigw.RestApi:
        access_logs = functions.log_group("ApiAccessLogs")
        api = apigw.RestApi(
            stack,
            "Api",
            rest_api_name="anshin",
            description="anshin: applications, contracts, devices and support",
            cloud_watch_role=True,
            cloud_watch_role_removal_policy=RemovalPolicy.RETAIN,
            # Regional, not edge-optimized: the site's CloudFront distribution is the API's edge
            # (an edge-optimized API would put a second, AWS-managed distribution in between, whose
            # addresses every request would then come from).
            endpoint_types=[apigw.EndpointType.REGIONAL],
            deploy_options=apigw.StageOptions(
                stage_name=STAGE,
                throttling_rate_limit=STAGE_THROTTLE[0],
                throttling_burst_limit=STAGE_THROTTLE[1],
                method_options={
                    route: apigw.MethodDeploymentOptions(
                        throttling_rate_limit=rate, throttling_burst_limit=burst
                    )
                    for _group, rate, burst, routes in ROUTE_THROTTLES
                    for route in routes
                },
                tracing_enabled=True,
                logging_level=apigw.MethodLoggingLevel.ERROR,
                access_log_destination=apigw.LogGroupLogDestination(access_logs),
                access_log_format=apigw.AccessLogFormat.json_with_standard_fields(
                    caller=False,
                    http_method=True,
                    ip=False,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=False,
                ),
            ),
        )
        # Parameters are checked by API Gateway; bodies by the handlers' pydantic models, which
        # answer one machine-readable error per field (API Gateway models cannot).
        self.request_validator = api.add_request_validator(
            "Validator", validate_request_body=False, validate_request_parameters=True
        )
        # Refusals made by API Gateway itself carry the same machine-readable shape as ours, with
        # a code that says what happened. An unknown path or method is MISSING_AUTHENTICATION_TOKEN
        # in a REST API (403 by default): answered 404 ROUTE_NOT_FOUND. A stage that does not exist
        # is refused before any of this applies ({"message": "Forbidden"}; README).
        for construct_id, response_type, status, code, message in GATEWAY_RESPONSES:
            api.add_gateway_response(
                construct_id,
                type=response_type,
                status_code=status,
                templates={"application/json": json.dumps({"code": code, "message": message})},
            )
        acknowledge(api, "APIG2", "Request bodies are validated by each handler's pydantic model.")
        acknowledge(
            api,
            "IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]",
            "AmazonAPIGatewayPushToCloudWatchLogs is the policy AWS documents for the stage's logs.",
        )
        return api

    def public_method(
        self, resource: apigw.Resource, verb: str, integration: apigw.Integration, why: str
    ) -> apigw.Method:
        """A route that needs no login; ``why`` says who calls it without one."""
        method = resource.add_method(verb, integration, request_validator=self.request_validator)
        for rule in ("APIG4", "COG4"):
            acknowledge(method, rule, f"Public by design: {why}. Throttled per route and per address.")
        return method

    def staff_method(
        self, resource: apigw.Resource, verb: str, integration: apigw.Integration
    ) -> apigw.Method:
        """A signed-in route (staff or member): the Cognito authorizer admits only verified tokens
        of the staff and members pools (401 otherwise), and the handler requires its own kind of
        caller (403): the staff pool and the support-staff group (anshin.runtime.staff), or the
        members pool and the account claim (anshin.runtime.members). A route whose authorizer
        were missing would still refuse."""
        return resource.add_method(
            verb,
            integration,
            request_validator=self.request_validator,
            authorizer=self.staff_authorizer,
            authorization_type=apigw.AuthorizationType.COGNITO,
        )
