"""Contract notification: record the contract that formed at the send (R6.4, R12)."""

from anshin import contracts
from anshin.handler import workflow_task

handler = workflow_task(
    "record_contract",
    lambda event: contracts.record_contract(event["applicationId"]),
    metric=lambda result: ("ContractsFormed", {}) if result.get("recorded") else None,
)
