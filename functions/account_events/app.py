"""Mobile-account changes from the upstream system (EventBridge): mirror them, then R11."""

from typing import Any

from anshin import lifecycle
from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()
tracer = Tracer()


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@event_parser(model=EventBridgeModel)
def handler(event: EventBridgeModel, context: LambdaContext) -> dict[str, Any]:
    result = lifecycle.apply_account_event(event.detail_type, event.detail, event.time)
    logger.info(
        "account event applied",
        extra={
            "detailType": event.detail_type,
            "accountLost": result["accountLost"],
            "contractsEnding": len(result["contractsEnding"]),
        },
    )
    return result
