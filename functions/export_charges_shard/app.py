"""The charge file (R12, R13): write one account shard's records of the month as CSV parts."""

from typing import Any

from anshin.runtime.tasks import correlate
from anshin.services import charges
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    correlate(event)
    result = charges.export_shard(event, context.get_remaining_time_in_millis)
    logger.info(
        "charge export shard page done",
        extra={"shard": event["shard"], "month": event["month"], "more": result["cursor"] is not None},
    )
    return result
