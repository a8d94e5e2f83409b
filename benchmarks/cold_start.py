"""Cold-start cost of each function (issue 7). Not a test: prints numbers for README.

For every ``functions/<name>/app.py``: imports the handler module in a fresh interpreter, with only
the function's folder and the built shared layer (``.build/layer/python``, what Lambda mounts at
``/opt/python``) on the path, the way the Lambda runtime's init phase does, and reports the
median import time of ``--runs`` fresh interpreters. Also the size of each deployment asset
(the function's zip, and the shared layer's zip once).

    make layer && .venv/bin/python benchmarks/cold_start.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "layers" / "shared")]

from infra.local.deploy import zip_directory

LAYER = ROOT / ".build" / "layer"
#: An interpreter with only boto3 installed, like the Lambda runtime (the emulator's venv).
RUNTIME_PYTHON = ROOT / ".venv-local" / "bin" / "python"
PROBE = """
import sys, time
started = time.perf_counter()
import app
print(time.perf_counter() - started)
"""
#: What the stack sets for every function (values are placeholders; nothing is called).
ENVIRONMENT = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "POWERTOOLS_SERVICE_NAME": "anshin",
    "POWERTOOLS_LOG_LEVEL": "INFO",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "CONTRACTS_TABLE": "Contracts",
    "SESSIONS_TABLE": "Sessions",
    "IDEMPOTENCY_TABLE": "Idempotency",
}


def import_seconds(function_dir: Path, runs: int) -> float:
    env = {**ENVIRONMENT, "PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(LAYER / "python")}
    samples = []
    for _ in range(runs):
        answer = subprocess.run(  # noqa: S603 - our own interpreter and probe
            [str(RUNTIME_PYTHON), "-c", PROBE],
            cwd=function_dir,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        samples.append(float(answer.stdout.strip().splitlines()[-1]))
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if not (LAYER / "python" / "anshin").exists():
        raise SystemExit("build the layer first: make layer")
    print(
        f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores; "
        f"median of {args.runs} fresh interpreters"
    )
    layer_zip = len(zip_directory(LAYER))
    print(f"shared layer asset: {layer_zip / 1e6:.1f} MB zipped")
    print(f"{'function':<20} {'import (ms)':>12} {'asset (KB)':>11}")
    rows = []
    for function_dir in sorted(p for p in (ROOT / "functions").iterdir() if (p / "app.py").exists()):
        seconds = import_seconds(function_dir, args.runs)
        size = len(zip_directory(function_dir))  # what CDK packages (caches excluded by the stack)
        rows.append((function_dir.name, seconds, size))
        print(f"{function_dir.name:<20} {seconds * 1000:>12.0f} {size / 1024:>11.1f}", flush=True)
    print(f"{'slowest':<20} {max(r[1] for r in rows) * 1000:>12.0f}")


if __name__ == "__main__":
    main()
