"""R6.4: the reconciler of formed contracts whose recording failed for good runs every five
minutes on an EventBridge rule, and its set-aside records raise an alarm to the operations topic."""

from typing import Any

from aws_cdk import assertions


def _resources(template: assertions.Template, kind: str) -> dict[str, Any]:
    return dict(template.find_resources(kind))


def test_the_reconciler_runs_every_five_minutes(service_template: assertions.Template) -> None:
    functions = {
        logical: r
        for logical, r in _resources(service_template, "AWS::Lambda::Function").items()
        if logical.startswith("ReconcileContracts")
    }
    [(logical, function)] = functions.items()
    assert function["Properties"]["Timeout"] == 300
    rules = [
        r["Properties"]
        for r in _resources(service_template, "AWS::Events::Rule").values()
        if r["Properties"].get("ScheduleExpression")
    ]
    [rule] = rules
    assert rule["ScheduleExpression"] == "rate(5 minutes)"
    [target] = rule["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [logical, "Arn"]}
    assert target["RetryPolicy"]["MaximumRetryAttempts"] == 0  # the next firing is the retry


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
