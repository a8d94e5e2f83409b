"""Every refusal the service makes, in one place, grouped by the rules they come from (requests,
staff, applications R6, contracts R8-R12, billing R12-R13, devices and verification R16 and the
Appendix, commands, support sessions R7/R14). Each has a machine-readable ``code`` (the rule's
reason code where there is one) and a message for a person; ``anshin.runtime.http`` answers each
with its HTTP status from one table. Workflow steps and month jobs catch the ones they expect.

Errors that are not a client's doing (a throttled table, a bug) are not here: they fail the
Lambda, and the workflow's Retry, the DLQ or the alarm takes over.
"""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    """A refusal: ``code`` and ``message`` default to the class's; ``details`` are extra fields of
    the answer (``lockedUntil``...); ``retry_after`` seconds, when trying again later can help."""

    code: ClassVar[str] = "REFUSED"
    message: ClassVar[str] = "The request is refused."
    #: Seconds after which trying again can help, when the class knows (``Retry-After``).
    retry_after_seconds: ClassVar[int | None] = None

    def __init__(
        self,
        *context: object,
        message: str | None = None,
        code: str | None = None,
        retry_after: int | None = None,
        **details: Any,
    ) -> None:
        """``context``: what the refusal was about, for logs and tracebacks only (never answered)."""
        super().__init__(*context)
        self.code = code or type(self).code  # type: ignore[misc]
        self.message = message or type(self).message  # type: ignore[misc]
        self.retry_after = retry_after if retry_after is not None else type(self).retry_after_seconds
        self.details = details


class IdempotencyKeyInvalid(DomainError):
    """The Idempotency-Key header is too short or too long."""

    code = "INVALID_IDEMPOTENCY_KEY"
    message = "Idempotency-Key must be 8 to 128 characters."


class IdempotencyKeyReused(DomainError):
    """An Idempotency-Key sent again with a different application."""

    code = "IDEMPOTENCY_KEY_REUSED"
    message = "This Idempotency-Key was used for a different application."


class RequestInProgress(DomainError):
    """The same idempotent request is still being processed."""

    code = "REQUEST_IN_PROGRESS"
    message = "The same request is being processed."


class TemporarilyUnavailable(DomainError):
    """Too much at once (a hot account, a throttled table): the client may retry."""

    code = "TEMPORARILY_UNAVAILABLE"
    message = "Please try again shortly."


class NoticeInTheFuture(DomainError):
    """R9: a cancellation notice stated to arrive later than now (beyond clock skew)."""

    code = "NOTICE_IN_THE_FUTURE"
    message = "A notice cannot arrive in the future."


class NotSignedIn(DomainError):
    """A staff route called without a verified staff identity."""

    code = "UNAUTHENTICATED"
    message = "Sign in as support staff."


class NotStaff(DomainError):
    """A staff route called by someone outside the support-staff group."""

    code = "FORBIDDEN"
    message = "Only support staff may do this."


class MemberNotSignedIn(NotSignedIn):
    """A member route called without a verified member identity (issue 23)."""

    message = "Sign in as the holder of the mobile account."


class MembersOnly(DomainError):
    """A member route called with a token that is not a member's (a staff token, issue 23)."""

    code = "MEMBERS_ONLY"
    message = "Only a member of the mobile service, signed in as the account's holder, may do this."


class NotAccountHolder(DomainError):
    """R5 (Art. 5): an application names an account other than the signed-in member's (issue 23)."""

    code = "NOT_ACCOUNT_HOLDER"
    message = "You can apply only for the mobile account you are signed in with."


class ApplicationNotFound(DomainError):
    """No application has this id."""

    code = "APPLICATION_NOT_FOUND"
    message = "No such application."


class NotDeferred(DomainError):
    """R6.2: only a deferred application still waiting takes a staff decision."""

    code = "NOT_DEFERRED"
    message = "Only a deferred application awaiting a decision can be decided."


class AccountBusy(TemporarilyUnavailable):
    """Another application of the account took the same place in its line; try again."""


class EarlierApplicationsPending(DomainError):
    """R6.1: an earlier application of the same account is still being screened."""

    code = "EARLIER_APPLICATIONS_PENDING"
    message = "An earlier application of the same account is still being screened."


class ContractNotFound(DomainError):
    """No contract has this id."""

    code = "CONTRACT_NOT_FOUND"
    message = "No such contract."


