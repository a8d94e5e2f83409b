"""The charge file (R12, R13): assemble the parts into the month's file and make it a version."""

from typing import Any

from anshin.runtime.tasks import correlate
from anshin.services import charges
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    correlate(event)
    export = charges.assemble(event)
    logger.info("charge file exported", extra={k: export[k] for k in ("month", "version", "status", "key")})
    return export
