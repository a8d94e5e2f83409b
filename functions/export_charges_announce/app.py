"""The charge file (R12, R13): announce the month's export (``ChargesExported``)."""

from typing import Any

from anshin.runtime.tasks import correlate
from anshin.services import charges
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    correlate(event)
    return charges.announce(event)
