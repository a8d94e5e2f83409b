"""Simulated Android devices running the support app, for the local service, the demo and tests.

A device registers with the member confirmation code its contract's notification carried, sets
the passphrase, and receives what the relay pushes to its push token through the emulator's
SNS platform endpoints (``/_ministack/sns/platform-endpoint-messages``, docs/emulator-notes.md).
It runs each command once, after a configurable delay, uploads a BACKUP to the command's
presigned POST, and reports the result through the public device API with its own device token.
An offline device receives nothing; pushes wait for it as FCM keeps them, and a command past
its expiry is never run.
"""

from __future__ import annotations

import json
import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import requests
from botocore.exceptions import BotoCoreError, ClientError

from local.deploy import client
from local.inbox import subscribe_queue

PUSH_PATH = "/_ministack/sns/platform-endpoint-messages"
#: The passphrase simulated subscribers register (what staff verify the caller with).
DEMO_PASSPHRASE = "sakura-2026"  # noqa: S105 - a simulated subscriber's, printed by make run


class FleetControl:
    """A small HTTP control for the fleet on 127.0.0.1 (``make run`` prints its address):
    ``GET /devices``; ``POST /devices/<id>/offline`` and ``/online``;
    ``POST /devices/<id>/delay?seconds=N``."""

    def __init__(self, fleet: DeviceFleet, port: int) -> None:
        import http.server
        from urllib.parse import parse_qs, urlsplit

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self, status: int, body: object) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                if self.path.rstrip("/") == "/devices":
                    self._answer(200, fleet.describe())
                else:
                    self._answer(404, {"code": "NOT_FOUND", "message": "GET /devices"})

            def do_POST(self) -> None:
                url = urlsplit(self.path)
                parts = url.path.strip("/").split("/")
                device = fleet.by_id(parts[1]) if len(parts) == 3 and parts[0] == "devices" else None
                if device is None:
                    self._answer(404, {"code": "DEVICE_NOT_FOUND", "message": "No such simulated device."})
                    return
                if parts[2] in ("offline", "online"):
                    fleet.set_online(device, parts[2] == "online")
                elif parts[2] == "delay":
                    device.answer_delay = float(parse_qs(url.query).get("seconds", ["0"])[0])
                else:
                    self._answer(404, {"code": "NOT_FOUND", "message": "offline, online or delay"})
                    return
                self._answer(
                    200,
                    {
                        "deviceId": device.device_id,
                        "online": device.online,
                        "answerDelaySeconds": device.answer_delay,
                    },
                )

            def log_message(self, format: str, *args: object) -> None:
                return

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, name="fleet-control", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> FleetControl:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class SimulatedDevice:
    device_id: str
    push_token: str = field(default_factory=lambda: f"fcm-sim-{uuid.uuid4().hex}")
    model: str = "Pixel 9 (simulated)"
    #: Seconds between receiving a command and reporting its result.
    answer_delay: float = 0.0
    online: bool = True
    #: Where the device says it is (a location the subscriber may have opted out of, R16).
    location: dict[str, float] | None = field(
        default_factory=lambda: {"latitude": 35.6812, "longitude": 139.7671}
    )
    device_token: str | None = None
    #: Command id -> the status it reported (each command runs once, whatever is pushed twice).
    ran: dict[str, str] = field(default_factory=dict)
    received: list[dict[str, Any]] = field(default_factory=list)
    seen_messages: set[str] = field(default_factory=set)

    def register(self, api_url: str, member_confirmation_code: str) -> dict[str, Any]:
        """Install the app: register with the notified code (raises ``requests.HTTPError``)."""
        answer = requests.post(
            f"{api_url}/devices/registrations",
            json={
                "memberConfirmationCode": member_confirmation_code,
                "deviceId": self.device_id,
                "model": self.model,
                "platform": "android",
                "pushToken": self.push_token,
            },
            timeout=30,
        )
        answer.raise_for_status()
        body: dict[str, Any] = answer.json()
        self.device_token = str(body["deviceToken"])
        return body

    def set_passphrase(self, api_url: str, passphrase: str) -> None:
        requests.put(
            f"{api_url}/devices/{self.device_id}/passphrase",
            json={"passphrase": passphrase},
            headers=self._auth(),
            timeout=30,
        ).raise_for_status()

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.device_token}"}

    def handle(self, api_url: str, message: dict[str, Any]) -> None:
        """Run one pushed command (once per command id) and report its result."""
        # SNS's FCM v1 shape: {"GCM": "{\"fcmV1Message\": {\"message\": {\"data\": {...}, ...}}}"}
        payload = json.loads(json.loads(message["Message"])["GCM"])["fcmV1Message"]["message"]["data"]
        self.received.append(payload)
        command_id = str(payload["commandId"])
        if command_id in self.ran:
            return
        if datetime.fromisoformat(str(payload["expiresAt"]).replace("Z", "+00:00")) <= datetime.now(UTC):
            self.ran[command_id] = "IGNORED_EXPIRED"
            return
        result: dict[str, Any] = {"status": "SUCCEEDED"}
        if payload["action"] == "BACKUP":
            # The presigned POST (anshin.adapters.push.upload_form): its fields, then the file.
            upload = requests.post(
                payload["uploadUrl"],
                data=json.loads(payload["uploadFields"]),
                files={"file": ("backup.bin", self._settings_backup())},
                timeout=30,
            )
            if upload.status_code >= 300:
                result = {"status": "FAILED", "failureReason": "UPLOAD_FAILED"}
        if self.location is not None and payload["action"] in ("LOCK", "WIPE"):
            result["location"] = self.location
        answer = requests.post(
            f"{api_url}/devices/{self.device_id}/commands/{command_id}/result",
            json=result,
            headers=self._auth(),
            timeout=30,
        )
        self.ran[command_id] = result["status"] if answer.ok else f"REPORT_{answer.status_code}"

    def _settings_backup(self) -> bytes:
        return json.dumps({"deviceId": self.device_id, "wifi": ["home"], "apps": ["support"]}).encode()


