"""The member confirmation code's keyed digest (R6.4, R16): HMAC-SHA-256 under a KMS key that
never leaves KMS (``CODE_MAC_KEY_ID``). Stored and looked up instead of the code: an unkeyed
digest of an 8-digit number is reversed by trying all 10^8 of them."""

from __future__ import annotations

from anshin.adapters import aws
from anshin.settings import settings


def code_mac(member_confirmation_code: str) -> str:
    answer = aws.client("kms").generate_mac(
        KeyId=settings.code_mac_key_id,
        MacAlgorithm="HMAC_SHA_256",
        Message=member_confirmation_code.encode(),
    )
    return bytes(answer["Mac"]).hex()


def phone_mac(normalised_phone: str) -> str:
    """The keyed digest of a phone number in E.164 (anshin.domain.phones), under the same key, in
    a domain of its own (``phone:``) so it never equals a member code's."""
    answer = aws.client("kms").generate_mac(
        KeyId=settings.code_mac_key_id,
        MacAlgorithm="HMAC_SHA_256",
        Message=f"phone:{normalised_phone}".encode(),
    )
    return bytes(answer["Mac"]).hex()


#: Member codes are 8 digits (R6.4).
CODE_SPACE = 10**8


def member_code(issued_for: str, draw: int) -> str:
    """The member confirmation code of ``issued_for`` (an application, or a reissue) at its
    ``draw``-th draw: the keyed digest of ``member-code:<issued_for>:<draw>`` under the same KMS
    key, as 8 digits. Derived again whenever it is needed (the notification) instead of being
    stored: no code lies in clear in any table, even for the seconds before the contract is
    recorded (issue 24). The 256-bit digest taken modulo 10^8 is uniform to within 10^-69, and
    its message's ``member-code:`` prefix keeps it apart from the digests of codes and phones."""
    answer = aws.client("kms").generate_mac(
        KeyId=settings.code_mac_key_id,
        MacAlgorithm="HMAC_SHA_256",
        Message=f"member-code:{issued_for}:{draw}".encode(),
    )
    return f"{int.from_bytes(bytes(answer['Mac']), 'big') % CODE_SPACE:08d}"
