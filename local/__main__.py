"""``python -m local run``: the whole service on 127.0.0.1 until Ctrl-C (``make run``)."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import FrameType

from local import members, staff, state
from local.deploy import client, outputs_of
from local.devices import DEMO_PASSPHRASE, DeviceFleet, FleetControl
from local.emulator import HOST, REGION, ROOT, free_port_from, port_taken
from local.inbox import InboxCollector, describe, read_inbox
from local.scenario import Scenario, table
from local.seed import DEMO_ACCOUNT_NOTES, demo_account_ids, seed_demo
from local.service import FAST_COMMANDS, LocalService
from local.state import LOCAL_DIR
from local.web import SITE, WebServer

DEMO_APPLICATION = json.dumps(
    {
        "mobileContractId": "MC-DEMO",
        "applicant": {"name": "Taro", "email": "taro@example.com", "phone": "09012345678"},
        "device": {"deviceId": "demo-1", "platform": "android", "kind": "smartphone", "model": "Pixel"},
        "consent": {"termsVersion": "2017-07-01", "locationOptOut": False},
    },
    separators=(",", ":"),
)


def in_use(port: int, what: str, command: str, option: str) -> str | None:
    """One sentence when ``port`` is taken, naming the ``ARGS`` that move ``what`` to a free one."""
    if not port_taken(port):
        return None
    return (
        f"Port {port} on {HOST} ({what}) is already in use, perhaps by another `make run`: "
        f'move it with `make {command} ARGS="{option} {free_port_from(port + 1)}"`.'
    )


def run(args: argparse.Namespace) -> int:
    started = time.monotonic()
    port = args.port or state.DEFAULT_PORT
    taken = (
        in_use(port, "the emulator", "run", "--port")
        or in_use(args.devices_port, "the simulated devices' control", "run", "--devices-port")
        or in_use(args.web_port, "the pages", "run", "--web-port")
    )
    if taken:
        print(taken, file=sys.stderr)
        return 1
    if args.fresh and LOCAL_DIR.exists():
        shutil.rmtree(LOCAL_DIR)
    LOCAL_DIR.mkdir(exist_ok=True)
    # The staff console and the member pages sign in and come back to the page server's address.
    context: dict[str, object] = {"anshin:localConsoleUrl": f"http://{HOST}:{args.web_port}"}
    if args.command_expiry:
        context["anshin:commandExpirySeconds"] = args.command_expiry
    # The tools find this stack through the state file: "starting" now, its URLs once ready.
    state.save(state.Running(f"http://{HOST}:{port}", os.getpid()))
    try:
        service = LocalService.start(
            port=port,
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
            # One member per demo account, holder of it (issue 23); make member-token makes more.
            for mobile_contract_id in demo_account_ids():
                members.ensure(service.endpoint, service.output("MembersUserPoolId"), mobile_contract_id)
            inbox = InboxCollector(
                service.endpoint, service.output("CustomerNotificationTopicArn"), LOCAL_DIR / "inbox.jsonl"
            ).start()
            fleet = DeviceFleet(
                service.endpoint, service.api_url, adopt_from=service.output("CustomerNotificationTopicArn")
            ).start()
            control = FleetControl(fleet, args.devices_port).start()
            # The emulator has no CloudFront data plane: the pages are served from .build/web
            # (make web) and /v1/* forwarded to the API stage, as CloudFront does in AWS.
            sign_in = staff.console_sign_in(
                service.endpoint, service.output("StaffUserPoolId"), service.output("StaffConsoleClientId")
            )
            member_sign_in = members.page_sign_in(
                service.endpoint, service.output("MembersUserPoolId"), service.output("MembersPagesClientId")
            )
            web = WebServer(
                service.api_url,
                port=args.web_port,
                sign_in=sign_in,
                member_sign_in=member_sign_in,
                inbox=inbox.messages,
            ).start()
        except BaseException:
            service.stop()
            raise
        state.save(state.Running(service.endpoint, os.getpid(), service.api_url, control.url, web.url))
        try:
            return serve(service, fleet, control, web, time.monotonic() - started)
        finally:
            inbox.stop()
    finally:
        state.clear(os.getpid())


def serve(
    service: LocalService, fleet: DeviceFleet, control: FleetControl, web: WebServer, ready: float
) -> int:
    """Print the summary and serve until Ctrl-C (or SIGTERM), then stop everything."""
    stop = threading.Event()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    print(summary(service, web.url, control.url, ready), flush=True)
    if not (SITE / "index.html").exists():
        print(f"{SITE} has no pages: build them with `make web` (make run does).", file=sys.stderr)
    try:
        while not stop.is_set():
            if service.emulator.process is not None and service.emulator.process.poll() is not None:
                print("the emulator stopped unexpectedly; see", LOCAL_DIR / "ministack.log", file=sys.stderr)
                return 1
            stop.wait(1.0)
    finally:
        print("stopping...", flush=True)
        web.stop()
        control.stop()
        fleet.stop()
        service.stop()
    return 0


def summary(service: LocalService, web_url: str, devices_url: str, ready: float) -> str:
    timings = ", ".join(f"{k} {v:.1f}s" for k, v in service.timings.items())
    if "synth" not in service.timings:
        timings += "; cdk.out was up to date, not synthesized"
    api, endpoint = service.api_url, service.endpoint
    demo_staff = f"{staff.DEMO_STAFF.username} / {staff.DEMO_STAFF.password}"
    accounts = "\n".join(
        f"{' ' * 20}{members.username_of(name):<13} {note}" for name, note in DEMO_ACCOUNT_NOTES.items()
    )
    return f"""
