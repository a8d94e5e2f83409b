"""The synthesized stacks as IAM sees them: each function's role policy and environment, with
every intrinsic (``Ref``, ``Fn::GetAtt``, ``Fn::ImportValue``, ``Fn::Join``…) resolved to the ARN
or name the resource would have in one account and region, and the recorded requests translated
into the same names (tests/permissions/test_permissions.py)."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from anshin_local.call_log import ACCOUNT, REGION

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "tools" / "iam-simulate"
PSEUDO = {
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT,
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::StackName": "stack",
}


def _name(logical_id: str, resource: dict[str, Any], name_property: str | None) -> str:
    given = (resource.get("Properties") or {}).get(name_property or "")
    return given if isinstance(given, str) else logical_id


class Stacks:
    """The synthesized templates of one cloud assembly, resolved in one account and region."""

    def __init__(self, templates: dict[str, dict[str, Any]]) -> None:
        self.templates = templates
        self.exports: dict[str, tuple[str, Any]] = {}
        for stack, template in templates.items():
            for output in template.get("Outputs", {}).values():
                if "Export" in output:
                    self.exports[self.resolve(stack, output["Export"]["Name"])] = (stack, output["Value"])

    @classmethod
    def load(cls, assembly: Path) -> Stacks:
        return cls(
            {p.name.split(".")[0]: json.loads(p.read_text()) for p in assembly.glob("*.template.json")}
        )

    def _ref(self, stack: str, logical_id: str) -> str:
        if logical_id in PSEUDO:
            return PSEUDO[logical_id]
        resource = self.templates[stack]["Resources"].get(logical_id)
        if resource is None:
            return logical_id  # a parameter (the bootstrap version): nothing IAM looks at
        kind = resource["Type"]
        if kind == "AWS::SNS::Topic":
            return f"arn:aws:sns:{REGION}:{ACCOUNT}:{_name(logical_id, resource, 'TopicName')}"
        if kind == "AWS::SQS::Queue":
            return f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{_name(logical_id, resource, 'QueueName')}"
        if kind == "AWS::StepFunctions::StateMachine":
            name = _name(logical_id, resource, "StateMachineName")
            return f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{name}"
        if kind == "AWS::S3::Bucket":
            return _name(logical_id, resource, "BucketName").lower()
        names = {
            "AWS::DynamoDB::Table": "TableName",
            "AWS::Lambda::Function": "FunctionName",
            "AWS::IAM::Role": "RoleName",
            "AWS::Logs::LogGroup": "LogGroupName",
        }
        return _name(logical_id, resource, names.get(kind))

    def _attribute(self, stack: str, logical_id: str, attribute: str) -> str:
        resource = self.templates[stack]["Resources"][logical_id]
        kind, ref = resource["Type"], self._ref(stack, logical_id)
        arns = {
            "AWS::DynamoDB::Table": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{ref}",
            "AWS::SNS::Topic": ref,
            "AWS::SQS::Queue": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{ref.rsplit('/', 1)[-1]}",
            "AWS::S3::Bucket": f"arn:aws:s3:::{ref}",
            "AWS::StepFunctions::StateMachine": ref,
            "AWS::Lambda::Function": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{ref}",
            "AWS::KMS::Key": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{ref}",
            "AWS::IAM::Role": f"arn:aws:iam::{ACCOUNT}:role/{ref}",
            "AWS::Logs::LogGroup": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{ref}:*",
            "AWS::Cognito::UserPool": f"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/{ref}",
        }
        if attribute in ("Arn", "TopicArn"):
            return arns.get(kind, f"{logical_id}.Arn")
        if attribute in ("QueueName", "TopicName", "Name"):
            return ref.rsplit("/", 1)[-1].rsplit(":", 1)[-1]
        if attribute == "QueueUrl":
            return ref
        return f"{logical_id}.{attribute}"

    def resolve(self, stack: str, value: Any) -> Any:
        """``value`` with every intrinsic function replaced by what it names."""
        if isinstance(value, list):
            return [self.resolve(stack, v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, argument),) = value.items()
            if key == "Ref":
                return self._ref(stack, argument)
            if key == "Fn::GetAtt":
                logical_id, attribute = argument if isinstance(argument, list) else argument.split(".", 1)
                return self._attribute(stack, logical_id, attribute)
            if key == "Fn::Join":
                delimiter, parts = argument
                return delimiter.join(str(self.resolve(stack, p)) for p in self.resolve(stack, parts))
            if key == "Fn::Split":
                delimiter, text = argument
                return str(self.resolve(stack, text)).split(delimiter)
            if key == "Fn::Select":
                index, items = argument
                return self.resolve(stack, items)[int(index)]
            if key == "Fn::ImportValue":
                exporter, exported = self.exports[self.resolve(stack, argument)]
                return self.resolve(exporter, exported)
            if key == "Fn::Sub" and isinstance(argument, str):
                return re.sub(
                    r"\$\{([^}]+)\}",
                    lambda m: str(
                        self.resolve(stack, {"Fn::GetAtt": m[1]} if "." in m[1] else {"Ref": m[1]})
                    ),
                    argument,
                )
        return {k: self.resolve(stack, v) for k, v in value.items()}

    def functions(self, stack: str = "AnshinService") -> dict[str, Function]:
        """Every function of ``stack`` by its folder name (functions/<name>), with its role's
        policies and its environment, resolved."""
        resources = self.templates[stack]["Resources"]
        folders = {
            "".join(p.title() for p in d.name.split("_")): d.name for d in (ROOT / "functions").iterdir()
        }
        found: dict[str, Function] = {}
        for logical_id, resource in resources.items():
            if resource["Type"] != "AWS::Lambda::Function":
                continue
            construct = re.sub(r"[0-9A-F]{8}$", "", logical_id)  # CDK's logical id: path + hash
            if construct not in folders:
                continue  # a function CDK adds for itself (none today), not one of ours
            properties = resource["Properties"]
            role = properties["Role"]["Fn::GetAtt"][0]
            policies = [
                {"name": policy_id, "policy": self.resolve(stack, r["Properties"]["PolicyDocument"])}
                for policy_id, r in resources.items()
                if r["Type"] == "AWS::IAM::Policy" and {"Ref": role} in r["Properties"]["Roles"]
            ]
            inline = resources[role]["Properties"].get("Policies", [])
            policies += [
                {"name": p["PolicyName"], "policy": self.resolve(stack, p["PolicyDocument"])} for p in inline
            ]
            environment = self.resolve(stack, properties.get("Environment", {}).get("Variables", {}))
            found[folders[construct]] = Function(folders[construct], logical_id, policies, environment)
        return found

    def resource_policy(self, arn: str) -> dict[str, Any] | None:
        """The resource-based policy of the key, topic, queue or bucket ``arn`` names, if any: a KMS
        key's own policy must let the account's IAM policies apply; the others may deny."""
        for stack, template in self.templates.items():
            resources = template["Resources"]
            for logical_id, resource in resources.items():
                kind, properties = resource["Type"], resource.get("Properties") or {}
                owner = self._attribute(stack, logical_id, "Arn")
                if kind == "AWS::KMS::Key" and owner == arn:
                    return dict(self.resolve(stack, properties["KeyPolicy"]))
                attached = {
                    "AWS::SNS::Topic": ("AWS::SNS::TopicPolicy", "Topics"),
                    "AWS::SQS::Queue": ("AWS::SQS::QueuePolicy", "Queues"),
                    "AWS::S3::Bucket": ("AWS::S3::BucketPolicy", "Bucket"),
                }.get(kind)
                if attached is None or not (owner == arn or arn.startswith(owner + "/")):
                    continue
                for policy in resources.values():
                    if policy["Type"] != attached[0]:
                        continue
                    targets = policy["Properties"][attached[1]]
                    if {"Ref": logical_id} in (targets if isinstance(targets, list) else [targets]):
                        return dict(self.resolve(stack, policy["Properties"]["PolicyDocument"]))
        return None

    def encryption_key(self, arn: str) -> str | None:
        """The KMS key ARN that encrypts the topic, queue or bucket named by ``arn``, if any."""
        for stack, template in self.templates.items():
            for logical_id, resource in template["Resources"].items():
                properties = resource.get("Properties") or {}
                kind = resource["Type"]
                if (
                    kind in ("AWS::SNS::Topic", "AWS::SQS::Queue")
                    and "KmsMasterKeyId" in properties
                    and self._attribute(stack, logical_id, "Arn") == arn
                ):
                    return str(self.resolve(stack, properties["KmsMasterKeyId"]))
                if kind == "AWS::DynamoDB::Table" and "KMSMasterKeyId" in properties.get(
                    "SSESpecification", {}
                ):
                    table_arn = self._attribute(stack, logical_id, "Arn")
                    if arn == table_arn or arn.startswith(table_arn + "/"):
                        return str(self.resolve(stack, properties["SSESpecification"]["KMSMasterKeyId"]))
                if kind == "AWS::S3::Bucket" and arn.startswith(
                    self._attribute(stack, logical_id, "Arn") + "/"
                ):
                    for rule in properties.get("BucketEncryption", {}).get(
                        "ServerSideEncryptionConfiguration", []
                    ):
                        default = rule.get("ServerSideEncryptionByDefault", {})
                        if "KMSMasterKeyID" in default:
                            return str(self.resolve(stack, default["KMSMasterKeyID"]))
        return None


@dataclass
class Function:
    name: str
    logical_id: str
    policies: list[dict[str, Any]]
    environment: dict[str, Any]


@dataclass(frozen=True, order=True)
class Request:
    function: str
    action: str
    resource: str


@dataclass
class Recording:
    """What the suite recorded (anshin_local.call_log): requests, and each function's settings."""

    requests: set[Request] = field(default_factory=set)
    environments: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    #: (function, table) of each put that may replace an item (no ``attribute_not_exists``).
    overwriting_puts: set[tuple[str, str]] = field(default_factory=set)

    @classmethod
    def read(cls, directory: Path) -> Recording:
        recording = cls()
        for path in sorted(directory.glob("*.jsonl")):
            for line in path.read_text(encoding="utf-8").splitlines():
                entry = json.loads(line)
                if "overwritingPut" in entry:
                    recording.overwriting_puts.add((entry["function"], entry["overwritingPut"]))
                elif entry.get("invoked"):
                    known = recording.environments.setdefault(entry["function"], [])
                    if entry["environment"] not in known:
                        known.append(entry["environment"])
                else:
                    recording.requests.add(Request(entry["function"], entry["action"], entry["resource"]))
        return recording


