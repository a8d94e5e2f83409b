"""How long personal data is kept, and when it is due to be erased (docs/retention.md). Pure: the
numbers of days come in as arguments (anshin.settings holds them), the instants in UTC.

Each erasure is due a number of whole days after an event: an application refused or failed, a
contract ended. Days are counted in Japan time as the Civil Code counts a period of days (民法
Art. 140, 141): the day of the event is not counted, the period ends at the end of its last day,
and the data is erased from 00:00 JST of the day after. An application refused at 10:00 JST on
1 April with 90 days is kept through 30 June and due from 1 July 00:00 JST.

The work lists (anshin.store.retention) are sorted by the event's instant, so what is due at
``now`` is every entry strictly before :func:`cutoff`: one key range, whatever runs were missed.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from anshin.domain.applications import ApplicationStatus
from anshin.domain.terms import JST


class Stage(StrEnum):
    """What an erasure work list holds (anshin.store.keys.retention_due), and when it is due."""

    #: A refused or failed application's applicant (REFUSED_APPLICATION_RETENTION_DAYS after it
    #: was refused or failed).
    APPLICATION = "APPLICATION"
    #: An ended contract's device data: its settings backups, the locations its LOCATE commands
    #: reported, the support app's push channel (BACKUP_RETENTION_DAYS_AFTER_END after the end).
    DEVICE_DATA = "DEVICE_DATA"
    #: An ended contract's holder contact data, with its application's applicant and the phone
    #: lookup (PERSONAL_DATA_RETENTION_DAYS after the end).
    CONTACT = "CONTACT"


#: The work lists a contract's end starts (anshin.store.contracts.end).
AFTER_END = (Stage.DEVICE_DATA, Stage.CONTACT)

#: Applications whose personal data goes after the refused-application period: refused (R6.3,
#: R4) and failed (R6.4: no contract formed). Both are final (anshin.domain.applications).
REFUSED_STATUSES = frozenset({ApplicationStatus.REJECTED, ApplicationStatus.NOTIFICATION_FAILED})

#: What an erased application loses: the applicant's name, e-mail and phone, the member who
#: applied, the phone number's keyed digest. Its ids, status, dates, reason and the device's
#: platform and kind stay (the screening's statistics, R6.3).
APPLICATION_FIELDS = ("applicant", "appliedBy", "phoneMac")
#: What a refused or failed application's device spec loses besides (the device's own id and model).
APPLICATION_DEVICE_FIELDS = ("deviceId", "model")
#: What an ended contract loses: the holder's contact data and the passphrase's hash. Its ids,
#: dates, status, end reason, device spec and billing fields stay for the billing records.
CONTRACT_FIELDS = ("holder", "passphraseHash")
#: What the device item of an ended contract loses: its push channel and its token's digest.
DEVICE_FIELDS = ("endpointArn", "previousEndpointArn", "tokenDigest")
#: The attribute every erased item gets: when its personal data was erased (the first time).
ERASED_AT = "personalDataErasedAt"


def japan_date(at: datetime) -> date:
    """The calendar day ``at`` falls on in Japan time."""
    if at.tzinfo is None:
        raise ValueError("naive datetime")
    return at.astimezone(JST).date()


def start_of_day(day: date) -> datetime:
    """00:00 JST of ``day``, in UTC."""
    return datetime.combine(day, time(0), tzinfo=JST).astimezone(UTC)


def due_at(event_at: datetime, days: int) -> datetime:
    """When data kept ``days`` days after ``event_at`` is due to be erased: 00:00 JST of the day
    after the period's last day (the event's own day is not counted)."""
    if days < 0:
        raise ValueError("a retention period is never negative")
    return start_of_day(japan_date(event_at) + timedelta(days=days + 1))


def is_due(event_at: datetime, days: int, now: datetime) -> bool:
    return due_at(event_at, days) <= now


def cutoff(now: datetime, days: int) -> datetime:
    """Every event strictly before this instant is due at ``now`` with ``days`` of retention, and
    none at or after it: 00:00 JST of the day ``days`` days before ``now``'s Japan day."""
    if days < 0:
        raise ValueError("a retention period is never negative")
    return start_of_day(japan_date(now) - timedelta(days=days))
