"""Retention (docs/retention.md) against moto: the daily job erases exactly what is due — refused
and failed applications' applicants after 90 days, an ended contract's device data (every backup
version, located positions, push channel) 30 days after its end and its holder's contact data
365 days after — and nothing else; a second run erases nothing more and fails nothing; the
billing fields stay; the staff's contract view, search and timeline of an erased contract render."""

from datetime import datetime, timedelta
from typing import Any

import boto3
import pytest
import time_machine
from anshin.domain.retention import Stage
from anshin.domain.terms import JST
from anshin.services import contract_ends, contract_views, screening, search
from anshin.services import timeline as timelines
from anshin.services.requests import ContractSearch
from anshin.store import applications as stored_applications
from anshin.store import keys
from anshin.store import retention as stored

from tests.integration.conftest import STAFF_MEMBER, api_call, handler_fixture
from tests.integration.test_approval_steps import apply, form_contract, seed_account

retention_fn = handler_fixture("retention")
contracts_api = handler_fixture("contracts_api")

#: When the refused and failed applications were decided, and the contract formed and ended (JST).
DECIDED = datetime(2026, 4, 1, 10, 0, tzinfo=JST)
FORMED = datetime(2026, 4, 2, 10, 0, tzinfo=JST)
ENDED = datetime(2026, 5, 15, 10, 0, tzinfo=JST)
PHONE = "09012345678"


def table() -> Any:
    return boto3.resource("dynamodb").Table("Contracts")


def item(key: dict[str, str], table_name: str = "Contracts") -> dict[str, Any]:
    found = boto3.resource("dynamodb").Table(table_name).get_item(Key=key, ConsistentRead=True).get("Item")
    assert found is not None, key
    return dict(found)


def everything() -> list[dict[str, Any]]:
    return sorted(table().scan()["Items"], key=lambda i: (i["pk"], i["sk"]))


def run(fn: Any, context: object, at: datetime) -> dict[str, Any]:
    with time_machine.travel(at, tick=False):
        result: dict[str, Any] = fn.handler({}, context)
    return result


def versions(prefix: str) -> list[str]:
    page = boto3.client("s3").list_object_versions(Bucket="backups", Prefix=prefix)
    return [v["Key"] for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]


@pytest.fixture
def world(aws_env: dict[str, str]) -> dict[str, str]:
    """A refused application, a failed one, an ended contract with device data, and a live contract
    with device data and a refused application decided later (neither due)."""
    seed_account("MC-R1")
    with time_machine.travel(DECIDED, tick=False):
        refused = apply("MC-UNKNOWN")
        assert screening.screen(refused)["outcome"] == "REJECT"
        failed = apply("MC-R1")
        screening.screen(failed)
        screening.reserve_slot(failed)
        assert screening.record_failure(failed, "States.Timeout")["status"] == "NOTIFICATION_FAILED"
    with time_machine.travel(FORMED, tick=False):
        # The account's second contract ends: billable from the month it formed (R12).
        live_app, ended_app = apply("MC-R1"), apply("MC-R1")
        for application_id in (live_app, ended_app):
            screening.screen(application_id)
            screening.reserve_slot(application_id)
            form_contract(application_id)
    ended = str(stored_applications.require(ended_app)["contractId"])
    live = str(stored_applications.require(live_app)["contractId"])
    for contract_id in (ended, live):
        _device_data(contract_id)
    boto3.resource("dynamodb").Table("Ledger").put_item(  # an invoice line, as billing writes it
        Item={
            **keys.invoice_line("MC-R1", "2026-05", ended),
            "type": "INVOICE_LINE",
            "mobileContractId": "MC-R1",
            "month": "2026-05",
            "contractId": ended,
            "amount": 500,
            "chargedAt": "2026-06-01T00:30:00.000Z",
            "runId": "run-1",
        }
    )
    with time_machine.travel(ENDED, tick=False):
        contract_ends.terminate(ended, ENDED, "fraud", STAFF_MEMBER)
    with time_machine.travel(DECIDED + timedelta(days=60), tick=False):
        later = apply("MC-UNKNOWN")
        screening.screen(later)
    return {
        "refused": refused,
        "failed": failed,
        "ended": ended,
        "endedApplication": ended_app,
        "live": live,
        "later": later,
    }


