"""Refusals the domain modules share, which every API answers alike (anshin.http maps them to
``404 CONTRACT_NOT_FOUND`` and ``409 CONTRACT_ENDED``)."""


class ContractNotFound(LookupError):
    """No contract has this id."""


class ContractEnded(Exception):
    """The contract is not active (it has ended): nothing about it can change any more."""
