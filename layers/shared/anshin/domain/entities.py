"""The stored entities, typed: what each item of the tables holds, field by field, as the code
writes it (anshin.store, one repository per entity). Pure: no storage.

The contract (:class:`Contract`) and the device (:class:`Device`) are frozen dataclasses: their
repository parses an item once (``from_item``: instants become aware ``datetime``s, statuses
enums, a missing or malformed field an :class:`InvariantViolation`) and writes from them
(``to_item``); the rules take them, never the item. A ``Contract`` checks its invariants when it
is made, so an inconsistent one cannot exist in memory. The other items are still
``TypedDict``s (plain dicts that mypy checks field by field; ``Required`` fields are on every
stored item, the others written by a later step and maybe absent), to be converted the same way.

The business view: an entity lists its own fields, not the keys that place it in the single
table. Every stored item also carries its ``pk``/``sk`` and, for some, index keys
(``gsiNpk``/``gsiNsk``); anshin.store.keys owns those, and no rule reads them.

Numbers are written as ``int`` and read back by boto3 as ``Decimal``: a stored number is
:data:`Number`, and code that computes with one converts it (``int(...)``).

The mobile account is the ``Account`` dataclass (anshin.domain.accounts), which its repository
converts the ``PROFILE`` item to; an invoice line is computed as the ``Line`` dataclass
(anshin.domain.billing_rules) and stored as :class:`InvoiceLine`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, NotRequired, Required, TypedDict

from anshin.domain.clock import iso, parse_iso
from anshin.domain.errors import InvariantViolation
from anshin.domain.terms import first_billable_month

#: A stored number: an ``int`` as written, a ``Decimal`` as read back.
Number = int | Decimal


# --- what an application carries into its contract (R6, R16) --------------------------------------
class Holder(TypedDict):
    """The applicant, then the contract's holder (``ApplicationRequest.applicant``)."""

    name: str
    email: str
    phone: str


class DeviceSpec(TypedDict):
    """The protected device as applied for (``ApplicationRequest.device``; R16: its id)."""

    deviceId: str
    platform: str
    kind: str
    model: str


class ConsentRecord(TypedDict):
    """The applicant's consent (``ApplicationRequest.consent``)."""

    termsVersion: str
    locationOptOut: bool


# --- applications (R6) ------------------------------------------------------------------------
class Application(TypedDict, total=False):
    """``APP#<applicationId>`` (anshin.store.applications)."""

    type: Required[str]  # "APPLICATION"
    applicationId: Required[str]
    status: Required[str]  # an ApplicationStatus
    receivedAt: Required[str]
    mobileContractId: Required[str]
    applicant: Required[Holder]
    device: Required[DeviceSpec]
    consent: Required[ConsentRecord]
    #: The member (their token's subject) who applied, signed in as the account's holder
    #: (Art. 5, issue 23); absent on applications received before member sign-in.
    appliedBy: str
    #: Its place in the account's line (R6.1); absent for an account the mirror does not know.
    sequence: Number
    #: The staff's decision on a deferred application (R6.2), until the workflow takes it: who
    #: (id and name, anshin.domain.staff) and what.
    decidedBy: str
    decidedByName: str
    staffDecision: str
    #: The waiting workflow's task token, while DEFERRED (R6.2).
    taskToken: str
    #: The R6.3 / R4 reason code, once REJECTED.
    reason: str
    #: Whether it holds one of the account's slots (R4), from approval.
    slotHeld: bool
    #: Why the notification workflow failed (NOTIFICATION_FAILED, R6.4).
    failure: str
    #: Set for an operator: notified, but its contract is not recorded.
    attention: str
    #: The credentials, issued once APPROVED. The member code is never stored: ``codeDraw`` is
    #: which draw it was, from which the notification derives it again (anshin.adapters.mac).
    contractId: str
    codeDraw: Number
    supportPhoneNumber: str
    codeMac: str
    #: The keyed digest of the applicant's phone number (E.164), issued with the credentials: the
    #: contract's phone lookup (staff search) is written with it when the contract is recorded.
    phoneMac: str
    #: R6.2: which standing rule deferred it (anshin.domain.applications.deferral_reason).
    deferredReason: str
    #: The instant the notification was accepted: the contract's formation (R6.4).
    formedAt: str