#: What a real app does when its registration fails: it tries again later, waiting twice as long
#: each time (with jitter), for as long as the failure can pass: no answer, the service busy, or
#: the contract still forming (``409 CONTRACT_FORMING``, with ``Retry-After``). A refusal that
#: cannot change (not Android, another device, an ended contract) is final.
RETRY_FIRST_SECONDS = 0.5
RETRY_MAX_SECONDS = 30.0
RETRY_GIVE_UP_AFTER = 12


def retry_delay(
    attempt: int, failure: BaseException, rng: Callable[[], float] = random.random
) -> float | None:
    """Seconds to wait before installation ``attempt`` + 1 after ``failure``; None: give up."""
    if attempt >= RETRY_GIVE_UP_AFTER:
        return None
    if isinstance(failure, requests.HTTPError) and failure.response is not None:
        answer = failure.response
        code = (
            answer.json().get("code")
            if answer.headers.get("Content-Type", "").startswith("application/json")
            else None
        )
        if not (answer.status_code >= 500 or answer.status_code == 429 or code == "CONTRACT_FORMING"):
            return None
        if answer.headers.get("Retry-After", "").isdigit():
            return float(answer.headers["Retry-After"])
    elif not isinstance(failure, requests.RequestException):
        return None
    return rng() * min(RETRY_MAX_SECONDS, RETRY_FIRST_SECONDS * 2.0**attempt)  # full jitter


@dataclass
class Installation:
    """A notified contract whose device has not yet installed the app."""

    notification: dict[str, Any]
    attempts: int = 0
    due: float = 0.0


