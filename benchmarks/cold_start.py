"""Cold-start cost of each function (issues 7 and 13). Not a test: prints numbers for README.

For every ``functions/<name>/app.py``: imports the handler module in a fresh interpreter, with only
the function's folder and the built shared layer (``.build/layer/python``, what Lambda mounts at
``/opt/python``) on the path, the way the Lambda runtime's init phase does, and reports the
median import time of ``--runs`` fresh interpreters. Every figure is also a ratio to the floor,
measured in the same run with the same interpreter and environment: a fresh interpreter that
imports only ``boto3`` (which the runtime provides and nearly every handler imports), sampled
between the handlers' samples so that both see the same load on the machine. Also the size of
each deployment asset (the function's zip, and the shared layer's zip once). The functions and
the layer are copied (without bytecode caches) when the run starts, so a concurrent ``make layer``
changes nothing under it.

``--baseline REV`` measures, in the same run and interleaved with the working tree's, the handlers
and the shared layer of git revision REV (exported with ``git archive``, its layer built from its
``layers/shared/requirements.txt`` the way ``make layer`` does, into a temporary directory):
before/after figures from one benchmark, against one floor. It needs PyPI (or pip's cache). It
also measures what the powertools Tracer alone costs with REV's layer (issue 13): ``boto3`` plus
``Logger()`` and ``Metrics()``, with and without ``Tracer()``.

    make layer && .venv/bin/python benchmarks/cold_start.py [--runs 5] [--baseline REV]
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "layers" / "shared")]

from local.deploy import zip_directory

LAYER = ROOT / ".build" / "layer"
#: An interpreter with only boto3 installed, like the Lambda runtime (the emulator's venv).
RUNTIME_PYTHON = ROOT / ".venv-local" / "bin" / "python"
PROBE = """
import time
started = time.perf_counter()
{code}
print(time.perf_counter() - started)
"""
HANDLER = "import app"
FLOOR = "import boto3"
POWERTOOLS = "import boto3\nfrom aws_lambda_powertools import Logger, Metrics\nLogger()\nMetrics()"
TRACER = f"{POWERTOOLS}\nfrom aws_lambda_powertools import Tracer\nTracer()"
POWERTOOLS_LABEL = "boto3, Logger(), Metrics()"
TRACER_LABEL = "  and Tracer()"
#: What the stack sets for every function (values are placeholders; nothing is called).
ENVIRONMENT = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "POWERTOOLS_SERVICE_NAME": "anshin",
    "POWERTOOLS_LOG_LEVEL": "INFO",
    "POWERTOOLS_METRICS_NAMESPACE": "Anshin",
    "CONTRACTS_TABLE": "Contracts",
    "LEDGER_TABLE": "Ledger",
    "SESSIONS_TABLE": "Sessions",
    "IDEMPOTENCY_TABLE": "Idempotency",
}
#: The pip options of the Makefile's layer target (Lambda's python3.11 on x86_64, wheels only).
LAYER_PIP_OPTIONS = [
    "--quiet",
    "--disable-pip-version-check",
    "--no-deps",
    "--implementation",
    "cp",
    "--python-version",
    "3.11",
    "--only-binary",
    ":all:",
    "--platform",
    "manylinux_2_26_x86_64",
    "--platform",
    "manylinux2014_x86_64",
]
NO_CACHES = shutil.ignore_patterns("__pycache__", "*.pyc")


def sample(code: str, cwd: Path, layer: Path) -> float:
    """Seconds a fresh interpreter takes to run ``code`` (from ``cwd``, with the layer)."""
    env = {**ENVIRONMENT, "PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(layer / "python")}
    answer = subprocess.run(  # noqa: S603 - our own interpreter and probe
        [str(RUNTIME_PYTHON), "-c", PROBE.format(code=code)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
    )
    if answer.returncode != 0:
        raise SystemExit(f"{code!r} in {cwd} failed:\n{answer.stderr}")
    return float(answer.stdout.strip().splitlines()[-1])


def snapshot(into: Path) -> tuple[Path, Path]:
    """The working tree's ``functions/`` and built layer, copied under ``into``."""
    shutil.copytree(ROOT / "functions", into / "functions", ignore=NO_CACHES)
    shutil.copytree(LAYER, into / "layer", ignore=NO_CACHES)
    return into / "functions", into / "layer"


def build_baseline(revision: str, into: Path) -> tuple[Path, Path]:
    """REV's ``functions/`` and its built shared layer, under ``into``."""
    archive = subprocess.run(  # noqa: S603 - git, on our own repository
        ["git", "-C", str(ROOT), "archive", "--format=tar", revision, "functions", "layers/shared"],  # noqa: S607
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    layer = into / "layer"
    subprocess.run(  # noqa: S603 - pip, with the Makefile's options
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            *LAYER_PIP_OPTIONS,
            "--target",
            str(layer / "python"),
            "-r",
            str(into / "layers" / "shared" / "requirements.txt"),
        ],
        check=True,
    )
    shutil.copytree(into / "layers" / "shared" / "anshin", layer / "python" / "anshin", ignore=NO_CACHES)
    return into / "functions", layer


