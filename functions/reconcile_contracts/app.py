"""Scheduled (every 5 minutes): record each formed contract whose recording failed for good, from
its application's formedAt, and clear its flag (R6.4, R12); one it cannot record is set aside."""

from anshin.runtime.tasks import workflow_task
from anshin.services import contracts

handler = workflow_task("reconcile_contracts", lambda event: contracts.reconcile_unrecorded())
