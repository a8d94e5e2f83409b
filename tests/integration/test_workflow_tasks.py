"""The approval workflow's screening task and the device-command relay, against moto."""

from typing import Any

import boto3
from anshin.domain.applications import ApplicationRequest
from anshin.domain.clock import now
from anshin.store import accounts, applications, keys

from tests.integration.conftest import load_handler
from tests.integration.test_applications_api import VALID


def stored(key: dict[str, str]) -> dict[str, Any]:
    item: dict[str, Any] = boto3.resource("dynamodb").Table("Contracts").get_item(Key=key)["Item"]
    return item


class TestWorkflowTaskHandlers:
    """The task functions, invoked with the Payload the ASL passes them."""

    def test_screen_then_reserve(self, aws_env: dict[str, str], lambda_context: object) -> None:
        boto3.resource("dynamodb").Table("Contracts").put_item(Item=accounts.mirror_item("MC-0001"))
        applications.create("app-1", ApplicationRequest.model_validate(VALID), now())
        screen = load_handler("screen_application")
        assert screen.handler({"applicationId": "app-1"}, lambda_context)["outcome"] == "PROCEED"
        # A Step Functions retry of the same task answers the same.
        assert screen.handler({"applicationId": "app-1"}, lambda_context)["outcome"] == "PROCEED"
        reserve = load_handler("reserve_slot")
        assert reserve.handler({"applicationId": "app-1"}, lambda_context)["status"] == "APPROVED"
        assert stored(keys.application("app-1"))["status"] == "APPROVED"

    def test_record_failure_takes_the_catch_output(
        self, aws_env: dict[str, str], lambda_context: object
    ) -> None:
        applications.create("app-2", ApplicationRequest.model_validate(VALID), now())
        record_failure = load_handler("record_failure")
        event = {"applicationId": "app-2", "error": {"Error": "Lambda.Unknown", "Cause": "boom"}}
        assert record_failure.handler(event, lambda_context)["status"] == "NOTIFICATION_FAILED"
        assert stored(keys.application("app-2"))["failure"] == "Lambda.Unknown"
