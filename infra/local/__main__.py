"""``python -m infra.local run``: the whole service on 127.0.0.1 until Ctrl-C (``make run``)."""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import sys
import threading
import time
from types import FrameType

from infra.local.emulator import ROOT
from infra.local.seed import DEMO_ACCOUNTS, seed_demo
from infra.local.service import LocalService

LOCAL_DIR = ROOT / ".local"
DEMO_APPLICATION = json.dumps(
    {
        "mobileContractId": "MC-DEMO",
        "applicant": {"name": "Taro", "email": "taro@example.com", "phone": "09012345678"},
        "device": {"deviceId": "demo-1", "platform": "android", "kind": "smartphone", "model": "Pixel"},
        "consent": {"termsVersion": "2017-07-01", "locationOptOut": False},
    },
    separators=(",", ":"),
)


def run(args: argparse.Namespace) -> int:
    started = time.monotonic()
    if args.fresh and LOCAL_DIR.exists():
        shutil.rmtree(LOCAL_DIR)
    LOCAL_DIR.mkdir(exist_ok=True)
    service = LocalService.start(
        port=args.port, work_dir=LOCAL_DIR, state_dir=LOCAL_DIR / "state", cdk_out=ROOT / "cdk.out"
    )
    seed_demo(service.endpoint, service.output("ContractsTableName"))
    ready = time.monotonic() - started
    stop = threading.Event()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    timings = ", ".join(f"{k} {v:.1f}s" for k, v in service.timings.items())
    print(
        f"""
anshin is running locally (ready in {ready:.1f}s: {timings})

  AWS endpoint   {service.endpoint}     (aws --endpoint-url {service.endpoint} ...)
  REST API       {service.api_url}
  Contracts      {service.output("ContractsTableName")}
  Logs           {LOCAL_DIR / "ministack.log"}
  Demo accounts  {", ".join([*DEMO_ACCOUNTS, "MC-VIOLATION"])}

Try it:
  AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test \\
    aws --endpoint-url {service.endpoint} --region us-east-1 dynamodb list-tables
  curl -s -X POST {service.api_url}/applications -H 'Content-Type: application/json' \\
    -d '{DEMO_APPLICATION}'
  curl -s {service.api_url}/applications/<applicationId>

Ctrl-C stops it; state is kept in .local/ (make run ARGS=--fresh starts clean).
""",
        flush=True,
    )
    try:
        while not stop.is_set():
            if service.emulator.process is not None and service.emulator.process.poll() is not None:
                print("the emulator stopped unexpectedly; see", LOCAL_DIR / "ministack.log", file=sys.stderr)
                return 1
            stop.wait(1.0)
    finally:
        print("stopping...", flush=True)
        service.stop()
    return 0


def month_end(args: argparse.Namespace) -> int:
    from anshin.terms import BillingMonth

    from infra.local.jobs import describe, run_month

    month = BillingMonth.parse(args.month)
    results = run_month(args.endpoint, month, dry_run=args.dry_run)
    print(f"{'DRY RUN: nothing written. ' if args.dry_run else ''}Month {month}:")
    print(describe(results, args.dry_run))
    return 0 if all(r["status"] == "SUCCEEDED" for r in results) else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.local")
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="start the local service and serve until Ctrl-C")
    run_parser.add_argument("--port", type=int, default=4566, help="the emulator's port on 127.0.0.1")
    run_parser.add_argument("--fresh", action="store_true", help="forget the state kept in .local/")
    month_parser = commands.add_parser("month-end", help="run a month's termination and billing by hand")
    month_parser.add_argument("--month", required=True, help="the billing month, YYYY-MM")
    month_parser.add_argument("--dry-run", action="store_true", help="print what would happen; write nothing")
    month_parser.add_argument("--endpoint", default="http://127.0.0.1:4566", help="the running local stack")
    args = parser.parse_args(argv)
    if args.command == "run":
        return run(args)
    if args.command == "month-end":
        return month_end(args)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
