"""R6.4 on the deployed stack, by itself: a contract whose recording fails for good after its
notification went out (every RecordContract attempt fails, as ``make fault
FUNCTION=record_contract`` makes it) is flagged, and the reconciler's rule, with no one invoking
it, records it from the application's formedAt and clears the flag; a further firing changes
nothing.

It runs on ``scheduled``, the deployment whose schedules fire every minute (the test-only
``anshin:scheduleOverride``; in AWS the rule fires every five minutes). The rule may fire at any
moment, so the test does not race to see the flag: it reads what lasts. The workflow's history
and RecordFailure's log show the flag; the reconciler's log shows the run that healed it; the
emulator's CloudTrail, recording every API call during the test, shows that nobody invoked the
reconciler, whose only trigger is its rule.
"""

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest

from local import faults
from local.service import LocalService
from tests.e2e.conftest import SCHEDULE_OVERRIDE, clients, eventually, faster_workflows, new_account
from tests.e2e.test_applications import account_item, application, apply
from tests.e2e.test_fault_injection import contracts_of, faults_on

#: RecordContract's attempts in the notification workflow (1 + its Retry's MaxAttempts).
RECORD_ATTEMPTS = 9
Clients = Callable[[str], Any]


@pytest.fixture
def watched(scheduled: LocalService) -> Iterator[LocalService]:
    """``scheduled``, with the emulator recording every API call made to it (its CloudTrail)
    and its workflows retrying sooner (RecordContract's nine attempts take about 20 s instead of
    3 minutes), for one test."""
    with faster_workflows(scheduled, **{"cloudtrail._recording_enabled": True}) as service:
        yield service


@dataclass
class Run:
    """One invocation of a function, from its log: when its lines were written and its JSON
    records (powertools' log records and the embedded-metric-format records)."""

    at: int
    records: list[dict[str, Any]]

    def counted(self, metric: str) -> float:
        values = [r[metric] for r in self.records if "_aws" in r and metric in r]
        return float(sum(sum(v) if isinstance(v, list) else v for v in values))

    @property
    def finished(self) -> bool:
        return any(r.get("message") == "step done" for r in self.records)


def runs(aws_client: Clients, group: str) -> list[Run]:
    """The invocations logged in a function's log group, oldest first (each from its
    ``START RequestId`` line to the next, within a stream)."""
    streams: dict[str, list[dict[str, Any]]] = {}
    for page in aws_client("logs").get_paginator("filter_log_events").paginate(logGroupName=group):
        for event in page["events"]:
            streams.setdefault(event["logStreamName"], []).append(event)
    found: list[Run] = []
    for events in streams.values():
        current: Run | None = None
        for event in events:
            message = event["message"].strip()
            if current is None or message.startswith("START RequestId:"):
                current = Run(event["timestamp"], [])
                found.append(current)
            if message.startswith("{"):
                current.records.append(json.loads(message))
    return sorted(found, key=lambda run: run.at)


def log_group(aws_client: Clients, function_name: str) -> str:
    configuration = aws_client("lambda").get_function(FunctionName=function_name)["Configuration"]
    return str(configuration["LoggingConfig"]["LogGroup"])


def trail(aws_client: Clients, event_name: str, function_name: str) -> list[dict[str, Any]]:
    """The API calls named ``event_name`` naming ``function_name`` (by name or ARN) that the
    emulator's CloudTrail recorded, newest first."""
    events: list[dict[str, Any]] = aws_client("cloudtrail").lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": event_name}], MaxResults=50
    )["Events"]
    return [e for e in events if function_name in json.dumps(e.get("Resources", [])) + e["CloudTrailEvent"]]


def item(service: LocalService, aws_client: Clients, pk: str, sk: str) -> dict[str, Any] | None:
    found: dict[str, Any] | None = (
        aws_client("dynamodb")
        .get_item(
            TableName=service.output("ContractsTableName"),
            Key={"pk": {"S": pk}, "sk": {"S": sk}},
            ConsistentRead=True,
        )
        .get("Item")
    )
    return found


def notification_history(
    service: LocalService, aws_client: Clients, application_id: str
) -> list[dict[str, Any]]:
    arn = service.output("NotificationStateMachineArn").replace(":stateMachine:", ":execution:")
    events: list[dict[str, Any]] = aws_client("stepfunctions").get_execution_history(
        executionArn=f"{arn}:{application_id}", maxResults=1000
    )["events"]
    return events


