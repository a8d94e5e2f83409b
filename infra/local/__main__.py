"""``python -m infra.local run``: the whole service on 127.0.0.1 until Ctrl-C (``make run``)."""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import FrameType

from infra.local import staff
from infra.local.deploy import client, outputs_of
from infra.local.devices import DEMO_PASSPHRASE, DeviceFleet, FleetControl
from infra.local.emulator import ROOT
from infra.local.scenario import Scenario, table
from infra.local.seed import DEMO_ACCOUNTS, seed_demo
from infra.local.service import FAST_COMMANDS, LocalService

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
    context: dict[str, object] = {}
    if args.command_expiry:
        context["anshin:commandExpirySeconds"] = args.command_expiry
    service = LocalService.start(
        port=args.port,
        work_dir=LOCAL_DIR,
        state_dir=LOCAL_DIR / "state",
        cdk_out=ROOT / "cdk.out",
        synth=None,
        context=context,
    )
    try:
        seed_demo(service.endpoint, service.output("ContractsTableName"))
        for account in (staff.DEMO_STAFF, staff.DEMO_NOT_STAFF):
            staff.ensure(service.endpoint, service.output("StaffUserPoolId"), account)
        fleet = DeviceFleet(
            service.endpoint, service.api_url, adopt_from=service.output("CustomerNotificationTopicArn")
        ).start()
        control = FleetControl(fleet, args.devices_port).start()
    except BaseException:
        service.stop()
        raise
    ready = time.monotonic() - started
    stop = threading.Event()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    print(summary(service, control.url, ready), flush=True)
    try:
        while not stop.is_set():
            if service.emulator.process is not None and service.emulator.process.poll() is not None:
                print("the emulator stopped unexpectedly; see", LOCAL_DIR / "ministack.log", file=sys.stderr)
                return 1
            stop.wait(1.0)
    finally:
        print("stopping...", flush=True)
        control.stop()
        fleet.stop()
        service.stop()
    return 0


def summary(service: LocalService, devices_url: str, ready: float) -> str:
    timings = ", ".join(f"{k} {v:.1f}s" for k, v in service.timings.items())
    if "synth" not in service.timings:
        timings += "; cdk.out was up to date, not synthesized"
    api = service.api_url
    return f"""
anshin is running locally: ready in {ready:.1f}s ({timings})

  REST API         {api}
  AWS endpoint     {service.endpoint}   (aws --endpoint-url {service.endpoint} --region us-east-1 ...)
  Simulated devices {devices_url}/devices   (POST /devices/<id>/offline | online | delay?seconds=N)
  Function logs    make logs [FUNCTION=support_api]   (powertools JSON records, function_name in each)
  Emulator log     {LOCAL_DIR / "ministack.log"}
  Demo accounts    {", ".join([*DEMO_ACCOUNTS, "MC-VIOLATION"])}   (MC-DEMO is eligible)
  Staff sign-in    {staff.DEMO_STAFF.username} (support-staff)   token: make staff-token
  Not staff        {staff.DEMO_NOT_STAFF.username} (signed in, no group: staff routes answer 403)
  Devices          every Android contract that forms gets a simulated device with the app
                   registered and the passphrase "{DEMO_PASSPHRASE}"

Try it:
  curl -s -X POST {api}/applications -H 'Content-Type: application/json' \\
    -d '{DEMO_APPLICATION}'
  curl -s {api}/applications/<applicationId>          # until "status": "CONTRACTED"
  curl -s -H "Authorization: $(make -s staff-token)" {api}/contracts/<contractId>

A full story, printed step by step: make demo. Ctrl-C stops; state stays in .local/ (ARGS=--fresh).
"""


def logs(args: argparse.Namespace) -> int:
    """Each function's structured JSON log records (powertools), newest last, from the
    emulator's CloudWatch Logs: what ``aws logs tail`` shows in AWS."""
    outputs = outputs_of(args.endpoint, "AnshinService")
    lambda_, cloudwatch = client("lambda", args.endpoint), client("logs", args.endpoint)
    names = {k[: -len("FunctionName")]: v for k, v in outputs.items() if k.endswith("FunctionName")}
    wanted = "".join(part.title() for part in args.function.split("_")) if args.function else None
    records: list[tuple[int, str, str]] = []
    for short, name in names.items():
        if wanted and short != wanted:
            continue
        group = lambda_.get_function_configuration(FunctionName=name)["LoggingConfig"]["LogGroup"]
        start = int((time.time() - args.minutes * 60) * 1000)
        for event in cloudwatch.filter_log_events(logGroupName=group, startTime=start).get("events", []):
            if event["message"].lstrip().startswith("{"):
                records.append((event["timestamp"], short, event["message"].strip()))
    for _, short, message in sorted(records):
        print(f"{short:<18} {message}")
    return 0


