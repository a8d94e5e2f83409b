"""Backup uploads are bounded (issue 24): the presigned POST's content-length-range, enforced by
the emulator's S3 as by AWS's (docs/emulator-notes.md), refuses a file over BACKUP_MAX_BYTES."""

import json
from collections.abc import Callable
from typing import Any

import requests
from anshin.settings import BACKUP_MAX_BYTES

from local.service import LocalService
from tests.e2e.test_device_commands import Subscriber, subscriber  # noqa: F401 - the fixture


def test_a_backup_over_the_limit_is_refused_and_the_one_uploaded_stays(
    subscriber: Callable[..., Subscriber],  # noqa: F811 - the fixture
    local_service: LocalService,
    aws_client: Callable[[str], Any],
) -> None:
    sub = subscriber()
    status, body = sub.command({"action": "BACKUP"})
    assert status == 202, body
    done = sub.until(body["commandId"], "SUCCEEDED")  # the simulated device POSTed its backup
    [form] = [p for p in sub.device.received if p["commandId"] == body["commandId"]][:1]
    fields = json.loads(form["uploadFields"])
    assert fields["key"] == done["backup"]["key"]

    # The same form, valid for an hour, with one byte too many: S3 refuses it.
    too_large = requests.post(
        form["uploadUrl"],
        data=fields,
        files={"file": ("backup.bin", b"\0" * (BACKUP_MAX_BYTES + 1))},
        timeout=120,
    )
    assert too_large.status_code == 400, too_large.text
    assert "EntityTooLarge" in too_large.text
    # Nor may it name another key than the one it was made for.
    elsewhere = requests.post(
        form["uploadUrl"],
        data={**fields, "key": "backups/someone-else/x.bin"},
        files={"file": ("backup.bin", b"x")},
        timeout=30,
    )
    assert elsewhere.status_code == 403, elsewhere.text

    stored = aws_client("s3").get_object(
        Bucket=local_service.output("BackupBucketName"), Key=done["backup"]["key"]
    )
    assert stored["Body"].read().startswith(b'{"deviceId"')
