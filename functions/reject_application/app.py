"""Approval workflow: staff refused a deferred application (R6.2, R6.3(5))."""

from anshin.runtime.tasks import workflow_task
from anshin.services import screening

handler = workflow_task(
    "reject_application",
    lambda event: screening.staff_reject(event["applicationId"], event["reason"]),
    metric=lambda result: ("ApplicationsScreened", {"Outcome": "REJECTED", "Reason": "STAFF_DECISION"}),
)