def _device_data(contract_id: str) -> None:
    """The device's registration, a LOCATE's result and two versions of a backup, as the devices
    API, the delivery and the device's upload leave them."""
    device_id = str(item(keys.contract(contract_id))["device"]["deviceId"])
    table().put_item(
        Item={
            **keys.device(device_id),
            "type": "DEVICE",
            "deviceId": device_id,
            "contractId": contract_id,
            "platform": "android",
            "model": "Pixel 9",
            "endpointArn": f"arn:aws:sns:us-east-1:123456789012:endpoint/GCM/anshin/{device_id}",
            "tokenDigest": "digest",
            "tokenExpiresAt": "2026-06-01T00:00:00.000Z",
            "registeredAt": "2026-04-02T02:00:00.000Z",
        }
    )
    command_id = f"cmd-{contract_id}"
    table().put_item(
        Item={
            **keys.command(command_id),
            "type": "COMMAND",
            "commandId": command_id,
            "contractId": contract_id,
            "deviceId": device_id,
            "action": "LOCATE",
            "status": "SUCCEEDED",
            "location": {"latitude": 35, "longitude": 139},
        }
    )
    table().put_item(
        Item={
            **keys.command_history(contract_id, device_id, "2026-04-03T00:00:00.000Z", command_id),
            "type": "COMMAND_HISTORY",
            "commandId": command_id,
        }
    )
    s3 = boto3.client("s3")
    s3.put_bucket_versioning(Bucket="backups", VersioningConfiguration={"Status": "Enabled"})
    for body in (b"first", b"second"):
        s3.put_object(Bucket="backups", Key=keys.backup_object(contract_id, "cmd-b"), Body=body)


def test_nothing_is_erased_before_its_time(
    world: dict[str, str], retention_fn: Any, lambda_context: object
) -> None:
    before = everything()
    # The 30th day after the end (JST), its last minute: everything is still kept.
    result = run(retention_fn, lambda_context, datetime(2026, 6, 14, 23, 59, tzinfo=JST))
    assert result["applicationsErased"] == result["deviceDataErased"] == result["contractsErased"] == 0
    assert everything() == before
    assert versions(keys.backup_prefix(world["ended"]))
    # The 90th day after the refusal (JST), its last minute: the applications are still kept.
    result = run(retention_fn, lambda_context, datetime(2026, 6, 30, 23, 59, tzinfo=JST))
    assert result["applicationsErased"] == 0
    assert item(keys.application(world["refused"]))["applicant"]["phone"] == PHONE


def test_refused_and_failed_applications_lose_their_applicant_after_90_days(
    world: dict[str, str], retention_fn: Any, lambda_context: object
) -> None:
    result = run(retention_fn, lambda_context, datetime(2026, 7, 1, 0, 0, tzinfo=JST))
    assert result["applicationsErased"] == 2
    for name, status in (("refused", "REJECTED"), ("failed", "NOTIFICATION_FAILED")):
        application = item(keys.application(world[name]))
        assert "applicant" not in application and "appliedBy" not in application
        assert application["device"] == {"platform": "android", "kind": "smartphone"}
        assert application["status"] == status and application["receivedAt"]
        assert application["personalDataErasedAt"] == "2026-06-30T15:00:00.000Z"
    assert item(keys.application(world["refused"]))["reason"] == "INVALID_APPLICATION"
    # Decided 60 days later: not yet; the contracted applications keep theirs (their contracts' rule).
    for name in ("later", "endedApplication"):
        assert item(keys.application(world[name]))["applicant"]["name"] == "山田 太郎"


def test_an_ended_contracts_device_data_goes_30_days_after_the_end(
    world: dict[str, str], retention_fn: Any, lambda_context: object
) -> None:
    ended, live = world["ended"], world["live"]
    assert (
        run(retention_fn, lambda_context, datetime(2026, 6, 14, 23, 0, tzinfo=JST))["deviceDataErased"] == 0
    )
    result = run(retention_fn, lambda_context, datetime(2026, 6, 15, 3, 15, tzinfo=JST))
    assert result["deviceDataErased"] == 1
    assert versions(keys.backup_prefix(ended)) == []  # every version, not only the current one
    assert len(versions(keys.backup_prefix(live))) == 2
    assert "location" not in item(keys.command(f"cmd-{ended}"))
    assert item(keys.command(f"cmd-{live}"))["location"]["latitude"] == 35
    device = item(keys.device(str(item(keys.contract(ended))["device"]["deviceId"])))
    assert "endpointArn" not in device and "tokenDigest" not in device and device["contractId"] == ended
    # Its holder's contact data is kept until the contact period is over.
    assert item(keys.contract(ended))["holder"]["phone"] == PHONE


