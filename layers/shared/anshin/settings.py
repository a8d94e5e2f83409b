"""The one place the service reads its environment: typed settings, each read when asked for (so
a test's ``monkeypatch.setenv`` holds), with the defaults the CDK app deploys (infra/settings.py
takes its defaults from here, so the two never disagree).

It sits beside the layers rather than in ``runtime``: the store needs the table names, the
adapters the topic and key ids, and the services the business settings, and none of them may
import upwards. The domain never reads it: a rule gets its numbers as arguments.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import timedelta
from typing import Generic, TypeVar

T = TypeVar("T")

# --- defaults shared with the CDK app (infra/settings.py) -----------------------------------------
#: Fees: the monthly fee in yen before tax.
MONTHLY_FEE_JPY = 500
#: Appendix: how long a device command waits for an unreachable device.
COMMAND_EXPIRY_SECONDS = 72 * 3600
#: Appendix: the first wait before a command is pushed again; it doubles up to the max.
COMMAND_RETRY_BASE_SECONDS = 60
COMMAND_RETRY_MAX_SECONDS = 3600
#: The dedicated support phone number told to subscribers when their contract forms (R6.4).
SUPPORT_PHONE_NUMBER = "0120-000-110"
#: A device token's lifetime: the app rotates it before then.
DEVICE_TOKEN_DAYS = 30
#: How long a WIPE is refused after a device is registered again or the passphrase changes.
CREDENTIAL_COOLDOWN_HOURS = 24
#: Device registrations one source address may attempt per window (guessing codes).
REGISTRATION_ATTEMPTS_PER_SOURCE = 20
#: Online cancellation calls (one-time code requests and guesses, R9) one source address may make
#: per window: its own allowance, not the registrations'.
CANCELLATION_ATTEMPTS_PER_SOURCE = 20
#: Applications one member, and one mobile account, may make per day (issue 23): a holder
#: applies for a family's phones at once, nobody needs more, and a stolen session cannot fill
#: the account's ten slots (R4) in one go.
APPLICATIONS_PER_DAY = 10
#: Retention (docs/retention.md): days a refused or failed application keeps its applicant's
#: personal data; days an ended contract keeps its holder's contact data (its ids, months and
#: amounts stay for the billing records); days its device data (backups, located positions, push
#: channel) is kept after the end. Counted in whole days, Japan time (anshin.domain.retention).
REFUSED_APPLICATION_RETENTION_DAYS = 90
PERSONAL_DATA_RETENTION_DAYS = 365
BACKUP_RETENTION_DAYS_AFTER_END = 30
#: The largest request body any route accepts (the handlers and WAF both enforce it).
MAX_BODY_BYTES = 16 * 1024
#: The largest settings backup a device may upload (the presigned POST's content-length-range).
BACKUP_MAX_BYTES = 50 * 1024 * 1024
#: The Cognito group of support staff (the staff routes require it).
STAFF_GROUP = "support-staff"


class MissingSetting(KeyError):
    """The function was deployed without a setting it needs: a deployment fault, never a client's."""


#: The default of a setting the function cannot run without.
REQUIRED = None


class Setting(Generic[T]):
    """One environment variable, parsed when read (so a test's ``monkeypatch.setenv`` holds); a
    setting without a default that is not set raises ``MissingSetting``."""

    def __init__(self, variable: str, parse: Callable[[str], T], default: object = None) -> None:
        self.variable = variable
        self.parse = parse
        self.default = None if default is None else str(default)

    def __get__(self, instance: object, owner: type | None = None) -> T:
        value = os.environ.get(self.variable, self.default)
        if value is None:
            raise MissingSetting(self.variable)
        return self.parse(value)


def _seconds(text: str) -> timedelta:
    return timedelta(seconds=int(text))


def _hours(text: str) -> timedelta:
    return timedelta(hours=int(text))


def _days(text: str) -> timedelta:
    return timedelta(days=int(text))


def _queues(text: str) -> dict[str, str]:
    """Each dead-letter queue's URL and the kind of message it holds (the redrive's map)."""
    return {str(q["url"]): str(q["kind"]) for q in json.loads(text)}


