"""Deploy a synthesized cloud assembly (``cdk.out/``) into the emulator, the way ``cdk deploy`` does.

The glue ``cdk deploy`` does against a bootstrapped account, done by hand: publish the file
assets to the bootstrap bucket named in ``*.assets.json``, provide the bootstrap version
parameter the templates check, then create or update each stack in dependency order and wait.
The templates themselves are deployed unchanged.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Collection
from dataclasses import dataclass
from graphlib import TopologicalSorter
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError, WaiterError

from local.emulator import ACCOUNT, REGION

BOOTSTRAP_VERSION = "30"
_FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def client(service: str, endpoint: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",  # noqa: S106 - the emulator's fixed credentials
        config=Config(retries={"mode": "standard", "max_attempts": 5}),
    )


def _substitute(text: str) -> str:
    return (
        text.replace("${AWS::AccountId}", ACCOUNT)
        .replace("${AWS::Region}", REGION)
        .replace("${AWS::Partition}", "aws")
    )


def _shipped(file: Path) -> bool:
    """Whether an asset's file goes into its zip: not a bytecode cache, unless it is bytecode
    compiled to be shipped (hash-checked, PEP 552: the layers', which the Makefile compiles),
    valid whatever time the zip gives its source; a developer's own timestamp caches stay out."""
    if "__pycache__" not in file.parts:
        return True
    with file.open("rb") as pyc:
        header = pyc.read(8)
    return len(header) == 8 and int.from_bytes(header[4:8], "little") & 0b11 == 0b11


def zip_directory(path: Path) -> bytes:
    """A deterministic zip of a directory (sorted entries, fixed timestamps, modes kept)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(p for p in path.rglob("*") if p.is_file() and _shipped(p)):
            info = zipfile.ZipInfo(str(file.relative_to(path)), _FIXED_ZIP_TIME)
            info.external_attr = (file.stat().st_mode & 0o777) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, file.read_bytes())
    return buffer.getvalue()


@dataclass(frozen=True)
class StackArtifact:
    name: str
    template: Path
    template_url: str | None
    assets: Path | None
    dependencies: tuple[str, ...]


def read_assembly(cdk_out: Path) -> list[StackArtifact]:
    """The stacks of the assembly, dependencies first."""
    manifest = json.loads((cdk_out / "manifest.json").read_text())
    artifacts: dict[str, Any] = manifest["artifacts"]
    stacks: dict[str, StackArtifact] = {}
    for name, artifact in artifacts.items():
        if artifact["type"] != "aws:cloudformation:stack":
            continue
        deps = tuple(artifact.get("dependencies", []))
        asset_files = [
            cdk_out / artifacts[d]["properties"]["file"]
            for d in deps
            if artifacts.get(d, {}).get("type") == "cdk:asset-manifest"
        ]
        stacks[name] = StackArtifact(
            name=name,
            template=cdk_out / artifact["properties"]["templateFile"],
            template_url=artifact["properties"].get("stackTemplateAssetObjectUrl"),
            assets=asset_files[0] if asset_files else None,
            dependencies=tuple(
                d for d in deps if d in artifacts and artifacts[d]["type"] == artifact["type"]
            ),
        )
    order = TopologicalSorter({n: s.dependencies for n, s in stacks.items()}).static_order()
    return [stacks[n] for n in order]


def publish_assets(endpoint: str, asset_manifest: Path) -> int:
    """Upload every file asset of one ``*.assets.json`` to its bootstrap bucket."""
    s3 = client("s3", endpoint)
    manifest = json.loads(asset_manifest.read_text())
    published = 0
    for asset in manifest.get("files", {}).values():
        source = asset_manifest.parent / asset["source"]["path"]
        body = zip_directory(source) if asset["source"].get("packaging") == "zip" else source.read_bytes()
        for destination in asset["destinations"].values():
            bucket = _substitute(destination["bucketName"])
            _ensure_bucket(s3, bucket)
            s3.put_object(Bucket=bucket, Key=_substitute(destination["objectKey"]), Body=body)
            published += 1
    return published


def _ensure_bucket(s3: Any, bucket: str) -> None:
    try:
        s3.head_bucket(Bucket=bucket)
    except ClientError:
        s3.create_bucket(Bucket=bucket)


def ensure_bootstrap_parameter(endpoint: str) -> None:
    """What ``cdk bootstrap`` leaves behind that the templates check: the bootstrap version."""
    client("ssm", endpoint).put_parameter(
        Name="/cdk-bootstrap/hnb659fds/version", Value=BOOTSTRAP_VERSION, Type="String", Overwrite=True
    )


def deploy_stack(endpoint: str, stack: StackArtifact) -> dict[str, str]:
    cfn = client("cloudformation", endpoint)
    # Like cdk deploy: the template is one of the published assets, passed by its S3 URL
    # (an inline TemplateBody is limited to 51,200 bytes).
    if stack.template_url is not None and stack.template_url.startswith("s3://"):
        template: dict[str, str] = {
            "TemplateURL": "https://s3.amazonaws.com/" + _substitute(stack.template_url.removeprefix("s3://"))
        }
    else:
        template = {"TemplateBody": stack.template.read_text()}
    arguments = {
        "StackName": stack.name,
        **template,
        "Capabilities": ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
    }
    try:
        existing = cfn.describe_stacks(StackName=stack.name)["Stacks"][0]
    except ClientError:
        existing = None
    if existing is None or existing["StackStatus"] in ("ROLLBACK_COMPLETE", "DELETE_COMPLETE"):
        if existing is not None and existing["StackStatus"] == "ROLLBACK_COMPLETE":
            cfn.delete_stack(StackName=stack.name)
            cfn.get_waiter("stack_delete_complete").wait(StackName=stack.name, WaiterConfig={"Delay": 1})
        cfn.create_stack(**arguments)
        waiter = "stack_create_complete"
    else:
        try:
            cfn.update_stack(**arguments)
        except ClientError as error:
            if "No updates are to be performed" not in str(error):
                raise
            return outputs_of(endpoint, stack.name)
        waiter = "stack_update_complete"
    try:
        cfn.get_waiter(waiter).wait(StackName=stack.name, WaiterConfig={"Delay": 1, "MaxAttempts": 600})
    except WaiterError as error:
        events = cfn.describe_stack_events(StackName=stack.name)["StackEvents"]
        failed = [
            f"{e['LogicalResourceId']}: {e.get('ResourceStatusReason', '')}"
            for e in events
            if e.get("ResourceStatus", "").endswith("FAILED")
        ]
        raise RuntimeError(f"deploying {stack.name} failed:\n  " + "\n  ".join(failed)) from error
    return outputs_of(endpoint, stack.name)


def outputs_of(endpoint: str, stack_name: str) -> dict[str, str]:
    stack = client("cloudformation", endpoint).describe_stacks(StackName=stack_name)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def physical_ids(endpoint: str, stack_name: str) -> dict[str, str]:
    """Logical id -> physical id of every resource of a deployed stack."""
    cfn = client("cloudformation", endpoint)
    resources: dict[str, str] = {}
    for page in cfn.get_paginator("list_stack_resources").paginate(StackName=stack_name):
        for summary in page["StackResourceSummaries"]:
            resources[summary["LogicalResourceId"]] = summary.get("PhysicalResourceId", "")
    return resources


def deploy_assembly(
    endpoint: str, cdk_out: Path, only: Collection[str] | None = None
) -> dict[str, dict[str, str]]:
    """Deploy the stacks of ``cdk_out`` (those named in ``only``, if given; a stack they depend
    on must be among them); returns each deployed stack's outputs."""
    ensure_bootstrap_parameter(endpoint)
    outputs: dict[str, dict[str, str]] = {}
    for stack in read_assembly(cdk_out):
        if only is not None and stack.name not in only:
            continue
        missing = [d for d in stack.dependencies if only is not None and d not in only]
        if missing:
            raise ValueError(f"{stack.name} depends on {', '.join(missing)}, which is not deployed")
        if stack.assets is not None:
            publish_assets(endpoint, stack.assets)
        outputs[stack.name] = deploy_stack(endpoint, stack)
    return outputs
