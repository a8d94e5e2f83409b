"""POST /applications and GET /applications/{id} against moto (R6)."""

import json
from typing import Any

import boto3
import pytest
from anshin.domain import errors

from tests.integration.conftest import load_handler, rest_event

VALID = {
    "mobileContractId": "MC-0001",
    "applicant": {"name": "山田 太郎", "email": "taro@example.com", "phone": "09012345678"},
    "device": {"deviceId": "android-0001", "platform": "android", "kind": "smartphone", "model": "Pixel 9"},
    "consent": {"termsVersion": "2017-07-01", "locationOptOut": False},
}


@pytest.fixture
def api(aws_env: dict[str, str]) -> Any:
    return load_handler("applications_api")


def call(api: Any, context: object, event: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    response = api.handler(event, context)
    return response["statusCode"], json.loads(response["body"])


def executions(env: dict[str, str]) -> list[dict[str, Any]]:
    sfn = boto3.client("stepfunctions")
    return list(sfn.list_executions(stateMachineArn=env["APPROVAL_STATE_MACHINE_ARN"])["executions"])


def test_apply_stores_received_and_starts_one_execution(
    api: Any, lambda_context: object, aws_env: dict[str, str]
) -> None:
    status, body = call(api, lambda_context, rest_event("POST", "/applications", VALID))
    assert status == 202
    assert body["status"] == "RECEIVED"
    application_id = body["applicationId"]
    runs = executions(aws_env)
    assert [run["name"] for run in runs] == [application_id]
    sfn_input = json.loads(
        boto3.client("stepfunctions").describe_execution(executionArn=runs[0]["executionArn"])["input"]
    )
    # The API request's id is the correlation id of everything the workflow does.
    assert sfn_input == {"applicationId": application_id, "correlationId": "req-1"}

    status, view = call(
        api,
        lambda_context,
        rest_event(
            "GET",
            f"/applications/{application_id}",
            path_parameters={"applicationId": application_id},
            resource="/applications/{applicationId}",
        ),
    )
    assert status == 200
    assert view["status"] == "RECEIVED"
    assert view["applicationId"] == application_id
    # The public view echoes no personal data back.
    assert "applicant" not in view and "taro@example.com" not in json.dumps(view)


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda b: b.pop("mobileContractId"), "mobileContractId"),
        (lambda b: b["applicant"].update(email="not-an-email"), "applicant.email"),
        (lambda b: b["applicant"].update(phone="call me"), "applicant.phone"),
        (lambda b: b["device"].pop("deviceId"), "device.deviceId"),  # R16: the device id is required
        (lambda b: b["device"].update(platform="windows"), "device.platform"),
        (lambda b: b["device"].update(kind="watch"), "device.kind"),
        (lambda b: b["consent"].update(locationOptOut="maybe"), "consent.locationOptOut"),
        (lambda b: b.update(extra="field"), "extra"),
    ],
)
def test_malformed_input_is_400_per_field_and_nothing_happens(
    api: Any, lambda_context: object, aws_env: dict[str, str], mutate: Any, field: str
) -> None:
    body = json.loads(json.dumps(VALID))
    mutate(body)
    status, answer = call(api, lambda_context, rest_event("POST", "/applications", body))
    assert status == 400
    assert answer["code"] == "VALIDATION_ERROR"
    assert field in [error["field"] for error in answer["errors"]]
    assert all(error["code"] and error["message"] for error in answer["errors"])
    assert executions(aws_env) == []
    assert boto3.client("dynamodb").scan(TableName="Contracts")["Count"] == 0


def test_broken_json_is_400_invalid_json_without_field_errors(
    api: Any, lambda_context: object, aws_env: dict[str, str]
) -> None:
    status, answer = call(api, lambda_context, rest_event("POST", "/applications", "{not json"))
    assert (status, answer["code"]) == (400, "INVALID_JSON")
    assert answer["message"] and "errors" not in answer
    assert executions(aws_env) == []


@pytest.mark.parametrize(
    "media_type", ["Application/JSON", "APPLICATION/JSON; charset=UTF-8", " application/json"]
)
def test_media_types_are_case_insensitive(
    api: Any, lambda_context: object, aws_env: dict[str, str], media_type: str
) -> None:
    event = rest_event("POST", "/applications", VALID)
    event["headers"] = {"CONTENT-TYPE": media_type}
    event["multiValueHeaders"] = {"Content-Type": [media_type]}
    status, answer = call(api, lambda_context, event)
    assert (status, answer["status"]) == (202, "RECEIVED"), answer


def test_unknown_application_is_404(api: Any, lambda_context: object) -> None:
    status, answer = call(
        api,
        lambda_context,
        rest_event(
            "GET",
            "/applications/app-missing",
            path_parameters={"applicationId": "app-missing"},
            resource="/applications/{applicationId}",
        ),
    )
    assert status == 404
    assert answer["code"] == "APPLICATION_NOT_FOUND"


