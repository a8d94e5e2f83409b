"""The month's charge file (R12, R13), a projection of the ledger, through its handlers on moto:
streamed parts, one assembled file, a manifest written after its file, byte-identical re-runs, a
new version only when the ledger grew, the announcement; and the invoice preview equals what
billing then charges (a property)."""

import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
import time_machine
from anshin.adapters import charge_files
from anshin.domain import charges as charge_rules
from anshin.domain.terms import BillingMonth
from anshin.services import billing, charges, contract_ends
from anshin.store.keys import SHARDS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integration.conftest import api_call, fresh_data_tables, handler_fixture
from tests.integration.test_contract_end_and_billing import bill, jst, month_end, seed_account, seed_contract

MONTH = "2026-08"
AFTER = jst(2026, 9, 1, 0, 30)
BUCKET = "charges"

shard_handler = handler_fixture("export_charges_shard")
assemble_handler = handler_fixture("export_charges_assemble")
announce_handler = handler_fixture("export_charges_announce")
contracts_api = handler_fixture("contracts_api")


@pytest.fixture
def charges_env(aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    monkeypatch.setenv("CHARGES_BUCKET", BUCKET)
    queue = boto3.client("sqs").create_queue(QueueName="exports")["QueueUrl"]
    queue_arn = boto3.client("sqs").get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    events = boto3.client("events")
    events.put_rule(Name="exports", EventPattern=json.dumps({"detail-type": [charges.EXPORTED]}))
    events.put_targets(Rule="exports", Targets=[{"Id": "q", "Arn": queue_arn}])
    return {**aws_env, "EXPORTS_QUEUE_URL": queue}


def seed_month(accounts: int = 7) -> None:
    for n in range(accounts):
        account = f"MC-{n:03d}"
        seed_account(account)
        for k in range(1 + n % 3):
            seed_contract(account, jst(2026, 5, 10 + k, 12), first=(k == 0))


def run_export(
    lambda_context: object,
    shard: Any,
    assemble: Any,
    announce: Any,
    run_id: str,
    expected: int = 0,
) -> dict[str, Any]:
    """The ChargeExport workflow, step by step, as Step Functions drives it."""
    results = []
    for number in range(SHARDS):
        state: dict[str, Any] = {
            "month": MONTH,
            "runId": run_id,
            "shard": number,
            "cursor": None,
            "totals": {},
        }
        while True:
            state = shard.handler(state, lambda_context)
            if state["cursor"] is None:
                break
        results.append(state)
    export = assemble.handler(
        {
            "month": MONTH,
            "runId": run_id,
            "expectedLines": expected,
            "results": results,
        },
        lambda_context,
    )
    announce.handler(export, lambda_context)
    return dict(export)


def read(key: str) -> bytes:
    return bytes(boto3.client("s3").get_object(Bucket=BUCKET, Key=key)["Body"].read())


def announced(env: dict[str, str]) -> list[dict[str, Any]]:
    got = boto3.client("sqs").receive_message(QueueUrl=env["EXPORTS_QUEUE_URL"], MaxNumberOfMessages=10)
    return [json.loads(m["Body"]) for m in got.get("Messages", [])]


def test_export_rerun_and_a_ledger_that_grew(
    charges_env: dict[str, str],
    lambda_context: object,
    shard_handler: Any,
    assemble_handler: Any,
    announce_handler: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seed_month()
    totals = bill(MONTH, AFTER)
    monkeypatch.setattr(charges, "RECORDS_PER_PART", 2)  # several parts per shard
    first = run_export(
        lambda_context, shard_handler, assemble_handler, announce_handler, "run-1", totals["linesWritten"]
    )
    assert first["status"] == "CREATED" and first["version"] == 1
    body = read(first["key"])
    assert first["key"] == f"charges/2026-08/v1/{hashlib.sha256(body).hexdigest()}.csv"  # named by its bytes
    manifest_bytes = read("charges/2026-08/v1/manifest.json")
    manifest = json.loads(manifest_bytes)
    rows = body.decode("utf-8").splitlines()
    assert rows[0].startswith("mobile_contract_id,billing_month,")
    assert len(rows) - 1 == manifest["records"] == 7
    assert manifest["lines"] == totals["linesWritten"] == 13
    assert manifest["sha256"] == hashlib.sha256(body).hexdigest() and manifest["key"] == first["key"]
    assert manifest["totalYen"] == sum(int(r.split(",")[-1]) for r in rows[1:])
    assert manifest["runId"] == "run-1" and manifest["supersedes"] is None
    assert sorted(r.split(",")[0] for r in rows[1:]) == [f"MC-{n:03d}" for n in range(7)]
    # The same run retried (a step finished its work and failed before answering): the parts are
    # still there, the same bytes are assembled, the version found, nothing written.
    retried = run_export(lambda_context, shard_handler, assemble_handler, announce_handler, "run-1", 13)
    assert (retried["status"], retried["version"]) == ("UNCHANGED", 1)
    # An assemble that finds fewer records than the shards wrote (parts gone) never makes a version.
    with pytest.raises(Exception, match=r"records"):
        assemble_handler.handler(
            {"month": MONTH, "runId": "run-gone", "expectedLines": 0, "results": [{"totals": manifest}]},
            lambda_context,
        )
    assert read(first["key"]) == body

    # A re-run of the same month and ledger: the same version, not a byte changed, nothing written.
    monkeypatch.setattr(charges, "RECORDS_PER_PART", 5)  # other part boundaries, same bytes
    again = run_export(lambda_context, shard_handler, assemble_handler, announce_handler, "run-2", 13)
    assert (again["status"], again["version"]) == ("UNCHANGED", 1)
    assert read(first["key"]) == body
    assert read("charges/2026-08/v1/manifest.json") == manifest_bytes
    assert not charge_files.exists(BUCKET, "charges/2026-08/v2/manifest.json")

    # The ledger grew (a contract set aside before, repaired and billed on a re-run): v2, every
    # line of v1 in it, superseding v1 whole and saying why.
    seed_account("MC-new")
    seed_contract("MC-new", jst(2026, 5, 20, 9), first=True)
    bill(MONTH, AFTER)
    grown = run_export(lambda_context, shard_handler, assemble_handler, announce_handler, "run-3", 14)
    assert (grown["status"], grown["version"], grown["supersedes"]) == ("CREATED", 2, 1)
    v2 = json.loads(read("charges/2026-08/v2/manifest.json"))
    assert v2["records"] == 8 and v2["lines"] == 14
    assert v2["supersedes"] == {
        "version": 1,
        "key": first["key"],
        "manifestKey": "charges/2026-08/v1/manifest.json",
        "sha256": manifest["sha256"],
        "reason": charge_rules.LEDGER_GREW,
        "addedLines": 1,
    }
    assert set(rows[1:]) <= set(read(grown["key"]).decode().splitlines()[1:])  # every v1 record kept
    assert read(first["key"]) == body  # v1 is never overwritten

    sent = announced(charges_env)
    assert [(e["detail"]["version"], e["detail"]["status"]) for e in sent] == [
        (1, "CREATED"),
        (1, "UNCHANGED"),  # run-1 retried
        (1, "UNCHANGED"),  # run-2
        (2, "CREATED"),
    ]
    assert {e["detail-type"] for e in sent} == {charges.EXPORTED}
    assert sent[0]["detail"]["key"] == first["key"]
    assert sent[0]["detail"]["manifestKey"] == "charges/2026-08/v1/manifest.json"


def test_large_parts_are_copied_server_side_with_the_same_bytes(
    charges_env: dict[str, str],
    lambda_context: object,
    shard_handler: Any,
    assemble_handler: Any,
    announce_handler: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """UploadPartCopy of parts at least S3's minimum part size (scaled down here, moto alike)."""
    import moto.s3.models

    seed_month(12)
    bill(MONTH, AFTER)
    small = run_export(lambda_context, shard_handler, assemble_handler, announce_handler, "run-a")
    monkeypatch.setattr(moto.s3.models, "S3_UPLOAD_PART_MIN_SIZE", 40)
    monkeypatch.setattr(charge_files, "MIN_PART", 40)
    monkeypatch.setattr(charge_files, "UPLOAD_PART", 80)
    copies: list[str] = []
    original = charge_files._s3

    def spying() -> Any:
        client = original()
        client.meta.events.register("before-call.s3.UploadPartCopy", lambda **_: copies.append("copy"))
        return client

    monkeypatch.setattr(charge_files, "_s3", spying)
    copied = run_export(lambda_context, shard_handler, assemble_handler, announce_handler, "run-b")
    assert copies, "no part was copied server-side"
    assert (copied["status"], copied["version"], copied["sha256"]) == ("UNCHANGED", 1, small["sha256"])


def test_an_export_that_misses_lines_fails(
    charges_env: dict[str, str], lambda_context: object, shard_handler: Any, assemble_handler: Any
) -> None:
    with pytest.raises(charges.ExportIncomplete):
        assemble_handler.handler(
            {"month": MONTH, "runId": "r", "expectedLines": 3, "results": []}, lambda_context
        )


# --- property: the preview for a month equals what billing then writes for it -------------------

contracts_of_account = st.lists(
    st.tuples(
        st.datetimes(min_value=datetime(2026, 5, 1), max_value=datetime(2026, 8, 14), timezones=st.just(UTC)),
        st.one_of(st.none(), st.timedeltas(timedelta(0), timedelta(days=120))),
    ),
    min_size=1,
    max_size=4,
)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(contracts_of_account)
def test_preview_equals_what_billing_then_charges(
    aws_env: dict[str, str], lambda_context: object, contracts_api: Any, cases: list[Any]
) -> None:
    fresh_data_tables()
    account = f"MC-{uuid.uuid4().hex[:8]}"
    seed_account(account, has_formed_contract=True)
    for number, (formed, notice_after) in enumerate(sorted(cases)):
        contract_id = seed_contract(account, formed, first=(number == 0))
        notice = formed + notice_after if notice_after is not None else None
        if notice is not None and notice < jst(2026, 8, 15):
            contract_ends.cancel(contract_id, notice, notice)
    with time_machine.travel(jst(2026, 8, 15, 10), tick=False):
        status, preview = api_call(
            contracts_api,
            lambda_context,
            "GET",
            f"/accounts/{account}/invoices/{MONTH}/preview",
            "/accounts/{mobileContractId}/invoices/{month}/preview",
            {"mobileContractId": account, "month": MONTH},
        )
    assert status == 200 and preview["preview"] is True
    assert billing.invoice_of(account, BillingMonth.parse(MONTH)) is None  # the preview wrote nothing
    for month in BillingMonth.parse("2026-05").through(BillingMonth.parse(MONTH)):
        now = month.end() + timedelta(hours=1)
        month_end(str(month), now)
        bill(str(month), now)
    charged = billing.invoice_of(account, BillingMonth.parse(MONTH))
    expected = charged or {"lines": [], "subtotal": 0, "tax": 0, "total": 0}
    assert preview["lines"] == expected["lines"]
    assert (preview["subtotal"], preview["tax"], preview["total"]) == (
        expected["subtotal"],
        expected["tax"],
        expected["total"],
    )


# --- the ledger only grows: a file with fewer lines, or other bytes for as many, is never a version ---


def test_an_index_behind_the_ledger_is_an_incomplete_export_not_a_shorter_version(
    charges_env: dict[str, str],
    lambda_context: object,
    shard_handler: Any,
    assemble_handler: Any,
    announce_handler: Any,
) -> None:
    seed_month()
    bill(MONTH, AFTER)
    first = run_export(lambda_context, shard_handler, assemble_handler, announce_handler, "run-1", 13)
    v1 = read(first["key"])
    account, _, _, contract_lines, *_ = v1.decode().splitlines()[1].split(",")
    hidden = contract_lines.split(";")[0].split(":")[0]
    # As if the ledger's index had not caught up with one line yet (the table keeps it).
    ledger = boto3.resource("dynamodb").Table("Ledger")
    item = ledger.get_item(Key={"pk": f"INVOICE#{account}#{MONTH}", "sk": f"LINE#{hidden}"})["Item"]
    ledger.update_item(Key={"pk": item["pk"], "sk": item["sk"]}, UpdateExpression="REMOVE gsi1pk, gsi1sk")
    with pytest.raises(charges.ExportIncomplete, match="version 1 holds 13"):
        run_export(lambda_context, shard_handler, assemble_handler, announce_handler, "run-2")
    assert not charge_files.exists(BUCKET, "charges/2026-08/v2/manifest.json")
    assert read(first["key"]) == v1


def test_as_many_lines_with_other_bytes_is_refused_never_a_version(
    charges_env: dict[str, str],
    lambda_context: object,
    shard_handler: Any,
    assemble_handler: Any,
    announce_handler: Any,
) -> None:
    """A changed line (which the ledger's grants forbid: tests/permissions) is never exported."""
    seed_month()
    bill(MONTH, AFTER)
    first = run_export(lambda_context, shard_handler, assemble_handler, announce_handler, "run-1", 13)
    ledger = boto3.resource("dynamodb").Table("Ledger")
    line = ledger.scan()["Items"][0]
    ledger.update_item(  # a charge reduced: R13 forbids it; only the test's own role can do this
        Key={"pk": line["pk"], "sk": line["sk"]},
        UpdateExpression="SET amount = :a",
        ExpressionAttributeValues={":a": 400},
    )
    with pytest.raises(charge_rules.LedgerChanged):
        run_export(lambda_context, shard_handler, assemble_handler, announce_handler, "run-2")
    assert not charge_files.exists(BUCKET, "charges/2026-08/v2/manifest.json")
    assert first["version"] == 1


def test_a_rerun_of_the_same_run_takes_only_the_parts_its_shards_counted(
    charges_env: dict[str, str],
    lambda_context: object,
    shard_handler: Any,
    assemble_handler: Any,
    announce_handler: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The workflow runs the shards and the assembly again, with the same run id, when the index
    had not caught up (ExportIncomplete): a part an earlier attempt wrote that this attempt did
    not is never part of the file."""
    seed_month(40)
    bill(MONTH, AFTER)
    first = run_export(lambda_context, shard_handler, assemble_handler, announce_handler, "run-x")
    monkeypatch.setattr(charges, "RECORDS_PER_PART", 1)  # many parts per shard under run-x
    many = run_export(lambda_context, shard_handler, assemble_handler, announce_handler, "run-y")
    monkeypatch.setattr(charges, "RECORDS_PER_PART", 20_000)  # run-y again: one part per shard
    staged = charge_files.listed(BUCKET, charge_rules.staging_prefix(MONTH, "run-y"))
    assert sum("/part-" in key for key, _ in staged) == 40 > SHARDS  # one account a part
    again = run_export(lambda_context, shard_handler, assemble_handler, announce_handler, "run-y")
    assert (first["status"], many["status"], again["status"]) == ("CREATED", "UNCHANGED", "UNCHANGED")
    assert again["sha256"] == first["sha256"]
    # A part a shard counted that is not there is an incomplete export (retried), not a short file.
    boto3.client("s3").delete_object(Bucket=BUCKET, Key=charge_rules.part_key(MONTH, "run-y", 0, 0))
    results = [{"shard": 0, "totals": {"parts": 1, "records": 1, "lines": 1}}]
    with pytest.raises(charges.ExportIncomplete, match="counted parts"):
        assemble_handler.handler(
            {"month": MONTH, "runId": "run-y", "expectedLines": 0, "results": results}, lambda_context
        )


def test_the_file_is_there_before_the_manifest_that_names_it(
    charges_env: dict[str, str],
    lambda_context: object,
    shard_handler: Any,
    assemble_handler: Any,
    announce_handler: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A run that stops between the file and the manifest leaves no version claimed without its
    file: only an unnamed file, and the next run writes the version."""
    seed_month(3)
    bill(MONTH, AFTER)

    def stopped(*_: Any, **__: Any) -> bool:
        raise RuntimeError("the function stopped here")

    real = charge_files.put_if_absent
    monkeypatch.setattr(charge_files, "put_if_absent", stopped)
    with pytest.raises(RuntimeError, match="stopped"):
        run_export(lambda_context, shard_handler, assemble_handler, announce_handler, "run-1")
    staged = [key for key, _ in charge_files.listed(BUCKET, charge_rules.month_prefix(MONTH))]
    assert len(staged) == 1 and staged[0].endswith(".csv")  # the file, no manifest: no version
    monkeypatch.setattr(charge_files, "put_if_absent", real)
    second = run_export(lambda_context, shard_handler, assemble_handler, announce_handler, "run-2")
    assert (second["status"], second["version"], second["key"]) == ("CREATED", 1, staged[0])
