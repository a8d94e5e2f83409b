"""What staff see of contracts: the one-line summary (search results, an account's contracts) and
the full view of one contract (``GET /contracts/{contractId}``): its lifecycle, holder's name,
device and the support app's registration, passphrase set or not, location opt-out (R16), and
its account's other contracts against the R4 limit."""

from __future__ import annotations

from typing import Any

from anshin.domain.clock import iso
from anshin.domain.entities import Contract
from anshin.domain.retention import ERASED_AT
from anshin.domain.terms import MAX_CONTRACTS_PER_ACCOUNT
from anshin.services.contract_ends import view
from anshin.store import accounts, contracts, devices


def holder_name(contract: Contract) -> str | None:
    """The holder's name; None once the contract's personal data is erased (docs/retention.md:
    the view then carries ``personalDataErasedAt``)."""
    return contract.holder.name if contract.holder else None


def erased(contract: Contract) -> dict[str, Any]:
    """``personalDataErasedAt``, when the contract's personal data was erased (docs/retention.md)."""
    erased_at = contract.personal_data_erased_at
    return {ERASED_AT: iso(erased_at)} if erased_at else {}


def summary(contract: Contract) -> dict[str, Any]:
    """ContractSummary: who and which device, and where the contract is in its life."""
    device = contract.device
    item = contract.to_item()
    answer: dict[str, Any] = {
        "contractId": contract.contract_id,
        "mobileContractId": contract.mobile_contract_id,
        "status": contract.status.value,
        "formedAt": item["formedAt"],
        "holderName": holder_name(contract),
        "device": {"deviceId": device.device_id, "platform": device.platform, "model": device.model},
    }
    for optional in ("endsAt", "endedAt"):
        if optional in item:
            answer[optional] = item[optional]
    return {**answer, **erased(contract)}


def _device(contract: Contract) -> dict[str, Any]:
    """The protected device as applied for, and whether the support app is registered on it for
    this contract (a device item of another contract, or a revoked one, is not)."""
    answer: dict[str, Any] = {**contract.device.to_item(), "appRegistered": False}
    registered = devices.get(contract.device_id)
    if registered is None or registered.contract_id != contract.contract_id:
        return answer
    answer["appRegistered"] = registered.token_digest is not None and not registered.revoked
    answer["registeredAt"] = iso(registered.registered_at)
    if registered.revoked_at is not None:
        answer["revokedAt"] = iso(registered.revoked_at)
    return answer


def read(contract_id: str) -> dict[str, Any]:
    """ContractView: the lifecycle (as the ends' answers show it) and what staff need on a call;
    never the holder's contact details, the passphrase's hash or the member code's digest.
    ``ContractNotFound``."""
    contract = contracts.require(contract_id)
    mobile_contract_id = contract.mobile_contract_id
    account = accounts.get(mobile_contract_id)
    others = [
        summary(other)
        for other in contracts.listed_of_account(mobile_contract_id)
        if other.contract_id != contract_id
    ]
    return {
        **view(contract),
        "holderName": holder_name(contract),
        **erased(contract),
        "device": _device(contract),
        "passphraseSet": contract.passphrase_hash is not None,
        "locationOptOut": contract.location_opt_out,
        "supportPhoneNumber": contract.support_phone_number,
        "account": {
            "mobileContractId": mobile_contract_id,
            # R4: held slots count approved applications whose contract has not formed yet too.
            "slotsUsed": account.slots_held if account else 0,
            "slotsLimit": MAX_CONTRACTS_PER_ACCOUNT,
            "contracts": others,
        },
    }