def handlers(functions: Path) -> list[str]:
    return sorted(p.name for p in functions.iterdir() if (p / "app.py").exists())


def git(*arguments: str) -> str:
    return subprocess.run(  # noqa: S603
        ["git", "--no-optional-locks", "-C", str(ROOT), *arguments],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--baseline", metavar="REV", help="also measure git revision REV, interleaved")
    args = parser.parse_args()
    if not (LAYER / "python" / "anshin").exists():
        raise SystemExit("build the layer first: make layer")
    with tempfile.TemporaryDirectory(prefix="cold-start-") as scratch:
        variants = {"now": snapshot(Path(scratch) / "now")}
        revision = None
        if args.baseline:
            revision = git("rev-parse", "--short", args.baseline)
            variants["baseline"] = build_baseline(args.baseline, Path(scratch) / "baseline")
        measure(variants, args.runs, revision)


def measure(variants: dict[str, tuple[Path, Path]], runs: int, revision: str | None) -> None:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    changed = git("status", "--porcelain", "--", "functions", "layers/shared")
    print(
        f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores, "
        f"{memory:.0f} GiB; median of {runs} fresh interpreters; now = the working tree at "
        f"{git('rev-parse', '--short', 'HEAD')}{' with changes' if changed else ''}"
        + (f"; baseline = {revision}" if revision else "")
    )
    sizes = ", ".join(
        f"{name} {len(zip_directory(layer)) / 1e6:.1f} MB" for name, (_, layer) in variants.items()
    )
    print(f"shared layer asset, zipped: {sizes}")
    now_functions, now_layer = variants["now"]
    names = sorted({name for functions, _ in variants.values() for name in handlers(functions)})
    # powertools alone, and with its Tracer wherever the layer ships the X-Ray SDK it needs.
    probes = [(POWERTOOLS_LABEL, POWERTOOLS, variant) for variant in variants] + [
        (TRACER_LABEL, TRACER, variant)
        for variant, (_, layer) in variants.items()
        if (layer / "python" / "aws_xray_sdk").exists()
    ]
    floor: list[float] = []
    samples: dict[tuple[str, str], list[float]] = {}
    for _ in range(runs):
        for name in names:
            floor.append(sample(FLOOR, now_functions, now_layer))
            for variant, (functions, layer) in variants.items():
                if (functions / name / "app.py").exists():
                    samples.setdefault((variant, name), []).append(sample(HANDLER, functions / name, layer))
        for label, code, variant in probes:
            samples.setdefault((variant, label), []).append(sample(code, now_functions, variants[variant][1]))
    median = {key: statistics.median(values) for key, values in samples.items()}
    floor_seconds = statistics.median(floor)
    print(
        f"floor: a fresh interpreter's `import boto3`, {floor_seconds * 1000:.0f} ms "
        f"(median of {len(floor)}, sampled between the handlers')"
    )

    def cells(key: tuple[str, str], width: int) -> str:
        if key not in median:
            return f" {'-':>{width}} {'-':>8}"
        return f" {median[key] * 1000:>{width}.0f} {median[key] / floor_seconds:>8.2f}"

    header = f"{'function':<28} {'import (ms)':>12} {'x floor':>8} {'asset (KB)':>11}"
    if "baseline" in variants:
        header += f" {'baseline (ms)':>14} {'x floor':>8} {'saved (ms)':>11}"
    print(header)
    for name in names:
        line = f"{name:<28}" + cells(("now", name), 12)
        size = len(zip_directory(now_functions / name)) if ("now", name) in median else None
        line += f" {size / 1024:>11.1f}" if size is not None else f" {'-':>11}"
        if "baseline" in variants:
            line += cells(("baseline", name), 14)
            if ("now", name) in median and ("baseline", name) in median:
                line += f" {round((median[('baseline', name)] - median[('now', name)]) * 1000):>11d}"
        print(line, flush=True)
    for label, pick in (("slowest", max), ("median", statistics.median)):
        line = f"{label:<28}"
        for variant in variants:
            seconds = pick(median[(variant, name)] for name in names if (variant, name) in median)
            width = 12 if variant == "now" else 14
            line += f" {seconds * 1000:>{width}.0f} {seconds / floor_seconds:>8.2f}"
            line += f" {'':>11}" if variant == "now" else ""
        print(line)
    print("powertools alone, no handler code:")
    for label in (POWERTOOLS_LABEL, TRACER_LABEL):
        line = f"{label:<28}" + cells(("now", label), 12) + f" {'':>11}"
        print(line + (cells(("baseline", label), 14) if "baseline" in variants else ""))


if __name__ == "__main__":
    main()
