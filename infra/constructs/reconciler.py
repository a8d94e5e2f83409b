"""R6.4: nothing formed is left unrecorded. A contract whose recording failed for good after its
notification went out is flagged (``CONTRACT_NOT_RECORDED``) and listed (``UNRECORDED``); an
EventBridge rule runs the reconciler every five minutes, which records each from its
application's ``formedAt`` with the workflow's own transaction (anshin.services.contracts).

One it cannot record is set aside and counted in ``ContractsNotHealed``, which the operations
construct alarms on; the function's errors and throttles are alarmed like every function's. A
failed invocation needs no dead-letter queue: the next firing, five minutes later, is its retry.

A test deployment with ``anshin:scheduleOverride`` (never in AWS) runs it on that expression
instead, as it does the month jobs: tests/e2e/test_auto_heal.py sees the rule heal by itself.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets

from infra.constructs.parts import Parts

#: How often the reconciler runs in AWS.
EVERY = Duration.minutes(5)


class Reconciler:
    def __init__(self, parts: Parts) -> None:
        stack, functions, _, _ = parts.unpack()
        override = functions.settings.schedule_override
        self.function = functions.of_contracts(
            "reconcile_contracts",
            "Records formed contracts whose recording failed for good (R6.4)",
            timeout=Duration.minutes(5),
            appends_charges=True,  # a contract recorded late owes months that are over (R12)
        )
        self.rule = events.Rule(
            stack,
            "ReconcileContractsSchedule",
            description="Record formed contracts whose recording failed for good (R6.4)",
            schedule=events.Schedule.expression(override) if override else events.Schedule.rate(EVERY),
            targets=[targets.LambdaFunction(self.function, retry_attempts=0)],
        )
