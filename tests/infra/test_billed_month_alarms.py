"""R9, R11, R12, R13: the signals of changes that reach into months billing already ran for alarm
the operators: ``ChargesAppendedLate`` (a contract recorded late, or displaced from its account's
first-contract claim, whose recording appended lines to months already billed: export them
again) and ``ChargedPastEnd`` (an end recorded late, before
months already charged: the charges stand), each on the exact dimension set the functions' EMF
records carry (powertools' ``service`` only)."""

from typing import Any

import pytest
from aws_cdk import assertions


def _alarm(template: assertions.Template, metric: str) -> dict[str, Any]:
    found = [
        a["Properties"]
        for a in template.find_resources("AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("MetricName") == metric
    ]
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize("metric", ["ChargesAppendedLate", "ChargedPastEnd"])
def test_the_signal_alarms_the_operators(service_template: assertions.Template, metric: str) -> None:
    service_template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "Namespace": "Anshin",
            "MetricName": metric,
            "Dimensions": [{"Name": "service", "Value": "anshin"}],
            "Statistic": "Sum",
            "Threshold": 0,
            "ComparisonOperator": "GreaterThanThreshold",
            "TreatMissingData": "notBreaching",
            "AlarmActions": assertions.Match.any_value(),
        },
    )
    assert _alarm(service_template, metric)["AlarmActions"]


def test_each_description_says_what_the_operator_does(service_template: assertions.Template) -> None:
    late = _alarm(service_template, "ChargesAppendedLate")["AlarmDescription"]
    assert "make month-end MONTH=<month>" in late and "next version" in late
    past_end = _alarm(service_template, "ChargedPastEnd")["AlarmDescription"]
    assert "R13" in past_end and "carrier" in past_end and "CHARGED_PAST_END" in past_end
