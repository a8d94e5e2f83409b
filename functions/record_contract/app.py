"""Contract notification: record the contract that formed at the send (R6.4, R12)."""

from anshin.runtime.tasks import workflow_task
from anshin.services import contracts

handler = workflow_task(
    "record_contract",
    lambda event: contracts.record_contract(event["applicationId"]),
    metric=lambda result: ("ContractsFormed", {}) if result.get("recorded") else None,
)