anshin is running locally: ready in {ready:.1f}s ({timings})

  Sign up (web)     {web_url}/   (sign in as a member below, then apply for that account)
  My page           {web_url}/mypage.html   (the member's contracts, invoices, cancel, location opt-out)
  Status page       {web_url}/status.html?id=<applicationId>   (the sign-up page goes there)
  Inbox (local)     {web_url}/inbox.html   (every notification sent: member codes, one-time codes; make inbox)
  Cancel (web)      {web_url}/cancel.html   (with the member code, for a holder who cannot sign in)
  Support console   {web_url}/console.html   (staff sign in as {demo_staff})
  REST API          {api}   (the pages: {web_url}/v1)
  AWS endpoint      {endpoint}; the aws CLI needs the emulator's credentials and region:
                    AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION={REGION} \\
                      aws --endpoint-url {endpoint} cloudformation describe-stacks
  Simulated devices {devices_url}/devices   (POST /devices/<id>/offline | online | delay?seconds=N)
  Function logs     make logs [FUNCTION=support_api]   (powertools JSON records, function_name in each)
  Emulator log      {LOCAL_DIR / "ministack.log"}
  Members           one per demo account, password {members.DEMO_PASSWORD}; sign in as one to see:
{accounts}
                    any other account of the mirror: make member-token ACCOUNT=<id> (creates its member)
  Staff sign-in     {staff.DEMO_STAFF.username} (support-staff) in the console; an API token: make staff-token
  Not staff         {staff.DEMO_NOT_STAFF.username} (signed in, no group: staff routes answer 403)
  Devices           every Android contract that forms gets a simulated device with the app
                    registered and the passphrase "{DEMO_PASSPHRASE}"
  Tools             make member-token, staff-token, inbox, logs, month-end, fault and redrive find it through
                    {state.STATE_FILE} (ENDPOINT=... picks another)

Try it: open {web_url}/, sign in as mc-demo and apply, or with curl:
  MEMBER=$(make -s member-token ACCOUNT=MC-DEMO)
  curl -s -X POST {api}/applications -H "Authorization: $MEMBER" -H 'Content-Type: application/json' \\
    -d '{DEMO_APPLICATION}'
  curl -s -H "Authorization: $MEMBER" {api}/applications/<applicationId>   # until "status": "CONTRACTED"
  make inbox                                            # the notification with the member code
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


def member_token(args: argparse.Namespace) -> int:
    """An ID token of the holder of ``--account`` (any account of the mirror; its member is
    created when missing), as the member pages send it."""
    outputs = outputs_of(args.endpoint, "AnshinData")
    try:
        print(members.token_for(args.endpoint, outputs, args.account))
    except members.UnknownAccount:
        print(
            f"No mobile account {args.account!r} in the local mirror: nobody holds it "
            "(the demo accounts are listed by make run).",
            file=sys.stderr,
        )
        return 1
    return 0


def inbox(args: argparse.Namespace) -> int:
    """The notifications the running ``make run`` received, newest first."""
    running = state.load()
    if running is None or running.endpoint != args.endpoint or running.web_url is None:
        print(f"The inbox is kept by a running `make run`; none serves {args.endpoint}.", file=sys.stderr)
        return 1
    entries = read_inbox(LOCAL_DIR / "inbox.jsonl")
    if args.limit:
        entries = entries[: args.limit]
    if args.json:
        print(json.dumps(entries, ensure_ascii=False, indent=2))
    else:
        print("\n".join(describe(entry) for entry in entries) or "the inbox is empty")
    return 0


#: The outputs local.members.token_for needs.
MEMBER_OUTPUTS = ("ContractsTableName", "MembersUserPoolId", "MembersToolsClientId")


def demo(args: argparse.Namespace) -> int:
    """The e2e scenario on a fresh local stack of its own, printed as it goes."""
    taken = args.port and in_use(args.port, "the demo's emulator", "demo", "--port")
    if taken:
        print(taken, file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="anshin-demo-") as work:
        print(
            "starting a fresh local stack for the demo (commands expire after 20 seconds); "
            "times are Japan time, as the terms count them...",
            flush=True,
        )
        service = LocalService.start(port=args.port, work_dir=Path(work), context=FAST_COMMANDS)
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
                member_token=lambda account: members.token_for(
                    service.endpoint, {k: service.output(k) for k in MEMBER_OUTPUTS}, account
                ),
                on_step=lambda step: print(
                    f"  {step.name:<36} {step.status!s:<22} {step.detail}", flush=True
                ),
            )
            scenario.run()
            print("\n" + table(scenario.steps))
        finally:
            fleet.stop()
            service.stop()
    return 0


