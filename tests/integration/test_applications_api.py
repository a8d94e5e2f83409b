"""POST /applications and GET /applications/{id} against moto (R6), as the signed-in member who
holds the account (Art. 5, issue 23), and what anyone else gets."""

import json
from typing import Any

import boto3
import pytest
from anshin.domain import errors

from tests.integration.conftest import STAFF, load_handler, member_claims
from tests.integration.conftest import rest_event as plain_event

VALID = {
    "mobileContractId": "MC-0001",
    "applicant": {"name": "山田 太郎", "email": "taro@example.com", "phone": "09012345678"},
    "device": {"deviceId": "android-0001", "platform": "android", "kind": "smartphone", "model": "Pixel 9"},
    "consent": {"termsVersion": "2017-07-01", "locationOptOut": False},
}


#: The signed-in holder of VALID's account.
HOLDER = member_claims("MC-0001")


def rest_event(*args: Any, claims: dict[str, str] | None = HOLDER, **kwargs: Any) -> dict[str, Any]:
    """A REST event from ``claims`` (by default the holder of VALID's account; None: no token)."""
    event = plain_event(*args, **kwargs)
    if claims is not None:
        event["requestContext"]["authorizer"] = {"claims": claims}
    return event


def read_event(application_id: str, claims: dict[str, str] | None = HOLDER) -> dict[str, Any]:
    return rest_event(
        "GET",
        f"/applications/{application_id}",
        path_parameters={"applicationId": application_id},
        resource="/applications/{applicationId}",
        claims=claims,
    )


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

    status, view = call(api, lambda_context, read_event(application_id))
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
    status, answer = call(api, lambda_context, read_event("app-missing"))
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
    event = plain_event(
        "POST",
        f"/applications/{application_id}/decision",
        body,
        path_parameters={"applicationId": application_id},
        resource="/applications/{applicationId}/decision",
    )
    if claims is not None:
        event["requestContext"]["authorizer"] = {"claims": claims}
    return event


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

    def busy_then_free(*args: Any, **kwargs: Any) -> Any:
        if next(contention, False):
            raise errors.AccountBusy("MC-0001")
        return real_create(*args, **kwargs)

    monkeypatch.setattr(applications, "create", busy_then_free)
    status, body = call(api, lambda_context, rest_event("POST", "/applications", VALID))
    assert (status, body["status"]) == (202, "RECEIVED")
    assert len(executions(aws_env)) == 1


def nothing_written(env: dict[str, str]) -> bool:
    return executions(env) == [] and boto3.client("dynamodb").scan(TableName="Contracts")["Count"] == 0