_ARN = re.compile(r"^arn:aws:([^:]+):([^:]*):([^:]*):")
#: ministack names a mobile-push endpoint ``…:app/GCM/<application>/<id>``; AWS ``…:endpoint/…``
#: (docs/emulator-notes.md).
_EMULATOR_ENDPOINT = re.compile(r"^(arn:aws:sns:[^:]*:[^:]*:)app/([^/]+/[^/]+/[^/]+)$")


def normalise(arn: str) -> str:
    """One region and account for every ARN (the recorded ones come from moto or the emulator)."""
    arn = _EMULATOR_ENDPOINT.sub(r"\1endpoint/\2", arn)
    return _ARN.sub(lambda m: f"arn:aws:{m[1]}:{REGION if m[2] else ''}:{ACCOUNT if m[3] else ''}:", arn)


def translate(request: Request, runtime: Iterable[dict[str, str]], synthesized: dict[str, Any]) -> Request:
    """The request with the names a test run gave its resources (``Contracts``, a deployed
    emulator ARN) replaced by the template's, through the environment variables that carry them."""
    resource = request.resource
    pairs: dict[str, str] = {}
    for run in runtime:
        for name, value in synthesized.items():
            if run.get(name):
                pairs.update(_pairs(run[name], str(value)))
    for old in sorted(pairs, key=len, reverse=True):
        new = pairs[old]
        if old.startswith(("http://", "https://")):  # a queue URL (the emulator's or AWS's)
            if resource.endswith(":" + old.rsplit("/", 1)[-1]):
                resource = resource[: -len(old.rsplit("/", 1)[-1])] + new.rsplit("/", 1)[-1]
        elif old.startswith("arn:"):
            if resource == old or resource.startswith(old + "/") or resource.startswith(old + ":"):
                resource = new + resource[len(old) :]
        else:  # a name: of a table, a bucket or a function, where the ARN names it
            resource = re.sub(
                rf"(:::|:table/|:function:){re.escape(old)}(?=$|[/:])", rf"\g<1>{new}", resource, count=1
            )
    return Request(request.function, request.action, normalise(resource))


