"""Applications for a support contract (R6): the request, its statuses and its storage."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from boto3.dynamodb.conditions import Attr
from pydantic import BaseModel, ConfigDict, StringConstraints

from anshin.domain.clock import iso
from anshin.store import db

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


def queue_key(mobile_contract_id: str, sequence: int) -> dict[str, str]:
    """R6.1: an application waiting for its decision, in its account's line, by receive order."""
    return {"pk": f"ACCOUNT#{mobile_contract_id}", "sk": f"QUEUE#{sequence:012d}"}


class AccountBusy(Exception):
    """Another application of the same account was received at the same moment; try again."""


def create(application_id: str, request: ApplicationRequest, received_at: datetime) -> dict[str, Any]:
    """Store a new application as RECEIVED, and put it in its account's line (R6.1).

    The account's receive sequence, the line entry and the application are written in one
    transaction, conditional on the sequence not having moved: the order of the sequence is the
    order of receipt, and an application is never in the line without being stored or vice versa.
    An application for an account the mirror does not know is stored outside any line (screening
    refuses it, R6.3(1)).
    """
    table = db.contracts_table()
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
        "gsi1pk": f"ACCOUNT#{request.mobileContractId}",
        "gsi1sk": f"APP#{iso(received_at)}#{application_id}",
    }
    profile = table.get_item(
        Key={"pk": f"ACCOUNT#{request.mobileContractId}", "sk": "PROFILE"},
        ConsistentRead=True,
        ProjectionExpression="nextSequence",
    ).get("Item")
    if profile is None:
        table.put_item(Item=item, ConditionExpression=Attr("pk").not_exists())
        return item
    previous = int(profile.get("nextSequence", 0))
    sequence = previous + 1
    item["sequence"] = sequence
    client = db.dynamodb()
    serializer = db.serializer()
    try:
        client.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": table.name,
                        "Key": serializer.key({"pk": f"ACCOUNT#{request.mobileContractId}", "sk": "PROFILE"}),
                        # The sequence has not moved, and time never runs backwards along it.
                        "UpdateExpression": "SET nextSequence = :next, lastReceivedAt = :at",
                        "ConditionExpression": "(attribute_not_exists(nextSequence) AND :previous = :zero"
                        " OR nextSequence = :previous)"
                        " AND (attribute_not_exists(lastReceivedAt) OR lastReceivedAt <= :at)",
                        "ExpressionAttributeValues": serializer.values(
                            {":next": sequence, ":previous": previous, ":zero": 0, ":at": iso(received_at)}
                        ),
                    }
                },
                {
                    "Put": {
                        "TableName": table.name,
                        "Item": serializer.item(
                            {
                                **queue_key(request.mobileContractId, sequence),
                                "type": "QUEUE",
                                "applicationId": application_id,
                            }
                        ),
                    }
                },
                {
                    "Put": {
                        "TableName": table.name,
                        "Item": serializer.item(item),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ]
        )
    except client.exceptions.TransactionCanceledException as error:
        raise AccountBusy(request.mobileContractId) from error
    return item


def get(application_id: str) -> dict[str, Any] | None:
    item: dict[str, Any] | None = (
        db.contracts_table().get_item(Key=key(application_id), ConsistentRead=True).get("Item")
    )
    return item


def require(application_id: str) -> dict[str, Any]:
    item = get(application_id)
    if item is None:
        raise LookupError(f"no application {application_id}")
    return item


def delete(application_id: str) -> None:
    """Remove an application that no workflow will decide (and its place in the line)."""
    item = get(application_id)
    if item is None:
        return
    table = db.contracts_table()
    if "sequence" in item:
        table.delete_item(Key=queue_key(item["mobileContractId"], int(item["sequence"])))
    table.delete_item(Key=key(application_id))


def public_view(item: dict[str, Any]) -> dict[str, Any]:
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
