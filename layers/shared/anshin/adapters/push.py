"""The push channel to a device and the backup store (Appendix).

In AWS a device is an SNS mobile-push platform endpoint of the FCM platform application
(``PUSH_PLATFORM_APPLICATION_ARN``); locally the same SNS endpoints, which the device simulator
reads. Settings backups are uploaded by the device through a presigned POST, bounded in size
(``BACKUP_MAX_BYTES``), into the SSE-KMS bucket ``BACKUP_BUCKET``. Push tokens and URLs are never logged.

A command is pushed as an FCM HTTP v1 data message, the shape SNS takes for FCM (AWS SNS
Developer Guide, "Using Google Firebase Cloud Messaging v1 payloads in Amazon SNS"): a
``MessageStructure=json`` publish whose ``GCM`` key holds, encoded as a string,
``{"fcmV1Message": {"message": {"data": {...}, "android": {"priority": "high", "ttl": "<n>s"}}}}``.
FCM v1 data values are strings only (``Message.data`` is a string-to-string map), and
``AndroidConfig.ttl`` is a Duration in its JSON form: seconds with the suffix ``s`` (``"3600s"``),
at most four weeks (FCM v1 REST reference, ``projects.messages``).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from anshin.adapters import aws
from anshin.domain import clock
from anshin.domain.entities import Backup
from anshin.settings import settings

#: How long a presigned backup upload URL is valid.
UPLOAD_URL_SECONDS = 3600

#: FCM keeps an undelivered message at most four weeks (FCM v1 ``AndroidConfig.ttl``).
FCM_MAX_TTL_SECONDS = 28 * 24 * 3600

_EXISTING_ENDPOINT = re.compile(r"Endpoint (\S+) already exists")


def create_endpoint(push_token: str) -> str:
    """The platform endpoint for ``push_token``: created, or the existing one, re-enabled if SNS
    had disabled it (AWS's documented token-management pattern)."""
    sns = aws.client("sns")
    try:
        arn = str(
            sns.create_platform_endpoint(
                PlatformApplicationArn=settings.push_platform_application_arn, Token=push_token
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


def ttl_seconds(expires_at: datetime, now: datetime) -> int:
    """How long FCM may keep the push for an offline device: the command's remaining life in whole
    seconds, rounded down (never past the expiry), 0 once expired, at most FCM's four weeks."""
    left = math.floor((expires_at - now).total_seconds())
    return max(0, min(left, FCM_MAX_TTL_SECONDS))


def fcm_v1_message(data: Mapping[str, str], expires_at: datetime, now: datetime) -> dict[str, Any]:
    """The FCM v1 message (under SNS's ``fcmV1Message``) carrying ``data`` to an Android device:
    a data message, high priority (a command is time-critical), kept no longer than it is valid."""
    wrong = sorted(name for name, value in data.items() if not isinstance(value, str))
    if wrong:
        raise TypeError(f"FCM v1 data values must be strings: {', '.join(wrong)}")
    return {
        "fcmV1Message": {
            "message": {
                "data": {name: str(value) for name, value in data.items()},
                "android": {"priority": "high", "ttl": f"{ttl_seconds(expires_at, now)}s"},
            }
        }
    }


def sns_message(data: Mapping[str, str], expires_at: datetime, now: datetime) -> str:
    """The ``Message`` of a ``MessageStructure=json`` publish to an FCM platform endpoint: the
    required ``default`` and, for FCM, the v1 message encoded as a string under ``GCM``."""
    message = fcm_v1_message(data, expires_at, now)
    return json.dumps({"default": json.dumps(dict(data)), "GCM": json.dumps(message)})


def send(endpoint_arn: str, data: Mapping[str, str], expires_at: datetime) -> bool:
    """Push ``data`` to the device (FCM v1 data message, high priority, kept by FCM no longer than
    ``expires_at``). False if the endpoint no longer takes messages (disabled or gone): the device
    is unreachable for now."""
    sns = aws.client("sns")
    try:
        sns.publish(
            TargetArn=endpoint_arn,
            MessageStructure="json",
            # The time-to-live counts from the moment of publishing.
            Message=sns_message(data, expires_at, clock.now()),
        )
    except (sns.exceptions.EndpointDisabledException, sns.exceptions.NotFoundException):
        return False
    return True


def upload_form(object_key: str) -> dict[str, str]:
    """Where and how the device uploads the backup: a presigned POST (S3 ``PostObject``) into the
    backup bucket (encrypted there with the stack's KMS key), valid ``UPLOAD_URL_SECONDS``, whose
    policy fixes the key and bounds the size: S3 refuses a file larger than
    ``settings.backup_max_bytes`` (``EntityTooLarge``) or empty, which a presigned PUT cannot.

    As push data (FCM v1 values are strings): ``uploadUrl``, the form's action, and
    ``uploadFields``, the JSON object of the form fields to send before the ``file`` field."""
    post = aws.client("s3").generate_presigned_post(
        Bucket=settings.backup_bucket,
        Key=object_key,
        Conditions=[["content-length-range", 1, settings.backup_max_bytes]],
        ExpiresIn=UPLOAD_URL_SECONDS,
    )
    return {"uploadUrl": str(post["url"]), "uploadFields": json.dumps(post["fields"], sort_keys=True)}


def uploaded(object_key: str) -> Backup | None:
    """The uploaded backup's metadata, or None when nothing was uploaded."""
    s3 = aws.client("s3")
    try:
        head = s3.head_object(Bucket=settings.backup_bucket, Key=object_key)
    except s3.exceptions.ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise
    return {
        "key": object_key,
        "size": int(head["ContentLength"]),
        "encryption": head.get("ServerSideEncryption", ""),
    }
