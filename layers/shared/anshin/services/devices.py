"""Devices that run the support app (Appendix, R16): registration, device tokens, passphrases.

A device registers with the member confirmation code the contract notification carried (only its
keyed digest is stored, anshin.adapters.mac; the code itself is derived again for the message
and never stored). An unknown code and a known code with another device are one refusal.
Attempts are limited per source address, per code and per device id (anshin.store.limits): the
device id is what someone guessing one phone's code holds fixed, so its small allowance bounds
the guessing, locks even the right code out while used up, and is told to the subscriber. The
app must run on the platform the contract was applied for (Android: Appendix). The device gets a
token, shown once; only its SHA-256 is kept. A token lives ``DEVICE_TOKEN_DAYS`` (the app rotates
it before then), dies with the contract, and staff can revoke it; a revoked device registers
again only with a member code staff reissue (:func:`reissue_code`). The subscriber's passphrase
(合言葉) is stored only as an Argon2id hash (R16).

Registering a device that is already registered (whatever the push token), or changing the
passphrase, is what someone who learnt the code and the device id would do to take a phone
over. So each is audited, the subscriber is told (customer-notification topic), for
``CREDENTIAL_COOLDOWN_HOURS`` after it a WIPE is refused (a LOCK is not: it protects the
subscriber either way), and LOCKs also go to the app the device had before the cooldown's first
change, however many registrations follow (issue 24).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from aws_lambda_powertools import Logger
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from anshin.adapters import mac, metrics, notifications, push
from anshin.domain import contract_rules
from anshin.domain import credentials as rules
from anshin.domain.applications import ApplicationStatus
from anshin.domain.clock import iso
from anshin.domain.commands import CommandStatus
from anshin.domain.entities import Contract, Device
from anshin.domain.errors import (
    AppUnsupported,
    CodeReissuedMeanwhile,
    ContractEnded,
    ContractForming,
    DeviceRevoked,
    PassphraseRace,
    PlatformMismatch,
    TokenRefused,
    UnknownCode,
    UnknownDevice,
)
from anshin.domain.staff import StaffMember
from anshin.services import commands
from anshin.services.contracts import CODE_DRAWS, record_contract
from anshin.services.credentials import hash_passphrase
from anshin.settings import settings
from anshin.store import applications, contracts, limits, lookups
from anshin.store import devices as store
from anshin.store.devices import CredentialChange

logger = Logger()

DeviceId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._:-]{1,128}$")]


class Registration(BaseModel):
    model_config = ConfigDict(extra="forbid")
    memberConfirmationCode: Annotated[str, StringConstraints(pattern=r"^\d{8}$")]
    deviceId: DeviceId
    model: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    platform: Literal["android", "ios"]
    pushToken: Annotated[str, StringConstraints(min_length=1, max_length=4096)]


class Passphrase(BaseModel):
    model_config = ConfigDict(extra="forbid")
    passphrase: Annotated[str, StringConstraints(min_length=4, max_length=64)]


class Location(BaseModel):
    model_config = ConfigDict(extra="forbid")
    latitude: Annotated[Decimal, Field(ge=-90, le=90, max_digits=12)]
    longitude: Annotated[Decimal, Field(ge=-180, le=180, max_digits=12)]
    accuracyMeters: Annotated[Decimal, Field(ge=0, le=100_000, max_digits=12)] | None = None


class CommandResult(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Literal["SUCCEEDED", "FAILED"]
    failureReason: Annotated[str, StringConstraints(pattern=r"^[A-Z_]{1,64}$")] | None = None
    location: Location | None = None


def contract_by_code(code_mac: str, device_id: str) -> Contract | None:
    """The contract the code was sent for, protecting ``device_id``, valid from the instant the code
    was sent (R6.4); None when there is none (the same answer for another device's code).

    Once recorded, the code's lookup is on the contract. Until then it is on the application that
    issued it: a notified application's contract is recorded here and now, by the very step the
    notification workflow runs (idempotent: whichever comes first records it, once)."""
    found = store.code_lookup(code_mac)
    if "CONTRACT" in found:
        contract = contracts.get(found["CONTRACT"])
        return contract if contract is not None and contract.device_id == device_id else None
    if "APPLICATION" not in found:
        return None
    application = applications.get(found["APPLICATION"])
    if (
        application is None
        or application["device"]["deviceId"] != device_id
        or application["status"] not in (ApplicationStatus.APPROVED.value, ApplicationStatus.CONTRACTED.value)
    ):
        return None  # another device's code, or no contract formed (NOTIFICATION_FAILED)
    if "formedAt" not in application:
        raise ContractForming()
    with store.contract_forming_meanwhile():  # the workflow is recording it this very moment
        recorded = record_contract(str(application["applicationId"]))
    if recorded.get("recorded"):
        metrics.count("ContractsFormed")
    return contracts.get(str(recorded["contractId"]))


def register(
    member_confirmation_code: str,
    device_id: str,
    model: str,
    platform: str,
    push_token: str,
    at: datetime,
    source: str,
) -> dict[str, Any]:
    """Register the support app on the contract's device; returns the new device token (once).

    Guessing is bounded three ways: per source address (every attempt), per code and per device
    id (failures only). The device id is what someone guessing one phone's code holds fixed: once
    its allowance is used up, even the right code waits (``Retry-After``), and the subscriber is
    told. A device id protected by another contract that has not ended is refused like an unknown
    code. The app must run on the platform the contract was applied for, and a device whose token
    staff revoked stays revoked until the code is reissued.

    Every registration after the first (a reinstall, or someone who learnt the code), whatever
    its push token, replaces the token and is a credential change: audited, told to the
    subscriber, WIPE held back; LOCKs keep going to the endpoint the device had before the first
    change of the cooldown (the subscriber's own phone) however many registrations follow."""
    if platform != "android":
        raise AppUnsupported(platform)  # before the code is looked at: it tells nothing about it
    window = rules.ATTEMPT_WINDOW
    limits.take("REGISTER-SOURCE", source, settings.registration_attempts_per_source, window, at)
    limits.check("REGISTER-DEVICE", device_id, rules.ATTEMPTS_PER_DEVICE, rules.DEVICE_ATTEMPT_WINDOW, at)
    code_mac = mac.code_mac(member_confirmation_code)
    limits.check("REGISTER-CODE", code_mac, rules.ATTEMPTS_PER_CODE, window, at)
    contract = contract_by_code(code_mac, device_id)
    previous = store.get(device_id)
    if contract is not None and previous is not None and previous.contract_id != contract.contract_id:
        other = contracts.get(previous.contract_id)
        contract = None if rules.holds_device(other, at) else contract  # None: another live contract's
    if contract is None:
        _failed(code_mac, device_id, previous, at)
        raise UnknownCode()
    if contract_rules.has_ended(contract, at):
        raise ContractEnded(contract.contract_id)
    if not rules.platform_matches(contract, platform):
        raise PlatformMismatch(contract.contract_id)
    if rules.stays_revoked(previous, contract):
        raise DeviceRevoked(contract.contract_id)
    contract_id = contract.contract_id
    endpoint = push.create_endpoint(push_token)
    token = secrets.token_urlsafe(32)
    expires = rules.token_expiry(at, settings.device_token_lifetime)
    again = rules.is_reregistration(previous, contract_id)
    change = _change(contract_id, device_id, "DEVICE_REGISTERED_AGAIN", at) if again else None
    written = store.register(
        device_id=device_id,
        contract_id=contract_id,
        platform=platform,
        model=model,
        endpoint=endpoint,
        token_digest=rules.token_digest(token),
        token_expires_at=expires,
        at=at,
        previous=previous,
        change=change,
        locks_also_to=rules.first_endpoint(previous, at) if again and previous is not None else None,
    )
    if not written:
        raise UnknownCode()  # registered by someone else in between
    if change is not None:
        _tell_subscriber(contract, change)
    return {
        "deviceId": device_id,
        "contractId": contract_id,
        "deviceToken": token,
        "tokenExpiresAt": iso(expires),
    }


def _failed(code_mac: str, device_id: str, registered: Device | None, at: datetime) -> None:
    """A failed registration counts against the code and the device id. The failure that uses
    the device's allowance up is audited on the contract protecting the device, if one does, and
    told to its subscriber: someone is trying codes for their phone."""
    limits.fail("REGISTER-CODE", code_mac, rules.ATTEMPTS_PER_CODE, rules.ATTEMPT_WINDOW, at)
    if not limits.fail(
        "REGISTER-DEVICE", device_id, rules.ATTEMPTS_PER_DEVICE, rules.DEVICE_ATTEMPT_WINDOW, at
    ):
        return
    protecting = _live_contract_of(device_id, registered, at)
    logger.warning("device registration locked out", extra={"protected": protecting is not None})
    if protecting is None:
        return
    until = iso(datetime.fromtimestamp(rules.attempt_window(rules.DEVICE_ATTEMPT_WINDOW, at)[1], at.tzinfo))
    store.registration_locked_out(protecting.contract_id, device_id, at, until)
    notifications.publish(
        {
            "kind": "REGISTRATION_LOCKED_OUT",
            "contractId": protecting.contract_id,
            "deviceId": device_id,
            "at": iso(at),
            "lockedUntil": until,
            "email": protecting.contact.email,
            "phone": protecting.contact.phone,
        },
        notification_id=f"REGISTRATION_LOCKED_OUT#{device_id}#{until}",
    )


def _live_contract_of(device_id: str, registered: Device | None, at: datetime) -> Contract | None:
    """The contract protecting ``device_id`` now (one device, one live contract): the one its app
    is registered to (``registered``, as the registration read it), else the newest formed for
    it, if it has not ended."""
    if registered is not None:
        ids = [registered.contract_id]
    else:
        ids, _ = lookups.contracts_by_device(device_id, None, 1)
    contract = contracts.get(ids[0]) if ids else None
    return contract if contract is not None and not contract_rules.has_ended(contract, at) else None


def register_app(request: Registration, at: datetime, source: str) -> dict[str, Any]:
    """The registration route's request: :func:`register`."""
    r = request
    return register(r.memberConfirmationCode, r.deviceId, r.model, r.platform, r.pushToken, at, source)


def _change(contract_id: str, device_id: str, what: str, at: datetime) -> CredentialChange:
    return CredentialChange(
        contract_id=contract_id,
        device_id=device_id,
        what=what,
        at=at,
        until=rules.cooldown_until(at, settings.credential_cooldown),
    )


def _tell_subscriber(contract: Contract, change: CredentialChange) -> None:
    """A credential change, once written, is told to the subscriber (their contact on file)."""
    notifications.publish(
        {
            "kind": change.what,
            "contractId": change.contract_id,
            "deviceId": change.device_id,
            "at": iso(change.at),
            "wipeRefusedUntil": change.until,
            "email": contract.contact.email,
            "phone": contract.contact.phone,
        },
        notification_id=f"{change.what}#{change.contract_id}#{iso(change.at)}",
    )


def authenticate(device_id: str, token: str | None, now: datetime) -> Device | None:
    """The device record if ``token`` is this device's live token (constant-time compare): not
    expired, not revoked, and its contract not ended. Else None."""
    device = store.get(device_id)
    if device is None or not rules.token_valid(device, token, now):
        return None
    return device if rules.contract_keeps_token(contracts.get(device.contract_id), now) else None


def rotate_token(device: Device, now: datetime) -> dict[str, Any]:
    """The app's own token rotation: a new token for the authenticated device, the old one dead.
    Conditional on the token it was authenticated with, so two rotations cannot both win."""
    token = secrets.token_urlsafe(32)
    expires = iso(rules.token_expiry(now, settings.device_token_lifetime))
    if device.token_digest is None or not store.rotate_token(
        device.device_id, device.token_digest, rules.token_digest(token), expires, now, device.contract_id
    ):
        raise TokenRefused()  # rotated or revoked meanwhile: this token is dead
    return {"deviceId": device.device_id, "deviceToken": token, "tokenExpiresAt": expires}


def revoke(contract_id: str, device_id: str, staff: StaffMember, at: datetime, reason: str) -> dict[str, Any]:
    """Staff revoke a device's token (a lost phone, a suspected takeover), audited. The app must
    register again with the member code, which then starts the WIPE cooldown."""
    contracts.require(contract_id)
    device = store.get(device_id)
    if device is None or device.contract_id != contract_id:
        raise UnknownDevice(device_id)
    store.revoke(contract_id, device_id, staff, at, reason)
    logger.info("device token revoked", extra={"contractId": contract_id, "staff": staff.id})
    return {"deviceId": device_id, "contractId": contract_id, "revokedAt": iso(at)}


def reissue_code(contract_id: str, staff: StaffMember, at: datetime, reason: str) -> dict[str, Any]:
    """Staff reissue the contract's member code (issue 24): a new code is drawn (never stored:
    only its keyed digest, like the first), the contract's lookup moves to it in one transaction
    with the audit entry, so the old code dies at once, and the new one is sent to the holder's
    contact on file only (never answered to staff). A device staff revoked may register again
    with it (anshin.domain.credentials.stays_revoked)."""
    contract = contracts.require(contract_id)
    if contract_rules.has_ended(contract, at):
        raise ContractEnded(contract_id)
    application = applications.get(contract.application_id)
    application_lookup = application is not None and "gsi2pk" in application
    for draw in range(1, CODE_DRAWS + 1):
        code = mac.member_code(f"{contract_id}:reissued:{iso(at)}", draw)
        outcome = store.reissue_code(contract, mac.code_mac(code), at, staff, reason, application_lookup)
        if outcome == "CODE_TAKEN":
            continue
        if outcome == "CHANGED":
            raise CodeReissuedMeanwhile(contract_id)
        break
    else:
        raise RuntimeError(f"no free member confirmation code in {CODE_DRAWS} draws")
    notifications.publish(
        {
            "kind": "MEMBER_CODE_REISSUED",
            "contractId": contract_id,
            "deviceId": contract.device_id,
            "memberConfirmationCode": code,
            "supportPhoneNumber": contract.support_phone_number,
            "email": contract.contact.email,
            "phone": contract.contact.phone,
        },
        notification_id=f"MEMBER_CODE_REISSUED#{contract_id}#{iso(at)}",
    )
    logger.info("member code reissued", extra={"contractId": contract_id, "staff": staff.id})
    return {"contractId": contract_id, "reissuedAt": iso(at), "sentTo": "HOLDER_CONTACT"}


def set_passphrase(contract_id: str, device_id: str, passphrase: str, at: datetime) -> None:
    """R16: store the passphrase as a salted, slow hash only. Changing one already set is a
    credential change: written with its audit entry and the WIPE cooldown, all or nothing, and
    told to the subscriber. Conditional on the passphrase read, so the change is never mistaken
    for a first one."""
    contract = contracts.require(contract_id)
    previous = contract.passphrase_hash
    change = _change(contract_id, device_id, "PASSPHRASE_CHANGED", at) if previous else None
    if not store.set_passphrase(contract_id, hash_passphrase(passphrase), previous, at, change):
        raise PassphraseRace()
    if change is not None:
        _tell_subscriber(contract, change)


def report_command_result(
    device: Device, command_id: str, result: CommandResult, now: datetime
) -> Mapping[str, Any]:
    """The device's report on a command it ran (anshin.services.commands); a command it finishes
    is counted by action and final status."""
    answer = commands.report_result(
        command_id=command_id,
        device=device,
        status=CommandStatus(result.status),
        location=result.location.model_dump(exclude_none=True) if result.location else None,
        failure_reason=result.failureReason,
        now=now,
    )
    if answer.get("finishedNow"):
        metrics.count(
            "CommandsFinished", dimensions={"Action": str(answer["action"]), "Status": str(answer["status"])}
        )
    return answer
