"""Find the caller (staff): contracts by contract id, by mobile account, by the holder's phone
number, or by device id (issue 24: which contract holds a device), one page at a time. The
phone number is normalised (anshin.domain.phones) and looked up by its keyed digest only; it is
never logged, stored in clear in a key, or echoed back."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from anshin.adapters import mac
from anshin.domain.entities import Contract
from anshin.domain.paging import decode_cursor
from anshin.services.contract_views import summary
from anshin.services.requests import ContractSearch
from anshin.store import contracts, lookups

logger = Logger()


def _page(found: list[Contract], next_cursor: str | None) -> dict[str, Any]:
    return {"items": [summary(contract) for contract in found], "nextCursor": next_cursor}


def search(request: ContractSearch) -> dict[str, Any]:
    """ContractSummary items, newest formed first; an unknown id, account or number finds none."""
    if request.contractId is not None:
        if request.cursor is not None:
            decode_cursor(request.cursor, ())  # one contract at most: no cursor is ever given out
        contract = contracts.get(request.contractId)
        logger.info("contract search", extra={"by": "contractId", "found": contract is not None})
        return _page([contract] if contract else [], None)
    if request.mobileContractId is not None:
        found, next_cursor = contracts.page_of_account(
            request.mobileContractId, request.cursor, request.limit
        )
        logger.info("contract search", extra={"by": "mobileContractId", "found": len(found)})
        return _page(found, next_cursor)
    if request.deviceId is not None:
        ids, next_cursor = lookups.contracts_by_device(request.deviceId, request.cursor, request.limit)
        found = [contract for contract in (contracts.get(i) for i in ids) if contract is not None]
        logger.info("contract search", extra={"by": "deviceId", "found": len(found)})
        return _page(found, next_cursor)
    assert request.phone is not None  # the request model requires exactly one
    ids, next_cursor = lookups.contracts_by_phone(mac.phone_mac(request.phone), request.cursor, request.limit)
    found = [contract for contract in (contracts.get(i) for i in ids) if contract is not None]
    logger.info("contract search", extra={"by": "phone", "found": len(found)})  # never the number
    return _page(found, next_cursor)
