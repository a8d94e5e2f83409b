"""Billing and charge-file throughput on the local stack (issues 4, 17). Not a test: prints numbers
for README.

For each ``--contracts`` size, on a fresh local stack: seeds N contracts (three per account) into
the deployed Contracts table, then, in this process so that a botocore hook counts every request
and the time spent inside them:

1. **The floor, on the same backend.** The bare requests billing cannot do without, through the
   same emulator: the same index queries billing makes (``anshin.services.billing.sources``, every
   shard, page by page, billing's page size), with the low-level client and nothing done with the
   answers; then ``BatchWriteItem`` (25 a request) of the very invoice-line items billing writes
   (the same lines, keys and attributes, built by ``anshin.store.invoices``) into a scratch table
   created with the Ledger table's key schema and indexes, so billing's own writes find nothing
   there. The lines and items are prepared between the reads and the writes, outside the timing.
2. **Billing**: ``anshin.services.billing.bill_shard``, the deployed shard function's code, every
   shard, page by page, against the Contracts table.
3. **The export (the charge file)**: what the ChargeExport workflow runs after billing, in
   process: ``anshin.services.charges.export_shard`` for each of the 16 account shards (looping
   on its cursor, as the Map does), then ``assemble`` (multipart upload into the emulator's S3,
   the version's manifest, the file copied into place). ``announce`` (one PutEvents) is left out.

The ratio is billing's time over the floor's, both measured here against the same emulator.

    .venv/bin/python benchmarks/billing.py [--contracts 10000 100000]
"""

from __future__ import annotations

import argparse
import inspect
import os
import platform
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "layers" / "shared")]

import boto3
from anshin.adapters import aws
from anshin.domain.terms import JST, BillingMonth
from anshin.services import billing, charges
from anshin.store import db, invoices
from anshin.store.keys import SHARDS
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from local.seed import formed_contract
from local.service import LocalService

MONTH = BillingMonth.parse("2026-10")
NOW = datetime(2026, 11, 1, 1, 0, tzinfo=JST)
FEE = 500
RUN_ID = "benchmark"
#: Billing's own page size (the floor reads the same pages).
PAGE_SIZE = int(inspect.signature(billing.bill_shard).parameters["page_size"].default)
#: BatchWriteItem's most items per request.
BATCH = 25
FLOOR_TABLE = "BenchFloor"


# --- counting requests ------------------------------------------------------------------------------
@dataclass
class Requests:
    """Every AWS request made through the default boto3 session (the one the app's cached clients
    use): how many, by service and operation, and the seconds spent inside them (from sending to
    the parsed answer: HTTP, the emulator, botocore's parsing; not the caller's own work)."""

    calls: Counter[str] = field(default_factory=Counter)
    attempts: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    def install(self) -> None:
        boto3.setup_default_session()
        events = boto3.DEFAULT_SESSION.events
        events.register("before-call", self._before)
        events.register("after-call", self._after)
        events.register("after-call-error", self._after)
        events.register("before-send", self._send)

    def _before(self, event_name: str, context: dict[str, Any], **_: Any) -> None:
        self.calls[_operation(event_name)] += 1
        context["bench-started"] = time.perf_counter()

    def _after(self, context: dict[str, Any], **_: Any) -> None:
        started = context.pop("bench-started", None)
        if started is not None:
            self.seconds += time.perf_counter() - started

    def _send(self, event_name: str, **_: Any) -> None:
        self.attempts[_operation(event_name)] += 1

    def snapshot(self) -> tuple[Counter[str], Counter[str], float]:
        return Counter(self.calls), Counter(self.attempts), self.seconds


def _operation(event_name: str) -> str:
    """``before-call.dynamodb.Query`` -> ``dynamodb.Query``."""
    return ".".join(event_name.split(".")[1:3])


@dataclass
class Phase:
    """One timed phase: wall seconds, its requests (by operation) and the seconds inside them."""

    seconds: float
    calls: Counter[str]
    attempts: Counter[str]
    in_requests: float

    def count(self, service: str | None = None) -> int:
        return sum(n for op, n in self.calls.items() if service is None or op.startswith(f"{service}."))

    def ops(self) -> str:
        return ", ".join(f"{op.split('.', 1)[1]} {n}" for op, n in sorted(self.calls.items()))


