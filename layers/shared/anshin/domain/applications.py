"""Applications for a support contract (R6): the request, the staff's decision, the statuses and
what the applicant may see of one. Pure: no storage."""

from __future__ import annotations

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
