"""Hostile input: schemathesis generates requests from the OpenAPI document the local service
serves (GET /openapi.json) and sends them to every route of the deployed stage. No answer may be
a 5xx, and every 4xx must carry the shared machine-readable error: ``{code, message}``.

Each route is fuzzed with data that fits its schema and data that does not, in two runs (one
test each, so the count a run checks never depends on the order tests run in): with every
path parameter generated (mostly ids that do not exist), and against a real contract and its
registered device, so the handlers get past their look-ups. Staff routes carry a real
support-staff token, member routes (issue 23) the token of the member holding the real contract's
account, and device routes the device's own token, so the generated bodies reach the handlers
instead of stopping at the authorizer (whose refusals are tested elsewhere).
"""

import json
import re
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, assume, given, settings
from schemathesis import Case, GenerationMode
from schemathesis.schemas import BaseSchema

from infra.openapi import DOCUMENT
from local.devices import DeviceFleet
from local.seed import put_account
from local.service import LocalService
from tests.e2e.conftest import member_token, staff_token
from tests.e2e.test_device_commands import Subscriber, subscriber  # noqa: F401 - a fixture

#: Requests sent, by run and status code (each run's test prints and checks its own; README
#: records the figures). Each run sends at least half the 500 the hostile-input check asks for.
SENT: dict[str, Counter[int]] = {"generated ids": Counter(), "real contract": Counter()}
#: The account of the real contract: its holder's token goes with every member route.
FUZZED_ACCOUNT = "MC-fuzzed"
MINIMUM_REQUESTS = 500
EXAMPLES = 15  # per route, per generation mode, per run
CODE = re.compile(r"^[A-Z][A-Z0-9_]*$")
ROUTES = [
    (verb.upper(), path)
    for path, operations in json.loads(DOCUMENT.read_text(encoding="utf-8"))["paths"].items()
    for verb in operations
]


@pytest.fixture(scope="module")
def served_schema(local_service: LocalService) -> BaseSchema:
    schema = schemathesis.openapi.from_url(f"{local_service.api_url}/openapi.json", timeout=30)
    schema.config.update(base_url=local_service.api_url, request_timeout=30)
    return schema


@pytest.fixture(scope="module")
def real(
    local_service: LocalService, fleet: DeviceFleet, outbox: Callable[[str], dict[str, Any]]
) -> Subscriber:
    """A formed contract whose device registered: the target of the second run (a module's
    fixture, so it seeds its account itself rather than through the per-test ``account``)."""
    mobile_contract_id = FUZZED_ACCOUNT
    put_account(local_service.endpoint, local_service.output("ContractsTableName"), mobile_contract_id)
    return Subscriber(local_service, fleet, lambda **_: mobile_contract_id, outbox)


def _fuzz(
    schema: BaseSchema,
    service: LocalService,
    route: tuple[str, str],
    run: str,
    path_parameters: dict[str, str] | None = None,
    device_token: str | None = None,
) -> None:
    operation = schema[route[1]][route[0]]
    raw = operation.definition.raw
    security = raw.get("security") or []
    headers: dict[str, str] = {}
    if {"staffToken": []} in security:
        headers["Authorization"] = staff_token(service)
    elif {"memberToken": []} in security:
        headers["Authorization"] = member_token(service, FUZZED_ACCOUNT)
    elif {"deviceToken": []} in security and device_token:
        headers["Authorization"] = f"Bearer {device_token}"
    own = {p.name for p in operation.path_parameters}
    fixed = {k: v for k, v in (path_parameters or {}).items() if k in own} or None

    # A route without parameters or body (GET /openapi.json) has no invalid input to send.
    has_input = bool(raw.get("parameters") or raw.get("requestBody"))
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)[: 2 if has_input else 1]:
        strategy = operation.as_strategy(generation_mode=mode, path_parameters=fixed)
        given(case=strategy)(settings(FUZZ_SETTINGS)(lambda case: _check(case, headers, run)))()


FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)


#: Headers of the HTTP connection itself, answered by the server in front of the API (CloudFront,
#: API Gateway; locally the emulator's HTTP server, which answers an empty ``Transfer-Encoding``
#: 501 with no body) before any of our code runs: not the API's input (docs/emulator-notes.md).
TRANSPORT_HEADERS = frozenset({"transfer-encoding", "content-length", "connection", "host", "te", "upgrade"})


def _check(case: Case, headers: dict[str, str], run: str) -> None:
    assume(not TRANSPORT_HEADERS & {name.lower() for name in case.headers or {}})
    response = case.call(headers=headers, timeout=30)
    SENT[run][response.status_code] += 1
    where = f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:500]}"
    assert response.status_code < 500, where
    if response.status_code >= 400:
        body = response.json()
        assert isinstance(body, dict), where
        assert CODE.match(str(body.get("code"))), where
        assert isinstance(body.get("message"), str) and body["message"], where


def _report(run: str) -> int:
    counts = SENT[run]
    print(
        f"\n{run}: {sum(counts.values())} requests over {len(ROUTES)} routes, by status "
        f"{dict(sorted(counts.items()))}"
    )
    return sum(counts.values())


def test_generated_requests_get_no_5xx_and_machine_readable_4xx(
    served_schema: BaseSchema, local_service: LocalService
) -> None:
    for route in ROUTES:
        _fuzz(served_schema, local_service, route, "generated ids")
    assert _report("generated ids") >= MINIMUM_REQUESTS // 2


def test_generated_requests_on_a_real_contract_get_no_5xx_and_machine_readable_4xx(
    served_schema: BaseSchema, local_service: LocalService, real: Subscriber
) -> None:
    for route in ROUTES:
        _fuzz(
            served_schema,
            local_service,
            route,
            "real contract",
            {"contractId": real.contract_id, "deviceId": real.device.device_id},
            real.device.device_token,
        )
    assert _report("real contract") >= MINIMUM_REQUESTS // 2


def test_the_served_document_is_the_committed_one(local_service: LocalService) -> None:
    served = requests.get(f"{local_service.api_url}/openapi.json", timeout=30).json()
    assert served == json.loads(DOCUMENT.read_text(encoding="utf-8"))