# --- contracts (R6.4, R8-R12, R16) ------------------------------------------------------------
class ContractStatus(StrEnum):
    ACTIVE = "ACTIVE"
    CANCELLATION_PENDING = "CANCELLATION_PENDING"
    ENDED = "ENDED"


class EndReason(StrEnum):
    SUBSCRIBER_CANCELLATION = "SUBSCRIBER_CANCELLATION"  # R9
    COMPANY_TERMINATION = "COMPANY_TERMINATION"  # R10
    ACCOUNT_LOSS = "ACCOUNT_LOSS"  # R11


def _corrupt(message: str, code: str = "CORRUPT_CONTRACT") -> InvariantViolation:
    return InvariantViolation(code, message)


def _text(
    item: Mapping[str, Any], name: str, *, optional: bool = False, code: str = "CORRUPT_CONTRACT"
) -> str | None:
    """A stored item's text field; a missing (unless ``optional``) or malformed one is ``code``."""
    value = item.get(name)
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value:
        raise _corrupt(f"{name} is missing or not a string", code)
    return value


def _instant(
    item: Mapping[str, Any], name: str, *, optional: bool = False, code: str = "CORRUPT_CONTRACT"
) -> datetime | None:
    """A stored item's instant (ISO 8601 with a time zone), parsed; else as :func:`_text`."""
    text = _text(item, name, optional=optional, code=code)
    if text is None:
        return None
    try:
        at = parse_iso(text)
    except ValueError:
        raise _corrupt(f"{name} is not an ISO 8601 instant", code) from None
    if at.tzinfo is None:
        raise _corrupt(f"{name} has no time zone", code)
    return at


def _with_optional(item: dict[str, Any], **fields: object) -> dict[str, Any]:
    """``item`` with each of ``fields`` that is set, as stored: an instant as ISO 8601 (UTC), an
    enum by its value; an unset one (None) is no attribute at all."""
    for name, value in fields.items():
        if isinstance(value, datetime):
            item[name] = iso(value)
        elif value is not None:
            item[name] = str(value)
    return item


@dataclass(frozen=True, slots=True)
class ContractHolder:
    """The contract's holder, from the application (R16: contact data, erased after the end,
    docs/retention.md)."""

    name: str
    email: str
    phone: str

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> ContractHolder:
        return cls(
            name=str(_text(item, "name")), email=str(_text(item, "email")), phone=str(_text(item, "phone"))
        )

    def to_item(self) -> Holder:
        return {"name": self.name, "email": self.email, "phone": self.phone}


@dataclass(frozen=True, slots=True)
class ProtectedDevice:
    """The protected device as applied for (R16: its id, one live contract per device)."""

    device_id: str
    platform: str
    kind: str
    model: str

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> ProtectedDevice:
        return cls(
            device_id=str(_text(item, "deviceId")),
            platform=str(_text(item, "platform")),
            kind=str(_text(item, "kind")),
            model=str(_text(item, "model")),
        )

    def to_item(self) -> DeviceSpec:
        return {"deviceId": self.device_id, "platform": self.platform, "kind": self.kind, "model": self.model}