class Timed:
    """``with Timed(requests) as phase: ...`` then ``phase.result``."""

    def __init__(self, requests: Requests) -> None:
        self.requests = requests
        self.result: Phase | None = None

    def __enter__(self) -> Timed:
        self._before = self.requests.snapshot()
        self._started = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        elapsed = time.perf_counter() - self._started
        calls, attempts, seconds = self.requests.snapshot()
        self.result = Phase(
            elapsed, calls - self._before[0], attempts - self._before[1], seconds - self._before[2]
        )


def _add(*phases: Phase) -> Phase:
    total = Phase(0.0, Counter(), Counter(), 0.0)
    for phase in phases:
        total.seconds += phase.seconds
        total.calls += phase.calls
        total.attempts += phase.attempts
        total.in_requests += phase.in_requests
    return total


# --- the stack ----------------------------------------------------------------------------------------
def use_stack(endpoint: str, table: str, ledger: str, bucket: str) -> Requests:
    """Point the app's code (and its cached clients) at the stack, with a fresh request counter."""
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": endpoint,
            "CONTRACTS_TABLE": table,
            "LEDGER_TABLE": ledger,
            "CHARGES_BUCKET": bucket,
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
        }
    )
    aws.client.cache_clear()
    db.reset()
    requests = Requests()
    requests.install()
    return requests


def seed(table: str, count: int) -> None:
    client = boto3.client("dynamodb")
    serializer = TypeSerializer()
    items = []
    for n in range(count):
        account = f"MC-B{n // 3:07d}"  # three contracts per account
        contract_id = f"ctr-{n:024x}"
        item = formed_contract(contract_id, account, datetime(2026, 5, 1, tzinfo=JST), n % 3 == 0)
        items.append({"PutRequest": {"Item": {k: serializer.serialize(v) for k, v in item.items()}}})
    _batch_write(client, table, items)


def seed_one_more(table: str, count: int) -> None:
    """One more account with one contract, billable in the month (after billing ran)."""
    item = formed_contract(f"ctr-{count:024x}", "MC-B9999999", datetime(2026, 5, 1, tzinfo=JST), False)
    boto3.client("dynamodb").put_item(
        TableName=table, Item={k: TypeSerializer().serialize(v) for k, v in item.items()}
    )


def _batch_write(client: Any, table: str, requests: list[dict[str, Any]]) -> None:
    for start in range(0, len(requests), BATCH):
        pending = {table: requests[start : start + BATCH]}
        while pending:
            pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}


def create_floor_table(client: Any, like: str) -> None:
    """A scratch table with the Ledger table's keys and indexes (the floor writes there)."""
    described = client.describe_table(TableName=like)["Table"]
    indexes = [
        {"IndexName": g["IndexName"], "KeySchema": g["KeySchema"], "Projection": g["Projection"]}
        for g in described.get("GlobalSecondaryIndexes", [])
    ]
    client.create_table(
        TableName=FLOOR_TABLE,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=described["AttributeDefinitions"],
        KeySchema=described["KeySchema"],
        **({"GlobalSecondaryIndexes": indexes} if indexes else {}),
    )
    client.get_waiter("table_exists").wait(TableName=FLOOR_TABLE)


