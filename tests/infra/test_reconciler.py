"""R6.4: the reconciler of formed contracts whose recording failed for good runs every five
minutes on an EventBridge rule, and its set-aside records raise an alarm to the operations topic.
A test deployment's ``anshin:scheduleOverride`` (never in AWS) makes the rule fire more often."""

import json
from pathlib import Path
from typing import Any

from aws_cdk import assertions

from infra.app import build_app

ROOT = Path(__file__).resolve().parents[2]


def _resources(template: assertions.Template, kind: str) -> dict[str, Any]:
    return dict(template.find_resources(kind))


def _scheduled_rule(template: assertions.Template) -> dict[str, Any]:
    rules = [
        r["Properties"]
        for r in _resources(template, "AWS::Events::Rule").values()
        if r["Properties"].get("ScheduleExpression")
        and r["Properties"]["Targets"][0]["Arn"]["Fn::GetAtt"][0].startswith("ReconcileContracts")
    ]
    [rule] = rules
    return dict(rule)


def test_the_reconciler_runs_every_five_minutes(service_template: assertions.Template) -> None:
    functions = {
        logical: r
        for logical, r in _resources(service_template, "AWS::Lambda::Function").items()
        if logical.startswith("ReconcileContracts")
    }
    [(logical, function)] = functions.items()
    assert function["Properties"]["Timeout"] == 300
    rule = _scheduled_rule(service_template)
    assert rule["ScheduleExpression"] == "rate(5 minutes)"
    [target] = rule["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [logical, "Arn"]}
    assert target["RetryPolicy"]["MaximumRetryAttempts"] == 0  # the next firing is the retry


def test_the_aws_deployment_has_no_schedule_override() -> None:
    # The override is a test deployment's -c context only: cdk.json (what `cdk deploy` reads)
    # never has it, so the template above, with rate(5 minutes), is what AWS gets.
    assert "anshin:scheduleOverride" not in json.loads((ROOT / "cdk.json").read_text()).get("context", {})


def test_a_test_deployment_can_make_the_reconciler_run_every_minute(tmp_path: Path) -> None:
    """tests/e2e/test_auto_heal.py sees the rule heal a contract by itself on such a deployment."""
    from local.service import LOCAL_CONTEXT

    app = build_app(
        outdir=str(tmp_path), context={**LOCAL_CONTEXT, "anshin:scheduleOverride": "rate(1 minute)"}
    )
    template = assertions.Template.from_json(app.synth().get_stack_by_name("AnshinService").template)
    rule = _scheduled_rule(template)
    assert rule["ScheduleExpression"] == "rate(1 minute)"
    [target] = rule["Targets"]
    assert target["Arn"]["Fn::GetAtt"][0].startswith("ReconcileContracts")
    assert target["RetryPolicy"]["MaximumRetryAttempts"] == 0


def test_contracts_not_healed_alarm_the_operators(service_template: assertions.Template) -> None:
    service_template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "Namespace": "Anshin",
            "MetricName": "ContractsNotHealed",
            "Dimensions": [{"Name": "service", "Value": "anshin"}],
            "Statistic": "Sum",
            "Threshold": 0,
            "ComparisonOperator": "GreaterThanThreshold",
            "AlarmActions": assertions.Match.any_value(),
        },
    )
