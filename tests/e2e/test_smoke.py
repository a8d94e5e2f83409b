"""The foundation, proved on the deployed stack: API -> function -> state machine -> function ->
Contracts table, and SNS -> subscribed function."""

from collections.abc import Callable
from typing import Any

import requests

from local.service import LocalService
from tests.e2e.conftest import eventually, member_token

APPLICATION = {
    "mobileContractId": "MC-SMOKE",
    "applicant": {"name": "Smoke Test", "email": "smoke@example.com", "phone": "09000000000"},
    "device": {"deviceId": "smoke-device", "platform": "android", "kind": "smartphone", "model": "Pixel"},
    "consent": {"termsVersion": "2017-07-01", "locationOptOut": False},
}


def test_http_request_runs_the_deployed_workflow_into_the_table(
    local_service: LocalService, aws_client: Callable[[str], Any]
) -> None:
    holder = {"Authorization": member_token(local_service, "MC-SMOKE")}
    answer = requests.post(
        f"{local_service.api_url}/applications", json=APPLICATION, headers=holder, timeout=30
    )
    assert answer.status_code == 202, answer.text
    application_id = answer.json()["applicationId"]

    # The deployed state machine ran the deployed screening function...
    sfn = aws_client("stepfunctions")
    machine = local_service.output("ApprovalStateMachineArn")
    execution_arn = f"{machine.replace(':stateMachine:', ':execution:')}:{application_id}"

    def finished() -> str | None:
        status: str = sfn.describe_execution(executionArn=execution_arn)["status"]
        return None if status == "RUNNING" else status

    status = eventually(finished)
    assert status == "SUCCEEDED"
    history = sfn.get_execution_history(executionArn=execution_arn)["events"]
    assert any(e["type"] == "TaskSucceeded" for e in history)

    # ...which wrote to the deployed Contracts table.
    item = aws_client("dynamodb").get_item(
        TableName=local_service.output("ContractsTableName"),
        Key={"pk": {"S": f"APP#{application_id}"}, "sk": {"S": "APP"}},
    )["Item"]
    # (No mirror account MC-SMOKE exists: screening refuses it under R6.3(1).)
    assert (item["status"]["S"], item["reason"]["S"]) == ("REJECTED", "INVALID_APPLICATION")

    # And the API reads it back through the deployed stage.
    view = requests.get(f"{local_service.api_url}/applications/{application_id}", headers=holder, timeout=30)
    assert view.status_code == 200
    assert view.json()["status"] == "REJECTED"


def test_malformed_request_is_400_through_the_stage(local_service: LocalService) -> None:
    holder = {"Authorization": member_token(local_service, "MC-SMOKE")}
    answer = requests.post(
        f"{local_service.api_url}/applications", json={"applicant": {}}, headers=holder, timeout=30
    )
    assert answer.status_code == 400
    assert answer.json()["code"] == "VALIDATION_ERROR"
