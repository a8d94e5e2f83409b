"""The end-to-end scenario of the local service, step by step (``make demo``; tests/e2e).

Over HTTP, as the subscriber, the support app and support staff would: apply, signed in as the
account's holder (issue 23), and wait for the contract; register a simulated device with the
code the notification carried; verify the caller; lock the device and see it succeed; wipe a
second device that is offline and see the command re-sent and finally expire; cancel; run the
month end of that month (the job functions moved past the month's end, ``time_travel``); see the
contract ended, its invoice, and why the account's first contract is not on it (R12). Instants
are printed in Japan time.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import requests
from anshin.domain.clock import parse_iso
from anshin.domain.terms import JST, BillingMonth, billing_month_of

from local.devices import DEMO_PASSPHRASE as PASSPHRASE
from local.devices import DeviceFleet, SimulatedDevice
from local.inbox import NotificationInbox
from local.jobs import run_month, time_travel
from local.seed import put_account

T = TypeVar("T")


@dataclass
class Step:
    name: str
    status: int | str
    detail: str


@dataclass
class Scenario:
    endpoint: str
    api_url: str
    outputs: dict[str, str]
    staff_token: str
    fleet: DeviceFleet
    #: The ID token of the member holding an account (local.members.token_for), by account id.
    member_token: Callable[[str], str]
    timeout: float = 90.0
    steps: list[Step] = field(default_factory=list)
    on_step: Callable[[Step], None] = lambda step: None

    # --- plumbing -----------------------------------------------------------------------------
    def record(self, name: str, status: int | str, detail: str) -> None:
        step = Step(name, status, detail)
        self.steps.append(step)
        self.on_step(step)

    def call(
        self, method: str, path: str, body: Any = None, staff: bool = False, member: str | None = None
    ) -> tuple[int, dict[str, Any]]:
        """``staff``: as the demo staff member; ``member``: as the holder of that account."""
        headers = {"Authorization": self.staff_token} if staff else {}
        if member is not None:
            headers = {"Authorization": self.member_token(member)}
        answer = requests.request(method, self.api_url + path, json=body, headers=headers, timeout=30)
        return answer.status_code, answer.json() if answer.content else {}

    def until(self, probe: Callable[[], T | None], what: str) -> T:
        deadline = time.monotonic() + self.timeout
        while (value := probe()) is None:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{what}: not within {self.timeout}s")
            time.sleep(0.25)
        return value

    def outbox(self) -> Callable[[str], dict[str, Any]]:
        """What the subscriber's phone receives: an SQS subscriber of the notification topic."""
        inbox = NotificationInbox(self.endpoint, self.outputs["CustomerNotificationTopicArn"], "demo-inbox")
        return lambda application_id: self.until(
            lambda: inbox.message_for(application_id), f"notification of {application_id}"
        )

    # --- the story ----------------------------------------------------------------------------
    def contract_with_device(
        self, account: str, inbox: Callable[[str], dict[str, Any]], label: str
    ) -> tuple[str, SimulatedDevice]:
        device = self.fleet.add(SimulatedDevice(device_id=f"demo-{uuid.uuid4().hex[:8]}"))
        status, body = self.call(
            "POST",
            "/applications",
            {
                "mobileContractId": account,
                "applicant": {"name": "デモ 花子", "email": "hanako@example.com", "phone": "09012345678"},
                "device": {
                    "deviceId": device.device_id,
                    "platform": "android",
                    "kind": "smartphone",
                    "model": "Pixel 9",
                },
                "consent": {"termsVersion": "2017-07-01", "locationOptOut": False},
            },
            member=account,
        )
        application_id = str(body["applicationId"])
        self.record(f"apply ({label})", status, f"{application_id} {body.get('status')}")

        def contracted() -> dict[str, Any] | None:
            view = self.call("GET", f"/applications/{application_id}", member=account)[1]
            return view if view.get("status") == "CONTRACTED" else None

        contract_id = str(self.until(contracted, "contract")["contractId"])
        self.record(f"contract formed ({label})", "CONTRACTED", contract_id)
        code = inbox(application_id)["memberConfirmationCode"]
        device.register(self.api_url, code)
        device.set_passphrase(self.api_url, PASSPHRASE)
        self.record(f"device registered ({label})", 201, f"{device.device_id} with the notified code")
        return contract_id, device

    def verify(self, contract_id: str) -> str:
        status, body = self.call(
            "POST", f"/contracts/{contract_id}/verifications", {"passphrase": PASSPHRASE}, staff=True
        )
        self.record(
            "identity verified", status, f"{body.get('verificationId')} until {jst(body.get('expiresAt'))}"
        )
        return str(body["verificationId"])

    def command_until(self, command_id: str, final: str) -> dict[str, Any]:
        def finished() -> dict[str, Any] | None:
            view = self.call("GET", f"/commands/{command_id}", staff=True)[1]
            return view if view.get("status") == final else None

        return self.until(finished, f"{command_id} {final}")

    def run(self) -> dict[str, Any]:
        account = f"MC-DEMO-{uuid.uuid4().hex[:6].upper()}"
        put_account(self.endpoint, self.outputs["ContractsTableName"], account)
        self.record("mobile account", "seeded", f"{account}: eligible, no arrears, normal-rate line")
        inbox = self.outbox()
        first, phone = self.contract_with_device(account, inbox, "phone 1")
        second, tablet = self.contract_with_device(account, inbox, "phone 2")

        status, body = self.call(
            "POST",
            f"/contracts/{first}/devices/{phone.device_id}/commands",
            {"action": "LOCK", "verificationId": self.verify(first)},
            staff=True,
        )
        self.record("lock requested", status, f"{body['commandId']} {body['status']}")
        locked = self.command_until(body["commandId"], "SUCCEEDED")
        self.record("lock done", locked["status"], f"after {attempts(locked['attempts'])}")

        self.fleet.set_online(tablet, False)
        status, body = self.call(
            "POST",
            f"/contracts/{second}/devices/{tablet.device_id}/commands",
            {
                "action": "WIPE",
                "verificationId": self.verify(second),
                "confirm": tablet.device_id,  # typed back by the staff member
                "reason": "Tablet lost on a train; the subscriber asked for a wipe.",
            },
            staff=True,
        )
        self.record("wipe requested (device offline)", status, f"{body['commandId']} {body['status']}")
        expired = self.command_until(body["commandId"], "EXPIRED")
        self.record(
            "wipe expired",
            expired["status"],
            f"{attempts(expired['attempts'])}, none answered; expired at {jst(expired['expiresAt'])}",
        )
        self.fleet.set_online(tablet, True)

        status, body = self.call("POST", f"/contracts/{first}/cancellation", {}, staff=True)
        self.record("cancelled (R9)", status, f"{body['status']}, ends {jst(body['endsAt'])}")
        month = billing_month_of(parse_iso(str(body["endsAt"])))
        # The month is not over yet: the job functions' clock moves ten minutes past its end.
        now = datetime.now(UTC)
        moved_to = max(now, (month + 1).start()) + timedelta(minutes=10)
        with time_travel(self.endpoint, (moved_to - now).total_seconds()):
            results = run_month(self.endpoint, month)
        self.record(
            f"month end {month} (time-travelled)",
            " ".join(r["status"] for r in results),
            f"termination, then billing, run with the job functions' clock moved to {jst(moved_to)}",
        )

        contract = self.call("GET", f"/contracts/{first}", staff=True)[1]
        self.record(
            "contract",
            contract["status"],
            f"ended {jst(contract.get('endedAt'))} ({contract.get('endReason')})",
        )
        status, invoice = self.call("GET", f"/accounts/{account}/invoices/{month}", staff=True)
        lines = ", ".join(f"{line['contractId']} ¥{line['amount']}" for line in invoice.get("lines", []))
        self.record(
            f"invoice {month}",
            status,
            f"¥{invoice.get('subtotal')} + tax ¥{invoice.get('tax')} = ¥{invoice.get('total')}: {lines}",
        )
        views = [contract, self.call("GET", f"/contracts/{second}", staff=True)[1]]
        for contract_id, why in not_charged(month, views, invoice):
            self.record("not charged (R12)", "¥0", f"{contract_id}: {why}")
        return {
            "account": account,
            "month": str(month),
            "contracts": [first, second],
            "lock": locked,
            "wipe": expired,
            "contract": contract,
            "invoice": invoice,
        }


