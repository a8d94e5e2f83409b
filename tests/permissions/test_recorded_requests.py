"""Every AWS request a function made while the suite ran (handler tests in-process, e2e in the
deployed functions: anshin_local.call_log) is allowed by that function's role policy as synthesized
for AWS, evaluated by @cloud-copilot/iam-simulate. ``make test`` runs this after the rest, on what
they recorded; on its own it is skipped (there is nothing to check)."""

import fnmatch
import os
from pathlib import Path
from typing import Any

import pytest

from tests.permissions import conftest
from tests.permissions.policies import Recording, Request, Stacks, evaluate, implicit, translate

pytestmark = pytest.mark.recorded

#: Functions whose handlers make no AWS request of their own (api_docs serves a file).
NO_REQUESTS = {"api_docs"}


@pytest.fixture(scope="module")
def recording() -> Recording:
    directory = os.environ.get("ANSHIN_CALL_LOG")
    if not directory or not any(Path(directory).glob("*.jsonl")):
        if os.environ.get("ANSHIN_PERMISSIONS_REQUIRED"):
            pytest.fail(f"no recorded requests in {directory!r}: the suite did not record (make test)")
        pytest.skip("no recorded requests: make test records them, then runs this check")
    return Recording.read(Path(directory))


@pytest.fixture(scope="module")
def decided(recording: Recording, stacks: Stacks) -> list[dict[str, Any]]:
    functions = stacks.functions()
    requests: set[Request] = set()
    for request in recording.requests:
        translated = translate(
            request, recording.environments.get(request.function, []), functions[request.function].environment
        )
        requests |= {translated, *implicit(stacks, translated)}
    return evaluate(sorted(requests), functions, stacks)


def test_the_recording_covers_every_function(recording: Recording, stacks: Stacks) -> None:
    functions = set(stacks.functions())
    assert functions - set(recording.environments) == set(), "functions never invoked while recording"
    requesting = {r.function for r in recording.requests}
    assert functions - NO_REQUESTS - requesting == set(), "functions that made no AWS request"


def test_every_recorded_request_is_allowed_by_its_functions_policy(
    decided: list[dict[str, Any]], stacks: Stacks
) -> None:
    conftest.REPORT[:] = unused_grants(decided, stacks)
    refused = [
        f"{d['request'].function}: {d['request'].action} on {d['request'].resource} -> {d['decision']}"
        + (f" ({d['error']})" if "error" in d else "")
        for d in decided
        if d["decision"] != "Allowed"
    ]
    assert refused == [], "\n".join(["requests the synthesized policies would refuse in AWS:", *refused])


def test_no_recorded_put_may_replace_a_ledger_line(recording: Recording) -> None:
    """R13: PutItem can replace an item and IAM has no "insert only", so every put into the
    ledger of charges the suite saw carried ``attribute_not_exists`` (anshin.store.invoices)."""
    assert recording.requests, "nothing recorded"
    assert [(f, t) for f, t in recording.overwriting_puts if "Ledger" in t] == []


def unused_grants(decided: list[dict[str, Any]], stacks: Stacks) -> list[str]:
    """A report, not a failure: each (action, resource) a role grants that no recorded request of
    its function matched. Patterns are matched with fnmatch: this only reports."""
    report = []
    used: dict[str, set[tuple[str, str]]] = {}
    for d in decided:
        used.setdefault(d["request"].function, set()).add((d["request"].action, d["request"].resource))
    for name, function in sorted(stacks.functions().items()):
        for policy in function.policies:
            for statement in policy["policy"]["Statement"]:
                if statement.get("Effect") != "Allow":
                    continue
                actions = (
                    statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                )
                resources = (
                    statement["Resource"]
                    if isinstance(statement["Resource"], list)
                    else [statement["Resource"]]
                )
                for action in actions:
                    for resource in resources:
                        if action.startswith(("xray:", "logs:")):
                            continue  # the Lambda runtime's own, not the handler's
                        if not any(
                            fnmatch.fnmatchcase(a, action) and fnmatch.fnmatchcase(r, str(resource))
                            for a, r in used.get(name, set())
                        ):
                            report.append(f"{name:<20} {action:<32} {resource}")
    return report
