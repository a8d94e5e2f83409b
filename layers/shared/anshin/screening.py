"""Screening of applications under R6.3."""

from __future__ import annotations

from typing import Any

from boto3.dynamodb.conditions import Attr

from anshin import applications, aws
from anshin.applications import ApplicationStatus


def start_screening(application_id: str) -> dict[str, Any]:
    """Move a RECEIVED application to SCREENING (idempotent: a retry finds it there already)."""
    try:
        aws.contracts_table().update_item(
            Key=applications.key(application_id),
            UpdateExpression="SET #s = :screening",
            ConditionExpression=Attr("status").is_in(
                [ApplicationStatus.RECEIVED.value, ApplicationStatus.SCREENING.value]
            ),
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":screening": ApplicationStatus.SCREENING.value},
        )
    except aws.client("dynamodb").exceptions.ConditionalCheckFailedException:
        item = applications.get(application_id)
        return {"applicationId": application_id, "status": item["status"] if item else None}
    return {"applicationId": application_id, "status": ApplicationStatus.SCREENING.value}
