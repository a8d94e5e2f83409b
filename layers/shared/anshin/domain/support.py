"""Support-centre rules (R7, R14, Appendix): when staff answer, and which requests they refuse."""

from __future__ import annotations

from datetime import datetime, time
from enum import StrEnum

from anshin.domain.terms import JST

#: R7: the support centre answers from 09:00 to 21:00 Japan time.
OPENS = time(9, 0)
CLOSES = time(21, 0)


class Channel(StrEnum):
    PHONE = "PHONE"
    REMOTE = "REMOTE"


#: R14: requests the service refuses, each with its reason code.
EXCLUDED_CATEGORIES = frozenset(
    {
        "CARD_OR_BANK_ENTRY",
        "RIGHTS_INFRINGEMENT",
        "UNLAWFUL_REQUEST",
        "THIRD_PARTY_CONSENT_MISSING",
        "NO_COOPERATION",
    }
)
#: What support sessions are about (the scope of 本サービス).
SUPPORTED_CATEGORIES = frozenset(
    {"SETTINGS", "APP_USAGE", "TROUBLESHOOTING", "BACKUP", "LOCK_OR_WIPE", "OTHER"}
)


def within_support_hours(at: datetime) -> bool:
    """R7: 09:00 (inclusive) to 21:00 (exclusive), Japan time."""
    if at.tzinfo is None:
        raise ValueError("naive datetime")
    local = at.astimezone(JST).time()
    return OPENS <= local < CLOSES


def refusal(at: datetime, channel: Channel, category: str, platform: str) -> str | None:
    """Why a support session must be refused, or None: R7, then the Appendix's scope, then R14."""
    if not within_support_hours(at):
        return "OUTSIDE_SUPPORT_HOURS"
    if channel is Channel.REMOTE and platform != "android":
        return "UNSUPPORTED_DEVICE"  # Appendix: remote-control support is Android only
    if category in EXCLUDED_CATEGORIES:
        return category  # R14: the category is the reason code
    return None