def _pairs(runtime: str, synthesized: str) -> dict[str, str]:
    """What a test run's value stands for in the template: the value itself, or, for a JSON
    setting of the same shape (the redrive function's dead-letter queues), each string in it."""
    if runtime == synthesized:
        return {}
    if runtime[:1] in "[{" and synthesized[:1] in "[{":
        found: dict[str, str] = {}
        for old, new in zip(_strings(json.loads(runtime)), _strings(json.loads(synthesized)), strict=False):
            found.update(_pairs(old, new))
        return found
    label, _, named = runtime.partition(":")
    same_label, _, synthesized_named = synthesized.partition(":")
    if label == same_label and named.startswith("arn:") and synthesized_named.startswith("arn:"):
        return {named: synthesized_named}  # "job:<state machine ARN>"
    return {runtime: synthesized}


def _strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for key in sorted(value) for s in _strings(value[key])]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return [value] if isinstance(value, str) else []


def implicit(stacks: Stacks, request: Request) -> list[Request]:
    """Requests AWS makes in the caller's name: publishing to an encrypted topic or queue, or
    writing an object to an SSE-KMS bucket, uses the key with the caller's permissions; so may
    reading a table under a customer managed key (counted, to be safe)."""
    if request.action in ("sns:Publish", "sqs:SendMessage"):
        key = stacks.encryption_key(request.resource)
        actions = ("kms:GenerateDataKey", "kms:Decrypt")
    elif request.action.startswith("dynamodb:"):
        # A table under a customer managed key: counted as needing kms:Decrypt by the caller too
        # (conservative), so the unused-grant report never suggests dropping the key's use.
        key = stacks.encryption_key(request.resource)
        actions = ("kms:Decrypt",)
    elif request.action == "s3:PutObject":
        key = stacks.encryption_key(request.resource)
        actions = ("kms:GenerateDataKey",)
    else:
        return []
    return [Request(request.function, action, key) for action in actions] if key else []


def evaluate(
    requests: list[Request], functions: dict[str, Function], stacks: Stacks | None = None
) -> list[dict[str, Any]]:
    """Each request decided by @cloud-copilot/iam-simulate (Node.js) against its function's
    policies and the resource's own policy: ``[{"request", "decision", "unvalidated"?, "error"?}]``."""
    payload = {
        "account": ACCOUNT,
        "requests": [
            {
                "id": i,
                "action": r.action,
                "resource": r.resource,
                "policies": functions[r.function].policies,
                **({"resourcePolicy": p} if stacks and (p := stacks.resource_policy(r.resource)) else {}),
            }
            for i, r in enumerate(requests)
        ],
    }
    answer = subprocess.run(  # noqa: S603 - our own script, our own input
        ["node", str(TOOL / "evaluate.mjs")],  # noqa: S607 - the machine's Node.js, as CDK uses it
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        check=True,
        cwd=TOOL,
    )
    return [{**decided, "request": requests[decided["id"]]} for decided in json.loads(answer.stdout)]