@dataclass(frozen=True, slots=True)
class Contract:
    """``CONTRACT#<contractId>`` (anshin.store.contracts), parsed once at the store's boundary.

    A ``Contract`` that exists is consistent: :meth:`__post_init__` checks what every stored
    contract must satisfy (the month jobs trust these fields), so a write builds the contract it
    would leave behind (``dataclasses.replace``) and cannot make an inconsistent one, and a
    stored item that is not a consistent contract (bad data, a future schema) raises
    :class:`InvariantViolation` where it is read: an API answers 409, a month job sets it aside.
    """

    contract_id: str
    application_id: str
    mobile_contract_id: str
    status: ContractStatus
    formed_at: datetime
    first_under_account: bool
    #: YYYY-MM (R12): follows from ``formed_at`` and ``first_under_account``.
    first_billable_month: str
    #: None once its contact data was erased (docs/retention.md).
    holder: ContractHolder | None
    device: ProtectedDevice
    location_opt_out: bool
    member_code_mac: str
    support_phone_number: str
    #: Its end: scheduled (CANCELLATION_PENDING), then the instant it ended (ENDED), and why.
    ends_at: datetime | None = None
    ended_at: datetime | None = None
    end_reason: EndReason | None = None
    #: R9: when the subscriber's notice arrived.
    cancellation_received_at: datetime | None = None
    #: R10: the company's reason and the staff member who ended it.
    termination_reason: str | None = None
    terminated_by: str | None = None
    terminated_by_name: str | None = None
    #: The passphrase (合言葉), as its Argon2id hash only (R16); erased after the end.
    passphrase_hash: str | None = None
    passphrase_set_at: datetime | None = None
    #: Until when a WIPE is refused after a credential change.
    wipe_cooldown_until: datetime | None = None
    #: When staff last reissued the member code (issue 24): the old code died then, and a
    #: registration with the new one lifts a revocation made before it.
    member_code_issued_at: datetime | None = None
    #: When its personal data was first erased (docs/retention.md).
    personal_data_erased_at: datetime | None = None

    def __post_init__(self) -> None:
        """What a stored contract must always satisfy: formation <= notice <= end (R9),
        formation <= end (R10, R11), the first billable month follows from formation (R12), and
        the status agrees with the dates (ACTIVE has no end, CANCELLATION_PENDING a scheduled
        one, ENDED the instant it ended)."""
        if not self.contract_id or not self.mobile_contract_id:
            raise _corrupt("contractId or mobileContractId is missing")
        for name in ("formed_at", *_INSTANTS.values()):
            at = getattr(self, name)
            if at is not None and at.tzinfo is None:
                raise _corrupt(f"{name} has no time zone")
        if self.first_billable_month != str(first_billable_month(self.formed_at, self.first_under_account)):
            raise _corrupt("firstBillableMonth does not follow from formedAt (R12)")
        notice = self.cancellation_received_at
        if notice is not None and notice < self.formed_at:
            raise InvariantViolation(
                "NOTICE_BEFORE_FORMATION", "A cancellation notice cannot arrive before the contract formed."
            )
        if self.status is ContractStatus.ACTIVE:
            if self.ends_at is not None or self.ended_at is not None:
                raise _corrupt("an ACTIVE contract has no end")
            return
        if self.end_reason is None:
            raise _corrupt("endReason is not an end reason")
        pending = self.status is ContractStatus.CANCELLATION_PENDING
        end = self.ends_at if pending else self.ended_at
        if end is None:
            raise _corrupt(f"{'endsAt' if pending else 'endedAt'} is missing")
        if end < self.formed_at:
            raise InvariantViolation("END_BEFORE_FORMATION", "A contract cannot end before it formed.")
        # A cancellation ends no earlier than its notice (R9); the company (R10) or the account's
        # loss (R11) may end a contract earlier than a notice it had received.
        if self.end_reason is EndReason.SUBSCRIBER_CANCELLATION and notice is not None and end < notice:
            raise InvariantViolation("END_BEFORE_NOTICE", "A contract cannot end before its notice arrived.")
        if pending and self.ended_at is not None:
            raise _corrupt("a contract still to end has no endedAt")

    @classmethod
    def formed(
        cls,
        *,
        contract_id: str,
        application_id: str,
        mobile_contract_id: str,
        formed_at: datetime,
        first_under_account: bool,
        holder: ContractHolder,
        device: ProtectedDevice,
        location_opt_out: bool,
        member_code_mac: str,
        support_phone_number: str,
    ) -> Contract:
        """A newly formed, ACTIVE contract (R6.4), billable from the month R12 says."""
        return cls(
            contract_id=contract_id,
            application_id=application_id,
            mobile_contract_id=mobile_contract_id,
            status=ContractStatus.ACTIVE,
            formed_at=formed_at,
            first_under_account=first_under_account,
            first_billable_month=str(first_billable_month(formed_at, first_under_account)),
            holder=holder,
            device=device,
            location_opt_out=location_opt_out,
            member_code_mac=member_code_mac,
            support_phone_number=support_phone_number,
        )

    @property
    def device_id(self) -> str:
        return self.device.device_id

    @property
    def contact(self) -> ContractHolder:
        """Its holder's contact data: there until it is erased, some time after the end."""
        if self.holder is None:
            raise _corrupt("its holder's contact data was erased")
        return self.holder

    @property
    def end(self) -> datetime | None:
        """When it ends or ended: the instant it ended, else its scheduled end (R9-R11)."""
        return self.ended_at or self.ends_at

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> Contract:
        """The contract an item holds, or :class:`InvariantViolation` (``CORRUPT_CONTRACT``, or
        the rule it breaks) when it is not a consistent one."""
        try:
            status = ContractStatus(str(item.get("status")))
        except ValueError:
            raise _corrupt("status is not a contract status") from None
        reason = item.get("endReason")
        try:
            end_reason = None if reason is None else EndReason(str(reason))
        except ValueError:
            raise _corrupt("endReason is not an end reason") from None
        first, opt_out = item.get("firstUnderAccount"), item.get("locationOptOut")
        if not isinstance(first, bool):
            raise _corrupt("firstUnderAccount is not a boolean")
        if not isinstance(opt_out, bool):
            raise _corrupt("locationOptOut is not a boolean")
        holder, device = item.get("holder"), item.get("device")
        if not isinstance(device, Mapping):
            raise _corrupt("device is missing")
        if holder is not None and not isinstance(holder, Mapping):
            raise _corrupt("holder is not a record")
        instants = {field: _instant(item, name, optional=True) for name, field in _INSTANTS.items()}
        formed_at = _instant(item, "formedAt")
        assert formed_at is not None
        return cls(
            contract_id=str(_text(item, "contractId")),
            application_id=str(_text(item, "applicationId")),
            mobile_contract_id=str(_text(item, "mobileContractId")),
            status=status,
            formed_at=formed_at,
            first_under_account=first,
            first_billable_month=str(_text(item, "firstBillableMonth")),
            holder=None if holder is None else ContractHolder.from_item(holder),
            device=ProtectedDevice.from_item(device),
            location_opt_out=opt_out,
            member_code_mac=str(_text(item, "memberCodeMac")),
            support_phone_number=str(_text(item, "supportPhoneNumber")),
            end_reason=end_reason,
            termination_reason=_text(item, "terminationReason", optional=True),
            terminated_by=_text(item, "terminatedBy", optional=True),
            terminated_by_name=_text(item, "terminatedByName", optional=True),
            passphrase_hash=_text(item, "passphraseHash", optional=True),
            **instants,
        )

    def to_item(self) -> dict[str, Any]:
        """The attributes it is stored with (its keys are anshin.store.keys')."""
        item: dict[str, Any] = {
            "type": "CONTRACT",
            "contractId": self.contract_id,
            "applicationId": self.application_id,
            "mobileContractId": self.mobile_contract_id,
            "status": self.status.value,
            "firstUnderAccount": self.first_under_account,
            "firstBillableMonth": self.first_billable_month,
            "device": self.device.to_item(),
            "locationOptOut": self.location_opt_out,
            "memberCodeMac": self.member_code_mac,
            "supportPhoneNumber": self.support_phone_number,
        }
        if self.holder is not None:
            item["holder"] = self.holder.to_item()
        return _with_optional(
            item,
            endReason=self.end_reason,
            terminationReason=self.termination_reason,
            terminatedBy=self.terminated_by,
            terminatedByName=self.terminated_by_name,
            passphraseHash=self.passphrase_hash,
            formedAt=self.formed_at,
            **{name: getattr(self, field) for name, field in _INSTANTS.items()},
        )