class ContractEnded(DomainError):
    """The contract has ended: nothing about it can change any more."""

    code = "CONTRACT_ENDED"
    message = "The contract has ended; it can no longer change."


class InvariantViolation(DomainError, ValueError):
    """A write would leave a contract inconsistent (anshin.domain.contract_rules), or a stored one
    is: an API answers ``409`` with the code; a month job sets the record aside (quarantine)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, code=code, message=message)


class AccountNotFound(DomainError):
    """An upstream event names an account not mirrored here (retried, then dead-lettered)."""

    code = "ACCOUNT_NOT_FOUND"
    message = "No such mobile account."


class NonTransferable(DomainError):
    """R8: the holder of a contract never changes."""

    code = "NON_TRANSFERABLE"
    message = "A contract's holder never changes (R8)."


class NotModifiable(DomainError):
    """A contract changes only through cancellation (R9) or termination (R10)."""

    code = "NOT_MODIFIABLE"
    message = "Contracts change only through cancellation or termination."


class InvoiceNotFound(DomainError):
    """R12, R13: nothing was charged to the account for the month."""

    code = "INVOICE_NOT_FOUND"
    message = "Nothing was charged to this account for that month."


class MonthNotOver(DomainError):
    """A month is billed once it is over (a dry run may look at it any time)."""

    code = "MONTH_NOT_OVER"
    message = "The month is not over yet."


class UnknownCode(DomainError):
    """One refusal for an unknown code and another device's: a guess learns nothing."""

    code = "MEMBER_CODE_NOT_FOUND"
    message = "No contract has this member confirmation code for this device."


class TooManyAttempts(DomainError):
    """The attempts of the current window are used up (``retry_after`` seconds left)."""

    code = "TOO_MANY_ATTEMPTS"
    message = "Too many registration attempts; try again later."


class TooManyApplications(TooManyAttempts):
    """More applications today than a member, or an account, may make (issue 23)."""

    code = "TOO_MANY_APPLICATIONS"
    message = "Too many applications today; try again later."


class ContractForming(DomainError):
    """R6.4: the code's notification is being sent this moment; the app tries again."""

    code = "CONTRACT_FORMING"
    message = "The contract is forming as its notification is sent; try again in a moment."
    retry_after_seconds = 2


class AppUnsupported(DomainError):
    """The support app runs on Android only (Appendix)."""

    code = "UNSUPPORTED_DEVICE"
    message = "The support app runs on Android devices only."


class TokenRefused(DomainError):
    """Not this device's token: expired, revoked, replaced, or its contract has ended."""

    code = "DEVICE_NOT_AUTHENTICATED"
    message = "This call needs the device's own token."


class UnknownDevice(DomainError):
    """No device of this contract has this id."""

    code = "DEVICE_NOT_FOUND"
    message = "No device of this contract has this id."


class PassphraseRace(DomainError):
    """The passphrase changed while this one was being set: the caller tries again."""

    code = "PASSPHRASE_CHANGED_MEANWHILE"
    message = "The passphrase changed at the same moment; try again."


class NoPassphrase(DomainError):
    """R16: identity is verified with a passphrase the subscriber has not set yet."""

    code = "PASSPHRASE_NOT_REGISTERED"
    message = "The subscriber has not registered a passphrase."


class VerificationLocked(DomainError):
    """Too many wrong passphrases: verification is locked until ``lockedUntil``."""

    code = "VERIFICATION_LOCKED"
    message = "Too many failed attempts; try again later."


class PassphraseMismatch(DomainError):
    """The passphrase the caller said does not match."""

    code = "IDENTITY_NOT_VERIFIED"
    message = "The passphrase does not match."


class NoCommandableDevice(DomainError):
    """Not the contract's Android device, or the support app is not registered on it."""

    code = "UNSUPPORTED_DEVICE"
    message = "Remote commands need the contract's Android device with the support app registered."


class NotVerified(DomainError):
    """LOCK and WIPE need a current identity verification of the contract."""

    code = "IDENTITY_NOT_VERIFIED"
    message = "Lock and wipe need a current identity verification for this contract."


class WipeNotConfirmed(DomainError):
    """A WIPE erases the device: it needs ``confirm``, the device's id typed back."""

    code = "WIPE_NOT_CONFIRMED"
    message = "A wipe erases the device: type the device's id back in confirm to proceed."