# --- the phases -----------------------------------------------------------------------------------------
def floor(requests: Requests, table: str) -> tuple[Phase, Phase, int]:
    """The same-backend floor: billing's reads, bare, then BatchWriteItem of billing's lines."""
    client = boto3.client("dynamodb")
    pages: list[list[dict[str, Any]]] = []
    with Timed(requests) as reading:
        for shard in range(SHARDS):
            for source in billing.sources(MONTH, NOW, shard):
                index, partition = source.split(":", 1)
                arguments: dict[str, Any] = {
                    "TableName": table,
                    "IndexName": index,
                    "KeyConditionExpression": "#pk = :pk",
                    "ExpressionAttributeNames": {"#pk": f"{index}pk"},
                    "ExpressionAttributeValues": {":pk": {"S": partition}},
                    "Limit": PAGE_SIZE,
                }
                while True:
                    answer = client.query(**arguments)
                    pages.append(answer["Items"])
                    if "LastEvaluatedKey" not in answer:
                        break
                    arguments["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
    # Untimed: billing's lines of what was read, as the very items billing writes.
    deserializer, serializer = TypeDeserializer(), db.serializer()
    contracts = [{k: deserializer.deserialize(v) for k, v in item.items()} for page in pages for item in page]
    lines, set_aside = billing.lines_of(contracts, MONTH, FEE)  # type: ignore[arg-type]
    assert not set_aside, set_aside
    puts = [{"PutRequest": {"Item": serializer.item(invoices._item(x, RUN_ID, NOW))}} for x in lines]
    with Timed(requests) as writing:
        _batch_write(client, FLOOR_TABLE, puts)
    assert reading.result and writing.result
    return reading.result, writing.result, len(lines)


def bill_everything(requests: Requests) -> tuple[Phase, int]:
    lines = 0
    with Timed(requests) as run:
        for shard in range(SHARDS):
            cursor = None
            while True:
                page = billing.bill_shard(MONTH, shard, NOW, FEE, run_id=RUN_ID, cursor=cursor)
                lines += page["linesWritten"]
                cursor = page["cursor"]
                if cursor is None:
                    break
    assert run.result
    return run.result, lines


def export(
    requests: Requests, expected_lines: int, run_id: str = RUN_ID
) -> tuple[Phase, Phase, dict[str, Any]]:
    """The ChargeExport workflow's shard Map (each shard looping on its cursor) and Assemble."""
    results = []
    with Timed(requests) as shards:
        for shard in range(SHARDS):
            event: dict[str, Any] = {
                "month": str(MONTH),
                "runId": run_id,
                "shard": shard,
                "cursor": None,
                "totals": {},
            }
            while True:  # the Map's MoreParts loop: a step's output is its next input
                event = charges.export_shard(event, lambda: 15 * 60 * 1000)
                if event["cursor"] is None:
                    break
            results.append(event)
    with Timed(requests) as assembling:
        exported = charges.assemble(
            {"month": str(MONTH), "runId": run_id, "expectedLines": expected_lines, "results": results}
        )
    assert shards.result and assembling.result
    return shards.result, assembling.result, exported


@dataclass
class Run:
    contracts: int
    seeding: float
    lines: int
    floor_reads: Phase
    floor_writes: Phase
    billing: Phase
    export_shards: Phase
    assemble: Phase
    exported: dict[str, Any]
    size: int
    #: The export of a re-run that charged one more account: v2 (the ledger holds one line more
    #: than v1: the line counts decide it, no comparison of the files).
    rerun_shards: Phase
    rerun_assemble: Phase
    rerun: dict[str, Any]

    @property
    def floor(self) -> Phase:
        return _add(self.floor_reads, self.floor_writes)

    @property
    def export(self) -> Phase:
        return _add(self.export_shards, self.assemble)


def measure(contracts: int, cdk_out: Path, synth: bool) -> Run:
    work = Path(tempfile.mkdtemp(prefix="anshin-bench-"))
    service = LocalService.start(work_dir=work, cdk_out=cdk_out, synth=synth)
    try:
        table = service.output("ContractsTableName")
        ledger = service.output("LedgerTableName")
        bucket = service.output("ChargesBucketName")
        requests = use_stack(service.endpoint, table, ledger, bucket)
        started = time.perf_counter()
        seed(table, contracts)
        seeding = time.perf_counter() - started
        create_floor_table(boto3.client("dynamodb"), ledger)
        floor_reads, floor_writes, floor_lines = floor(requests, table)
        billed, lines = bill_everything(requests)
        if lines != floor_lines:
            raise SystemExit(f"billing wrote {lines} lines, the floor {floor_lines}")
        export_shards, assembling, exported = export(requests, lines)
        size = int(aws.client("s3").head_object(Bucket=bucket, Key=exported["key"])["ContentLength"])
        # A contract repaired and billed on a re-run (one more account): the ledger holds one line
        # more than v1, so the export writes v2 (not timed: the billing).
        seed_one_more(table, contracts)
        _, more_lines = bill_everything(requests)
        rerun_shards, rerun_assemble, rerun = export(requests, lines + 1, f"{RUN_ID}-rerun")
        if (rerun["status"], rerun["version"], more_lines) != ("CREATED", 2, 1):
            raise SystemExit(
                f"the re-run's export is {rerun['status']} v{rerun['version']}, {more_lines} lines"
            )
    finally:
        service.stop()
    for phase in (floor_reads, floor_writes, billed, export_shards, assembling):
        if phase.attempts != phase.calls:
            print(f"note: retried requests: {phase.attempts - phase.calls}")
    return Run(
        contracts,
        seeding,
        lines,
        floor_reads,
        floor_writes,
        billed,
        export_shards,
        assembling,
        exported,
        size,
        rerun_shards,
        rerun_assemble,
        rerun,
    )


# --- the report -------------------------------------------------------------------------------------------
def report(runs: list[Run]) -> None:
    try:
        ministack = metadata.version("ministack")
    except metadata.PackageNotFoundError:
        ministack = _ministack_version()
    print(
        f"\n{date.today()}  {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, ministack {ministack}; billing page {PAGE_SIZE}, "
        f"export part {charges.RECORDS_PER_PART} records, ledger gsi1 page {charges.QUERY_PAGE}\n"
    )
    for run in runs:
        n = run.contracts
        print(
            f"{n:,} contracts (seeded in {run.seeding:.1f}s): {run.lines:,} lines, "
            f"{run.exported['records']:,} account records, {run.size:,} bytes, "
            f"v{run.exported['version']} {run.exported['status']}, {run.exported['totalYen']:,} yen"
        )
        for name, phase in (
            ("floor: reads", run.floor_reads),
            ("floor: writes", run.floor_writes),
            ("floor", run.floor),
            ("billing", run.billing),
            ("export: shards", run.export_shards),
            ("export: assemble", run.assemble),
            ("export", run.export),
            ("re-run: shards", run.rerun_shards),
            ("re-run: assemble", run.rerun_assemble),
        ):
            print(
                f"  {name:17} {phase.seconds:8.2f}s  {n / phase.seconds:8,.0f} contracts/s  "
                f"{phase.count():6} requests ({phase.count() / n:.4f}/contract; {phase.ops()})  "
                f"in requests {phase.in_requests:.2f}s ({phase.in_requests / phase.seconds:.0%})"
            )
        print(f"  billing / same-backend floor: {run.billing.seconds / run.floor.seconds:.2f}x")
        superseded = run.rerun.get("supersedes")
        print(
            f"  re-run export: v{run.rerun['version']} {run.rerun['status']} (supersedes v{superseded}); "
            f"assemble {run.rerun_assemble.seconds:.2f}s (v1's {run.assemble.seconds:.2f}s)\n"
        )
    header = (
        "| contracts | billing | contracts/s | DynamoDB requests per contract | same-backend floor "
        "| floor requests per contract | ratio to floor | export (shards + assemble) "
        "| export requests |"
    )
    print(header)
    print("|" + "---|" * header.count(" | ") + "---|")
    for run in runs:
        n = run.contracts
        export_ops = run.export.calls
        s3 = sum(v for k, v in export_ops.items() if k.startswith("s3."))
        print(
            f"| {n:,} | {run.billing.seconds:.1f} s | {n / run.billing.seconds:,.0f} "
            f"| {run.billing.count('dynamodb') / n:.4f} | {run.floor.seconds:.1f} s "
            f"| {run.floor.count('dynamodb') / n:.4f} | {run.billing.seconds / run.floor.seconds:.2f}× "
            f"| {run.export.seconds:.1f} s ({run.export_shards.seconds:.1f} + {run.assemble.seconds:.1f}) "
            f"| DynamoDB {run.export.count('dynamodb')}, S3 {s3} ({_s3_ops(export_ops)}) |"
        )


def _s3_ops(ops: Counter[str]) -> str:
    return ", ".join(f"{op[3:]} {n}" for op, n in sorted(ops.items()) if op.startswith("s3."))


def _ministack_version() -> str:
    for path in (ROOT / ".venv-local" / "lib").glob("python*/site-packages/ministack-*.dist-info"):
        return path.name.removeprefix("ministack-").removesuffix(".dist-info")
    return "?"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contracts", type=int, nargs="+", default=[10_000])
    args = parser.parse_args()
    cdk_out = Path(tempfile.mkdtemp(prefix="anshin-bench-cdk-")) / "cdk.out"
    runs = []
    for position, contracts in enumerate(args.contracts):
        runs.append(measure(contracts, cdk_out, synth=position == 0))  # one synthesis for all sizes
        report(runs[-1:])
    if len(runs) > 1:
        report(runs)


if __name__ == "__main__":
    main()