#: The contract's instants other than its formation: stored name -> field.
_INSTANTS = {
    "endsAt": "ends_at",
    "endedAt": "ended_at",
    "cancellationReceivedAt": "cancellation_received_at",
    "passphraseSetAt": "passphrase_set_at",
    "wipeCooldownUntil": "wipe_cooldown_until",
    "memberCodeIssuedAt": "member_code_issued_at",
    "personalDataErasedAt": "personal_data_erased_at",
}


# --- devices (Appendix, R16) ------------------------------------------------------------------
#: What a device record that is not a device is refused as.
CORRUPT_DEVICE = "CORRUPT_DEVICE"


@dataclass(frozen=True, slots=True)
class Device:
    """``DEVICE#<deviceId>``: the support app registered on a contract's device
    (anshin.store.devices), parsed once at the store's boundary."""

    device_id: str
    contract_id: str
    platform: str
    model: str
    registered_at: datetime
    token_expires_at: datetime
    #: The push channel: the SNS platform endpoint of the device's push token; None once erased
    #: after the contract's end (docs/retention.md).
    endpoint_arn: str | None = None
    #: The device token's SHA-256 (never the token); None once staff revoked it (or erased).
    token_digest: str | None = None
    #: The app registered before a re-registration, kept through the cooldown (for locks).
    previous_endpoint_arn: str | None = None
    previous_endpoint_until: datetime | None = None
    rotated_at: datetime | None = None
    revoked_at: datetime | None = None
    revoked_by: str | None = None
    revoked_by_name: str | None = None
    personal_data_erased_at: datetime | None = None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> Device:
        """The device an item holds, or :class:`InvariantViolation` (``CORRUPT_DEVICE``)."""

        def text(name: str, optional: bool = False) -> str | None:
            return _text(item, name, optional=optional, code=CORRUPT_DEVICE)

        def instant(name: str, optional: bool = False) -> datetime | None:
            return _instant(item, name, optional=optional, code=CORRUPT_DEVICE)

        registered_at, token_expires_at = instant("registeredAt"), instant("tokenExpiresAt")
        assert registered_at is not None and token_expires_at is not None
        return cls(
            device_id=str(text("deviceId")),
            contract_id=str(text("contractId")),
            platform=str(text("platform")),
            model=str(text("model")),
            registered_at=registered_at,
            token_expires_at=token_expires_at,
            endpoint_arn=text("endpointArn", True),
            token_digest=text("tokenDigest", True),
            previous_endpoint_arn=text("previousEndpointArn", True),
            previous_endpoint_until=instant("previousEndpointUntil", True),
            rotated_at=instant("rotatedAt", True),
            revoked_at=instant("revokedAt", True),
            revoked_by=text("revokedBy", True),
            revoked_by_name=text("revokedByName", True),
            personal_data_erased_at=instant("personalDataErasedAt", True),
        )

    def to_item(self) -> dict[str, Any]:
        """The attributes it is stored with (its key is anshin.store.keys')."""
        item: dict[str, Any] = {
            "type": "DEVICE",
            "deviceId": self.device_id,
            "contractId": self.contract_id,
            "platform": self.platform,
            "model": self.model,
        }
        return _with_optional(
            item,
            registeredAt=self.registered_at,
            tokenExpiresAt=self.token_expires_at,
            endpointArn=self.endpoint_arn,
            tokenDigest=self.token_digest,
            previousEndpointArn=self.previous_endpoint_arn,
            previousEndpointUntil=self.previous_endpoint_until,
            rotatedAt=self.rotated_at,
            revokedAt=self.revoked_at,
            revokedBy=self.revoked_by,
            revokedByName=self.revoked_by_name,
            personalDataErasedAt=self.personal_data_erased_at,
        )


