"""Synthesize the app once per test session (the layers and the pages must be built: `make layer web`)."""

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import assertions

from infra.app import build_app

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def assembly_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    outdir = tmp_path_factory.mktemp("cdk.out")
    build_app(outdir=str(outdir)).synth()
    return outdir


def _template(assembly_dir: Path, stack: str) -> dict[str, Any]:
    result: dict[str, Any] = json.loads((assembly_dir / f"{stack}.template.json").read_text())
    return result


@pytest.fixture(scope="session")
def data_template(assembly_dir: Path) -> assertions.Template:
    return assertions.Template.from_json(_template(assembly_dir, "AnshinData"))


@pytest.fixture(scope="session")
def service_template(assembly_dir: Path) -> assertions.Template:
    return assertions.Template.from_json(_template(assembly_dir, "AnshinService"))


@pytest.fixture(scope="session")
def web_template(assembly_dir: Path) -> assertions.Template:
    return assertions.Template.from_json(_template(assembly_dir, "AnshinWeb"))


def cfn_lint_errors(template: Path) -> list[str]:
    """cfn-lint's errors (E rules) for one template file, through its Python API."""
    from cfnlint.api import ManualArgs, lint_file

    return [str(match) for match in lint_file(template, ManualArgs()) if match.rule.id.startswith("E")]
