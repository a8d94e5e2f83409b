"""Applications for a support contract (R6): the request, the staff's decision, the statuses and
what the applicant may see of one. Pure: no storage."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints

from anshin.domain.entities import Application

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class ApplicationStatus(StrEnum):
    RECEIVED = "RECEIVED"
    SCREENING = "SCREENING"
    DEFERRED = "DEFERRED"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    CONTRACTED = "CONTRACTED"
    NOTIFICATION_FAILED = "NOTIFICATION_FAILED"


#: Statuses an application never leaves.
FINAL_STATUSES = frozenset(
    {ApplicationStatus.REJECTED, ApplicationStatus.CONTRACTED, ApplicationStatus.NOTIFICATION_FAILED}
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Applicant(_Strict):
    name: Text
    email: Annotated[str, StringConstraints(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
    phone: Annotated[str, StringConstraints(pattern=r"^\+?[0-9]{10,15}$")]


class Device(_Strict):
    # R16: the device identifier is always required.
    deviceId: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._:-]{1,128}$")]
    platform: Literal["android", "ios"]
    kind: Literal["smartphone", "tablet"]
    model: Text


class Consent(_Strict):
    termsVersion: Text
    locationOptOut: bool


class ApplicationRequest(_Strict):
    mobileContractId: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9-]{1,64}$")]
    applicant: Applicant
    device: Device
    consent: Consent


StaffDecision = Literal["APPROVE", "REJECT"]


class DecisionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: StaffDecision
    reason: Literal["OTHER"] | None = None  # R6.3(5): staff refuse for other business reasons


def public_view(item: Application) -> dict[str, Any]:
    """What the applicant may see of an application (no personal data echoed back)."""
    view = {
        "applicationId": item["applicationId"],
        "status": item["status"],
        "receivedAt": item["receivedAt"],
    }
    if item["status"] == ApplicationStatus.REJECTED.value:
        view["reason"] = item["reason"]  # the R6.3 / R4 reason code
    if item["status"] == ApplicationStatus.CONTRACTED.value:
        view["contractId"] = item["contractId"]
        view["formedAt"] = item["formedAt"]
    return view


class DeferralReason(StrEnum):
    """R6.2: which standing rule deferred an application (shown in the staff's queue)."""

    ACCOUNT_UNDER_REVIEW = "ACCOUNT_UNDER_REVIEW"  # the account's deferReview
    STAFF_RULE_ALL = "STAFF_RULE_ALL"  # the staff's deferAll
    STAFF_RULE_KIND = "STAFF_RULE_KIND"  # deferKinds lists the device's kind
    STAFF_RULE_PLATFORM = "STAFF_RULE_PLATFORM"  # deferPlatforms lists its platform


def deferral_reason(
    defer_review: bool, staff_rules: Mapping[str, Any], device: Mapping[str, Any]
) -> DeferralReason | None:
    """R6.2: the first of the deferral rules (in the order anshin.domain.screening.decide checks
    them) that holds for the application, or None."""
    if defer_review:
        return DeferralReason.ACCOUNT_UNDER_REVIEW
    if staff_rules.get("deferAll"):
        return DeferralReason.STAFF_RULE_ALL
    if device.get("kind") in set(staff_rules.get("deferKinds", [])):
        return DeferralReason.STAFF_RULE_KIND
    if device.get("platform") in set(staff_rules.get("deferPlatforms", [])):
        return DeferralReason.STAFF_RULE_PLATFORM
    return None


def deferred_view(entry: Mapping[str, Any]) -> dict[str, Any]:
    """R6.2: what the staff's queue shows of a deferred application (its queue entry)."""
    view = {
        name: entry[name] for name in ("applicationId", "receivedAt", "mobileContractId", "applicantName")
    }
    view["device"] = {name: entry["device"][name] for name in ("platform", "kind", "model")}
    if entry.get("deferredReason"):
        view["deferredReason"] = entry["deferredReason"]
    return view
