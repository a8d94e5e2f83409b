"""REST API of contracts (staff): read one, the subscriber's cancellation (R9), the company's
termination (R10), the holder that never changes (R8), and an account's invoice (R12, R13)."""

from datetime import datetime, timedelta
from typing import Annotated, Any

from anshin.domain import clock
from anshin.domain.terms import BillingMonth
from anshin.runtime import staff
from anshin.runtime.http import STAFF_ONLY, ApiError, body_refusal, install_error_handlers
from anshin.services import billing, lifecycle
from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

logger = Logger()
app = APIGatewayRestResolver(enable_validation=True)
install_error_handlers(app)

ContractId = Annotated[str, Path(pattern=r"^ctr-[a-f0-9]{1,64}$")]
#: How far ahead of the server's clock a notice's stated arrival may be (clock skew).
CLOCK_SKEW = timedelta(minutes=5)


def _staff() -> str:
    return staff.staff_id(app.current_event.raw_event)


@app.get("/contracts/<contractId>", security=STAFF_ONLY)
def read(contractId: ContractId) -> dict[str, Any]:
    _staff()
    contract = lifecycle.get(contractId)
    if contract is None:
        raise ApiError(404, "CONTRACT_NOT_FOUND", "No such contract.")
    return lifecycle.view(contract)


def _this_century(at: datetime) -> datetime:
    # Far-off dates are typos, and the extremes would overflow on conversion to Japan time.
    if not 2000 <= at.year <= 2099:
        raise ValueError("must be a date in 2000-2099")
    return at


class CancellationNotice(BaseModel):
    model_config = ConfigDict(extra="forbid")
    #: When the subscriber's notice arrived (defaults to now). Japan time decides its month (R9).
    receivedAt: Annotated[AwareDatetime, AfterValidator(_this_century)] | None = None


@app.post("/contracts/<contractId>/cancellation", security=STAFF_ONLY)
def cancel(contractId: ContractId, body: Annotated[CancellationNotice, Body()]) -> dict[str, Any]:
    who = _staff()
    now = clock.now()
    received_at: datetime = body.receivedAt or now
    if received_at > now + CLOCK_SKEW:
        raise ApiError(400, "NOTICE_IN_THE_FUTURE", "A notice cannot arrive in the future.")
    answer = lifecycle.cancel(contractId, received_at, now)
    logger.info(
        "cancellation noticed", extra={"contractId": contractId, "staff": who, "endsAt": answer.get("endsAt")}
    )
    return answer


class Termination(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Annotated[str, Field(min_length=1, max_length=500)]


@app.post("/contracts/<contractId>/termination", security=STAFF_ONLY)
def terminate(contractId: ContractId, body: Annotated[Termination, Body()]) -> dict[str, Any]:
    who = _staff()
    answer = lifecycle.terminate(contractId, clock.now(), body.reason, who)
    logger.info("contract terminated by the company", extra={"contractId": contractId, "staff": who})
    return answer


def _non_transferable() -> None:
    raise ApiError(409, "NON_TRANSFERABLE", "A contract's holder never changes (R8).")


@app.put("/contracts/<contractId>/holder", security=STAFF_ONLY)
def change_holder(contractId: ContractId) -> dict[str, Any]:
    _staff()
    _non_transferable()
    return {}


@app.patch("/contracts/<contractId>", security=STAFF_ONLY)
def patch_contract(contractId: ContractId) -> dict[str, Any]:
    _staff()
    body = app.current_event.json_body if app.current_event.body else {}  # JSON: body_refusal
    if isinstance(body, dict) and ("holder" in body or "subscriber" in body):
        _non_transferable()
    raise ApiError(400, "NOT_MODIFIABLE", "Contracts change only through cancellation or termination.")


@app.get("/accounts/<mobileContractId>/invoices/<month>", security=STAFF_ONLY)
def read_invoice(
    mobileContractId: Annotated[str, Path(pattern=r"^[A-Za-z0-9-]{1,64}$")],
    month: Annotated[str, Path(pattern=r"^20\d{2}-(0[1-9]|1[0-2])$")],
) -> dict[str, Any]:
    _staff()
    invoice = billing.invoice_of(mobileContractId, BillingMonth.parse(month))
    if invoice is None:
        raise ApiError(404, "INVOICE_NOT_FOUND", "Nothing was charged to this account for that month.")
    return invoice


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if refused := staff.refusal(event) or body_refusal(event):
        return refused
    return app.resolve(event, context)
