"""Refusals the domain modules share, which every API answers alike (anshin.http maps them to
``404 CONTRACT_NOT_FOUND`` and ``409 CONTRACT_ENDED``)."""


class ContractNotFound(LookupError):
    """No contract has this id."""


class ContractEnded(Exception):
    """The contract is not active (it has ended): nothing about it can change any more."""


class InvariantViolation(ValueError):
    """A write would leave a contract inconsistent (anshin.contract_rules), or a stored one is:
    an API answers ``409`` with the code; a month job sets the record aside (quarantine)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
