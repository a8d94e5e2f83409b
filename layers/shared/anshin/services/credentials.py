"""The subscriber's passphrase (合言葉) as a salted, slow hash (R16): Argon2id, never stored or
logged in clear. Kept out of anshin.domain, which stays free of the hashing library."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


def hash_passphrase(passphrase: str) -> str:
    return _hasher.hash(passphrase)


def passphrase_matches(passphrase_hash: str, passphrase: str) -> bool:
    try:
        return bool(_hasher.verify(passphrase_hash, passphrase))
    except (VerificationError, InvalidHashError):
        return False
