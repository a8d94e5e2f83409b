"""Start and stop ministack, bound to 127.0.0.1 only, from its own virtual environment."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import IO

import requests

ROOT = Path(__file__).resolve().parents[1]
LOCAL_PYTHON = ROOT / ".venv-local" / "bin" / "python"
REGION = "us-east-1"
ACCOUNT = "000000000000"
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def port_taken(port: int) -> bool:
    """Whether something listens on ``HOST:port`` already (a port in TIME_WAIT counts as free)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return True
        return False


def free_port_from(port: int) -> int:
    """The first port from ``port`` up that nothing listens on."""
    while port_taken(port):
        port += 1
    return port


class Emulator:
    """One ministack process. ``state_dir`` keeps its state across restarts when given."""

    def __init__(self, port: int, log_path: Path, state_dir: Path | None = None) -> None:
        self.port = port
        self.log_path = log_path
        self.state_dir = state_dir
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def scratch(self) -> Path:
        """The emulator's temporary directory (its ``TMPDIR``), emptied at each start."""
        return self.log_path.parent / f"tmp-{self.port}"

    def environment(self) -> dict[str, str]:
        # Only what the emulator and the Lambda workers it spawns should see: workers inherit
        # this environment, so nothing of the developer's shell (PYTHONPATH, real AWS keys) leaks.
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": os.environ.get("HOME", tempfile.gettempdir()),
            "LANG": "C.UTF-8",
            # The emulator's own scratch space: each Lambda worker it spawns unpacks its code and
            # layers into a directory there, which ministack leaves behind when it stops
            # (docs/emulator-notes.md); here they go with the emulator's work directory.
            "TMPDIR": str(self.scratch),
            "BIND_HOST": HOST,
            "GATEWAY_PORT": str(self.port),
            "MINISTACK_HOST": HOST,
            "MINISTACK_REGION": REGION,
            "MINISTACK_ACCOUNT_ID": ACCOUNT,
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_DEFAULT_REGION": REGION,
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
        if self.state_dir is not None:
            self.state_dir.mkdir(parents=True, exist_ok=True)
            env.update(
                {
                    "PERSIST_STATE": "1",
                    "STATE_DIR": str(self.state_dir / "state"),
                    "S3_PERSIST": "1",
                    "S3_DATA_DIR": str(self.state_dir / "s3"),
                }
            )
        else:
            env["S3_DATA_DIR"] = str(self.log_path.parent / f"s3-{self.port}")
        return env

    def start(self, timeout: float = 60.0) -> None:
        if not LOCAL_PYTHON.exists():
            raise RuntimeError(f"{LOCAL_PYTHON} is missing: run `make install` first")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(self.scratch, ignore_errors=True)
        self.scratch.mkdir()
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [str(LOCAL_PYTHON), str(Path(__file__).with_name("ministack_main.py"))],
            env=self.environment(),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: stop() ends the Lambda workers too
            cwd=str(self.log_path.parent),
        )
        self.wait_ready(timeout)

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"ministack exited with {self.process.returncode}; see {self.log_path}")
            try:
                if requests.get(f"{self.endpoint}/_ministack/health", timeout=1).ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"ministack not ready after {timeout}s; see {self.log_path}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
            except ProcessLookupError:
                pass
        if self._log is not None:
            self._log.close()
            self._log = None
        shutil.rmtree(self.scratch, ignore_errors=True)
