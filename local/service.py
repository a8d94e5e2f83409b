"""The local service: the emulator with the synthesized app deployed in it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from infra.settings import Settings
from local.deploy import client, deploy_assembly
from local.emulator import ROOT, Emulator, free_port


def synthesize(outdir: Path, context: dict[str, object] | None = None) -> float:
    """Run the CDK app into ``outdir`` (in a child process: jsii keeps a Node process per
    interpreter), with CDK ``context`` as ``cdk -c`` would pass it. Returns the seconds it took."""
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "infra.app"],
        cwd=ROOT,
        env={**_clean_env(), "CDK_OUTDIR": str(outdir), "CDK_CONTEXT_JSON": json.dumps(context or {})},
        check=True,
    )
    return time.monotonic() - started


#: What the synthesized assembly depends on: when none of it changed since ``cdk.out`` was
#: written with the same context, ``make run`` deploys it again without synthesizing.
SOURCES = (
    "infra",
    "functions",
    "layers/shared/anshin",
    "layers/local",
    "statemachines",
    "cdk.json",
    ".build/layer.built",
    ".build/layer-local.built",
)
CONTEXT_FILE = "anshin-context.json"


def assembly_is_fresh(cdk_out: Path, context: dict[str, object]) -> bool:
    manifest = cdk_out / "manifest.json"
    saved = cdk_out / CONTEXT_FILE
    if not manifest.exists() or not saved.exists() or json.loads(saved.read_text()) != context:
        return False
    # Written after the synthesis it describes: a later `make synth` (AWS context, the web stack)
    # into the same cdk.out leaves the file behind, older than the manifest.
    if manifest.stat().st_mtime > saved.stat().st_mtime:
        return False
    built = manifest.stat().st_mtime
    for source in SOURCES:
        path = ROOT / source
        files = (
            [path]
            if path.is_file()
            else [f for f in path.rglob("*") if f.is_file() and "__pycache__" not in f.parts]
        )
        if any(f.stat().st_mtime > built for f in files):
            return False
    return True


def create_push_application(endpoint: str, name: str) -> str:
    """The SNS platform application of the support app (``GCM/<name>``), which an operator
    creates once per AWS account with the FCM credential; CloudFormation cannot."""
    platform, _, app_name = name.partition("/")
    return str(
        client("sns", endpoint).create_platform_application(
            Name=app_name, Platform=platform, Attributes={"PlatformCredential": "local-emulator"}
        )["PlatformApplicationArn"]
    )


def _clean_env() -> dict[str, str]:
    import os

    env = dict(os.environ)
    # The CDK app takes the functions' defaults from anshin.settings (layers/shared).
    shared = str(ROOT / "layers" / "shared")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (shared, env.get("PYTHONPATH", "")) if p)
    env.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
    env.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    return env


#: Settings every local deployment gets: the demo staff sign in without MFA (AWS default:
#: REQUIRED); no WAF association, which the emulator cannot create (AWS default: on); the
#: local-only layer (anshin_local: fault injection for `make fault`, time travel, the call log),
#: which AWS deployments never have; no practical limit of registrations per source address; no
#: web stack (LOCAL_STACKS says why), so synthesis needs no .build/web either.
LOCAL_CONTEXT: dict[str, object] = {
    "anshin:staffMfa": "OFF",
    "anshin:apiWaf": False,
    "anshin:faultInjection": True,
    # Every caller of a local stack is 127.0.0.1 (the simulated devices, the tests): the limit
    # per source address would be one limit for all of them (AWS default: 20 per 15 minutes).
    "anshin:registrationAttemptsPerSource": 100_000,
    "anshin:cancellationAttemptsPerSource": 100_000,
    "anshin:webStack": False,
}


#: The stacks a local deployment has. AnshinWeb (the pages behind CloudFront) is left out: the
#: emulator's CloudFront serves viewers only at ``<id>.cloudfront.<host>``, redirects plain http
#: to an https it does not serve, refuses execute-api origins, and BucketDeployment's function
#: needs the AWS CLI at /opt/awscli, which local Lambda workers lack (docs/emulator-notes.md).
#: ``make run`` serves the pages with local/web.py instead.
LOCAL_STACKS = ("AnshinData", "AnshinService")


#: For the demo and the e2e tests: device commands expire in seconds (re-sent every 2-4 s), so an
#: offline device's command visibly expires; AWS default: 72 hours, re-sent from 1 minute to 1 hour.
FAST_COMMANDS: dict[str, object] = {
    "anshin:commandExpirySeconds": 20,
    "anshin:commandRetryBaseSeconds": 2,
    "anshin:commandRetryMaxSeconds": 4,
}


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
        synth: bool | None = True,
        context: dict[str, object] | None = None,
    ) -> LocalService:
        """Synthesize with CDK ``context`` (always if ``synth`` is true, never if false, when
        the sources changed if None), start the emulator, deploy, and return."""
        timings: dict[str, float] = {}
        cdk_out = cdk_out or work_dir / "cdk.out"
        context = {**LOCAL_CONTEXT, **(context or {})}
        if synth or (synth is None and not assembly_is_fresh(cdk_out, context)):
            if cdk_out.exists():
                shutil.rmtree(cdk_out)
            timings["synth"] = synthesize(cdk_out, context)
            (cdk_out / CONTEXT_FILE).write_text(json.dumps(context))
        emulator = Emulator(port or free_port(), work_dir / "ministack.log", state_dir)
        started = time.monotonic()
        emulator.start()
        timings["emulator"] = time.monotonic() - started
        try:
            started = time.monotonic()
            create_push_application(emulator.endpoint, Settings().push_platform_application)
            outputs = deploy_assembly(emulator.endpoint, cdk_out, only=LOCAL_STACKS)
            timings["deploy"] = time.monotonic() - started
        except BaseException:
            emulator.stop()
            raise
        return cls(emulator=emulator, outputs=outputs, timings=timings)

    def stop(self) -> None:
        self.emulator.stop()
