"""One deployment of the synthesized app into the embedded AWS per test session.

The tests here talk to it only as a user or operator would: HTTP to the deployed API stage,
and AWS APIs (boto3 with ``endpoint_url``) to look inside.
"""

import contextlib
import os
import time
import uuid
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import boto3
import pytest
import requests
from anshin_local import call_log

from local import members, staff
from local.devices import DeviceFleet
from local.emulator import HOST, free_port
from local.inbox import NotificationInbox
from local.seed import put_account
from local.service import FAST_COMMANDS, LocalService
from local.staff import DEMO_NOT_STAFF, DEMO_STAFF, StaffAccount

T = TypeVar("T")


#: The e2e tests that mostly wait (for a schedule's firing, a workflow's retries) or send many
#: requests (the schema fuzzing): under xdist (``make test``: ``-n 2 --dist loadgroup``) they are
#: one group and the rest another, each run by one worker against that worker's own deployment,
#: so the two halves of the e2e suite run side by side (docs/benchmarks.md). Split by what they
#: cost (``--durations``), not by what they test; a test never needs the other group's data.
WAITING = {"test_auto_heal.py", "test_charge_file.py", "test_fault_injection.py", "test_schema_fuzzing.py"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    # The retention job, run 400 days ahead, erases every due item of its deployment
    # (tests/e2e/test_retention.py): it runs after every other test that might read them.
    items.sort(key=lambda item: Path(str(item.fspath)).name == "test_retention.py")
    for item in items:
        path = Path(str(item.fspath))
        if here in path.parents:
            item.add_marker(pytest.mark.e2e)
            # Under xdist, each group's tests run in one worker, in collection order: one
            # deployment (per worker) serves them all.
            item.add_marker(pytest.mark.xdist_group("e2e-waiting" if path.name in WAITING else "e2e"))


@pytest.fixture(scope="session")
def console_port() -> int:
    """The port the pages are served on (tests/e2e/browser): the staff console's sign-in client
    comes back to that address only, so the deployment must know it."""
    return free_port()


@pytest.fixture(scope="session")
def local_service(tmp_path_factory: pytest.TempPathFactory, console_port: int) -> Iterator[LocalService]:
    # Under make test, every deployed function records the AWS requests it makes for the
    # permission check (tests/permissions); the handler tests record theirs alike.
    recording = {"anshin:callLog": os.environ[call_log.LOG]} if os.environ.get(call_log.LOG) else {}
    console = {"anshin:localConsoleUrl": f"http://{HOST}:{console_port}"}
    service = LocalService.start(
        work_dir=tmp_path_factory.mktemp("local"), context={**FAST_COMMANDS, **recording, **console}
    )
    try:
        for staff_account in (DEMO_STAFF, DEMO_NOT_STAFF):
            staff.ensure(service.endpoint, service.output("StaffUserPoolId"), staff_account)
        yield service
    finally:
        service.stop()


@pytest.fixture(scope="session")
def fleet(local_service: LocalService) -> Iterator[DeviceFleet]:
    """The simulated devices, reading the push channel of the deployed stack."""
    devices = DeviceFleet(local_service.endpoint, local_service.api_url).start()
    try:
        yield devices
    finally:
        devices.stop()


#: The schedules of the ``scheduled`` deployment: the month jobs' and the reconciler's.
SCHEDULE_OVERRIDE = "rate(1 minute)"


@pytest.fixture(scope="session")
def scheduled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalService]:
    """A second deployment, whose schedules all fire every minute (the test-only
    ``anshin:scheduleOverride``, never in AWS): the month jobs' schedules and the reconciler's
    rule (tests/e2e/test_charge_file.py, test_auto_heal.py). Made only when a test asks for it,
    once per session (both files are in the same group: one worker)."""
    recording = {"anshin:callLog": os.environ[call_log.LOG]} if os.environ.get(call_log.LOG) else {}
    service = LocalService.start(
        work_dir=tmp_path_factory.mktemp("scheduled"),
        context={**recording, "anshin:scheduleOverride": SCHEDULE_OVERRIDE},
    )
    try:
        yield service
    finally:
        service.stop()


def configure(service: LocalService, switches: dict[str, bool | float]) -> None:
    """Set runtime switches of ``service``'s emulator (ministack's ``POST /_ministack/config``)."""
    answer = requests.post(f"{service.endpoint}/_ministack/config", json=switches, timeout=10)
    answer.raise_for_status()
    assert set(answer.json()["applied"]) == set(switches), answer.text


#: The share of each retry interval and Wait state the emulator's Step Functions waits while a
#: test that waits through a workflow's retries runs (:func:`faster_workflows`). The definitions
#: and the templates stay as they are: only the emulator's clock for them runs faster.
RETRY_SCALE = 0.1


