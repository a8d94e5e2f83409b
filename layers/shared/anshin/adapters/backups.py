"""Erasing settings backups (docs/retention.md): every version of every object under a prefix of
the backup bucket (``BACKUP_BUCKET``), delete markers included. The bucket is versioned, so
deleting an object's current version only hides it behind a delete marker; each version is
deleted by its id. Uploads and their layout: anshin.adapters.push, anshin.store.keys.backup_object."""

from __future__ import annotations

from typing import Any

from anshin.adapters import aws
from anshin.settings import settings

#: S3's most versions per ListObjectVersions page.
PAGE = 1000


def delete_all_versions(prefix: str) -> int:
    """Delete every version and delete marker under ``prefix``; the number deleted (0 when there
    are none: a second call deletes nothing). A version S3 refuses to delete is raised."""
    s3 = aws.client("s3")
    bucket = settings.backup_bucket
    deleted = 0
    options: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix, "MaxKeys": PAGE}
    while True:
        page = s3.list_object_versions(**options)
        for version in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]:
            # One DeleteObject per version: authorised as s3:DeleteObjectVersion on the object,
            # which the retention function is granted under backups/ only.
            s3.delete_object(Bucket=bucket, Key=version["Key"], VersionId=version["VersionId"])
            deleted += 1
        if not page.get("IsTruncated"):
            return deleted
        options["KeyMarker"] = page["NextKeyMarker"]
        options["VersionIdMarker"] = page["NextVersionIdMarker"]
