"""Dead letters on the deployed stack are replayed to their real targets (``make redrive``)."""

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from anshin.domain.terms import JST

from local.__main__ import main
from local.seed import formed_contract, put_account, put_contract
from local.service import LocalService
from tests.e2e.conftest import eventually, staff_request


def queue_url(service: LocalService, aws_client: Callable[[str], Any], logical_prefix: str) -> str:
    urls = aws_client("sqs").list_queues()["QueueUrls"]
    return next(u for u in urls if logical_prefix in u.rsplit("/", 1)[-1])


def test_dead_letters_reach_their_targets_and_leave_the_queues(
    local_service: LocalService, aws_client: Callable[[str], Any]
) -> None:
    account = "MC-REDRIVE"
    # The account holds the contract's slot (R4), as the notification workflow leaves it.
    put_account(local_service.endpoint, local_service.output("ContractsTableName"), account, slots_held=1)
    contract_id = "ctr-00feed01"
    put_contract(
        local_service.endpoint,
        local_service.output("ContractsTableName"),
        formed_contract(contract_id, account, datetime(2025, 5, 1, tzinfo=JST), first=True),
    )
    sqs = aws_client("sqs")
    # An upstream event the account-events function never applied (R11) ...
    event = {
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": "MobileContractEnded",
        "source": "qt.mobile",
        "account": "000000000000",
        "time": "2025-09-12T01:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": {"mobileContractId": account, "occurredAt": "2025-09-12T10:00:00+09:00"},
    }
    sqs.send_message(
        QueueUrl=queue_url(local_service, aws_client, "AccountEventsDlq"), MessageBody=json.dumps(event)
    )
    # ... and a month-end run the scheduler could not start (a dry run: it writes nothing).
    month_end_dlq = queue_url(local_service, aws_client, "MonthEndScheduleDlq")
    sqs.send_message(
        QueueUrl=month_end_dlq,
        MessageBody=json.dumps({"scheduledTime": "2025-10-01T00:05:00+09:00", "dryRun": True}),
    )

    assert main(["redrive", "--endpoint", local_service.endpoint]) == 0

    # September 2025 is long over: the redriven loss ends the contract at once, with that month.
    view = eventually(
        lambda: (
            v
            if (v := staff_request(local_service, "GET", f"/contracts/{contract_id}")[1])["status"] == "ENDED"
            else None
        )
    )
    assert (view["endedAt"], view["endReason"]) == ("2025-09-30T14:59:59.999Z", "ACCOUNT_LOSS")
    runs = aws_client("stepfunctions").list_executions(
        stateMachineArn=local_service.output("MonthEndStateMachineArn")
    )
    redriven = [e for e in runs["executions"] if e["name"].startswith("redrive-")]
    assert len(redriven) == 1
    for name in ("AccountEventsDlq", "MonthEndScheduleDlq"):
        attributes = sqs.get_queue_attributes(
            QueueUrl=queue_url(local_service, aws_client, name),
            AttributeNames=["ApproximateNumberOfMessages"],
        )["Attributes"]
        assert attributes["ApproximateNumberOfMessages"] == "0", name
