"""REST API of contracts (staff): find them, read one, the subscriber's cancellation (R9) and its
preview, the company's termination (R10), the holder that never changes (R8), and an account's
invoices (R12, R13)."""

from typing import Annotated, Any

from anshin.domain.errors import NonTransferable
from anshin.runtime import staff
from anshin.runtime.http import STAFF_ONLY, entry, rest_api
from anshin.services import billing, contract_ends, contract_views, search
from anshin.services.contract_ends import CancellationNotice, Termination
from anshin.services.requests import ContractSearch
from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

logger = Logger()
app = rest_api()

ContractId = Annotated[str, Path(pattern=r"^ctr-[a-f0-9]{1,64}$")]
MobileContractId = Annotated[str, Path(pattern=r"^[A-Za-z0-9-]{1,64}$")]
Limit = Annotated[int, Query(ge=1, le=50)]
Cursor = Annotated[str | None, Query(min_length=1, max_length=2048)]


@app.post("/contract-searches", security=STAFF_ONLY)
def find(body: Annotated[ContractSearch, Body()]) -> dict[str, Any]:
    staff.caller(app)
    return search.search(body)


@app.get("/contracts/<contractId>", security=STAFF_ONLY)
def read(contractId: ContractId) -> dict[str, Any]:
    staff.caller(app)
    return contract_views.read(contractId)


@app.get("/contracts/<contractId>/cancellation/preview", security=STAFF_ONLY)
def preview_cancellation(contractId: ContractId) -> dict[str, Any]:
    staff.caller(app)
    return contract_ends.preview_notice(contractId)


@app.post("/contracts/<contractId>/cancellation", security=STAFF_ONLY)
def cancel(contractId: ContractId, body: Annotated[CancellationNotice, Body()]) -> dict[str, Any]:
    return contract_ends.receive_notice(contractId, body, staff.caller(app))


@app.post("/contracts/<contractId>/termination", security=STAFF_ONLY)
def terminate(contractId: ContractId, body: Annotated[Termination, Body()]) -> dict[str, Any]:
    return contract_ends.terminate_now(contractId, body, staff.caller(app))


@app.put("/contracts/<contractId>/holder", security=STAFF_ONLY)
def change_holder(contractId: ContractId) -> dict[str, Any]:
    staff.caller(app)
    raise NonTransferable()


@app.patch("/contracts/<contractId>", security=STAFF_ONLY)
def patch_contract(contractId: ContractId) -> dict[str, Any]:
    staff.caller(app)
    body = app.current_event.json_body if app.current_event.body else {}  # JSON: body_refusal
    contract_ends.refuse_change(body)


@app.get("/accounts/<mobileContractId>/invoices", security=STAFF_ONLY)
def list_invoices(
    mobileContractId: MobileContractId, limit: Limit = 20, cursor: Cursor = None
) -> dict[str, Any]:
    staff.caller(app)
    return billing.invoice_history(mobileContractId, cursor, limit)


@app.get("/accounts/<mobileContractId>/invoices/<month>", security=STAFF_ONLY)
def read_invoice(
    mobileContractId: MobileContractId,
    month: Annotated[str, Path(pattern=r"^20\d{2}-(0[1-9]|1[0-2])$")],
) -> dict[str, Any]:
    staff.caller(app)
    return billing.require_invoice(mobileContractId, month)


@app.get("/accounts/<mobileContractId>/invoices/<month>/preview", security=STAFF_ONLY)
def preview_invoice(
    mobileContractId: MobileContractId,
    month: Annotated[str, Path(pattern=r"^20\d{2}-(0[1-9]|1[0-2])$")],
) -> dict[str, Any]:
    staff.caller(app)
    return billing.preview(mobileContractId, month)


handler = entry(app, logger, staff.refusal)
