"""The stored entities, typed: what each item of the tables holds, field by field, as the code
writes it (anshin.store, one repository per entity). Pure: no storage.

They are ``TypedDict``s: an entity stays the plain dict DynamoDB gives and takes, and mypy checks
every field read and written. ``Required`` fields are on every stored item; the others are
written by a later step (noted on each) and may be absent.

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

from decimal import Decimal
from typing import NotRequired, Required, TypedDict

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
class Contract(TypedDict, total=False):
    """``CONTRACT#<contractId>`` (anshin.store.contracts); its consistency is
    anshin.domain.contract_rules.check."""

    type: Required[str]  # "CONTRACT"
    contractId: Required[str]
    applicationId: Required[str]
    mobileContractId: Required[str]
    status: Required[str]  # a ContractStatus
    formedAt: Required[str]
    firstUnderAccount: Required[bool]
    firstBillableMonth: Required[str]  # YYYY-MM (R12)
    holder: Required[Holder]
    device: Required[DeviceSpec]
    locationOptOut: Required[bool]
    memberCodeMac: Required[str]
    supportPhoneNumber: Required[str]
    #: Its end: scheduled (CANCELLATION_PENDING), then the instant it ended (ENDED), and why.
    endsAt: str
    endedAt: str
    endReason: str  # an EndReason
    #: R9: when the subscriber's notice arrived.
    cancellationReceivedAt: str
    #: R10: the company's reason and the staff member who ended it.
    terminationReason: str
    terminatedBy: str
    terminatedByName: str
    #: The passphrase (合言葉), as its Argon2id hash only (R16).
    passphraseHash: str
    passphraseSetAt: str
    #: Until when a WIPE is refused after a credential change.
    wipeCooldownUntil: str
    #: When staff last reissued the member code (issue 24): the old code died then, and a
    #: registration with the new one lifts a revocation made before it.
    memberCodeIssuedAt: str


# --- devices (Appendix, R16) ------------------------------------------------------------------
class Device(TypedDict, total=False):
    """``DEVICE#<deviceId>``: the support app registered on a contract's device
    (anshin.store.devices)."""

    type: Required[str]  # "DEVICE"
    deviceId: Required[str]
    contractId: Required[str]
    platform: Required[str]
    model: Required[str]
    #: The push channel: the SNS platform endpoint of the device's push token.
    endpointArn: Required[str]
    #: The device token's SHA-256 (never the token); removed when staff revoke it.
    tokenDigest: str
    tokenExpiresAt: Required[str]
    registeredAt: Required[str]
    #: The app registered before a re-registration, kept through the cooldown (for locks).
    previousEndpointArn: str
    previousEndpointUntil: str
    rotatedAt: str
    revokedAt: str
    revokedBy: str
    revokedByName: str


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
