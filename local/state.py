"""Where the running local stack is: ``make run`` writes ``.local/endpoint.json`` while it serves,
and the tools (``make staff-token``, ``logs``, ``redrive``, ``fault``, ``month-end``) read it.

A tool talks to, in this order: its ``--endpoint`` (``ENDPOINT=``), the stack of the state file,
``http://127.0.0.1:4566``. A state file whose ``make run`` process is gone is ignored.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit

import requests

from local.emulator import HOST, ROOT

LOCAL_DIR = ROOT / ".local"
STATE_FILE = LOCAL_DIR / "endpoint.json"
DEFAULT_PORT = 4566
DEFAULT_ENDPOINT = f"http://{HOST}:{DEFAULT_PORT}"
#: The pages of ``make run`` (local/web.py): a fixed port, so a bookmarked status page stays valid.
DEFAULT_WEB_PORT = 4580


@dataclass(frozen=True)
class Running:
    """What ``make run`` writes: its endpoint at once, the URLs when it is ready (``web_url``:
    the pages, which the browser tests and a developer's tools can open)."""

    endpoint: str
    pid: int
    api_url: str | None = None
    devices_url: str | None = None
    web_url: str | None = None


def save(running: Running, path: Path | None = None) -> None:
    path = path or STATE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(asdict(running), indent=2) + "\n")


def load(path: Path | None = None) -> Running | None:
    """The stack of the state file, or None (no file, unreadable, or its process is gone)."""
    try:
        running = Running(**json.loads((path or STATE_FILE).read_text()))
    except (OSError, ValueError, TypeError):
        return None
    return running if _alive(running.pid) else None


def clear(pid: int, path: Path | None = None) -> None:
    """Remove the state file if process ``pid`` wrote it (a later ``make run`` may own it now)."""
    path = path or STATE_FILE
    running = load(path)
    if running is None or running.pid == pid:
        path.unlink(missing_ok=True)


def resolve(explicit: str | None, path: Path | None = None) -> str:
    """The endpoint a tool talks to: ``explicit``, else the state file's, else the default."""
    running = None if explicit else load(path)
    return explicit or (running.endpoint if running else DEFAULT_ENDPOINT)


def problem(endpoint: str, path: Path | None = None) -> str | None:
    """One sentence when no ready stack answers at ``endpoint``; None when one does."""
    running = load(path)
    if running is not None and running.endpoint == endpoint and running.api_url is None:
        return f"The stack at {endpoint} is still starting: wait for `make run` to print its summary."
    try:
        requests.get(f"{endpoint}/_ministack/health", timeout=5)
    except requests.RequestException:
        return (
            f"Nothing is running at {endpoint}: start the stack with `make run` "
            "(or pass ENDPOINT=... to reach another one)."
        )
    return None


def port_of(endpoint: str) -> int:
    """The port of ``http://127.0.0.1:PORT`` (the local stack listens on 127.0.0.1 only)."""
    url = urlsplit(endpoint)
    if url.scheme != "http" or url.hostname not in (HOST, "localhost") or url.port is None:
        raise ValueError(
            f"ENDPOINT={endpoint} is not a local address: the stack listens on "
            f"http://{HOST}:PORT only, e.g. ENDPOINT={DEFAULT_ENDPOINT}."
        )
    return url.port


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
