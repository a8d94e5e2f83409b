"""The workflows in statemachines/ pass cfn-lint's Amazon States Language checks."""

import json
from pathlib import Path
from typing import Any

import pytest

from tests.infra.conftest import cfn_lint_errors

ROOT = Path(__file__).resolve().parents[2]
MACHINES = sorted((ROOT / "statemachines").glob("*.asl.json"))


def template_for(definition: dict[str, Any]) -> dict[str, Any]:
    """A template holding the definition inline (the stack loads it from S3, where cfn-lint
    cannot look), every ${Substitution} given a placeholder ARN."""
    text = json.dumps(definition)
    names = sorted({part.split("}")[0] for part in text.split("${")[1:]})
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {
            "Machine": {
                "Type": "AWS::StepFunctions::StateMachine",
                "Properties": {
                    "RoleArn": "arn:aws:iam::123456789012:role/machine",
                    "Definition": definition,
                    "DefinitionSubstitutions": {
                        name: f"arn:aws:lambda:us-east-1:123456789012:function:{name}" for name in names
                    },
                },
            }
        },
    }


def lint(definition: dict[str, Any], tmp_path: Path) -> list[str]:
    path = tmp_path / "machine.json"
    path.write_text(json.dumps(template_for(definition)))
    return cfn_lint_errors(path)


@pytest.mark.parametrize("machine", MACHINES, ids=lambda p: p.name)
def test_cfn_lint_asl_checks_pass(machine: Path, tmp_path: Path) -> None:
    assert lint(json.loads(machine.read_text()), tmp_path) == []


def test_the_check_has_teeth(tmp_path: Path) -> None:
    broken = json.loads(MACHINES[0].read_text())
    first = broken["StartAt"]
    broken["States"][first]["Type"] = "Taks"
    assert lint(broken, tmp_path) != []


@pytest.mark.parametrize("machine", MACHINES, ids=lambda p: p.name)
def test_every_state_is_reachable_and_every_target_exists(machine: Path) -> None:
    definition = json.loads(machine.read_text())
    states = definition["States"]
    targets = {definition["StartAt"]}
    for state in states.values():
        targets.update(t for t in [state.get("Next"), state.get("Default")] if t)
        targets.update(c["Next"] for c in state.get("Choices", []))
        targets.update(c["Next"] for c in state.get("Catch", []))
    assert targets <= set(states), targets - set(states)
    assert set(states) <= targets, set(states) - targets