class Settings:
    """Typed views of the function's environment (the CDK app sets it: infra/constructs).
    ``code_mac_key_id`` is the KMS HMAC key of member confirmation codes' lookups."""

    # Where things are (set by the stack, no default).
    contracts_table = Setting("CONTRACTS_TABLE", str, REQUIRED)
    sessions_table = Setting("SESSIONS_TABLE", str, REQUIRED)
    #: The ledger of charges (R13, issue 25): invoice lines, appended only; no function may
    #: update or delete one (infra/grants.py).
    ledger_table = Setting("LEDGER_TABLE", str, REQUIRED)
    idempotency_table = Setting("IDEMPOTENCY_TABLE", str, REQUIRED)
    approval_state_machine_arn = Setting("APPROVAL_STATE_MACHINE_ARN", str, REQUIRED)
    command_delivery_state_machine_arn = Setting("COMMAND_DELIVERY_STATE_MACHINE_ARN", str, REQUIRED)
    device_command_topic_arn = Setting("DEVICE_COMMAND_TOPIC_ARN", str, REQUIRED)
    customer_notification_topic_arn = Setting("CUSTOMER_NOTIFICATION_TOPIC_ARN", str, REQUIRED)
    push_platform_application_arn = Setting("PUSH_PLATFORM_APPLICATION_ARN", str, REQUIRED)
    backup_bucket = Setting("BACKUP_BUCKET", str, REQUIRED)
    charges_bucket = Setting("CHARGES_BUCKET", str, REQUIRED)
    cancellation_code_queue_url = Setting("CANCELLATION_CODE_QUEUE_URL", str, REQUIRED)
    code_mac_key_id = Setting("CODE_MAC_KEY_ID", str, REQUIRED)
    account_events_function = Setting("ACCOUNT_EVENTS_FUNCTION", str, REQUIRED)
    dead_letter_queues = Setting("DEAD_LETTER_QUEUES", _queues, REQUIRED)
    #: Who signed a token: the issuer (``https://cognito-idp.<region>.amazonaws.com/<pool id>``)
    #: of the staff user pool and of the members' (issue 23). API Gateway's authorizer admits
    #: tokens of both pools; a route then requires the one it serves (anshin.runtime.staff,
    #: anshin.runtime.members).
    staff_issuer = Setting("STAFF_ISSUER", str, REQUIRED)
    members_issuer = Setting("MEMBERS_ISSUER", str, REQUIRED)

    # The business's settings.
    monthly_fee_jpy = Setting("MONTHLY_FEE_JPY", int, MONTHLY_FEE_JPY)
    support_phone_number = Setting("SUPPORT_PHONE_NUMBER", str, SUPPORT_PHONE_NUMBER)
    command_expiry = Setting("COMMAND_EXPIRY_SECONDS", _seconds, COMMAND_EXPIRY_SECONDS)
    command_retry_base_seconds = Setting("COMMAND_RETRY_BASE_SECONDS", int, COMMAND_RETRY_BASE_SECONDS)
    command_retry_max_seconds = Setting("COMMAND_RETRY_MAX_SECONDS", int, COMMAND_RETRY_MAX_SECONDS)
    device_token_lifetime = Setting("DEVICE_TOKEN_DAYS", _days, DEVICE_TOKEN_DAYS)
    credential_cooldown = Setting("CREDENTIAL_COOLDOWN_HOURS", _hours, CREDENTIAL_COOLDOWN_HOURS)
    registration_attempts_per_source = Setting(
        "REGISTRATION_ATTEMPTS_PER_SOURCE", int, REGISTRATION_ATTEMPTS_PER_SOURCE
    )
    cancellation_attempts_per_source = Setting(
        "CANCELLATION_ATTEMPTS_PER_SOURCE", int, CANCELLATION_ATTEMPTS_PER_SOURCE
    )
    applications_per_day = Setting("APPLICATIONS_PER_DAY", int, APPLICATIONS_PER_DAY)
    backup_max_bytes = Setting("BACKUP_MAX_BYTES", int, BACKUP_MAX_BYTES)
    refused_application_retention_days = Setting(
        "REFUSED_APPLICATION_RETENTION_DAYS", int, REFUSED_APPLICATION_RETENTION_DAYS
    )
    personal_data_retention_days = Setting("PERSONAL_DATA_RETENTION_DAYS", int, PERSONAL_DATA_RETENTION_DAYS)
    backup_retention_days_after_end = Setting(
        "BACKUP_RETENTION_DAYS_AFTER_END", int, BACKUP_RETENTION_DAYS_AFTER_END
    )

    @property
    def command_retry_seconds(self) -> tuple[int, int]:
        """(first, longest) wait between pushes of a command."""
        return self.command_retry_base_seconds, self.command_retry_max_seconds


settings = Settings()