# --- remote commands (Appendix) ---------------------------------------------------------------
class Backup(TypedDict):
    """A settings backup the device uploaded (the object's metadata)."""

    key: str
    size: Number
    encryption: str


class CommandUpdate(TypedDict, total=False):
    """The fields a command's final transition sets (anshin.domain.commands.result, expired)."""

    status: str  # a CommandStatus
    finishedAt: str
    #: R16: never stored when the subscriber opted out.
    location: dict[str, Decimal]
    failureReason: str
    backup: Backup
    #: A cancellation by staff (CANCELLED): who (id and name, anshin.domain.staff), when, why.
    cancelledAt: str
    cancelledBy: str
    cancelledByName: str
    cancelReason: str


class Command(TypedDict, total=False):
    """``CMD#<commandId>`` (anshin.domain.commands.new, anshin.store.commands)."""

    type: str  # "COMMAND": the store adds it
    commandId: Required[str]
    contractId: Required[str]
    deviceId: Required[str]
    action: Required[str]  # an Action
    status: Required[str]  # a CommandStatus
    requestedBy: Required[str]
    #: The requester's name (anshin.domain.staff); absent on commands recorded before names were.
    requestedByName: str
    requestedAt: Required[str]
    expiresAt: Required[str]
    attempts: Required[Number]
    #: The staff request's correlation id, carried to every push.
    correlationId: str
    #: The identity verification a LOCK or WIPE was asked with.
    verificationId: str | None
    #: Why staff asked for it (required for a WIPE).
    reason: str
    #: The pushes: the first and the last attempt's instant, and when the workflow pushes again
    #: (absent when the command expires before then).
    sentAt: str
    lastAttemptAt: str
    nextAttemptAt: str
    #: The final transition (:class:`CommandUpdate`).
    finishedAt: str
    location: dict[str, Decimal]
    failureReason: str
    backup: Backup
    cancelledAt: str
    cancelledBy: str
    cancelledByName: str
    cancelReason: str
    #: What the device reported when it ran the command after staff had cancelled it.
    ranAfterCancel: dict[str, str]


