"""Applications for a support contract (R6): the request, its statuses and its storage."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from boto3.dynamodb.conditions import Attr
from pydantic import BaseModel, ConfigDict, StringConstraints

from anshin import aws
from anshin.clock import iso

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


def new_application_id() -> str:
    return f"app-{uuid.uuid4().hex}"


def key(application_id: str) -> dict[str, str]:
    return {"pk": f"APP#{application_id}", "sk": "APP"}


def create(application_id: str, request: ApplicationRequest, received_at: datetime) -> dict[str, Any]:
    """Store a new application as RECEIVED; refuses to overwrite an existing one."""
    item: dict[str, Any] = {
        **key(application_id),
        "type": "APPLICATION",
        "applicationId": application_id,
        "status": ApplicationStatus.RECEIVED.value,
        "receivedAt": iso(received_at),
        "mobileContractId": request.mobileContractId,
        "applicant": request.applicant.model_dump(),
        "device": request.device.model_dump(),
        "consent": request.consent.model_dump(),
        # R6.1: an account's applications in the order they were received.
        "gsi1pk": f"ACCOUNT#{request.mobileContractId}",
        "gsi1sk": f"APP#{iso(received_at)}#{application_id}",
    }
    aws.contracts_table().put_item(Item=item, ConditionExpression=Attr("pk").not_exists())
    return item


def get(application_id: str) -> dict[str, Any] | None:
    item: dict[str, Any] | None = (
        aws.contracts_table().get_item(Key=key(application_id), ConsistentRead=True).get("Item")
    )
    return item


def delete(application_id: str) -> None:
    aws.contracts_table().delete_item(Key=key(application_id))


def public_view(item: dict[str, Any]) -> dict[str, Any]:
    """What the applicant may see of an application (no personal data echoed back)."""
    view = {
        "applicationId": item["applicationId"],
        "status": item["status"],
        "receivedAt": item["receivedAt"],
    }
    for optional in ("reason", "contractId", "formedAt"):
        if optional in item:
            view[optional] = item[optional]
    return view