def test_a_contract_whose_record_fails_for_good_is_recorded_by_the_reconciler_by_itself(
    watched: LocalService,
) -> None:
    service, aws_client = watched, clients(watched)
    reconciler = aws_client("lambda").get_function(
        FunctionName=service.output("ReconcileContractsFunctionName")
    )["Configuration"]
    name, reconciler_logs = reconciler["FunctionName"], reconciler["LoggingConfig"]["LogGroup"]
    # Its only trigger: its rule, here every minute (no queue or stream feeds it).
    events = aws_client("events")
    [rule] = events.list_rule_names_by_target(TargetArn=reconciler["FunctionArn"])["RuleNames"]
    described = events.describe_rule(Name=rule)
    assert (described["ScheduleExpression"], described["State"]) == (SCHEDULE_OVERRIDE, "ENABLED")
    assert aws_client("lambda").list_event_source_mappings(FunctionName=name)["EventSourceMappings"] == []

    mobile_contract_id = new_account(service)
    with faults_on(service) as fault:
        fault("record_contract", RECORD_ATTEMPTS)
        application_id = apply(service, application(mobile_contract_id))
        key, unrecorded = (f"APP#{application_id}", "APP"), ("UNRECORDED", f"APP#{application_id}")

        # Every attempt fails, RecordFailure flags and lists it, and a firing of the rule (one
        # minute at most after the flag, or two) records it and clears both.
        healed = eventually(
            lambda: (
                a
                if (a := item(service, aws_client, *key))
                and a["status"]["S"] == "CONTRACTED"
                and item(service, aws_client, *unrecorded) is None
                else None
            ),
            timeout=240,
            interval=2,
        )
        assert faults.remaining(service.endpoint, "record_contract") == 0

    # The workflow gave up: all nine attempts failed, and RecordFailure left the application
    # APPROVED (flagged, its slot kept: the send formed the contract). Both workflows' Catch run it.
    history = notification_history(service, aws_client, application_id)
    entered = {
        e["stateEnteredEventDetails"]["name"]: e["timestamp"]
        for e in history
        if "stateEnteredEventDetails" in e
    }
    assert list(entered) == [
        "IssueCredentials",
        "SendNotification",
        "RecordContract",
        "RecordFailure",
        "Failed",
    ]
    assert [e["type"] for e in history].count("TaskFailed") == RECORD_ATTEMPTS
    flagging = [
        r
        for run in runs(aws_client, log_group(aws_client, service.output("RecordFailureFunctionName")))
        for r in run.records
        if r.get("applicationId") == application_id and r.get("message") == "step done"
    ]
    assert flagging and all(r["result"] == {"status": "APPROVED"} for r in flagging)

    # The reconciler's run that healed it, after the flag: one contract recorded (found through
    # the UNRECORDED entry, the only place it looks), none set aside.
    flagged_at = entered["RecordFailure"].timestamp() * 1000
    reconciler_runs = runs(aws_client, reconciler_logs)
    [healing] = [run for run in reconciler_runs if run.counted("ContractsHealed")]
    assert not any(run.counted("ContractsNotHealed") for run in reconciler_runs)
    assert (healing.counted("ContractsHealed"), healing.finished) == (1, True)
    assert healing.at >= flagged_at
    # Nobody invoked it: the emulator recorded every API call since the test began (the first,
    # GetFunction, is still in its record: none was pushed out), and none is an Invoke of it.
    assert trail(aws_client, "GetFunction", name) and trail(aws_client, "Invoke", name) == []

    # What it recorded: the contract formed at the send (not at the heal), the account's first
    # (R12), under the slot the application held; the flag is gone.
    assert "attention" not in healed
    contract_id = healed["contractId"]["S"]
    assert contracts_of(service, aws_client, mobile_contract_id) == [contract_id]
    contract = item(service, aws_client, f"CONTRACT#{contract_id}", "CONTRACT")
    assert contract is not None
    assert contract["formedAt"]["S"] == healed["formedAt"]["S"]
    assert (
        entered["SendNotification"]
        <= datetime.fromisoformat(contract["formedAt"]["S"])
        <= entered["RecordContract"]
    )
    assert contract["firstUnderAccount"]["BOOL"] is True
    assert account_item(service, aws_client, mobile_contract_id)["slotsHeld"]["N"] == "1"

    # The rule's next firing finds nothing to do and changes nothing.
    eventually(
        lambda: (
            True if any(r.at > healing.at and r.finished for r in runs(aws_client, reconciler_logs)) else None
        ),
        timeout=150,
        interval=2,
    )
    later = [r for r in runs(aws_client, reconciler_logs) if r.at > healing.at]
    assert not any(r.counted("ContractsHealed") or r.counted("ContractsNotHealed") for r in later)
    assert item(service, aws_client, f"CONTRACT#{contract_id}", "CONTRACT") == contract
    assert item(service, aws_client, *key) == healed
    assert item(service, aws_client, *unrecorded) is None
    assert contracts_of(service, aws_client, mobile_contract_id) == [contract_id]
    assert account_item(service, aws_client, mobile_contract_id)["slotsHeld"]["N"] == "1"
    assert trail(aws_client, "Invoke", name) == []
