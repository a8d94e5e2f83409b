"""The push channel to a device and the backup store (Appendix).

In AWS a device is an SNS mobile-push platform endpoint of the FCM platform application
(``PUSH_PLATFORM_APPLICATION_ARN``); locally the same SNS endpoints, which the device simulator
reads. Settings backups are uploaded by the device through a presigned URL into the SSE-KMS
bucket ``BACKUP_BUCKET``. Push tokens and URLs are never logged.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

from anshin import aws

#: How long a presigned backup upload URL is valid.
UPLOAD_URL_SECONDS = 3600

_EXISTING_ENDPOINT = re.compile(r"Endpoint (\S+) already exists")


def create_endpoint(push_token: str) -> str:
    """The platform endpoint for ``push_token``: created, or the existing one, re-enabled if SNS
    had disabled it (AWS's documented token-management pattern)."""
    sns = aws.client("sns")
    try:
        arn = str(
            sns.create_platform_endpoint(
                PlatformApplicationArn=os.environ["PUSH_PLATFORM_APPLICATION_ARN"], Token=push_token
            )["EndpointArn"]
        )
    except sns.exceptions.InvalidParameterException as error:
        # AWS's documented answer when the token has an endpoint with other attributes: reuse it.
        found = _EXISTING_ENDPOINT.search(str(error))
        if found is None:
            raise
        arn = found.group(1)
    attributes = sns.get_endpoint_attributes(EndpointArn=arn)["Attributes"]
    if str(attributes.get("Enabled", "true")).lower() != "true" or attributes.get("Token") != push_token:
        sns.set_endpoint_attributes(EndpointArn=arn, Attributes={"Enabled": "true", "Token": push_token})
    return arn


def send(endpoint_arn: str, payload: dict[str, Any]) -> bool:
    """Push ``payload`` to the device (FCM data message). False if the endpoint no longer takes
    messages (disabled or gone): the device is unreachable for now."""
    sns = aws.client("sns")
    data = json.dumps(payload)
    try:
        sns.publish(
            TargetArn=endpoint_arn,
            MessageStructure="json",
            Message=json.dumps({"default": data, "GCM": json.dumps({"data": payload})}),
        )
    except (sns.exceptions.EndpointDisabledException, sns.exceptions.NotFoundException):
        return False
    return True


def upload_url(object_key: str) -> str:
    """A presigned PUT into the backup bucket (encrypted there with the stack's KMS key)."""
    return str(
        aws.client("s3").generate_presigned_url(
            "put_object",
            Params={"Bucket": os.environ["BACKUP_BUCKET"], "Key": object_key},
            ExpiresIn=UPLOAD_URL_SECONDS,
        )
    )


def uploaded(object_key: str) -> dict[str, Any] | None:
    """The uploaded backup's metadata, or None when nothing was uploaded."""
    s3 = aws.client("s3")
    try:
        head = s3.head_object(Bucket=os.environ["BACKUP_BUCKET"], Key=object_key)
    except s3.exceptions.ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise
    return {
        "key": object_key,
        "size": int(head["ContentLength"]),
        "encryption": head.get("ServerSideEncryption", ""),
    }