def test_an_ended_contracts_contact_data_goes_after_the_period_and_billing_stays(
    world: dict[str, str], retention_fn: Any, lambda_context: object
) -> None:
    ended = world["ended"]
    before = item(keys.contract(ended))
    line = item(keys.invoice_line("MC-R1", "2026-05", ended), "Ledger")
    # 2026-05-15 + 365 days is 2027-05-15, the period's last day; erased from 2027-05-16 00:00 JST.
    assert (
        run(retention_fn, lambda_context, datetime(2027, 5, 15, 23, 59, tzinfo=JST))["contractsErased"] == 0
    )
    result = run(retention_fn, lambda_context, datetime(2027, 5, 16, 0, 0, tzinfo=JST))
    assert result["contractsErased"] == 1
    contract = item(keys.contract(ended))
    assert "holder" not in contract and "passphraseHash" not in contract
    kept = {k: v for k, v in before.items() if k not in ("holder", "passphraseHash")}
    assert {k: v for k, v in contract.items() if k != "personalDataErasedAt"} == kept
    assert "applicant" not in item(keys.application(world["endedApplication"]))
    assert item(keys.invoice_line("MC-R1", "2026-05", ended), "Ledger") == line
    # The staff search by the holder's number no longer finds it; the live contract's holder stays.
    found = search.search(ContractSearch(phone=PHONE))["items"]
    assert [c["contractId"] for c in found] == [world["live"]]
    assert item(keys.contract(world["live"]))["holder"]["name"] == "山田 太郎"


def test_a_second_run_erases_nothing_more_and_fails_nothing(
    world: dict[str, str], retention_fn: Any, lambda_context: object
) -> None:
    late = datetime(2030, 1, 1, tzinfo=JST)
    first = run(retention_fn, lambda_context, late)
    assert (first["applicationsErased"], first["deviceDataErased"], first["contractsErased"]) == (3, 1, 1)
    after = everything()
    second = run(retention_fn, lambda_context, late + timedelta(days=1))
    assert second == {
        "at": second["at"],
        "applicationsErased": 0,
        "deviceDataErased": 0,
        "contractsErased": 0,
        "nothingToErase": 0,
        "setAside": 0,
        "more": False,
    }
    assert everything() == after
    assert not [i for i in after if str(i["pk"]).startswith("RETAIN#")]  # every work list is done


def test_an_erased_contract_still_renders_for_staff(
    world: dict[str, str], retention_fn: Any, lambda_context: object, contracts_api: Any
) -> None:
    ended = world["ended"]
    run(retention_fn, lambda_context, datetime(2028, 1, 1, tzinfo=JST))
    status, view = api_call(
        contracts_api,
        lambda_context,
        "GET",
        f"/contracts/{ended}",
        "/contracts/{contractId}",
        {"contractId": ended},
    )
    assert status == 200, view
    assert view["holderName"] is None and view["personalDataErasedAt"] == "2027-12-31T15:00:00.000Z"
    assert view["status"] == "ENDED" and view["firstBillableMonth"]
    summaries = search.search(ContractSearch(mobileContractId="MC-R1"))["items"]
    assert {c["contractId"]: c["holderName"] for c in summaries}[ended] is None
    assert contract_views.read(world["live"])["account"]["contracts"][0]["holderName"] is None
    with time_machine.travel(datetime(2028, 1, 2, tzinfo=JST), tick=False):
        events = timelines.timeline(ended, None, 50, datetime(2028, 1, 2, tzinfo=JST))["items"]
    kinds = [(e["kind"], e["event"]) for e in events]
    assert set(kinds[:2]) == {("CONTRACT", "PERSONAL_DATA_ERASED"), ("DEVICE", "DEVICE_DATA_ERASED")}
    assert ("CONTRACT", "FORMED") in kinds and ("INVOICE", "CHARGED") in kinds
    assert ("APPLICATION", "RECEIVED") in kinds
    [device_data] = [e for e in events if e["event"] == "DEVICE_DATA_ERASED"]
    assert device_data["details"] == {"backupVersions": 2, "locations": 1, "pushChannel": 1}


def test_an_entry_whose_subject_is_gone_is_dropped(
    aws_env: dict[str, str], retention_fn: Any, lambda_context: object
) -> None:
    table().put_item(Item=stored.due_item(Stage.CONTACT, "ctr-gone", datetime(2020, 1, 1, tzinfo=JST)))
    table().put_item(Item=stored.due_item(Stage.APPLICATION, "app-gone", datetime(2020, 1, 1, tzinfo=JST)))
    result = run(retention_fn, lambda_context, datetime(2026, 1, 1, tzinfo=JST))
    assert result["nothingToErase"] == 2 and result["setAside"] == 0
    assert not [i for i in everything() if str(i["pk"]).startswith("RETAIN#")]
