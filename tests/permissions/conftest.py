"""The app synthesized as for AWS (no local settings), once per session."""

from pathlib import Path

import pytest

from infra.app import build_app
from tests.permissions.policies import Stacks


@pytest.fixture(scope="session")
def stacks(tmp_path_factory: pytest.TempPathFactory) -> Stacks:
    outdir = tmp_path_factory.mktemp("cdk.out.aws")
    build_app(outdir=str(outdir)).synth()
    return Stacks.load(Path(outdir))


REPORT: list[str] = []


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The reverse of the check, a report and not a failure: what each role may do that no
    recorded request did (so grants shrink over time)."""
    if REPORT:
        terminalreporter.section("permissions granted that no recorded request used")
        for line in REPORT:
            terminalreporter.write_line(line)
