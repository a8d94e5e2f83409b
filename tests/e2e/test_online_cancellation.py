"""Cancelling from the support app on the deployed stack (R9, issue 17 part 2): the device's own
token gives notice for its contract, received now; the contract is pending its end at the end of
this billing month (JST), the notice is audited by the subscriber's app, a confirmation reaches
the customer-notification topic, and a retry answers the same. The web path's one-time code is
sent by the cancellation-code queue's worker, after the answer: it arrives, and opens the preview.
(The web page itself is the browser test, tests/e2e/browser/test_cancel_page.py.)"""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from anshin.domain.clock import iso, parse_iso
from anshin.domain.terms import cancellation_end

from local.inbox import NotificationInbox
from local.service import LocalService
from tests.e2e.conftest import eventually, staff_request
from tests.e2e.test_applications import application, apply, settled
from tests.e2e.test_device_commands import Subscriber, subscriber  # noqa: F401 - a fixture


@pytest.fixture(scope="module")
def notices(local_service: LocalService) -> Iterator[NotificationInbox]:
    yield NotificationInbox(
        local_service.endpoint, local_service.output("CustomerNotificationTopicArn"), "cancellations"
    )


def cancel(sub: Subscriber, token: str | None) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.post(
        f"{sub.service.api_url}/devices/{sub.device.device_id}/cancellation", headers=headers, timeout=30
    )


def test_the_app_gives_notice_and_the_contract_ends_at_the_end_of_this_month(
    subscriber: Callable[..., Subscriber],  # noqa: F811 - a fixture
    notices: NotificationInbox,
    aws_client: Callable[[str], Any],
    local_service: LocalService,
) -> None:
    sub = subscriber()
    assert cancel(sub, None).status_code == 401
    assert cancel(sub, "not-the-token").json()["code"] == "DEVICE_NOT_AUTHENTICATED"

    first = cancel(sub, sub.device.device_token)
    assert first.status_code == 200, first.text
    answer = first.json()
    received_at = parse_iso(answer["receivedAt"])  # the server's receipt time
    assert answer == {
        "contractId": sub.contract_id,
        "status": "CANCELLATION_PENDING",
        "endsAt": iso(cancellation_end(received_at)),  # R9: the end of the notice's month, JST
        "endReason": "SUBSCRIBER_CANCELLATION",
        "receivedAt": answer["receivedAt"],
    }
    again = cancel(sub, sub.device.device_token)  # a retry (the answer was lost): the same
    assert (again.status_code, again.json()) == (200, answer)

    status, shown = staff_request(local_service, "GET", f"/contracts/{sub.contract_id}")
    assert (status, shown["status"], shown["endsAt"]) == (200, "CANCELLATION_PENDING", answer["endsAt"])

    table = aws_client("dynamodb")
    items = table.query(
        TableName=local_service.output("ContractsTableName"),
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"AUDIT#{sub.contract_id}"}},
    )["Items"]
    [received] = [i for i in items if i["outcome"]["S"] == "CANCELLATION_RECEIVED"]
    assert (received["by"]["S"], received["channel"]["S"], received["deviceId"]["S"]) == (
        "SUBSCRIBER",
        "APP",
        sub.device.device_id,
    )
    assert "staffId" not in received

    told = eventually(
        lambda: (
            [n for n in notices.notices_for(sub.contract_id) if n["kind"] == "CANCELLATION_CONFIRMED"] or None
        )
    )
    assert told[0]["endsAt"] == answer["endsAt"] and told[0]["channel"] == "APP"


def test_the_webs_one_time_code_is_sent_by_the_queues_worker_and_opens_the_preview(
    local_service: LocalService, account: Callable[..., str], notices: NotificationInbox
) -> None:
    application_id = apply(local_service, application(account(), platform="ios"))
    contract_id = str(settled(local_service, application_id)["contractId"])
    member_code = eventually(lambda: notices.message_for(application_id))["memberConfirmationCode"]

    asked = requests.post(
        f"{local_service.api_url}/cancellation-requests",
        json={"memberConfirmationCode": member_code},
        timeout=30,
    )
    assert asked.status_code == 202, asked.text
    request_id = asked.json()["requestId"]
    # Sent after the answer, by the worker on the queue: waited for, bounded.
    sent = eventually(
        lambda: next(
            (
                n
                for n in notices.notices_for(contract_id)
                if n["kind"] == "CANCELLATION_CODE" and n["requestId"] == request_id
            ),
            None,
        )
    )
    assert sent["email"] == "e2e@example.com" and sent["expiresAt"] == asked.json()["expiresAt"]
    shown = requests.post(
        f"{local_service.api_url}/cancellation-requests/{request_id}/preview",
        json={"oneTimeCode": sent["oneTimeCode"]},
        timeout=30,
    )
    assert shown.status_code == 200, shown.text
    assert (shown.json()["contractId"], shown.json()["confirmed"]) == (contract_id, False)
