"""The local service: the emulator with the synthesized app deployed in it."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from infra.local.deploy import deploy_assembly
from infra.local.emulator import ROOT, Emulator, free_port


def synthesize(outdir: Path) -> float:
    """Run the CDK app into ``outdir`` (in a child process: jsii keeps a Node process per
    interpreter). Returns the seconds it took."""
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "infra.app"],
        cwd=ROOT,
        env={**_clean_env(), "CDK_OUTDIR": str(outdir)},
        check=True,
    )
    return time.monotonic() - started


def _clean_env() -> dict[str, str]:
    import os

    env = dict(os.environ)
    env.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
    env.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    return env


@dataclass
class LocalService:
    emulator: Emulator
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def endpoint(self) -> str:
        return self.emulator.endpoint

    def output(self, key: str) -> str:
        for stack_outputs in self.outputs.values():
            if key in stack_outputs:
                return stack_outputs[key]
        raise KeyError(key)

    @property
    def api_url(self) -> str:
        """The deployed stage of the REST API, as the emulator serves it."""
        return f"{self.endpoint}/_aws/execute-api/{self.output('ApiId')}/{self.output('ApiStage')}"

    @classmethod
    def start(
        cls,
        *,
        port: int | None = None,
        work_dir: Path,
        state_dir: Path | None = None,
        cdk_out: Path | None = None,
        synth: bool = True,
    ) -> LocalService:
        """Synthesize (unless ``synth`` is false), start the emulator, deploy, and return."""
        timings: dict[str, float] = {}
        cdk_out = cdk_out or work_dir / "cdk.out"
        if synth:
            if cdk_out.exists():
                shutil.rmtree(cdk_out)
            timings["synth"] = synthesize(cdk_out)
        emulator = Emulator(port or free_port(), work_dir / "ministack.log", state_dir)
        started = time.monotonic()
        emulator.start()
        timings["emulator"] = time.monotonic() - started
        try:
            started = time.monotonic()
            outputs = deploy_assembly(emulator.endpoint, cdk_out)
            timings["deploy"] = time.monotonic() - started
        except BaseException:
            emulator.stop()
            raise
        return cls(emulator=emulator, outputs=outputs, timings=timings)

    def stop(self) -> None:
        self.emulator.stop()
