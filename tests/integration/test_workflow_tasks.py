"""The approval workflow's screening task and the device-command relay, against moto."""

import json
import uuid
from typing import Any

import boto3
import pytest
import time_machine
from anshin import accounts, applications, commands
from anshin.applications import ApplicationRequest
from anshin.clock import now

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
        assert stored(applications.key("app-1"))["status"] == "APPROVED"

    def test_record_failure_takes_the_catch_output(
        self, aws_env: dict[str, str], lambda_context: object
    ) -> None:
        applications.create("app-2", ApplicationRequest.model_validate(VALID), now())
        record_failure = load_handler("record_failure")
        event = {"applicationId": "app-2", "error": {"Error": "Lambda.Unknown", "Cause": "boom"}}
        assert record_failure.handler(event, lambda_context)["status"] == "NOTIFICATION_FAILED"
        assert stored(applications.key("app-2"))["failure"] == "Lambda.Unknown"


def sns_event(command_id: str, message_id: str) -> dict[str, Any]:
    """An SNS -> Lambda event as the subscription delivers it."""
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "EventSubscriptionArn": "arn:aws:sns:us-east-1:123456789012:device-commands:sub",
                "Sns": {
                    "Type": "Notification",
                    "MessageId": message_id,
                    "TopicArn": "arn:aws:sns:us-east-1:123456789012:device-commands",
                    "Subject": None,
                    "Message": json.dumps({"commandId": command_id}),
                    "Timestamp": "2026-11-24T03:00:00.000Z",
                    "SignatureVersion": "1",
                    "Signature": "EXAMPLE",
                    "SigningCertUrl": "https://sns.us-east-1.amazonaws.com/cert.pem",
                    "UnsubscribeUrl": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
                    "MessageAttributes": {},
                },
            }
        ]
    }


class TestCommandRelay:
    @pytest.fixture
    def relay(self, aws_env: dict[str, str]) -> Any:
        return load_handler("command_relay")

    def seed(self, command_id: str, status: str = "PENDING") -> None:
        boto3.resource("dynamodb").Table("Contracts").put_item(
            Item={**commands.key(command_id), "commandId": command_id, "status": status}
        )

    @time_machine.travel("2026-11-24T03:00:00Z", tick=False)
    def test_marks_sent_and_counts_the_attempt(self, relay: Any, lambda_context: object) -> None:
        self.seed("cmd-1")
        assert relay.handler(sns_event("cmd-1", str(uuid.uuid4())), lambda_context) == {"relayed": 1}
        item = stored(commands.key("cmd-1"))
        assert item["status"] == "SENT"
        assert item["attempts"] == 1
        assert item["lastAttemptAt"] == "2026-11-24T03:00:00.000Z"

    def test_duplicate_delivery_never_counts_twice(self, relay: Any, lambda_context: object) -> None:
        self.seed("cmd-2")
        event = sns_event("cmd-2", "message-1")
        assert relay.handler(event, lambda_context) == {"relayed": 1}
        assert relay.handler(event, lambda_context) == {"relayed": 0}
        assert stored(commands.key("cmd-2"))["attempts"] == 1
        # A new message (a re-send) is a new attempt.
        assert relay.handler(sns_event("cmd-2", "message-2"), lambda_context) == {"relayed": 1}
        assert stored(commands.key("cmd-2"))["attempts"] == 2

    @pytest.mark.parametrize("final", ["SUCCEEDED", "FAILED", "EXPIRED"])
    def test_finished_command_is_left_alone(self, relay: Any, lambda_context: object, final: str) -> None:
        self.seed("cmd-3", final)
        assert relay.handler(sns_event("cmd-3", "m"), lambda_context) == {"relayed": 0}
        assert stored(commands.key("cmd-3"))["status"] == final

    def test_unknown_command_is_ignored(self, relay: Any, lambda_context: object) -> None:
        assert relay.handler(sns_event("cmd-missing", "m"), lambda_context) == {"relayed": 0}
        assert "Item" not in boto3.resource("dynamodb").Table("Contracts").get_item(
            Key=commands.key("cmd-missing")
        )
