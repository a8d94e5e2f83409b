"""Both workflows' Catch: no contract forms; the application ends NOTIFICATION_FAILED and a
held slot is released (R6.4). After the send, the contract formed: it is flagged
CONTRACT_NOT_RECORDED instead, for the reconciler (functions/reconcile_contracts)."""

import json
from typing import Any

from anshin.runtime.tasks import workflow_task
from anshin.services import screening


def _error(event: dict[str, Any]) -> str:
    error = event.get("error") or {}
    return str(error.get("Error", "Unknown")) if isinstance(error, dict) else json.dumps(error)[:200]


handler = workflow_task(
    "record_failure",
    lambda event: screening.record_failure(event["applicationId"], _error(event)),
    metric=lambda result: ("ApplicationsFailed", {}),
)
