"""Business metrics as CloudWatch embedded metric format (powertools), namespace ``Anshin``
(``POWERTOOLS_METRICS_NAMESPACE``): applications by outcome and reason, contracts formed and
ended, commands by action and final status, invoice lines and yen billed. Each call emits one
EMF record on its own, so a handler needs no flushing decorator."""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit, single_metric


def count(
    name: str, value: float = 1, unit: MetricUnit = MetricUnit.Count, dimensions: dict[str, str] | None = None
) -> None:
    with single_metric(name=name, unit=unit, value=value) as metric:
        for dimension, dimension_value in (dimensions or {}).items():
            metric.add_dimension(name=dimension, value=dimension_value)
