"""Retention on the deployed stack (docs/retention.md): the daily job, invoked with its clock moved
400 days ahead (local time travel), erases a refused application's applicant and an ended
contract's holder contact data, keeps their ids, and the staff's contract view and timeline still
answer; a second run erases nothing more."""

import json
from collections.abc import Callable
from typing import Any

import boto3
from botocore.config import Config

from local.jobs import time_travel
from local.service import LocalService
from tests.e2e.conftest import staff_request
from tests.e2e.test_applications import application, apply, settled

#: Past every retention period: 90 days (refused), 30 (device data) and 365 (contact data).
AHEAD_SECONDS = 400 * 24 * 3600


def _item(service: LocalService, aws_client: Callable[[str], Any], pk: str, sk: str) -> dict[str, Any]:
    found = aws_client("dynamodb").get_item(
        TableName=service.output("ContractsTableName"),
        Key={"pk": {"S": pk}, "sk": {"S": sk}},
        ConsistentRead=True,
    )
    return dict(found["Item"])


def _run_job(service: LocalService) -> dict[str, Any]:
    lambda_ = boto3.client(
        "lambda",
        endpoint_url=service.endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(read_timeout=600, retries={"max_attempts": 0}),
    )
    answer = lambda_.invoke(FunctionName=service.output("RetentionFunctionName"), Payload=b"{}")
    payload = json.loads(answer["Payload"].read() or b"{}")
    assert "FunctionError" not in answer, payload
    return dict(payload)


def test_the_job_erases_what_is_due_and_the_contract_still_renders(
    local_service: LocalService, aws_client: Callable[[str], Any], account: Callable[..., str]
) -> None:
    refused = apply(local_service, application(account(in_arrears=True)))
    assert settled(local_service, refused)["status"] == "REJECTED"
    formed = apply(local_service, application(account()))
    contracted = settled(local_service, formed)
    assert contracted["status"] == "CONTRACTED", _item(local_service, aws_client, f"APP#{formed}", "APP").get(
        "failure"
    )
    contract_id = str(contracted["contractId"])
    status, ended = staff_request(
        local_service, "POST", f"/contracts/{contract_id}/termination", {"reason": "e2e retention"}
    )
    assert status == 200 and ended["status"] == "ENDED", ended
    assert _item(local_service, aws_client, f"CONTRACT#{contract_id}", "CONTRACT")["holder"]["M"]["name"]

    with time_travel(local_service.endpoint, AHEAD_SECONDS, functions=("RetentionFunctionName",)):
        first = _run_job(local_service)
        second = _run_job(local_service)

    assert first["applicationsErased"] >= 1 and first["contractsErased"] >= 1, first
    assert first["setAside"] == 0 and first["more"] is False
    assert (second["applicationsErased"], second["deviceDataErased"], second["contractsErased"]) == (0, 0, 0)

    contract = _item(local_service, aws_client, f"CONTRACT#{contract_id}", "CONTRACT")
    assert "holder" not in contract and "personalDataErasedAt" in contract
    assert contract["status"]["S"] == "ENDED" and contract["firstBillableMonth"]["S"]
    for application_id in (refused, formed):
        erased = _item(local_service, aws_client, f"APP#{application_id}", "APP")
        assert "applicant" not in erased and "personalDataErasedAt" in erased

    status, view = staff_request(local_service, "GET", f"/contracts/{contract_id}")
    assert status == 200, view
    assert view["holderName"] is None and view["personalDataErasedAt"] and view["status"] == "ENDED"
    status, timeline = staff_request(local_service, "GET", f"/contracts/{contract_id}/timeline")
    assert status == 200, timeline
    events = {(e["kind"], e["event"]) for e in timeline["items"]}
    assert {
        ("CONTRACT", "PERSONAL_DATA_ERASED"),
        ("DEVICE", "DEVICE_DATA_ERASED"),
        ("CONTRACT", "FORMED"),
    } <= events
