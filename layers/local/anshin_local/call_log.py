"""Which AWS requests a function makes, as IAM authorises them: the record the permission check
(tests/permissions) evaluates against each function's synthesized role policy.

Never in AWS: this module ships only in the local-only layer. The handler tests switch it on
around each handler they call; on the local stack ``anshin:callLog`` (tests/e2e) sets
``ANSHIN_CALL_LOG`` and ``anshin_local.faults.handler`` switches it on around the function's own
handler. Each request botocore is asked to make or to presign becomes lines
``{"function", "action", "resource"}`` in ``$ANSHIN_CALL_LOG/<pid>.jsonl``: only identifiers of
our own resources, never a parameter's value (no personal data). Each invocation also writes the
function's resource settings (the environment variables that name tables, topics, buckets...) so
that the check can map what a test names ``Contracts`` to the table the template names.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any
from urllib.parse import urlparse

#: The directory the record goes to; unset, nothing is recorded.
LOG = "ANSHIN_CALL_LOG"
#: Placeholders: the check normalises every ARN's region and account.
REGION, ACCOUNT = "us-east-1", "123456789012"

_function: ContextVar[str | None] = ContextVar("anshin_call_log_function", default=None)
#: The key of the presigned POST being built: botocore builds one with the ``CreateBucket`` model
#: (only its URL is wanted), and S3 authorises the upload it allows as PutObject of that key.
_post_key: ContextVar[str | None] = ContextVar("anshin_call_log_post_key", default=None)
_lock = threading.Lock()
_installed = False
_settings_written: set[tuple[str, int]] = set()

_TRANSACT = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}
#: S3 operations authorised as another action (a multipart upload's steps and a copy are PutObject
#: of the target; a copy also reads its source, below; DeleteObjects is DeleteObject of each key).
_S3_ACTIONS = {
    "HeadObject": "GetObject",
    "ListObjectsV2": "ListBucket",
    "CreateMultipartUpload": "PutObject",
    "UploadPart": "PutObject",
    "UploadPartCopy": "PutObject",
    "CompleteMultipartUpload": "PutObject",
    "CopyObject": "PutObject",
    "ListObjectVersions": "ListBucketVersions",
}
_SQS_ACTIONS = {"DeleteMessageBatch": "DeleteMessage", "SendMessageBatch": "SendMessage"}


def _table(name: str, index: str | None = None) -> str:
    arn = name if name.startswith("arn:") else f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}"
    return f"{arn}/index/{index}" if index else arn


def _queue(url: str) -> str:
    return f"arn:aws:sqs:{REGION}:{ACCOUNT}:{urlparse(url).path.rstrip('/').rsplit('/', 1)[-1]}"


def iam_requests(prefix: str, operation: str, params: dict[str, Any]) -> list[tuple[str, str]]:
    """The (IAM action, resource) pairs one API call is authorised as. DynamoDB transactions are
    authorised item by item (there is no ``dynamodb:TransactWriteItems`` action)."""
    if prefix == "dynamodb":
        if operation in ("TransactWriteItems", "TransactGetItems"):
            found = []
            for item in params.get("TransactItems", []):
                for kind, body in item.items():
                    action = "GetItem" if operation == "TransactGetItems" else _TRANSACT[kind]
                    found.append((f"dynamodb:{action}", _table(body["TableName"])))
            return found
        if operation in ("BatchWriteItem", "BatchGetItem"):
            return [(f"dynamodb:{operation}", _table(name)) for name in params.get("RequestItems", {})]
        return [(f"dynamodb:{operation}", _table(params["TableName"], params.get("IndexName")))]
    if prefix == "sns":
        target = params.get("TopicArn") or params.get("TargetArn") or params.get("EndpointArn")
        return [(f"sns:{operation}", target or params.get("PlatformApplicationArn") or "*")]
    if prefix == "sqs":
        return [(f"sqs:{_SQS_ACTIONS.get(operation, operation)}", _queue(params["QueueUrl"]))]
    if prefix == "s3":
        bucket = f"arn:aws:s3:::{params['Bucket']}"
        if operation == "DeleteObjects":
            return [("s3:DeleteObject", f"{bucket}/{o['Key']}") for o in params["Delete"]["Objects"]]
        key = f"/{params['Key']}" if "Key" in params else ""
        if operation == "DeleteObject" and params.get("VersionId"):
            return [("s3:DeleteObjectVersion", f"{bucket}{key}")]  # a version, by its id
        found = [(f"s3:{_S3_ACTIONS.get(operation, operation)}", f"{bucket}{key}")]
        source = params.get("CopySource")
        if isinstance(source, dict):
            found.append(("s3:GetObject", f"arn:aws:s3:::{source['Bucket']}/{source['Key']}"))
        return found
    if prefix == "states":
        # A task token names no resource: SendTaskSuccess/Failure/Heartbeat are authorised on "*".
        if operation.startswith("SendTask"):
            return [(f"states:{operation}", "*")]
        return [(f"states:{operation}", params.get("stateMachineArn") or params.get("executionArn") or "*")]
    if prefix == "events":
        buses = {entry.get("EventBusName", "default") for entry in params.get("Entries", [])} or {"default"}
        return [
            (f"events:{operation}", f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/{bus}") for bus in buses
        ]
    if prefix == "lambda":
        name = str(params.get("FunctionName", "*"))
        action = "InvokeFunction" if operation == "Invoke" else operation
        arn = name if name.startswith("arn:") else f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"
        return [(f"lambda:{action}", arn)]
    if prefix == "kms":
        return [(f"kms:{operation}", str(params.get("KeyId", "*")))]
    return [(f"{prefix}:{operation}", "*")]


def overwriting_puts(operation: str, params: dict[str, Any]) -> list[str]:
    """The tables a DynamoDB call puts an item into without ``attribute_not_exists``: a put that
    may replace an item (the ledger of charges takes none: tests/permissions)."""
    if operation == "PutItem":
        puts = [params]
    elif operation == "TransactWriteItems":
        puts = [item["Put"] for item in params.get("TransactItems", []) if "Put" in item]
    elif operation == "BatchWriteItem":
        return [name for name, writes in params.get("RequestItems", {}).items() if writes]
    else:
        return []
    return [
        str(put["TableName"])
        for put in puts
        if "attribute_not_exists" not in str(put.get("ConditionExpression", ""))
    ]


def _write(lines: list[dict[str, Any]]) -> None:
    directory = os.environ.get(LOG)
    if not directory:
        return
    with _lock, open(os.path.join(directory, f"{os.getpid()}.jsonl"), "a", encoding="utf-8") as out:
        for line in lines:
            out.write(json.dumps(line) + "\n")


def _on_request(params: dict[str, Any], model: Any, **_: Any) -> None:
    function = _function.get()
    if function is None:
        return
    prefix, operation = model.service_model.signing_name, model.name
    if operation == "CreateBucket" and (key := _post_key.get()) is not None:
        params, operation = {**params, "Key": key}, "PutObject"  # a presigned POST (S3 PostObject)
    _write(
        [
            {"function": function, "action": action, "resource": resource}
            for action, resource in iam_requests(prefix, operation, params)
        ]
        + [
            {"function": function, "overwritingPut": table}
            for table in (overwriting_puts(operation, params) if prefix == "dynamodb" else [])
        ]
    )


def _remember_post_key(class_attributes: dict[str, Any], **_: Any) -> None:
    """Wrap the S3 client's ``generate_presigned_post`` so the request it builds is known by its
    key (see :data:`_post_key`)."""
    original = class_attributes.get("generate_presigned_post")
    if original is None or getattr(original, "_anshin_recorded", False):
        return

    def generate_presigned_post(self: Any, Bucket: str, Key: str, *args: Any, **kwargs: Any) -> Any:
        token = _post_key.set(Key)
        try:
            return original(self, Bucket, Key, *args, **kwargs)
        finally:
            _post_key.reset(token)

    generate_presigned_post._anshin_recorded = True  # type: ignore[attr-defined]
    class_attributes["generate_presigned_post"] = generate_presigned_post


def install() -> None:
    """Hook botocore: every session made from now on (and the default one) reports each request
    it builds, including presigned ones (``provide-client-params`` is emitted for both)."""
    global _installed
    if _installed:
        return
    import boto3
    from botocore import handlers

    handlers.BUILTIN_HANDLERS.append(("provide-client-params", _on_request))
    handlers.BUILTIN_HANDLERS.append(("creating-client-class.s3", _remember_post_key))
    if boto3.DEFAULT_SESSION is not None:
        boto3.DEFAULT_SESSION.events.register("provide-client-params", _on_request)
        boto3.DEFAULT_SESSION.events.register("creating-client-class.s3", _remember_post_key)
    _installed = True


@contextmanager
def recording(function: str) -> Iterator[None]:
    """Attribute the AWS requests made inside to ``function`` (a folder under functions/)."""
    if not os.environ.get(LOG):
        yield
        return
    install()
    settings = {k: v for k, v in os.environ.items() if k.isupper() and not k.startswith(("AWS_", "_"))}
    seen = (function, hash(tuple(sorted(settings.items()))))
    if seen not in _settings_written:
        _settings_written.add(seen)
        _write([{"function": function, "invoked": True, "environment": settings}])
    token = _function.set(function)
    try:
        yield
    finally:
        _function.reset(token)
