"""The credential rules without AWS (Appendix, R16): device tokens, credential changes, the
attempt windows of registration, and identity verification's session and lockout."""

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from anshin.domain import credentials as rules
from anshin.domain.entities import Contract, Device
from anshin.domain.errors import InvariantViolation

from tests.factories import a_contract, a_device

NOON = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
TOKEN = "the-device-token"


def device(**fields: object) -> Device:
    """The app registered on ``ctr-1``, its token ``TOKEN`` valid until 2026-12-24 03:00 UTC."""
    changes = {
        "tokenDigest": rules.token_digest(TOKEN),
        "tokenExpiresAt": "2026-12-24T03:00:00.000Z",
        **fields,
    }
    return a_device(**changes)


def test_only_the_tokens_sha256_is_kept() -> None:
    assert rules.token_digest(TOKEN) == hashlib.sha256(TOKEN.encode()).hexdigest()
    assert rules.token_expiry(NOON, timedelta(days=30)) == datetime(2026, 12, 24, 3, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("stored", "token", "now", "valid"),
    [
        (device(), TOKEN, NOON, True),
        (device(), "another-token", NOON, False),
        (device(), None, NOON, False),
        (device(), "", NOON, False),
        (device(), TOKEN, datetime(2026, 12, 24, 3, 0, tzinfo=UTC), False),  # expires at that instant
        (device(tokenDigest=None), TOKEN, NOON, False),  # revoked
    ],
)
def test_a_token_is_valid_while_it_is_the_devices_own_and_not_expired(
    stored: Device, token: str | None, now: datetime, valid: bool
) -> None:
    assert rules.token_valid(stored, token, now) is valid


def test_a_device_record_without_its_tokens_expiry_is_no_device() -> None:
    with pytest.raises(InvariantViolation) as refused:
        device(tokenExpiresAt=None)
    assert refused.value.code == "CORRUPT_DEVICE"


def pending(ends_at: str) -> Contract:
    """A contract to end at ``ends_at`` (R9), its end not recorded yet."""
    return a_contract(status="CANCELLATION_PENDING", endReason="SUBSCRIBER_CANCELLATION", endsAt=ends_at)


ENDED = a_contract(status="ENDED", endReason="COMPANY_TERMINATION", endedAt="2026-11-20T03:00:00.000Z")


def test_a_contracts_end_revokes_its_devices_token() -> None:
    assert rules.contract_keeps_token(a_contract(), NOON)
    assert rules.contract_keeps_token(pending("2026-11-30T15:00:00.000Z"), NOON)
    assert not rules.contract_keeps_token(pending("2026-11-24T03:00:00.000Z"), NOON)
    assert not rules.contract_keeps_token(ENDED, NOON)
    assert not rules.contract_keeps_token(None, NOON)


def test_a_device_stays_with_its_contract_until_that_ends() -> None:
    assert rules.holds_device(a_contract(), NOON)
    assert not rules.holds_device(pending("2026-11-24T03:00:00.000Z"), NOON)  # in fact
    assert not rules.holds_device(ENDED, NOON)
    assert not rules.holds_device(None, NOON)


def test_every_registration_after_the_first_is_a_credential_change_whatever_the_push_token() -> None:
    previous = device()
    assert rules.is_reregistration(previous, "ctr-1")  # another app, or the same one again (issue 24)
    assert not rules.is_reregistration(previous, "ctr-2")  # another contract's (its first)
    assert not rules.is_reregistration(None, "ctr-1")  # the first registration
    assert rules.cooldown_until(NOON, timedelta(hours=72)) == "2026-11-27T03:00:00.000Z"


def test_locks_keep_going_to_the_endpoint_before_the_first_change_of_a_running_cooldown() -> None:
    first = device(endpointArn="arn:endpoint/1")
    assert rules.first_endpoint(first, NOON) == "arn:endpoint/1"  # no change yet: the one it has
    second = device(
        endpointArn="arn:endpoint/2",
        previousEndpointArn="arn:endpoint/1",
        previousEndpointUntil="2026-11-25T03:00:00.000Z",
    )
    assert rules.first_endpoint(second, NOON) == "arn:endpoint/1"  # the subscriber's, kept
    assert rules.first_endpoint(second, NOON + timedelta(days=2)) == "arn:endpoint/2"  # cooldown over


def test_a_revocation_stands_until_a_code_reissued_after_it() -> None:
    contract = a_contract(contractId="ctr-1")
    revoked = device(revokedAt="2026-11-24T03:00:00.000Z", tokenDigest=None)
    assert rules.stays_revoked(revoked, contract)
    assert rules.stays_revoked(
        revoked, a_contract(contractId="ctr-1", memberCodeIssuedAt="2026-11-24T02:00:00.000Z")
    )
    assert not rules.stays_revoked(
        revoked, a_contract(contractId="ctr-1", memberCodeIssuedAt="2026-11-24T04:00:00.000Z")
    )
    assert not rules.stays_revoked(device(), contract)  # never revoked
    assert not rules.stays_revoked(None, contract)


def test_the_app_registers_on_the_platform_the_contract_was_applied_for() -> None:
    assert rules.platform_matches(a_contract(platform="android"), "android")
    assert not rules.platform_matches(a_contract(platform="ios"), "android")


def test_attempts_are_counted_in_fixed_windows() -> None:
    start, ends = rules.attempt_window(rules.ATTEMPT_WINDOW, NOON + timedelta(minutes=7))
    assert (start, ends) == (int(NOON.timestamp()), int(NOON.timestamp()) + 15 * 60)
    assert rules.retry_after(ends, NOON + timedelta(minutes=7)) == 8 * 60
    assert rules.retry_after(ends, datetime.fromtimestamp(ends, UTC)) == 1  # never zero


def test_verification_locks_at_the_fifth_failure_in_a_row() -> None:
    assert [rules.locks(n) for n in range(1, 7)] == [False, False, False, False, True, True]
    assert rules.is_locked("2026-11-24T03:30:00.000Z", NOON)
    assert not rules.is_locked("2026-11-24T03:00:00.000Z", NOON)
    assert not rules.is_locked(None, NOON)


def test_a_verification_session_is_the_contracts_and_expires() -> None:
    session = {"contractId": "ctr-1", "staffId": "staff-1", "expiresAt": "2026-11-24T03:10:00.000Z"}
    assert rules.session_valid(session, "ctr-1", "staff-1", NOON)
    assert not rules.session_valid(session, "ctr-2", "staff-1", NOON)
    assert not rules.session_valid(session, "ctr-1", "staff-2", NOON)  # only its opener's
    assert not rules.session_valid(session, "ctr-1", "staff-1", NOON + rules.VALID_FOR)
    assert not rules.session_valid(None, "ctr-1", "staff-1", NOON)
