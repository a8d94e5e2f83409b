"""The device as its repository parses it (anshin.domain.entities.Device): once, at the store's
boundary; what is stored comes back the same; a record that is not a device is named."""

from datetime import UTC, datetime

import pytest
from anshin.domain.entities import Device
from anshin.domain.errors import InvariantViolation

from tests.factories import device_item


def test_a_stored_device_reads_back_as_it_was_stored() -> None:
    item = device_item(
        previousEndpointArn="arn:endpoint/0",
        previousEndpointUntil="2026-09-13T03:00:00.000Z",
        revokedAt="2026-09-12T03:00:00.000Z",
        revokedBy="staff-1",
        revokedByName="sato.hanako",
        tokenDigest=None,
    )
    device = Device.from_item(item)
    assert device.revoked and device.token_digest is None
    assert device.previous_endpoint_until == datetime(2026, 9, 13, 3, tzinfo=UTC)
    assert device.to_item() == item


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"contractId": None}, "contractId"),
        ({"deviceId": ""}, "deviceId"),
        ({"platform": 7}, "platform"),
        ({"tokenExpiresAt": None}, "tokenExpiresAt"),
        ({"registeredAt": "2026-09-10T12:00:00"}, "registeredAt"),  # no time zone
        ({"revokedAt": "yesterday"}, "revokedAt"),
    ],
)
def test_a_record_that_is_not_a_device_is_named_not_a_key_error(
    changes: dict[str, object], named: str
) -> None:
    with pytest.raises(InvariantViolation) as refused:
        Device.from_item(device_item(**changes))
    assert refused.value.code == "CORRUPT_DEVICE"
    assert named in str(refused.value)
