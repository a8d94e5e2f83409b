"""Billing throughput on the local stack (issue 4). Not a test: prints numbers for README.

Seeds N contracts into the deployed Contracts table of a fresh local stack, then runs the billing
job's shard code (the same ``anshin.billing.bill_shard`` the deployed function runs, every shard,
page by page) against it, in this process so that a botocore event hook can count every DynamoDB
request. The floor is the bare ``BatchWriteItem`` of the same number of invoice lines in moto, in
the same run.

    .venv/bin/python benchmarks/billing.py [--contracts 10000]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "layers" / "shared")]

import boto3
from anshin.adapters import aws
from anshin.domain.terms import JST, BillingMonth
from anshin.services import billing
from anshin.store import db
from anshin.store.keys import SHARDS
from boto3.dynamodb.types import TypeSerializer

from local.seed import formed_contract
from local.service import LocalService

MONTH = BillingMonth.parse("2026-10")
NOW = datetime(2026, 11, 1, 1, 0, tzinfo=JST)
FEE = 500


def seed(endpoint: str, table: str, count: int) -> None:
    client = boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    serializer = TypeSerializer()
    items = []
    for n in range(count):
        account = f"MC-B{n // 3:07d}"  # three contracts per account
        contract_id = f"ctr-{n:024x}"
        item = formed_contract(contract_id, account, datetime(2026, 5, 1, tzinfo=JST), n % 3 == 0)
        items.append({"PutRequest": {"Item": {k: serializer.serialize(v) for k, v in item.items()}}})
    for start in range(0, len(items), 25):
        pending = {table: items[start : start + 25]}
        while pending:
            pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}


def bill_everything(endpoint: str, table: str) -> tuple[float, int, int]:
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": endpoint,
            "CONTRACTS_TABLE": table,
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
        }
    )
    aws.client.cache_clear()
    db.reset()
    requests = {"n": 0}

    def count(**_kwargs: object) -> None:
        requests["n"] += 1

    boto3.setup_default_session()
    boto3.DEFAULT_SESSION.events.register("before-call.dynamodb", count)  # type: ignore[union-attr]
    lines = 0
    started = time.perf_counter()
    for shard in range(SHARDS):
        cursor = None
        while True:
            page = billing.bill_shard(MONTH, shard, NOW, FEE, run_id="benchmark", cursor=cursor)
            lines += page["linesWritten"]
            cursor = page["cursor"]
            if cursor is None:
                break
    return time.perf_counter() - started, requests["n"], lines


def moto_floor(lines: int) -> float:
    from moto import mock_aws

    os.environ.pop("AWS_ENDPOINT_URL", None)  # moto answers AWS's own endpoints
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName="Floor",
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
        )
        requests = [
            {
                "PutRequest": {
                    "Item": {
                        "pk": {"S": f"INVOICE#MC-B{n // 3:07d}#{MONTH}"},
                        "sk": {"S": f"LINE#ctr-{n:024x}"},
                        "amount": {"N": str(FEE)},
                    }
                }
            }
            for n in range(lines)
        ]
        started = time.perf_counter()
        for start in range(0, len(requests), 25):
            client.batch_write_item(RequestItems={"Floor": requests[start : start + 25]})
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contracts", type=int, default=10_000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="anshin-bench-"))
    service = LocalService.start(work_dir=work)
    try:
        table = service.output("ContractsTableName")
        started = time.perf_counter()
        seed(service.endpoint, table, args.contracts)
        seeding = time.perf_counter() - started
        elapsed, requests, lines = bill_everything(service.endpoint, table)
    finally:
        service.stop()
    floor = moto_floor(lines)
    print(
        f"machine            {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(f"contracts          {args.contracts} (seeded in {seeding:.1f}s)")
    print(f"invoice lines      {lines}")
    print(f"billing run        {elapsed:.2f}s  ({args.contracts / elapsed:,.0f} contracts/s)")
    print(f"DynamoDB requests  {requests}  ({requests / args.contracts:.3f} per contract)")
    print(f"moto floor         {floor:.2f}s for BatchWriteItem of {lines} lines")
    print(f"ratio to floor     {elapsed / floor:.2f}x")


if __name__ == "__main__":
    main()
