"""REST API of the subscriber's own page (issue 23): the signed-in member, holder of a mobile
account, reads the account's contracts and invoices, gives notice (R9) and changes the location
opt-out (Art. 16.4). Every route is the member's; anyone else is refused before anything is
parsed (anshin.runtime.members)."""

from typing import Annotated, Any

from anshin.runtime import members
from anshin.runtime.http import MEMBER_ONLY, entry, rest_api
from anshin.services import members as my_page
from anshin.services.members import MyCancellation, MyContractChange
from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

logger = Logger()
app = rest_api()

ContractId = Annotated[str, Path(pattern=r"^ctr-[a-f0-9]{1,64}$")]
Month = Annotated[str, Path(pattern=r"^20\d{2}-(0[1-9]|1[0-2])$")]


@app.get("/me", security=MEMBER_ONLY)
def me() -> dict[str, Any]:
    return my_page.account(members.caller(app))


@app.get("/me/invoices", security=MEMBER_ONLY)
def invoices(
    limit: Annotated[int, Query(ge=1, le=24)] = 12,
    cursor: Annotated[str | None, Query(min_length=1, max_length=2048)] = None,
) -> dict[str, Any]:
    return my_page.invoices(members.caller(app), cursor, limit)


@app.get("/me/invoices/<month>", security=MEMBER_ONLY)
def invoice(month: Month) -> dict[str, Any]:
    return my_page.invoice(members.caller(app), month)


@app.get("/me/contracts/<contractId>/cancellation/preview", security=MEMBER_ONLY)
def preview_cancellation(contractId: ContractId) -> dict[str, Any]:
    return my_page.preview_cancellation(members.caller(app), contractId)


@app.post("/me/contracts/<contractId>/cancellation", security=MEMBER_ONLY)
def cancel(contractId: ContractId, body: Annotated[MyCancellation, Body()]) -> dict[str, Any]:
    return my_page.cancel(members.caller(app), contractId, body)


@app.patch("/me/contracts/<contractId>", security=MEMBER_ONLY)
def change(contractId: ContractId, body: Annotated[MyContractChange, Body()]) -> dict[str, Any]:
    return my_page.change(members.caller(app), contractId, body)


handler = entry(app, logger, members.refusal)
