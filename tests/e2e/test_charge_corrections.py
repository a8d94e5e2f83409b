"""The charge file's corrections on the local stack (R13, issue 17): a month whose data would
remove a charged line from its latest version is billed as usual, but the file waits for an
operator (NEEDS_CORRECTION, not announced, nothing overwritten); the operator's correction, with
its reason, becomes the next version and says what it changes."""

import json
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from anshin.domain.terms import JST, BillingMonth

from local.jobs import all_done, charge_file, correct_charges, run_month
from local.seed import formed_contract, put_account, put_contract
from local.service import LocalService

#: A month no other e2e test bills.
MONTH = BillingMonth.parse("2025-03")


def test_a_month_that_would_lose_a_charged_line_waits_for_the_operators_correction(
    local_service: LocalService, aws_client: Callable[[str], Any]
) -> None:
    table = local_service.output("ContractsTableName")
    account = f"MC-{uuid.uuid4().hex[:10]}"
    put_account(local_service.endpoint, table, account, slots_held=2, has_formed_contract=True)
    kept, voided = (f"ctr-{uuid.uuid4().hex[:24]}" for _ in range(2))
    for contract_id in (kept, voided):
        formed = datetime(2025, 1, 10, 12, tzinfo=JST)
        put_contract(local_service.endpoint, table, formed_contract(contract_id, account, formed, False))
    first = charge_file(run_month(local_service.endpoint, MONTH))
    assert first is not None and first["status"] == "CREATED"
    s3 = aws_client("s3")
    v1 = s3.get_object(Bucket=first["bucket"], Key=first["key"])["Body"].read().decode()
    assert f"{account},{MONTH},2," in v1

    # A repair by hand voids one contract and its charge (never something billing does, R13).
    dynamodb = aws_client("dynamodb")
    for key in (
        {"pk": f"CONTRACT#{voided}", "sk": "CONTRACT"},
        {"pk": f"INVOICE#{account}#{MONTH}", "sk": f"LINE#{voided}"},
    ):
        dynamodb.delete_item(TableName=table, Key={k: {"S": v} for k, v in key.items()})

    results = run_month(local_service.endpoint, MONTH)
    assert all_done(results)  # the billing run itself is not failed
    held = charge_file(results)
    assert held is not None
    assert (held["status"], held["version"], held["key"]) == (
        "NEEDS_CORRECTION",
        first["version"],
        first["key"],
    )
    assert held["changes"]["removedLines"] == 1
    review = json.loads(s3.get_object(Bucket=held["bucket"], Key=held["reviewKey"])["Body"].read())
    assert review["examples"] == [
        {"mobileContractId": account, "contractId": voided, "beforeYen": 500, "afterYen": None}
    ]
    versions = s3.list_objects_v2(Bucket=first["bucket"], Prefix=f"charges/{MONTH}/")["Contents"]
    assert len(versions) == 2  # v1's file and manifest, nothing else
    assert s3.get_object(Bucket=first["bucket"], Key=first["key"])["Body"].read().decode() == v1

    corrected = correct_charges(local_service.endpoint, MONTH, "contract voided by hand, ticket 7")
    assert corrected["status"] == "SUCCEEDED"
    export = corrected["output"]
    assert (export["status"], export["version"], export["supersedes"]) == (
        "CREATED",
        first["version"] + 1,
        first["version"],
    )
    manifest = json.loads(s3.get_object(Bucket=export["bucket"], Key=export["manifestKey"])["Body"].read())
    assert manifest["supersedes"]["reason"] == "contract voided by hand, ticket 7"
    assert manifest["supersedes"]["changes"]["removedLines"] == 1
    v2 = s3.get_object(Bucket=export["bucket"], Key=export["key"])["Body"].read().decode()
    assert f"{account},{MONTH},1,{kept}:500," in v2 and voided not in v2
