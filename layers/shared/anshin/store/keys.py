"""Contracts are spread over a fixed number of shards so that month-end jobs read only the
contracts that concern them, in independent pieces that run at once (see anshin.billing)."""

from __future__ import annotations

import hashlib

#: The number of shards. Changing it re-keys the job indexes: it is part of the data layout.
SHARDS = 16


def shard_of(contract_id: str) -> int:
    return int(hashlib.sha256(contract_id.encode()).hexdigest()[:8], 16) % SHARDS


def live_key(contract_id: str) -> dict[str, str]:
    """gsi4: every contract that has not ended, by shard (billing reads it)."""
    return {"gsi4pk": f"LIVE#{shard_of(contract_id):02d}", "gsi4sk": contract_id}


def ends_key(month: str, contract_id: str) -> dict[str, str]:
    """gsi3: a contract whose end is scheduled within ``month`` (month-end termination reads it)."""
    return {"gsi3pk": f"ENDS#{month}#{shard_of(contract_id):02d}", "gsi3sk": contract_id}


def ended_key(month: str, contract_id: str) -> dict[str, str]:
    """gsi3: a contract that ended within ``month`` (billing reads the months it closes)."""
    return {"gsi3pk": f"ENDED#{month}#{shard_of(contract_id):02d}", "gsi3sk": contract_id}