def redrive(args: argparse.Namespace) -> int:
    """Replay the dead letters of the running stack through its redrive function."""
    outputs = outputs_of(args.endpoint, "AnshinService")
    answer = client("lambda", args.endpoint).invoke(
        FunctionName=outputs["RedriveFunctionName"], Payload=json.dumps({"limit": args.limit}).encode()
    )
    report = json.loads(answer["Payload"].read())
    if "FunctionError" in answer:
        print("redrive failed:", report, file=sys.stderr)
        return 1
    for queue, counts in report.items():
        print(f"{queue:<60} replayed {counts['replayed']:>4}   kept {counts['kept']:>4}")
    return 0 if all(c["kept"] == 0 for c in report.values()) else 1


def staff_token(args: argparse.Namespace) -> int:
    outputs = outputs_of(args.endpoint, "AnshinData")
    print(staff.token(args.endpoint, outputs["StaffUserPoolClientId"], staff.DEMO_STAFF))
    return 0


def demo(args: argparse.Namespace) -> int:
    """The e2e scenario on a fresh local stack of its own, printed as it goes."""
    with tempfile.TemporaryDirectory(prefix="anshin-demo-") as work:
        print("starting a fresh local stack for the demo (commands expire after 20 seconds)...", flush=True)
        service = LocalService.start(work_dir=Path(work), context=FAST_COMMANDS)
        fleet = DeviceFleet(service.endpoint, service.api_url).start()
        try:
            staff.ensure(service.endpoint, service.output("StaffUserPoolId"), staff.DEMO_STAFF)
            scenario = Scenario(
                endpoint=service.endpoint,
                api_url=service.api_url,
                outputs={
                    k: service.output(k) for k in ("ContractsTableName", "CustomerNotificationTopicArn")
                },
                staff_token=staff.token(
                    service.endpoint, service.output("StaffUserPoolClientId"), staff.DEMO_STAFF
                ),
                fleet=fleet,
                on_step=lambda step: print(
                    f"  {step.name:<32} {step.status!s:<22} {step.detail}", flush=True
                ),
            )
            scenario.run()
            print("\n" + table(scenario.steps))
        finally:
            fleet.stop()
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


def fault(args: argparse.Namespace) -> int:
    from infra.local import faults

    known = sorted(p.name for p in (ROOT / "functions").iterdir() if (p / "app.py").exists())
    if args.function not in known:
        print(f"unknown function {args.function!r}; one of: {', '.join(known)}", file=sys.stderr)
        return 2
    faults.arm(args.endpoint, args.function, args.times)
    print(f"{args.function} raises InjectedFault on its next {args.times} call(s)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.local")
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="start the local service and serve until Ctrl-C")
    run_parser.add_argument("--port", type=int, default=4566, help="the emulator's port on 127.0.0.1")
    run_parser.add_argument("--fresh", action="store_true", help="forget the state kept in .local/")
    run_parser.add_argument(
        "--devices-port", type=int, default=4570, help="the simulated devices' control port"
    )
    run_parser.add_argument(
        "--command-expiry",
        type=int,
        default=0,
        help="device commands expire after this many seconds (default 72 h)",
    )
    token_parser = commands.add_parser(
        "staff-token", help="print an ID token of the demo support-staff member"
    )
    token_parser.add_argument("--endpoint", default="http://127.0.0.1:4566", help="the running local stack")
    commands.add_parser("demo", help="run the end-to-end scenario on a fresh stack, step by step")
    redrive_parser = commands.add_parser("redrive", help="replay the dead letters of the running stack")
    redrive_parser.add_argument("--limit", type=int, default=100, help="at most this many per queue")
    redrive_parser.add_argument("--endpoint", default="http://127.0.0.1:4566", help="the running local stack")
    logs_parser = commands.add_parser("logs", help="print the functions' structured log records")
    logs_parser.add_argument("--function", help="one function, e.g. support_api (default: all)")
    logs_parser.add_argument("--minutes", type=float, default=15, help="how far back (default 15)")
    logs_parser.add_argument("--endpoint", default="http://127.0.0.1:4566", help="the running local stack")
    month_parser = commands.add_parser("month-end", help="run a month's termination and billing by hand")
    month_parser.add_argument("--month", required=True, help="the billing month, YYYY-MM")
    month_parser.add_argument("--dry-run", action="store_true", help="print what would happen; write nothing")
    month_parser.add_argument("--endpoint", default="http://127.0.0.1:4566", help="the running local stack")
    fault_parser = commands.add_parser("fault", help="make a function of the running stack raise N times")
    fault_parser.add_argument("--function", required=True, help="e.g. record_contract (functions/<name>)")
    fault_parser.add_argument("--times", type=int, default=1, help="how many calls fail (0 disarms)")
    fault_parser.add_argument("--endpoint", default="http://127.0.0.1:4566", help="the running local stack")
    args = parser.parse_args(argv)
    if args.command == "fault":
        return fault(args)
    if args.command == "run":
        return run(args)
    if args.command == "month-end":
        return month_end(args)
    if args.command == "staff-token":
        return staff_token(args)
    if args.command == "demo":
        return demo(args)
    if args.command == "logs":
        return logs(args)
    if args.command == "redrive":
        return redrive(args)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