class TestOnlyTheHolderApplies:
    """Art. 5 (issue 23): the account comes from the member's verified token, never the body."""

    def test_without_a_token_is_401_and_nothing_happens(
        self, api: Any, lambda_context: object, aws_env: dict[str, str]
    ) -> None:
        status, answer = call(api, lambda_context, rest_event("POST", "/applications", VALID, claims=None))
        assert (status, answer["code"]) == (401, "UNAUTHENTICATED")
        assert nothing_written(aws_env)

    def test_a_staff_token_is_403_members_only(
        self, api: Any, lambda_context: object, aws_env: dict[str, str]
    ) -> None:
        status, answer = call(api, lambda_context, rest_event("POST", "/applications", VALID, claims=STAFF))
        assert (status, answer["code"]) == (403, "MEMBERS_ONLY")
        assert nothing_written(aws_env)

    def test_a_token_of_another_pool_is_403_whatever_it_claims(
        self, api: Any, lambda_context: object, aws_env: dict[str, str]
    ) -> None:
        forged = {**HOLDER, "iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_other"}
        status, answer = call(api, lambda_context, rest_event("POST", "/applications", VALID, claims=forged))
        assert (status, answer["code"]) == (403, "MEMBERS_ONLY")
        assert nothing_written(aws_env)

    def test_an_access_token_proves_no_account(
        self, api: Any, lambda_context: object, aws_env: dict[str, str]
    ) -> None:
        access = {**HOLDER, "token_use": "access"}
        status, answer = call(api, lambda_context, rest_event("POST", "/applications", VALID, claims=access))
        assert (status, answer["code"]) == (403, "MEMBERS_ONLY")
        assert nothing_written(aws_env)

    def test_another_accounts_holder_is_403_and_nothing_happens(
        self, api: Any, lambda_context: object, aws_env: dict[str, str]
    ) -> None:
        stranger = member_claims("MC-0002")
        status, answer = call(
            api, lambda_context, rest_event("POST", "/applications", VALID, claims=stranger)
        )
        assert (status, answer["code"]) == (403, "NOT_ACCOUNT_HOLDER")
        assert nothing_written(aws_env)

    def test_the_application_records_who_applied(self, api: Any, lambda_context: object) -> None:
        from anshin.store import applications

        _, created = call(api, lambda_context, rest_event("POST", "/applications", VALID))
        assert applications.require(created["applicationId"])["appliedBy"] == HOLDER["sub"]

    def test_another_accounts_member_cannot_read_it(self, api: Any, lambda_context: object) -> None:
        _, created = call(api, lambda_context, rest_event("POST", "/applications", VALID))
        app_id = created["applicationId"]
        for claims in (member_claims("MC-0002"),):
            status, answer = call(api, lambda_context, read_event(app_id, claims))
            assert (status, answer["code"]) == (404, "APPLICATION_NOT_FOUND")
        assert call(api, lambda_context, read_event(app_id, STAFF))[1]["code"] == "MEMBERS_ONLY"
        assert call(api, lambda_context, read_event(app_id, None))[0] == 401
        # Another member of the same account (a second sign-in of the holder) reads it.
        same_account = member_claims("MC-0001", sub="member-second-device")
        assert call(api, lambda_context, read_event(app_id, same_account))[0] == 200

    def test_a_refusal_reason_is_shown_to_the_holder_only(self, api: Any, lambda_context: object) -> None:
        from anshin.store import applications

        _, created = call(api, lambda_context, rest_event("POST", "/applications", VALID))
        app_id = created["applicationId"]
        boto3.resource("dynamodb").Table("Contracts").update_item(
            Key=applications.keys.application(app_id),
            UpdateExpression="SET #s = :r, reason = :why",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":r": "REJECTED", ":why": "PAYMENT_RISK"},
        )
        assert call(api, lambda_context, read_event(app_id))[1]["reason"] == "PAYMENT_RISK"
        stranger = call(api, lambda_context, read_event(app_id, member_claims("MC-0002")))[1]
        assert "PAYMENT_RISK" not in json.dumps(stranger)

    def test_the_same_idempotency_key_of_two_members_is_two_requests(
        self, api: Any, lambda_context: object, aws_env: dict[str, str]
    ) -> None:
        headers = {"Idempotency-Key": "web-form-shared"}
        other = json.loads(json.dumps(VALID))
        other["mobileContractId"] = "MC-0002"
        first = call(api, lambda_context, rest_event("POST", "/applications", VALID, headers=headers))
        second = call(
            api,
            lambda_context,
            rest_event("POST", "/applications", other, headers=headers, claims=member_claims("MC-0002")),
        )
        assert first[0] == second[0] == 202
        assert first[1]["applicationId"] != second[1]["applicationId"]
        assert len(executions(aws_env)) == 2


class TestApplicationsPerDay:
    """Issue 23: at most APPLICATIONS_PER_DAY a day per member and per account (429 after)."""

    def test_the_eleventh_of_a_day_is_429_with_retry_after(
        self, api: Any, lambda_context: object, aws_env: dict[str, str]
    ) -> None:
        import time_machine

        with time_machine.travel("2026-12-07T03:00:00Z", tick=False):  # 12:00 JST
            for _ in range(10):
                assert call(api, lambda_context, rest_event("POST", "/applications", VALID))[0] == 202
            response = api.handler(rest_event("POST", "/applications", VALID), lambda_context)
        assert response["statusCode"] == 429
        assert json.loads(response["body"])["code"] == "TOO_MANY_APPLICATIONS"
        # The day's window ends at 09:00 JST (UTC midnight): 21 hours later.
        assert response["multiValueHeaders"]["Retry-After"] == [str(21 * 3600)]
        assert len(executions(aws_env)) == 10

    def test_the_account_is_limited_whoever_of_its_members_applies(
        self, api: Any, lambda_context: object, aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("APPLICATIONS_PER_DAY", "2")
        for n in range(2):
            claims = member_claims("MC-0001", sub=f"member-{n}")
            assert (
                call(api, lambda_context, rest_event("POST", "/applications", VALID, claims=claims))[0] == 202
            )
        third = member_claims("MC-0001", sub="member-3")
        status, answer = call(api, lambda_context, rest_event("POST", "/applications", VALID, claims=third))
        assert (status, answer["code"]) == (429, "TOO_MANY_APPLICATIONS")
        assert len(executions(aws_env)) == 2

    def test_a_new_day_applies_again(
        self, api: Any, lambda_context: object, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        import time_machine

        monkeypatch.setenv("APPLICATIONS_PER_DAY", "1")
        with time_machine.travel("2026-12-07T03:00:00Z", tick=False):
            assert call(api, lambda_context, rest_event("POST", "/applications", VALID))[0] == 202
            assert call(api, lambda_context, rest_event("POST", "/applications", VALID))[0] == 429
        with time_machine.travel("2026-12-08T00:00:01Z", tick=False):
            assert call(api, lambda_context, rest_event("POST", "/applications", VALID))[0] == 202
