"""The staff console's pure rules (issue 16): the timeline's order and pages, the verification
state, and a command's cancellation and next attempt."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from anshin.domain import commands, credentials, timeline
from anshin.domain.clock import parse_iso
from anshin.domain.errors import CommandNotCancellable
from anshin.domain.staff import StaffMember

from tests.factories import a_contract

NOW = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)


def entry(at: str, kind: str, outcome: str, **fields: Any) -> dict[str, Any]:
    return {
        "pk": "AUDIT#ctr-1",
        "sk": f"{at}#{kind}#{outcome}",
        "type": "AUDIT",
        "kind": kind,
        "at": at,
        "contractId": "ctr-1",
        "outcome": outcome,
        **fields,
    }


def test_audit_entries_become_events_verify_shows_the_outcome_only() -> None:
    key, event = timeline.from_audit(
        entry(
            "2026-11-24T03:00:00.000Z", "VERIFY", "FAILED_AND_LOCKED", staffId="s-1", staffName="sato.hanako"
        )
    )
    assert key.startswith("2026-11-24T03:00:00.000Z#VERIFY#")
    assert event == {
        "at": "2026-11-24T03:00:00.000Z",
        "kind": "VERIFY",
        "event": "LOCKED_OUT",
        "by": "s-1",
        "byName": "sato.hanako",
        "details": {"outcome": "FAILED_AND_LOCKED"},
    }
    _, cmd = timeline.from_audit(entry("2026-11-24T03:00:00.000Z", "CMD", "COMMAND_ATTEMPTED", attempt=2))
    assert cmd["details"] == {"attempt": 2} and "by" not in cmd and "byName" not in cmd


def test_an_entry_recorded_before_names_were_has_a_null_name_never_the_id() -> None:
    _, old = timeline.from_audit(
        entry("2026-11-24T03:00:00.000Z", "CMD", "COMMAND_CANCELLED", staffId="s-1", reason="why")
    )
    assert (old["by"], old["byName"], old["details"]) == ("s-1", None, {"reason": "why"})
    # Neither the id nor the name is ever one of the details.
    _, new = timeline.from_audit(
        entry("2026-11-24T03:00:00.000Z", "SESSION", "SESSION_OPENED", staffId="s-1", staffName="sato.hanako")
    )
    assert new["byName"] == "sato.hanako" and new["details"] == {}


def test_the_staff_decision_shows_who_decided_by_name() -> None:
    application: Any = {
        "applicationId": "app-1",
        "receivedAt": "2026-11-20T00:00:00.000Z",
        "staffDecision": "APPROVE",
        "decidedBy": "s-9",
    }
    contract = a_contract(parse_iso("2026-11-21T00:00:00.000Z"))
    [_, (_, old)] = timeline.from_application(application, contract)
    assert (old["by"], old["byName"]) == ("s-9", None)
    [_, (_, decided)] = timeline.from_application({**application, "decidedByName": "tanaka.ken"}, contract)
    assert (decided["event"], decided["by"], decided["byName"]) == ("DECIDED", "s-9", "tanaka.ken")
    [(_, received), _] = timeline.from_application(application, contract)
    assert "by" not in received and "byName" not in received


def test_pages_merge_the_audit_and_the_other_events_newest_first() -> None:
    audited = [entry(f"2026-11-2{d}T00:00:00.000Z", "CMD", f"E{d}") for d in (8, 6, 4)]
    others = [(timeline.sort_key(f"2026-11-2{d}T00:00:00.000Z", "INVOICE", "m"), {"n": d}) for d in (9, 5, 1)]
    events, after = timeline.page(audited, others, before=None, limit=4, more_audited=False)
    assert [e.get("event", e.get("n")) for e in events] == [9, "E8", "E6", 5]
    assert after is not None and after.startswith("2026-11-25")
    rest, last = timeline.page(audited[2:], others, before=after, limit=4, more_audited=False)
    assert [e.get("event", e.get("n")) for e in rest] == ["E4", 1] and last is None


def test_billed_months_run_from_the_first_billable_to_the_last_month_over_or_the_end() -> None:
    # Formed in July, the account's first: billable from September (R12), not from its formation.
    formed_at = parse_iso("2026-07-01T00:00:00.000Z")
    contract = a_contract(formed_at, first=True)
    assert contract.first_billable_month == "2026-09"
    assert [str(m) for m in timeline.billed_months(contract, NOW)] == ["2026-09", "2026-10"]
    ended = a_contract(
        formed_at, first=True, status="ENDED", endReason="ACCOUNT_LOSS", endedAt="2026-09-30T14:59:59.999Z"
    )
    assert [str(m) for m in timeline.billed_months(ended, NOW)] == ["2026-09"]


def test_verification_state() -> None:
    assert credentials.verification_view({}, NOW, "staff-1") == {
        "state": "NONE",
        "failedAttempts": 0,
        "attemptsLeft": 5,
    }
    valid = {
        "failures": 2,
        "verificationId": "ver-1",
        "verifiedAt": "2026-11-24T02:55:00.000Z",
        "verificationExpiresAt": "2026-11-24T03:05:00.000Z",
        "verifiedBy": "staff-1",
    }
    assert credentials.verification_view(valid, NOW, "staff-1")["state"] == "VERIFIED"
    # A colleague never sees (nor may use) the verification another staff member opened.
    other = credentials.verification_view(valid, NOW, "staff-2")
    assert other["state"] == "NONE" and "verificationId" not in other
    assert credentials.verification_view(valid, NOW + timedelta(minutes=5), "staff-1")["attemptsLeft"] == 3
    locked = {"failures": 0, "lockedUntil": "2026-11-24T03:30:00.000Z"}
    assert credentials.verification_view(locked, NOW, "staff-1") == {
        "state": "LOCKED_OUT",
        "failedAttempts": 5,
        "attemptsLeft": 0,
        "lockedUntil": "2026-11-24T03:30:00.000Z",
    }
    assert credentials.verification_view(locked, NOW + timedelta(minutes=30), "staff-1")["state"] == "NONE"


def command(**fields: Any) -> Any:
    return {
        "commandId": "cmd-1",
        "status": "SENT",
        "expiresAt": "2026-11-27T03:00:00.000Z",
        "attempts": 1,
        **fields,
    }


@pytest.mark.parametrize("status", ["SUCCEEDED", "FAILED", "EXPIRED"])
def test_only_an_in_flight_command_is_cancelled_and_cancelling_again_changes_nothing(status: str) -> None:
    assert commands.check_cancellable(command(status="PENDING"))
    assert commands.check_cancellable(command(status="SENT"))
    assert not commands.check_cancellable(command(status="CANCELLED"))
    with pytest.raises(CommandNotCancellable) as refused:
        commands.check_cancellable(command(status=status))
    assert (refused.value.code, refused.value.details) == ("COMMAND_FINISHED", {"commandStatus": status})


def test_the_next_attempt_is_shown_while_in_flight_and_not_past_the_expiry() -> None:
    assert commands.next_attempt_at(command(), 60, NOW) == "2026-11-24T03:01:00.000Z"
    assert commands.next_attempt_at(command(expiresAt="2026-11-24T03:00:30.000Z"), 31, NOW) is None
    shown = commands.view(command(nextAttemptAt="2026-11-24T03:01:00.000Z"))
    assert shown["nextAttemptAt"] == "2026-11-24T03:01:00.000Z"
    done = commands.view(
        command(nextAttemptAt="x", **commands.cancelled(NOW, StaffMember("s-1", "sato.hanako"), "why"))
    )
    assert "nextAttemptAt" not in done
    assert (done["status"], done["cancelledBy"], done["cancelledByName"], done["cancelReason"]) == (
        "CANCELLED",
        "s-1",
        "sato.hanako",
        "why",
    )


def test_a_command_shows_who_asked_and_who_cancelled_by_name_null_when_not_recorded() -> None:
    shown = commands.view(command(requestedBy="s-1", requestedByName="sato.hanako"))
    assert (shown["requestedBy"], shown["requestedByName"]) == ("s-1", "sato.hanako")
    assert "cancelledByName" not in shown  # nobody cancelled it
    old = commands.view(command(status="CANCELLED", requestedBy="s-1", cancelledBy="s-2", cancelReason="x"))
    assert (old["requestedByName"], old["cancelledByName"]) == (None, None)
    assert list(old)[:8] == [
        "commandId",
        "status",
        "requestedBy",
        "requestedByName",
        "expiresAt",
        "cancelledBy",
        "cancelledByName",
        "cancelReason",
    ]
