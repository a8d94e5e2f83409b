"""Approval workflow: screen an application under R6.3 (refusals are recorded) and R6.2."""

from anshin.runtime.tasks import workflow_task
from anshin.services import screening

handler = workflow_task(
    "screen_application",
    lambda event: screening.screen(event["applicationId"]),
    metric=lambda result: (
        "ApplicationsScreened",
        {"Outcome": str(result["outcome"]), "Reason": str(result.get("reason") or "NONE")},
    ),
)