# --- the Sessions table: support sessions and identity verification (R7, R14, R16) -------------
class SupportSession(TypedDict, total=False):
    """``SUPPORT#<sessionId>`` (anshin.services.support_sessions, anshin.store.support_sessions)."""

    type: Required[str]  # "SUPPORT_SESSION"
    sessionId: Required[str]
    contractId: Required[str]
    channel: Required[str]  # a Channel
    category: Required[str]
    staffId: Required[str]
    #: Who opened it and who closed it, by name too (anshin.domain.staff).
    staffName: str
    openedAt: Required[str]
    status: Required[str]  # OPEN, REFUSED, CLOSED
    #: The rule's code, for a refused request (R7, R14).
    refusal: str
    outcome: str
    closedAt: str
    closedBy: str
    closedByName: str


class Verification(TypedDict):
    """``VERIFY#<verificationId>``: the session a verified passphrase opens
    (anshin.store.verifications); it expires with DynamoDB TTL."""

    type: str  # "VERIFICATION"
    verificationId: str
    contractId: str
    staffId: str
    #: The opener's name (anshin.domain.staff); absent on sessions opened before names were.
    staffName: NotRequired[str]
    verifiedAt: str
    expiresAt: str
    ttl: Number


class CancellationRequest(TypedDict, total=False):
    """``CANCEL#<requestId>``: a web cancellation (R9) waiting for its one-time code
    (anshin.store.cancellation_requests); expires with DynamoDB TTL. A request for an unknown member
    code is stored too, with no contract and no digest, so it answers exactly like a real one."""

    type: Required[str]  # "CANCELLATION_REQUEST"
    requestId: Required[str]
    status: Required[str]  # anshin.domain.cancellations.RequestStatus
    createdAt: Required[str]
    expiresAt: Required[str]  # the code's validity
    ttl: Required[Number]
    wrongAttempts: Number
    contractId: str  # absent: the member code matched no live contract
    codeDigest: str  # absent likewise, and until the worker sent the code; never the code itself
    codeSentAt: str  # when the worker sent the code (and stored its digest)
    confirmedAt: str  # CONFIRMED: when the notice was recorded


# --- the month jobs' runs ---------------------------------------------------------------------
class QuarantineEntry(TypedDict):
    """What is recorded of a contract a job set aside (no personal data)."""

    contractId: str
    errorType: str
    code: str
    error: str


class JobRun(TypedDict, total=False):
    """``RUN#<job>#<month>`` / ``EXEC#<runId>`` (anshin.store.jobs)."""

    type: Required[str]  # "JOB_RUN"
    job: Required[str]  # MONTH_END, BILLING
    #: The month it closes (YYYY-MM), from the schedule's input.
    month: Required[str]
    scheduledTime: Required[str]
    runId: Required[str]
    #: A dry run writes nothing but its own record.
    dryRun: Required[bool]
    status: Required[str]  # RUNNING, then SUCCEEDED, SUCCEEDED_WITH_QUARANTINE or FAILED
    startedAt: Required[str]
    #: What the run did, once finished.
    finishedAt: str
    totals: dict[str, Number]
    quarantinedCount: Number
    quarantined: list[QuarantineEntry]


# --- billing (R12, R13) -------------------------------------------------------------------------
class InvoiceLine(TypedDict):
    """``INVOICE#<account>#<month>`` / ``LINE#<contractId>``: a ``Line`` as stored, never changed
    once written (anshin.store.invoices)."""

    type: str  # "INVOICE_LINE"
    mobileContractId: str
    month: str
    contractId: str
    amount: Number
    chargedAt: str
    runId: str


class StaffRules(TypedDict, total=False):
    """R6.2: the staff's standing deferral rules (``CONFIG#STAFF_RULES``)."""

    deferAll: bool
    deferKinds: list[str]
    deferPlatforms: list[str]
