"""Approval workflow (.waitForTaskToken): park a deferred application for staff (R6.2)."""

from anshin.runtime.tasks import workflow_task
from anshin.services import screening

handler = workflow_task(
    "defer_application", lambda event: screening.defer(event["applicationId"], event["taskToken"])
)
