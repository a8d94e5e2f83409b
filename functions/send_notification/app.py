"""Contract notification: send it; its success is the instant the contract forms (R6.4)."""

from typing import Any

from anshin.runtime.tasks import workflow_task
from anshin.services import contracts
from anshin.settings import settings
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)

persistence = DynamoDBPersistenceLayer(table_name=settings.idempotency_table)
config = IdempotencyConfig(expires_after_seconds=24 * 3600)


@idempotent_function(data_keyword_argument="application_id", persistence_store=persistence, config=config)  # type: ignore[untyped-decorator]
def send_once(application_id: str, correlation_id: str | None = None) -> dict[str, Any]:
    return contracts.send_notification(application_id, correlation_id)


handler = workflow_task(
    "send_notification",
    lambda event: send_once(application_id=event["applicationId"], correlation_id=event.get("correlationId")),
)
