"""S3: the month's charge files (their parts, the assembled file, the versions' manifests).

The bucket's default encryption (SSE-KMS under the data key) applies to every object written here.
Nothing here holds more than one upload part (8 MiB) and one read chunk in memory.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from anshin.adapters import aws

#: S3's smallest multipart part (every part but the last).
MIN_PART = 5 * 1024 * 1024
#: The size of the parts this module uploads itself.
UPLOAD_PART = 8 * 1024 * 1024
#: How much of an object is read at a time.
CHUNK = 1024 * 1024


def _s3() -> Any:
    return aws.client("s3")


def put(bucket: str, key: str, body: bytes, content_type: str = "text/csv; charset=utf-8") -> None:
    _s3().put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type)


def put_if_absent(bucket: str, key: str, body: bytes, content_type: str = "application/json") -> bool:
    """Write ``key`` only if no object is there (S3 conditional write); False if one was."""
    try:
        _s3().put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type, IfNoneMatch="*")
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in (
            "PreconditionFailed",
            "ConditionalRequestConflict",
        ):
            return False
        raise
    return True


def read(bucket: str, key: str) -> bytes:
    return bytes(_s3().get_object(Bucket=bucket, Key=key)["Body"].read())


def rows(bucket: str, key: str) -> Iterator[bytes]:
    """The object's lines (without their line ends), streamed: one read chunk at a time."""
    body = _s3().get_object(Bucket=bucket, Key=key)["Body"]
    try:
        yield from body.iter_lines(chunk_size=CHUNK)
    finally:
        body.close()


def read_json(bucket: str, key: str) -> dict[str, Any]:
    return dict(json.loads(read(bucket, key)))


def exists(bucket: str, key: str) -> bool:
    return size(bucket, key) is not None


def size(bucket: str, key: str) -> int | None:
    """The object's size, or None if there is none."""
    try:
        return int(_s3().head_object(Bucket=bucket, Key=key)["ContentLength"])
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise


def listed(bucket: str, prefix: str) -> list[tuple[str, int]]:
    """Every object under ``prefix`` as (key, size), in key order."""
    found: list[tuple[str, int]] = []
    for page in _s3().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        found += [(str(o["Key"]), int(o["Size"])) for o in page.get("Contents", [])]
    return sorted(found)


def copy(bucket: str, source: str, target: str) -> None:
    """A server-side copy within the bucket (up to 5 GB, S3's CopyObject limit)."""
    _s3().copy_object(Bucket=bucket, Key=target, CopySource={"Bucket": bucket, "Key": source})


@dataclass(frozen=True)
class Assembled:
    sha256: str
    size: int
    #: Lines in the object (records and the header), counted from the bytes themselves.
    lines: int


def assemble(bucket: str, target: str, head: bytes, parts: list[tuple[str, int]]) -> Assembled:
    """``head`` then each part in the given order, as one object ``target`` (multipart upload):
    a part of at least 5 MiB met on a part boundary is copied server-side (UploadPartCopy); the
    others are gathered into 8 MiB uploads. Every byte is read once, streamed, for the SHA-256."""
    s3 = _s3()
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key=target, ContentType="text/csv; charset=utf-8")[
        "UploadId"
    ]
    uploaded: list[dict[str, Any]] = []
    digest = hashlib.sha256()
    buffer = bytearray()
    size = 0
    lines = 0

    def flush() -> None:
        number = len(uploaded) + 1
        answer = s3.upload_part(
            Bucket=bucket, Key=target, UploadId=upload_id, PartNumber=number, Body=bytes(buffer)
        )
        uploaded.append({"PartNumber": number, "ETag": answer["ETag"]})
        buffer.clear()

    try:
        buffer += head
        digest.update(head)
        size += len(head)
        lines += head.count(b"\n")
        for key, part_size in parts:
            copied = part_size >= MIN_PART and len(buffer) >= MIN_PART
            if copied:
                flush()
            if part_size >= MIN_PART and not buffer:
                number = len(uploaded) + 1
                answer = s3.upload_part_copy(
                    Bucket=bucket,
                    Key=target,
                    UploadId=upload_id,
                    PartNumber=number,
                    CopySource={"Bucket": bucket, "Key": key},
                )
                uploaded.append({"PartNumber": number, "ETag": answer["CopyPartResult"]["ETag"]})
                for chunk in s3.get_object(Bucket=bucket, Key=key)["Body"].iter_chunks(CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    lines += chunk.count(b"\n")
                continue
            for chunk in s3.get_object(Bucket=bucket, Key=key)["Body"].iter_chunks(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                lines += chunk.count(b"\n")
                buffer += chunk
                if len(buffer) >= UPLOAD_PART:
                    flush()
        if buffer or not uploaded:
            flush()
        s3.complete_multipart_upload(
            Bucket=bucket, Key=target, UploadId=upload_id, MultipartUpload={"Parts": uploaded}
        )
    except Exception:
        s3.abort_multipart_upload(Bucket=bucket, Key=target, UploadId=upload_id)
        raise
    return Assembled(digest.hexdigest(), size, lines)
