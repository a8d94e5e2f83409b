"""One deployment of the synthesized app into the embedded AWS per test session.

The tests here talk to it only as a user or operator would: HTTP to the deployed API stage,
and AWS APIs (boto3 with ``endpoint_url``) to look inside.
"""

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import boto3
import pytest

from infra.local.service import LocalService

T = TypeVar("T")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)
            # Under xdist, every e2e test runs in the same worker: one deployment serves them all.
            item.add_marker(pytest.mark.xdist_group("e2e"))


@pytest.fixture(scope="session")
def local_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalService]:
    service = LocalService.start(work_dir=tmp_path_factory.mktemp("local"))
    try:
        yield service
    finally:
        service.stop()


@pytest.fixture(scope="session")
def aws_client(local_service: LocalService) -> Callable[[str], Any]:
    def make(name: str) -> Any:
        return boto3.client(  # type: ignore[call-overload]
            name,
            endpoint_url=local_service.endpoint,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )

    return make


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
