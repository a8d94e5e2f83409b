"""The local tools a newcomer meets first (issue 12): finding the running stack, one sentence
when there is none or a port is taken, the start-up summary, and the demo's wording."""

import json
import os
import re
import shutil
import socket
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from anshin.domain.terms import BillingMonth

import local.__main__ as cli
from local import state
from local.emulator import ROOT, Emulator, free_port
from local.scenario import attempts, jst, not_charged
from local.seed import DEMO_ACCOUNT_NOTES
from local.service import LocalService

TOOLS = [
    ["staff-token"],
    ["logs"],
    ["redrive"],
    ["month-end", "--month", "2026-11"],
    ["fault", "--function", "record_contract"],
]


@pytest.fixture
def state_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A state file of the test's own instead of .local/endpoint.json."""
    path = tmp_path / "endpoint.json"
    monkeypatch.setattr(state, "STATE_FILE", path)
    return path


@pytest.fixture
def listening() -> Iterator[int]:
    """A port something already listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def nowhere() -> str:
    """The address of a port nothing listens on."""
    return f"http://127.0.0.1:{free_port()}"


def dead_pid() -> int:
    process = subprocess.Popen(["true"])  # noqa: S607
    process.wait()
    return process.pid


# --- finding the stack --------------------------------------------------------------------------
def test_explicit_endpoint_then_the_state_file_then_the_default(state_file: Path) -> None:
    assert state.resolve(None) == "http://127.0.0.1:4566"
    state.save(state.Running("http://127.0.0.1:4567", os.getpid(), "http://api", "http://devices"))
    assert state.resolve(None) == "http://127.0.0.1:4567"
    assert state.resolve("http://127.0.0.1:4580") == "http://127.0.0.1:4580"


def test_a_state_file_left_by_a_process_that_is_gone_is_ignored(state_file: Path) -> None:
    state.save(state.Running("http://127.0.0.1:4567", dead_pid(), "http://api", "http://devices"))
    assert state.resolve(None) == "http://127.0.0.1:4566"


def test_only_the_process_that_wrote_the_state_file_removes_it(state_file: Path) -> None:
    state.save(state.Running("http://127.0.0.1:4567", os.getpid()))
    state.clear(dead_pid())
    assert state_file.exists()
    state.clear(os.getpid())
    assert not state_file.exists()


@pytest.mark.parametrize("argv", TOOLS, ids=lambda argv: argv[0])
def test_a_tool_with_nothing_running_says_so_in_one_sentence(
    argv: list[str], state_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    endpoint = nowhere()
    assert cli.main([*argv, "--endpoint", endpoint]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        f"Nothing is running at {endpoint}: start the stack with `make run` "
        "(or pass ENDPOINT=... to reach another one).\n"
    )


def test_a_tool_goes_where_the_state_file_says(state_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    endpoint = nowhere()
    state.save(state.Running(endpoint, os.getpid(), f"{endpoint}/_aws/execute-api/x/v1", "http://d"))
    assert cli.main(["staff-token"]) == 1
    assert capsys.readouterr().err.startswith(f"Nothing is running at {endpoint}:")


def test_a_stack_still_starting_is_told_apart(state_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    endpoint = nowhere()
    state.save(state.Running(endpoint, os.getpid()))
    assert cli.main(["logs"]) == 1
    assert capsys.readouterr().err == (
        f"The stack at {endpoint} is still starting: wait for `make run` to print its summary.\n"
    )


# --- make run's ports -----------------------------------------------------------------------------
def test_run_on_a_port_in_use_names_it_and_the_args_that_move_it(
    listening: int, state_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["run", "--port", str(listening)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"Port {listening} on 127.0.0.1 (the emulator) is already in use" in err
    moved = int(re.search(r'`make run ARGS="--port (\d+)"`', err).group(1))  # type: ignore[union-attr]
    assert moved > listening
    assert not state_file.exists()


def test_run_with_the_devices_port_in_use_names_it_too(
    listening: int, state_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["run", "--port", str(free_port()), "--devices-port", str(listening)]) == 1
    err = capsys.readouterr().err
    assert f"Port {listening} on 127.0.0.1 (the simulated devices' control) is already in use" in err
    assert '`make run ARGS="--devices-port ' in err


def test_run_with_the_pages_port_in_use_names_it_too(
    listening: int, state_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [
        "run",
        "--port",
        str(free_port()),
        "--devices-port",
        str(free_port()),
        "--web-port",
        str(listening),
    ]
    assert cli.main(argv) == 1
    err = capsys.readouterr().err
    assert f"Port {listening} on 127.0.0.1 (the pages) is already in use" in err
    assert '`make run ARGS="--web-port ' in err


def test_demo_on_a_port_in_use_says_so(listening: int, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["demo", "--endpoint", f"http://127.0.0.1:{listening}"]) == 1
    assert '`make demo ARGS="--port ' in capsys.readouterr().err


def test_run_serves_only_on_a_local_address(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["run", "--endpoint", "http://example.com:4567"]) == 2
    assert capsys.readouterr().err == (
        "ENDPOINT=http://example.com:4567 is not a local address: the stack listens on "
        "http://127.0.0.1:PORT only, e.g. ENDPOINT=http://127.0.0.1:4566.\n"
    )


def test_run_announces_its_endpoint_at_once_and_removes_it_when_it_stops(
    state_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()
    seen: list[state.Running | None] = []

    def start(**_: Any) -> LocalService:
        seen.append(state.load())
        raise RuntimeError("the emulator did not start")

    monkeypatch.setattr(cli, "LOCAL_DIR", tmp_path / "local")
    monkeypatch.setattr(LocalService, "start", start)
    with pytest.raises(RuntimeError):
        cli.main(
            [
                "run",
                *("--endpoint", f"http://127.0.0.1:{port}"),
                *("--devices-port", str(free_port())),
                *("--web-port", str(free_port())),
            ]
        )
    assert seen == [state.Running(f"http://127.0.0.1:{port}", os.getpid())]
    assert not state_file.exists()


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
@pytest.mark.parametrize("target", ["run", "demo", "staff-token", "logs", "redrive", "fault", "month-end"])
def test_endpoint_works_on_every_target(target: str) -> None:
    command = ["make", "-n", target, "ENDPOINT=http://127.0.0.1:4599", "FUNCTION=x", "MONTH=2026-11"]
    shown = subprocess.run(  # noqa: S603 - make, on the project's own Makefile
        command,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert f"-m local {target} " in shown and "--endpoint http://127.0.0.1:4599" in shown


# --- the start-up summary -----------------------------------------------------------------------
@pytest.fixture
def summary(tmp_path: Path) -> str:
    service = LocalService(
        emulator=Emulator(4567, tmp_path / "ministack.log"),
        outputs={"AnshinService": {"ApiId": "abc123", "ApiStage": "v1"}},
        timings={"emulator": 0.5, "deploy": 0.7},
    )
    return cli.summary(service, "http://127.0.0.1:4581", "http://127.0.0.1:4571", 1.2)


def test_the_summary_gives_the_page_url_first(summary: str) -> None:
    entries = [line for line in summary.splitlines() if line.startswith("  ") and line.strip()]
    assert entries[0].split()[:4] == ["Sign", "up", "(web)", "http://127.0.0.1:4581/"]
    assert "http://127.0.0.1:4581/status.html?id=<applicationId>" in summary
    assert "Try it: open http://127.0.0.1:4581/, sign in as mc-demo and apply" in summary
    # Every page (issue 23): sign-up, my page, status, the local inbox, cancel, the console.
    for page in ("mypage.html", "inbox.html", "cancel.html", "console.html"):
        assert f"http://127.0.0.1:4581/{page}" in summary, page


def test_the_summary_gives_the_aws_cli_its_environment(summary: str) -> None:
    assert (
        "AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1 \\\n"
        "                      aws --endpoint-url http://127.0.0.1:4567 " in summary
    )


def test_the_summary_points_at_the_moved_stack_only(summary: str) -> None:
    api = "http://127.0.0.1:4567/_aws/execute-api/abc123/v1"
    curls = [line for line in summary.splitlines() if "curl " in line]
    assert len(curls) == 3 and all(api in line for line in curls)
    assert "$(make -s staff-token)" in curls[2]
    assert "4566" not in summary and "4570" not in summary and "4580" not in summary


def test_the_summary_says_what_each_demo_account_demonstrates(summary: str) -> None:
    for account, refusal in [
        ("MC-DEMO", "CONTRACTED"),
        ("MC-ARREARS", "PAYMENT_RISK"),
        ("MC-VIOLATION", "PRIOR_VIOLATION"),
        ("MC-NO-LINE", "NO_ELIGIBLE_RATE_CONTRACT"),
        ("MC-NINE", "CONTRACT_LIMIT_REACHED"),
        ("MC-REVIEW", "DEFERRED"),
    ]:
        # Each demo account's member (its holder) signs in with the account id in lower case.
        line = next(line for line in summary.splitlines() if line.split()[:1] == [account.lower()])
        assert refusal in line and DEMO_ACCOUNT_NOTES[account] in line
    assert "Anshin-Member-2026!" in summary and "make member-token ACCOUNT=<id>" in summary
    assert "R12" in DEMO_ACCOUNT_NOTES["MC-DEMO"]


# --- the demo's wording -------------------------------------------------------------------------
def test_instants_are_shown_in_japan_time() -> None:
    assert jst("2026-11-30T14:59:59.999Z") == "2026-11-30 23:59:59 JST"
    assert jst(datetime(2026, 11, 30, 15, 10, tzinfo=UTC)) == "2026-12-01 00:10:00 JST"
    assert jst(None) == "-"


def test_attempts_are_counted_as_attempts() -> None:
    assert (attempts(1), attempts(3)) == ("1 attempt", "3 attempts")


def test_the_first_contract_missing_from_the_invoice_is_explained_r12() -> None:
    first = {
        "contractId": "ctr-first",
        "formedAt": "2026-11-25T01:00:00.000Z",
        "firstBillableMonth": "2027-01",
        "endedAt": "2026-11-30T14:59:59.999Z",
    }
    second = {
        "contractId": "ctr-second",
        "formedAt": "2026-11-25T01:01:00.000Z",
        "firstBillableMonth": "2026-11",
    }
    invoice = {"lines": [{"contractId": "ctr-second", "month": "2026-11", "amount": 500}]}
    assert not_charged(BillingMonth(2026, 11), [first, second], invoice) == [
        (
            "ctr-first",
            "the account's first contract: first billable month 2027-01, two months after it formed in "
            "2026-11; it ended 2026-11-30 23:59:59 JST, before then, so it is never charged",
        )
    ]


# --- the README -----------------------------------------------------------------------------------
def quick_start() -> str:
    """The README from its quick start to its map: the two commands and what `make run` shows."""
    readme = (ROOT / "README.md").read_text()
    start = readme.index("## Quick start")
    return readme[start : readme.index("## Where things are", start)]


def test_the_quick_start_says_how_to_see_a_wipe_expire_in_minutes() -> None:
    lines = quick_start().splitlines()
    at = next(i for i, line in enumerate(lines) if "WIPE waits" in line)
    assert 'ARGS="--command-expiry 120"' in lines[at - 1] + lines[at]


def test_the_quick_start_says_where_the_tools_find_the_stack_and_what_the_aws_cli_needs() -> None:
    text = quick_start()
    assert str(state.STATE_FILE.relative_to(ROOT)) in text and "ENDPOINT=" in text
    assert "AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1" in text


def test_the_start_up_figures_say_when_and_on_what_they_were_measured() -> None:
    """Dated figures live in docs/benchmarks.md, not in the README (issue 25)."""
    figures = (ROOT / "docs" / "benchmarks.md").read_text()
    section = figures[figures.index("#### Start-up of the local stack") :]
    assert re.search(r"Measured \d{4}-\d{2}-\d{2} on a \d+-core, \d+ GiB machine", section)
    assert not re.search(r"measured \d{4}-\d{2}-\d{2}", quick_start(), re.IGNORECASE)


def test_an_assembly_synthesized_after_the_local_one_is_not_taken_for_it(tmp_path: Path) -> None:
    """`make synth` (AWS context, with the web stack) writes into the same cdk.out as `make run`,
    leaving the local context file behind: that assembly must be synthesized again."""
    import time

    from local.service import CONTEXT_FILE, LOCAL_CONTEXT, assembly_is_fresh

    manifest, saved = tmp_path / "manifest.json", tmp_path / CONTEXT_FILE
    manifest.write_text("{}")
    saved.write_text(json.dumps(LOCAL_CONTEXT))
    later = time.time() + 3600  # after any source file of the checkout
    os.utime(manifest, (later, later))
    os.utime(saved, (later + 1, later + 1))
    assert assembly_is_fresh(tmp_path, LOCAL_CONTEXT)
    os.utime(manifest, (later + 2, later + 2))
    assert not assembly_is_fresh(tmp_path, LOCAL_CONTEXT)
