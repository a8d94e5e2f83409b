"""Mobile-account changes from the upstream system (EventBridge): mirror them, then R11."""

from typing import Any

from anshin.domain.clock import parse_iso
from anshin.services import contract_ends
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()


@logger.inject_lambda_context(clear_state=True)
@event_parser(model=EventBridgeModel)
def handler(event: EventBridgeModel, context: LambdaContext) -> dict[str, Any]:
    # R11 counts from the day the account ended or lost its lines: the upstream system says when
    # in the detail (occurredAt); the envelope's time is when the event was sent.
    detail: dict[str, Any] = event.detail if isinstance(event.detail, dict) else {}
    occurred = detail.get("occurredAt")
    event_at = parse_iso(str(occurred)) if occurred else event.time
    result = contract_ends.apply_account_event(event.detail_type, detail, event_at)
    logger.info(
        "account event applied",
        extra={
            "detailType": event.detail_type,
            "accountLost": result["accountLost"],
            "contractsEnding": len(result["contractsEnding"]),
        },
    )
    return result