def month_end(args: argparse.Namespace) -> int:
    from anshin.domain.terms import BillingMonth

    from local.jobs import all_done, charge_file_lines, describe, run_month

    month = BillingMonth.parse(args.month)
    results = run_month(args.endpoint, month, dry_run=args.dry_run)
    print(f"{'DRY RUN: nothing written. ' if args.dry_run else ''}Month {month}:")
    print(describe(results, args.dry_run))
    for line in charge_file_lines(results, args.endpoint):
        print(line)
    return 0 if all_done(results) else 1


def fault(args: argparse.Namespace) -> int:
    from local import faults

    known = sorted(p.name for p in (ROOT / "functions").iterdir() if (p / "app.py").exists())
    if args.function not in known:
        print(f"unknown function {args.function!r}; one of: {', '.join(known)}", file=sys.stderr)
        return 2
    faults.arm(args.endpoint, args.function, args.times)
    print(f"{args.function} raises InjectedFault on its next {args.times} call(s)")
    return 0


#: The tools that talk to a running stack (``--endpoint``, else the state file's, else the default).
TOOLS = {
    "staff-token": staff_token,
    "member-token": member_token,
    "inbox": inbox,
    "logs": logs,
    "redrive": redrive,
    "month-end": month_end,
    "fault": fault,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local")
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="start the local service and serve until Ctrl-C")
    run_parser.add_argument("--port", type=int, help=f"the emulator's port on {HOST} (default 4566)")
    run_parser.add_argument("--fresh", action="store_true", help="forget the state kept in .local/")
    run_parser.add_argument(
        "--devices-port", type=int, default=4570, help="the simulated devices' control port"
    )
    run_parser.add_argument(
        "--web-port",
        type=int,
        default=state.DEFAULT_WEB_PORT,
        help=f"the pages' port: the sign-up page (default {state.DEFAULT_WEB_PORT})",
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
    member_parser = commands.add_parser(
        "member-token", help="print an ID token of the member holding ACCOUNT (created if missing)"
    )
    member_parser.add_argument("--account", required=True, help="the mobile account id, e.g. MC-DEMO")
    inbox_parser = commands.add_parser("inbox", help="print the notifications sent, newest first")
    inbox_parser.add_argument("--limit", type=int, default=0, help="at most this many (default: all)")
    inbox_parser.add_argument("--json", action="store_true", help="as JSON")
    demo_parser = commands.add_parser(
        "demo", help="run the end-to-end scenario on a fresh stack, step by step"
    )
    demo_parser.add_argument("--port", type=int, help="the demo stack's port (default: a free one)")
    redrive_parser = commands.add_parser("redrive", help="replay the dead letters of the running stack")
    redrive_parser.add_argument("--limit", type=int, default=100, help="at most this many per queue")
    logs_parser = commands.add_parser("logs", help="print the functions' structured log records")
    logs_parser.add_argument("--function", help="one function, e.g. support_api (default: all)")
    logs_parser.add_argument("--minutes", type=float, default=15, help="how far back (default 15)")
    month_parser = commands.add_parser("month-end", help="run a month's termination and billing by hand")
    month_parser.add_argument("--month", required=True, help="the billing month, YYYY-MM")
    month_parser.add_argument("--dry-run", action="store_true", help="print what would happen; write nothing")
    fault_parser = commands.add_parser("fault", help="make a function of the running stack raise N times")
    fault_parser.add_argument("--function", required=True, help="e.g. record_contract (functions/<name>)")
    fault_parser.add_argument("--times", type=int, default=1, help="how many calls fail (0 disarms)")
    for tool in (
        token_parser,
        member_parser,
        inbox_parser,
        redrive_parser,
        logs_parser,
        month_parser,
        fault_parser,
    ):
        tool.add_argument(
            "--endpoint",
            help=f"the running local stack (default: the one of `make run`, else {state.DEFAULT_ENDPOINT})",
        )
    for server in (run_parser, demo_parser):
        server.add_argument(
            "--endpoint", help=f"serve at http://{HOST}:PORT (make ENDPOINT=...; --port wins)"
        )
    args = parser.parse_args(argv)
    if args.command in ("run", "demo"):
        try:
            args.port = args.port or (state.port_of(args.endpoint) if args.endpoint else None)
        except ValueError as error:
            print(error, file=sys.stderr)
            return 2
        return run(args) if args.command == "run" else demo(args)
    args.endpoint = state.resolve(args.endpoint)
    trouble = state.problem(args.endpoint)
    if trouble:
        print(trouble, file=sys.stderr)
        return 1
    return TOOLS[args.command](args)


if __name__ == "__main__":
    raise SystemExit(main())