class WipeCoolingDown(DomainError):
    """A credential changed less than the cooldown ago: a WIPE waits (a LOCK does not)."""

    code = "WIPE_COOLDOWN"
    message = (
        "The device was registered again or the passphrase changed recently; a wipe "
        "waits until then (a lock does not)."
    )


class CommandNotFound(DomainError):
    """No command has this id (for this device)."""

    code = "COMMAND_NOT_FOUND"
    message = "No such command."


class CommandFinished(DomainError):
    """The command is over (``COMMAND_<status>``): its result cannot change."""

    message = "The command is over; its result cannot change."

    def __init__(self, status: str) -> None:
        super().__init__(status, code=f"COMMAND_{status}")
        self.status = status


class BackupMissing(DomainError):
    """A backup reported done, but nothing was uploaded through the command's URL."""

    code = "BACKUP_NOT_UPLOADED"
    message = "Upload the backup through the command's URL first."


class SupportRefused(DomainError):
    """R7 (outside support hours) or R14 (an excluded category): the session is recorded as
    refused, with the rule's reason code."""

    message = "This support request is refused under the terms."


class SessionNotFound(DomainError):
    """No support session has this id."""

    code = "SESSION_NOT_FOUND"
    message = "No such support session."


class SessionNotOpen(DomainError):
    """The support session is closed or was refused."""

    code = "SESSION_NOT_OPEN"
    message = "The session is closed or was refused."


class ReasonRequired(DomainError):
    """A WIPE cannot be undone: staff say why (stored on the command and in its audit entry)."""

    code = "REASON_REQUIRED"
    message = "A wipe needs a reason."


class CommandNotCancellable(DomainError):
    """Only a command the device has not reported on (PENDING or SENT) can be cancelled."""

    code = "COMMAND_FINISHED"
    message = "The command is over; it can no longer be cancelled."


class InvalidCursor(DomainError):
    """A paged list's ``cursor`` that is not one the list gave out (tampered with, or another
    list's)."""

    code = "INVALID_CURSOR"
    message = "The cursor is not valid for this list; start again without it."


# --- cancelling online (R9): the web path's one-time code ------------------------------------------
class OneTimeCodeWrong(DomainError):
    """Not the one-time code sent for this request (also the answer for every code of a request
    made with an unknown member code: a guess learns nothing); ``attemptsLeft`` says how many more."""

    code = "ONE_TIME_CODE_INVALID"
    message = "The one-time code is not correct."


class OneTimeCodeExpired(DomainError):
    """The one-time code's validity has passed: ask for a new one."""

    code = "ONE_TIME_CODE_EXPIRED"
    message = "The one-time code has expired; ask for a new one."


class OneTimeCodeLocked(TooManyAttempts):
    """Too many wrong one-time codes for this request: ask for a new one."""

    code = "ONE_TIME_CODE_LOCKED"
    message = "Too many wrong one-time codes; ask for a new one."


class CancellationRequestNotFound(DomainError):
    """No cancellation request has this id (or it has been deleted with its expiry)."""

    code = "CANCELLATION_REQUEST_NOT_FOUND"
    message = "No such cancellation request; start again."


class EndChanged(DomainError):
    """R9: the end the subscriber was shown is no longer what a notice received now gives (the
    month turned, or an end was recorded meanwhile): nothing is recorded; show the new end."""

    code = "END_CHANGED"
    message = "The contract's end has changed since it was shown; review it again."


# --- devices under attack (issue 24) ----------------------------------------------------------------
class PlatformMismatch(AppUnsupported):
    """The registering app's platform is not the device the contract was applied for."""

    code = "DEVICE_PLATFORM_MISMATCH"
    message = "This contract protects a device of another platform; register the app on that device."


class DeviceRevoked(DomainError):
    """Staff revoked this device's token: it registers again only with a reissued member code."""

    code = "DEVICE_REVOKED"
    message = "This device was revoked by the support centre; call it for a new member confirmation code."


class CodeReissuedMeanwhile(DomainError):
    """Another reissue of the contract's member code was written meanwhile: look again."""

    code = "MEMBER_CODE_CHANGED_MEANWHILE"
    message = "The member code was reissued meanwhile; check the timeline before reissuing again."