def jst(instant: str | datetime | None) -> str:
    """An instant (ISO 8601 or aware) in Japan time, as the terms count it: ``2026-11-30 23:59:59 JST``."""
    if instant is None:
        return "-"
    at = parse_iso(instant) if isinstance(instant, str) else instant
    return at.astimezone(JST).strftime("%Y-%m-%d %H:%M:%S JST")


def attempts(count: int) -> str:
    """How many times a command was pushed: ``1 attempt``, ``3 attempts``."""
    return f"{count} attempt{'' if count == 1 else 's'}"


def not_charged(
    month: BillingMonth, contracts: list[dict[str, Any]], invoice: dict[str, Any]
) -> list[tuple[str, str]]:
    """Why each of ``contracts`` (staff views) without a line on the ``month`` invoice is not
    charged: its first billable month is later (R12)."""
    charged = {line["contractId"] for line in invoice.get("lines", [])}
    reasons = []
    for contract in contracts:
        first = BillingMonth.parse(contract["firstBillableMonth"])
        if contract["contractId"] in charged or first <= month:
            continue
        formed = billing_month_of(parse_iso(contract["formedAt"]))
        why = f"first billable month {first}"
        if first == formed + 2:
            why = f"the account's first contract: {why}, two months after it formed in {formed}"
        if "endedAt" in contract:
            why += f"; it ended {jst(contract['endedAt'])}, before then, so it is never charged"
        reasons.append((contract["contractId"], why))
    return reasons


def table(steps: list[Step]) -> str:
    width = max(len(step.name) for step in steps)
    rows = [f"{'step':<{width}}  {'result':<22} detail", f"{'-' * width}  {'-' * 22} {'-' * 40}"]
    rows += [f"{step.name:<{width}}  {step.status!s:<22} {step.detail}" for step in steps]
    return "\n".join(rows)
