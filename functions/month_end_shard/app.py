"""Month-end termination: end one shard's contracts whose end falls in the month (R9, R11), free
their slots (R4) and tell the rest of the system (EventBridge ContractEnded)."""

from typing import Any

from anshin.runtime.tasks import correlate
from anshin.services import contract_ends
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    correlate(event)
    return contract_ends.run_month_end_shard(event, context.get_remaining_time_in_millis)