class DeviceFleet:
    """Simulated devices that read the push channel on a background thread.

    With ``adopt_from`` (the customer-notification topic), every Android contract that forms (and
    no other) gets a simulated device that installs the app with the notified code and registers the demo
    passphrase, as its subscriber would."""

    def __init__(
        self,
        endpoint: str,
        api_url: str,
        poll_seconds: float = 0.2,
        adopt_from: str | None = None,
        passphrase: str = DEMO_PASSPHRASE,
        answer_delay: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.endpoint = endpoint
        self.api_url = api_url
        self.poll_seconds = poll_seconds
        self.passphrase = passphrase
        self.answer_delay = answer_delay
        self.devices: dict[str, SimulatedDevice] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._timers: list[threading.Timer] = []
        self._inbox = subscribe_queue(endpoint, adopt_from, "simulated-subscribers") if adopt_from else None
        self.clock = clock
        #: Installations still to be tried, and those given up (device id -> the last failure).
        self.pending: list[Installation] = []
        self.given_up: dict[str, str] = {}

    def _adopt(self) -> None:
        """Take every contract notified since the last look, and install the app on the ones due."""
        sqs = client("sqs", self.endpoint)
        for message in sqs.receive_message(QueueUrl=self._inbox, MaxNumberOfMessages=10).get("Messages", []):
            notification = json.loads(message["Body"])
            # Contracts that form (not the notices of credential changes), for Android devices
            # only: the support app runs on Android (Appendix); an iOS contract's code registers
            # nothing (issue 24).
            if notification.get("kind") == "CONTRACT_FORMED" and notification.get("platform") == "android":
                self.pending.append(Installation(notification, due=self.clock()))
            sqs.delete_message(QueueUrl=self._inbox, ReceiptHandle=message["ReceiptHandle"])
        self.install_due()

    def install_due(self) -> None:
        """Try each installation whose time has come; one that fails is tried again with backoff
        (:func:`retry_delay`) or given up."""
        now, waiting = self.clock(), []
        for installation in self.pending:
            if installation.due > now:
                waiting.append(installation)
                continue
            notification = installation.notification
            device = SimulatedDevice(device_id=str(notification["deviceId"]), answer_delay=self.answer_delay)
            try:
                device.register(self.api_url, str(notification["memberConfirmationCode"]))
                device.set_passphrase(self.api_url, self.passphrase)
                self.add(device)
            except requests.RequestException as failure:
                installation.attempts += 1
                delay = retry_delay(installation.attempts, failure)
                if delay is None:
                    self.given_up[device.device_id] = str(failure)
                else:
                    installation.due = now + delay
                    waiting.append(installation)
        self.pending = waiting

    def by_id(self, device_id: str) -> SimulatedDevice | None:
        return next((d for d in self.devices.values() if d.device_id == device_id), None)

    def describe(self) -> list[dict[str, Any]]:
        return [
            {
                "deviceId": d.device_id,
                "online": d.online,
                "answerDelaySeconds": d.answer_delay,
                "commandsRun": d.ran,
            }
            for d in self.devices.values()
        ]

    def add(self, device: SimulatedDevice) -> SimulatedDevice:
        self.devices[device.push_token] = device
        return device

    def set_online(self, device: SimulatedDevice, online: bool) -> None:
        device.online = online

    def poll_once(self) -> None:
        answer = requests.get(f"{self.endpoint}{PUSH_PATH}", timeout=30)
        answer.raise_for_status()
        for endpoint in answer.json()["endpoints"]:
            device = self.devices.get(str(endpoint.get("Token")))
            if device is None or not device.online:
                continue  # FCM keeps the message until the device is back
            for message in endpoint["Messages"]:
                if message["MessageId"] in device.seen_messages:
                    continue
                device.seen_messages.add(message["MessageId"])
                if device.answer_delay > 0:
                    timer = threading.Timer(device.answer_delay, device.handle, (self.api_url, message))
                    timer.daemon = True
                    self._timers.append(timer)
                    timer.start()
                else:
                    device.handle(self.api_url, message)

    def _run(self) -> None:
        while not self._stop.wait(self.poll_seconds):
            try:
                if self._inbox:
                    self._adopt()
                self.poll_once()
            except (requests.RequestException, BotoCoreError, ClientError):
                continue  # the emulator is stopping or busy; the next poll tries again

    def start(self) -> DeviceFleet:
        self._thread = threading.Thread(target=self._run, name="device-fleet", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for timer in self._timers:
            timer.cancel()
        if self._thread is not None:
            self._thread.join(timeout=5)
