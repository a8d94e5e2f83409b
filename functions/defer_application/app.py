"""Approval workflow (.waitForTaskToken): park a deferred application for staff (R6.2)."""

from anshin import screening
from anshin.handler import workflow_task

handler = workflow_task(
    "defer_application", lambda event: screening.defer(event["applicationId"], event["taskToken"])
)
