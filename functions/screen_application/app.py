"""Approval workflow: screen an application under R6.3 (refusals are recorded) and R6.2."""

from anshin import screening
from anshin.handler import workflow_task

handler = workflow_task(
    "screen_application",
    lambda event: screening.screen(event["applicationId"]),
    metric=lambda result: (
        "ApplicationsScreened",
        {"Outcome": str(result["outcome"]), "Reason": str(result.get("reason") or "NONE")},
    ),
)
