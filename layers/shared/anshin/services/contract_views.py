"""What staff see of contracts: the one-line summary (search results, an account's contracts) and
the full view of one contract (``GET /contracts/{contractId}``): its lifecycle, holder's name,
device and the support app's registration, passphrase set or not, location opt-out (R16), and
its account's other contracts against the R4 limit."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from anshin.domain.entities import Contract
from anshin.domain.retention import ERASED_AT
from anshin.domain.terms import MAX_CONTRACTS_PER_ACCOUNT
from anshin.services.contract_ends import view
from anshin.store import accounts, contracts, devices


def holder_name(contract: Contract) -> str | None:
    """The holder's name; None once the contract's personal data is erased (docs/retention.md:
    the view then carries ``personalDataErasedAt``)."""
    holder = contract.get("holder")
    return str(holder["name"]) if holder else None


def erased(contract: Contract) -> dict[str, Any]:
    """``personalDataErasedAt``, when the contract's personal data was erased (docs/retention.md)."""
    fields: Mapping[str, Any] = contract
    return {ERASED_AT: fields[ERASED_AT]} if ERASED_AT in fields else {}


def summary(contract: Contract) -> dict[str, Any]:
    """ContractSummary: who and which device, and where the contract is in its life."""
    device = contract["device"]
    answer: dict[str, Any] = {
        "contractId": contract["contractId"],
        "mobileContractId": contract["mobileContractId"],
        "status": contract["status"],
        "formedAt": contract["formedAt"],
        "holderName": holder_name(contract),
        "device": {"deviceId": device["deviceId"], "platform": device["platform"], "model": device["model"]},
    }
    for optional in ("endsAt", "endedAt"):
        if optional in contract:
            answer[optional] = contract[optional]
    return {**answer, **erased(contract)}


def _device(contract: Contract) -> dict[str, Any]:
    """The protected device as applied for, and whether the support app is registered on it for
    this contract (a device item of another contract, or a revoked one, is not)."""
    spec = contract["device"]
    answer: dict[str, Any] = {
        "deviceId": spec["deviceId"],
        "platform": spec["platform"],
        "kind": spec["kind"],
        "model": spec["model"],
        "appRegistered": False,
    }
    registered = devices.get(spec["deviceId"])
    if registered is None or registered["contractId"] != contract["contractId"]:
        return answer
    answer["appRegistered"] = "tokenDigest" in registered and "revokedAt" not in registered
    answer["registeredAt"] = registered["registeredAt"]
    if "revokedAt" in registered:
        answer["revokedAt"] = registered["revokedAt"]
    return answer


def read(contract_id: str) -> dict[str, Any]:
    """ContractView: the lifecycle (as the ends' answers show it) and what staff need on a call;
    never the holder's contact details, the passphrase's hash or the member code's digest.
    ``ContractNotFound``."""
    contract = contracts.require(contract_id)
    mobile_contract_id = contract["mobileContractId"]
    account = accounts.get(mobile_contract_id)
    others = [
        summary(other)
        for other in contracts.listed_of_account(mobile_contract_id)
        if other["contractId"] != contract_id
    ]
    return {
        **view(contract),
        "holderName": holder_name(contract),
        **erased(contract),
        "device": _device(contract),
        "passphraseSet": "passphraseHash" in contract,
        "locationOptOut": bool(contract["locationOptOut"]),
        "supportPhoneNumber": contract["supportPhoneNumber"],
        "account": {
            "mobileContractId": mobile_contract_id,
            # R4: held slots count approved applications whose contract has not formed yet too.
            "slotsUsed": account.slots_held if account else 0,
            "slotsLimit": MAX_CONTRACTS_PER_ACCOUNT,
            "contracts": others,
        },
    }