@contextlib.contextmanager
def faster_workflows(service: LocalService, **switches: bool) -> Iterator[LocalService]:
    """``service`` with its workflows waiting :data:`RETRY_SCALE` of every interval (and the
    emulator's other ``switches``, e.g. CloudTrail recording) for the body of the ``with``;
    each e2e group runs one test at a time on its deployment, so no other test is affected."""
    configure(service, {"stepfunctions._SFN_WAIT_SCALE": RETRY_SCALE, **switches})
    try:
        yield service
    finally:
        configure(service, {"stepfunctions._SFN_WAIT_SCALE": 1, **dict.fromkeys(switches, False)})


def clients(service: LocalService) -> Callable[[str], Any]:
    """boto3 clients of ``service``'s emulator, by service name."""

    def make(name: str) -> Any:
        return boto3.client(  # type: ignore[call-overload]
            name,
            endpoint_url=service.endpoint,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )

    return make


@pytest.fixture(scope="session")
def aws_client(local_service: LocalService) -> Callable[[str], Any]:
    return clients(local_service)


def eventually(probe: Callable[[], T | None], *, timeout: float = 30.0, interval: float = 0.1) -> T:
    """Poll ``probe`` until it returns something other than None (bounded; the deployed
    workflows run asynchronously, so a test waits for an observable state, never a fixed time)."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value is not None:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)


def new_account(service: LocalService, **settings: Any) -> str:
    """A fresh mobile account in ``service``'s mirror, with the given settings."""
    mobile_contract_id = f"MC-{uuid.uuid4().hex[:10]}"
    put_account(service.endpoint, service.output("ContractsTableName"), mobile_contract_id, **settings)
    return mobile_contract_id


@pytest.fixture
def account(local_service: LocalService) -> Callable[..., str]:
    """A fresh mobile account in the mirror, with the given settings."""
    return lambda **settings: new_account(local_service, **settings)


@pytest.fixture(scope="module")
def outbox(local_service: LocalService) -> Callable[[str], dict[str, Any]]:
    """An SQS subscriber of the customer-notification topic: what e-mail/SMS delivery would get."""
    inbox = NotificationInbox(
        local_service.endpoint, local_service.output("CustomerNotificationTopicArn"), "outbox"
    )
    return lambda application_id: eventually(lambda: inbox.message_for(application_id), timeout=30)


def staff_request(
    service: LocalService,
    method: str,
    path: str,
    body: Any = None,
    account: StaffAccount = DEMO_STAFF,
) -> tuple[int, dict[str, Any]]:
    """A request through the deployed stage, signed in as ``account`` (the demo support-staff
    member unless told otherwise): the Cognito authorizer checks the token."""
    return signed_request(service, staff_token(service, account), method, path, body)


def signed_request(
    service: LocalService, token: str, method: str, path: str, body: Any = None
) -> tuple[int, dict[str, Any]]:
    """A request through the deployed stage with ``token`` as its ``Authorization``: the status
    and the JSON answer ({} when there is none)."""
    answer = requests.request(
        method, service.api_url + path, json=body, headers={"Authorization": token}, timeout=30
    )
    return answer.status_code, answer.json() if answer.content else {}


@cache
def _token(endpoint: str, client_id: str, account: StaffAccount) -> str:
    return staff.token(endpoint, client_id, account)


def staff_token(service: LocalService, account: StaffAccount = DEMO_STAFF) -> str:
    """A (cached) ID token of ``account``; the e2e session lasts well under its hour."""
    return _token(service.endpoint, service.output("StaffUserPoolClientId"), account)


@cache
def _member_token(endpoint: str, pool_id: str, client_id: str, mobile_contract_id: str) -> str:
    members.ensure(endpoint, pool_id, mobile_contract_id)
    return members.token(endpoint, client_id, mobile_contract_id)


def member_token(service: LocalService, mobile_contract_id: str) -> str:
    """A (cached) ID token of the member holding ``mobile_contract_id`` (created when missing,
    as ``make member-token`` does; here for any id, in the mirror or not)."""
    return _member_token(
        service.endpoint,
        service.output("MembersUserPoolId"),
        service.output("MembersToolsClientId"),
        mobile_contract_id,
    )


def member_request(
    service: LocalService, mobile_contract_id: str, method: str, path: str, body: Any = None
) -> tuple[int, dict[str, Any]]:
    """A request through the deployed stage, signed in as the holder of ``mobile_contract_id``."""
    return signed_request(service, member_token(service, mobile_contract_id), method, path, body)
