"""Backup uploads are bounded (issue 24): the device gets a presigned POST whose policy fixes the
object key and limits the size to BACKUP_MAX_BYTES, which S3 enforces (the e2e test
tests/e2e/test_backup_limit.py sees the emulator refuse a larger file)."""

import base64
import json
from typing import Any

import pytest
from anshin.settings import BACKUP_MAX_BYTES


def policy_of(form: dict[str, str]) -> dict[str, Any]:
    fields = json.loads(form["uploadFields"])
    decoded: dict[str, Any] = json.loads(base64.b64decode(fields["policy"]))
    return decoded


def test_the_upload_form_bounds_the_size_and_fixes_the_key(aws_env: dict[str, str]) -> None:
    from anshin.adapters import push

    form = push.upload_form("backups/ctr-1/cmd-1.bin")
    assert form["uploadUrl"].startswith("https://")
    fields = json.loads(form["uploadFields"])
    assert fields["key"] == "backups/ctr-1/cmd-1.bin"
    conditions = policy_of(form)["conditions"]
    assert ["content-length-range", 1, BACKUP_MAX_BYTES] in conditions
    assert {"key": "backups/ctr-1/cmd-1.bin"} in conditions
    assert all(isinstance(v, str) for v in form.values())  # FCM v1 data: strings only


def test_the_bound_is_a_setting(aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    from anshin.adapters import push

    monkeypatch.setenv("BACKUP_MAX_BYTES", "1024")
    assert ["content-length-range", 1, 1024] in policy_of(push.upload_form("backups/a/b.bin"))["conditions"]
