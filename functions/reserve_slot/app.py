"""Approval workflow: hold one of the account's slots (R4), in receive order (R6.1)."""

from anshin.runtime.tasks import workflow_task
from anshin.services import screening

handler = workflow_task("reserve_slot", lambda event: screening.reserve_slot(event["applicationId"]))
