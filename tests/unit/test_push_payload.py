"""The command push in SNS's FCM HTTP v1 shape (AWS SNS Developer Guide, "Using Google Firebase
Cloud Messaging v1 payloads in Amazon SNS"): string-only data, high priority, and a time-to-live
that never outlasts the command."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from anshin.adapters import push
from anshin.domain.commands import Action

NOW = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
DATA = {"commandId": "cmd-1", "action": "LOCK", "expiresAt": "2026-11-27T03:00:00.000Z"}


@pytest.mark.parametrize(
    ("left", "ttl"),
    [
        (timedelta(hours=72), 72 * 3600),
        (timedelta(seconds=59, milliseconds=999), 59),  # rounded down: never past the expiry
        (timedelta(seconds=1), 1),
        (timedelta(milliseconds=400), 0),
        (timedelta(0), 0),
        (timedelta(seconds=-1), 0),  # expired already
        (timedelta(days=-3), 0),
        (timedelta(weeks=4), push.FCM_MAX_TTL_SECONDS),
        (timedelta(weeks=5), push.FCM_MAX_TTL_SECONDS),  # FCM keeps a message four weeks at most
    ],
)
def test_the_ttl_is_the_remaining_life_in_whole_seconds(left: timedelta, ttl: int) -> None:
    assert push.ttl_seconds(NOW + left, NOW) == ttl
    assert push.ttl_seconds(NOW + left, NOW) <= max(0, left.total_seconds())


def test_the_message_is_a_high_priority_fcm_v1_data_message() -> None:
    message = push.fcm_v1_message(DATA, NOW + timedelta(hours=1), NOW)
    assert message == {
        "fcmV1Message": {
            "message": {
                "data": DATA,
                "android": {"priority": "high", "ttl": "3600s"},
            }
        }
    }


def test_an_expired_command_is_pushed_with_a_zero_ttl() -> None:
    message = push.fcm_v1_message(DATA, NOW - timedelta(minutes=5), NOW)
    assert message["fcmV1Message"]["message"]["android"]["ttl"] == "0s"


def test_the_ttl_keeps_no_fraction() -> None:
    message = push.fcm_v1_message(DATA, NOW + timedelta(seconds=10, microseconds=999_999), NOW)
    assert message["fcmV1Message"]["message"]["android"]["ttl"] == "10s"


def test_data_values_must_be_strings() -> None:
    with pytest.raises(TypeError, match="attempt"):
        push.fcm_v1_message({**DATA, "attempt": 2}, NOW, NOW)  # type: ignore[dict-item]
    with pytest.raises(TypeError, match="uploadUrl"):
        push.fcm_v1_message({**DATA, "uploadUrl": None}, NOW, NOW)  # type: ignore[dict-item]


def test_a_str_enum_value_is_sent_as_its_plain_value() -> None:
    message = push.fcm_v1_message({**DATA, "action": Action.WIPE}, NOW, NOW)
    assert json.loads(json.dumps(message))["fcmV1Message"]["message"]["data"]["action"] == "WIPE"


def test_the_sns_message_carries_the_v1_message_as_a_string_under_gcm() -> None:
    body = json.loads(push.sns_message(DATA, NOW + timedelta(minutes=2), NOW))
    assert set(body) == {"default", "GCM"}
    assert json.loads(body["default"]) == DATA
    assert isinstance(body["GCM"], str)  # SNS: the GCM value is itself encoded as a string
    assert json.loads(body["GCM"]) == {
        "fcmV1Message": {"message": {"data": DATA, "android": {"priority": "high", "ttl": "120s"}}}
    }
