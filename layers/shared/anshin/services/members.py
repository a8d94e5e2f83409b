"""The subscriber's own page (issue 23): what a signed-in member, holder of a mobile account, sees
and changes of that account: its contracts, its invoices with the R12 reason a contract is not on
one, the support centre's number and hours (R7), the notice of cancellation (R9) and the location
opt-out (Art. 16.4).

Every answer is about the member's own account (the verified claim, anshin.runtime.members): a
contract of another account is ``ContractNotFound``, exactly as one that does not exist.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Annotated, Any

from aws_lambda_powertools import Logger
from pydantic import BaseModel, ConfigDict, StrictBool, StringConstraints

from anshin.domain import billing_rules, clock, contract_rules
from anshin.domain.clock import iso
from anshin.domain.entities import Contract
from anshin.domain.errors import ContractEnded, ContractNotFound
from anshin.domain.members import Member
from anshin.domain.support import CLOSES, OPENS
from anshin.domain.terms import BillingMonth
from anshin.services import billing, cancellations, contract_ends
from anshin.settings import settings
from anshin.store import audit, contracts

logger = Logger()


class MyCancellation(BaseModel):
    """R9 from my page: the end the member was shown (the preview's ``endsAt``)."""

    model_config = ConfigDict(extra="forbid")
    endsAt: Annotated[str, StringConstraints(min_length=1, max_length=40)]


class MyContractChange(BaseModel):
    """Art. 16.4: the location opt-out of one contract."""

    model_config = ConfigDict(extra="forbid")
    locationOptOut: StrictBool


def _mine(member: Member, contract_id: str) -> Contract:
    """The member's own contract, or ``ContractNotFound`` (another account's, or none)."""
    contract = contracts.get(contract_id)
    if contract is None or not member.holds(contract.mobile_contract_id):
        raise ContractNotFound(contract_id)
    return contract


def contract_view(contract: Contract) -> dict[str, Any]:
    """One contract as the holder sees it: where it is in its life, the device, the R12 months."""
    item = contract.to_item()
    shown = ("contractId", "status", "device", "formedAt", "firstBillableMonth", "firstUnderAccount")
    optional = ("locationOptOut", "endsAt", "endedAt", "endReason")
    return {name: item[name] for name in (*shown, *optional) if name in item}


def account(member: Member) -> dict[str, Any]:
    """``GET /me``: the account, the support centre (R7) and every contract, newest first."""
    found = sorted(contracts.of_account(member.mobile_contract_id), key=lambda c: c.formed_at, reverse=True)
    return {
        "mobileContractId": member.mobile_contract_id,
        "support": {
            "phoneNumber": settings.support_phone_number,
            "hours": {
                "opens": OPENS.strftime("%H:%M"),
                "closes": CLOSES.strftime("%H:%M"),
                "timeZone": "Asia/Tokyo",
            },
        },
        "contracts": [contract_view(c) for c in found],
    }


def _explained(invoice: dict[str, Any], of_account: list[Contract]) -> dict[str, Any]:
    """The invoice with ``notCharged``: each contract of the account not on it, and why (R12)."""
    month = BillingMonth.parse(str(invoice["month"]))
    on_it = {str(line["contractId"]) for line in invoice["lines"]}
    reasons = [billing_rules.why_not_charged(c, month, c.contract_id in on_it) for c in of_account]
    return {**invoice, "notCharged": [r for r in reasons if r is not None]}


def invoices(member: Member, cursor: str | None, limit: int) -> dict[str, Any]:
    """``GET /me/invoices``: the account's invoices, newest month first, each explained."""
    page = billing.invoice_history(member.mobile_contract_id, cursor, limit)
    of_account = contracts.of_account(member.mobile_contract_id)
    return {**page, "items": [_explained(item, of_account) for item in page["items"]]}


def invoice(member: Member, month: str) -> dict[str, Any]:
    """``GET /me/invoices/{month}``: one month's invoice, explained; ``InvoiceNotFound``."""
    found = billing.require_invoice(member.mobile_contract_id, month)
    return _explained(found, contracts.of_account(member.mobile_contract_id))


def preview_cancellation(member: Member, contract_id: str) -> dict[str, Any]:
    """R9 as a notice received now would apply it to the member's contract; writes nothing."""
    _mine(member, contract_id)
    return contract_ends.preview_notice(contract_id)


def cancel(member: Member, contract_id: str, notice: MyCancellation) -> dict[str, Any]:
    """R9: the member's notice, recorded only if it gives the end they were shown."""
    _mine(member, contract_id)
    return cancellations.cancel_from_my_page(contract_id, member.id, notice.endsAt, clock.now())


def change(
    member: Member, contract_id: str, body: MyContractChange, now: datetime | None = None
) -> dict[str, Any]:
    """Art. 16.4: the member opts a contract out of location data (or back in), at once, audited
    on its timeline (``CONTRACT`` ``LOCATION_OPT_OUT_CHANGED``) in the same transaction. The same
    value again changes and audits nothing; an ended contract is ``ContractEnded``."""
    contract = _mine(member, contract_id)
    at = now or clock.now()
    if contract_rules.has_ended(contract, at):  # recorded, or its end has passed (issue 24)
        raise ContractEnded(contract_id)
    entry = audit.put(
        contract_id,
        "CONTRACT",
        at,
        "LOCATION_OPT_OUT_CHANGED",
        locationOptOut=body.locationOptOut,
        by="SUBSCRIBER",
        channel="MY_PAGE",
        memberId=member.id,
    )
    if not contracts.set_location_opt_out(contract_id, body.locationOptOut, [entry]):
        # Nothing written: it has that value already, or it ended meanwhile (ContractEnded).
        return contract_view(contracts.require_live(contract_id, at))
    logger.info(
        "location opt-out changed",
        extra={"contractId": contract_id, "locationOptOut": body.locationOptOut, "at": iso(at)},
    )
    return contract_view(replace(contract, location_opt_out=body.locationOptOut))
