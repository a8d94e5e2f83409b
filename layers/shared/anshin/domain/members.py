"""A signed-in member of the mobile service (issue 23): who applies, and whose account's
contracts, invoices and settings they may see and change (Art. 5: the holder of the account)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Member:
    """A signed-in member: their token's subject and the mobile account they hold (the verified
    claim, never a request's body)."""

    id: str
    mobile_contract_id: str

    def holds(self, mobile_contract_id: str) -> bool:
        """Whether ``mobile_contract_id`` is the member's own account."""
        return mobile_contract_id == self.mobile_contract_id