def test_workflow_start_failure_leaves_nothing_half_written(
    api: Any, lambda_context: object, aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APPROVAL_STATE_MACHINE_ARN", aws_env["APPROVAL_STATE_MACHINE_ARN"] + "-gone")
    status, answer = call(api, lambda_context, rest_event("POST", "/applications", VALID))
    assert status == 503
    assert answer["code"] == "TEMPORARILY_UNAVAILABLE"
    assert boto3.client("dynamodb").scan(TableName="Contracts")["Count"] == 0


class TestIdempotencyKey:
    def test_replay_returns_the_first_answer_and_starts_nothing_new(
        self, api: Any, lambda_context: object, aws_env: dict[str, str]
    ) -> None:
        headers = {"Idempotency-Key": "web-form-0001"}
        first = call(api, lambda_context, rest_event("POST", "/applications", VALID, headers=headers))
        again = call(api, lambda_context, rest_event("POST", "/applications", VALID, headers=headers))
        assert first[0] == again[0] == 202
        assert first[1] == again[1]
        assert len(executions(aws_env)) == 1
        assert boto3.client("dynamodb").scan(TableName="Contracts")["Count"] == 1

    def test_same_key_for_another_application_is_refused(
        self, api: Any, lambda_context: object, aws_env: dict[str, str]
    ) -> None:
        headers = {"Idempotency-Key": "web-form-0002"}
        call(api, lambda_context, rest_event("POST", "/applications", VALID, headers=headers))
        other = json.loads(json.dumps(VALID))
        other["device"]["deviceId"] = "android-9999"
        status, answer = call(
            api, lambda_context, rest_event("POST", "/applications", other, headers=headers)
        )
        assert (status, answer["code"]) == (422, "IDEMPOTENCY_KEY_REUSED")
        assert len(executions(aws_env)) == 1

    def test_without_a_key_each_post_is_a_new_application(
        self, api: Any, lambda_context: object, aws_env: dict[str, str]
    ) -> None:
        call(api, lambda_context, rest_event("POST", "/applications", VALID))
        call(api, lambda_context, rest_event("POST", "/applications", VALID))
        assert len(executions(aws_env)) == 2

    def test_too_short_key_is_400(self, api: Any, lambda_context: object) -> None:
        status, answer = call(
            api, lambda_context, rest_event("POST", "/applications", VALID, headers={"Idempotency-Key": "x"})
        )
        assert (status, answer["code"]) == (400, "INVALID_IDEMPOTENCY_KEY")


def decision_event(application_id: str, body: Any, claims: dict[str, str] | None) -> dict[str, Any]:
    event = rest_event(
        "POST",
        f"/applications/{application_id}/decision",
        body,
        path_parameters={"applicationId": application_id},
        resource="/applications/{applicationId}/decision",
    )
    if claims is not None:
        event["requestContext"]["authorizer"] = {"claims": claims}
    return event


STAFF = {"sub": "staff-1", "cognito:groups": "support-staff"}


class TestStaffDecision:
    def test_anonymous_caller_is_401(self, api: Any, lambda_context: object) -> None:
        status, answer = call(api, lambda_context, decision_event("app-x", {"decision": "APPROVE"}, None))
        assert (status, answer["code"]) == (401, "UNAUTHENTICATED")

    def test_caller_without_the_staff_group_is_403(self, api: Any, lambda_context: object) -> None:
        claims = {"sub": "user-1", "cognito:groups": "subscribers"}
        status, answer = call(api, lambda_context, decision_event("app-x", {"decision": "APPROVE"}, claims))
        assert (status, answer["code"]) == (403, "FORBIDDEN")

    def test_unknown_application_is_404(self, api: Any, lambda_context: object) -> None:
        status, answer = call(api, lambda_context, decision_event("app-x", {"decision": "APPROVE"}, STAFF))
        assert (status, answer["code"]) == (404, "APPLICATION_NOT_FOUND")

    def test_application_not_deferred_is_409(self, api: Any, lambda_context: object) -> None:
        _, created = call(api, lambda_context, rest_event("POST", "/applications", VALID))
        app_id = created["applicationId"]
        status, answer = call(api, lambda_context, decision_event(app_id, {"decision": "APPROVE"}, STAFF))
        assert (status, answer["code"]) == (409, "NOT_DEFERRED")

    @pytest.mark.parametrize(
        "body", [{"decision": "MAYBE"}, {"decision": "REJECT", "reason": "PAYMENT_RISK"}, {}]
    )
    def test_malformed_decision_is_400(self, api: Any, lambda_context: object, body: dict[str, Any]) -> None:
        status, answer = call(api, lambda_context, decision_event("app-x", body, STAFF))
        assert (status, answer["code"]) == (400, "VALIDATION_ERROR")


def test_contended_sequence_is_retried_until_received(
    api: Any, lambda_context: object, aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # R6.1: another application of the same account took the sequence number first, twice.
    from anshin.store import applications

    real_create = applications.create
    contention = iter([True, True])

    def busy_then_free(*args: Any) -> Any:
        if next(contention, False):
            raise errors.AccountBusy("MC-0001")
        return real_create(*args)

    monkeypatch.setattr(applications, "create", busy_then_free)
    status, body = call(api, lambda_context, rest_event("POST", "/applications", VALID))
    assert (status, body["status"]) == (202, "RECEIVED")
    assert len(executions(aws_env)) == 1
