"""The member confirmation code works from the instant it is sent (R6.4): a device that registers
before the notification workflow has recorded the contract is registered all the same, and the
contract is recorded once, whoever comes first. Handler tests against moto."""

import json
from typing import Any

from anshin.domain.clock import iso
from anshin.services import contracts, screening
from anshin.store import applications
from anshin.store import contracts as stored_contracts

from tests.integration.conftest import handler_fixture, load_handler, rest_event, sent_notifications
from tests.integration.test_approval_steps import apply, seed_account, slots

devices_api = handler_fixture("devices_api")


def issued() -> tuple[str, str]:
    """An approved application whose code is issued, not yet sent: (application id, code)."""
    seed_account()
    application_id = apply(deviceId="dev-quick")
    screening.screen(application_id)
    screening.reserve_slot(application_id)
    contracts.issue_credentials(application_id)
    message = contracts.notification_message(applications.require(application_id))
    return application_id, str(message["memberConfirmationCode"])


def notified(aws_env: dict[str, str]) -> tuple[str, dict[str, Any]]:
    """An approved application whose notification SNS has accepted, its contract not yet recorded:
    the moment a quick subscriber (or the simulated device) registers."""
    application_id, _code = issued()
    contracts.send_notification(application_id)
    [message] = sent_notifications(aws_env)
    return application_id, message


def registration(code: str) -> dict[str, Any]:
    body = {
        "memberConfirmationCode": code,
        "deviceId": "dev-quick",
        "model": "Pixel 9",
        "platform": "android",
    }
    return rest_event("POST", "/devices/registrations", {**body, "pushToken": "fcm-token"})


def register(api: Any, context: object, code: str) -> tuple[int, Any]:
    response = api.handler(registration(code), context)
    return response["statusCode"], json.loads(response["body"])


def test_a_device_registering_before_the_contract_is_recorded_is_registered(
    devices_api: Any, lambda_context: object, aws_env: dict[str, str]
) -> None:
    application_id, message = notified(aws_env)
    assert applications.require(application_id)["status"] == "APPROVED"

    status, body = register(devices_api, lambda_context, message["memberConfirmationCode"])

    assert status == 201, body
    assert body["contractId"] == message["contractId"]
    application = applications.require(application_id)
    assert application["status"] == "CONTRACTED"
    assert "pendingCode" not in application and "gsi2pk" not in application  # the contract's lookup only
    contract = stored_contracts.get(message["contractId"])
    assert contract is not None
    assert iso(contract.formed_at) == application["formedAt"]  # formed at the send, not at registration
    # The workflow's own step then finds its work done: one contract, one slot.
    again = load_handler("record_contract").handler({"applicationId": application_id}, lambda_context)
    assert again == {
        "applicationId": application_id,
        "status": "CONTRACTED",
        "contractId": message["contractId"],
    }
    assert slots() == 1
    # And the code keeps working for a reinstall.
    assert register(devices_api, lambda_context, message["memberConfirmationCode"])[0] == 201


def test_while_the_notification_is_being_sent_the_app_is_told_to_retry(
    devices_api: Any, lambda_context: object, aws_env: dict[str, str]
) -> None:
    # A step that died after SNS accepted the message, before formedAt was stored, is retried:
    # until then the code is known but the instant of formation is not.
    application_id, code = issued()
    response = devices_api.handler(registration(code), lambda_context)
    assert response["statusCode"] == 409
    assert response["multiValueHeaders"]["Retry-After"] == ["2"]
    assert json.loads(response["body"])["code"] == "CONTRACT_FORMING"
    assert applications.require(application_id)["status"] == "APPROVED"
    assert stored_contracts.get(applications.require(application_id)["contractId"]) is None


def test_a_code_whose_notification_failed_forms_nothing(
    devices_api: Any, lambda_context: object, aws_env: dict[str, str]
) -> None:
    application_id, code = issued()
    screening.record_failure(application_id, "SendFailed")  # R6.4: no notification, no contract
    status, body = register(devices_api, lambda_context, code)
    assert (status, body["code"]) == (404, "MEMBER_CODE_NOT_FOUND")
    assert slots() == 0
