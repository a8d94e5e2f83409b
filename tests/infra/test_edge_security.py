"""Issue 24, the infrastructure findings, on the synthesized templates:

- (6) the limits see the caller: a regional API behind the site's CloudFront, which adds the origin
  secret the stage's web ACL requires and forwards the viewer's address; a CLOUDFRONT web ACL in
  us-east-1 with the per-viewer rate rules; each route group throttled to its demand;
- (7) the backup upload's bound reaches the function that presigns it;
- (8) every key-policy statement for a service principal carries source conditions.
"""

import json
from pathlib import Path
from typing import Any

from aws_cdk import assertions

from infra.constructs.operations import ORIGIN_HEADER
from infra.constructs.rest_api import ROUTE_THROTTLES, STAGE_THROTTLE
from infra.stacks.edge import CODE_ROUTES, EDGE_REGION, EDGE_WEB_ACL_PARAMETER
from tests.infra.conftest import cfn_lint_errors

#: CloudFront's managed origin request policy AllViewerExceptHostHeader (its documented id).
ALL_VIEWER_EXCEPT_HOST_HEADER = "b689b0a8-53d0-40ab-baf2-68738e2966ac"


def _resources(template: assertions.Template, kind: str) -> dict[str, Any]:
    found: dict[str, Any] = template.find_resources(kind)
    return found


def _one(template: assertions.Template, kind: str) -> dict[str, Any]:
    [resource] = _resources(template, kind).values()
    props: dict[str, Any] = resource["Properties"]
    return props


def _secret_reference(value: Any) -> tuple[str, Any]:
    """The ``{{resolve:secretsmanager:<id>:SecretString:::}}`` a value is, as (kind, id)."""
    parts = value["Fn::Join"][1]
    assert parts[0] == "{{resolve:secretsmanager:" and parts[2] == ":SecretString:::}}", value
    return "secretsmanager", parts[1]


def test_the_api_is_regional_and_its_stage_refuses_requests_without_the_origin_secret(
    service_template: assertions.Template,
) -> None:
    assert _one(service_template, "AWS::ApiGateway::RestApi")["EndpointConfiguration"] == {
        "Types": ["REGIONAL"]
    }
    acl = _one(service_template, "AWS::WAFv2::WebACL")
    assert acl["Scope"] == "REGIONAL"
    rules = {rule["Name"]: rule for rule in acl["Rules"]}
    origin = rules["OnlyThroughCloudFront"]
    assert origin["Priority"] == 0 and origin["Action"] == {"Block": {}}
    match = origin["Statement"]["NotStatement"]["Statement"]["ByteMatchStatement"]
    assert match["FieldToMatch"] == {"SingleHeader": {"Name": ORIGIN_HEADER}}
    assert match["PositionalConstraint"] == "EXACTLY"
    # The secret is a dynamic reference to the generated secret, never a literal in the template.
    [secret_id] = _resources(service_template, "AWS::SecretsManager::Secret")
    assert _secret_reference(match["SearchString"]) == ("secretsmanager", {"Ref": secret_id})
    # A rate rule on the address would count CloudFront's origin-facing addresses: none here.
    assert not any("RateBasedStatement" in rule["Statement"] for rule in acl["Rules"])
    service_template.resource_count_is("AWS::WAFv2::WebACLAssociation", 1)


def test_cloudfront_adds_the_origin_secret_and_forwards_the_viewer_address(
    web_template: assertions.Template,
) -> None:
    config = _one(web_template, "AWS::CloudFront::Distribution")["DistributionConfig"]
    [api_origin] = [o for o in config["Origins"] if "CustomOriginConfig" in o]
    assert api_origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    [header] = api_origin["OriginCustomHeaders"]
    assert header["HeaderName"] == ORIGIN_HEADER
    kind, secret = _secret_reference(header["HeaderValue"])
    assert kind == "secretsmanager" and "OriginSecret" in json.dumps(secret)  # AnshinService's secret
    [api] = [b for b in config["CacheBehaviors"] if b["PathPattern"] == "/v1/*"]
    assert api["TargetOriginId"] == api_origin["Id"]
    # All viewer headers but Host (Authorization included) and CloudFront's own headers, among
    # them CloudFront-Viewer-Address, which anshin.runtime.http.caller_address reads.
    assert api["OriginRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST_HEADER


def test_the_distribution_has_a_cloudfront_web_acl_in_us_east_1_with_per_viewer_rate_rules(
    assembly_dir: Path, web_template: assertions.Template
) -> None:
    manifest = json.loads((assembly_dir / "manifest.json").read_text())
    assert manifest["artifacts"]["AnshinEdge"]["environment"].endswith(f"/{EDGE_REGION}")
    assert "AnshinEdge" in manifest["artifacts"]["AnshinWeb"]["dependencies"]
    edge = assertions.Template.from_json(json.loads((assembly_dir / "AnshinEdge.template.json").read_text()))
    acl = _one(edge, "AWS::WAFv2::WebACL")
    assert acl["Scope"] == "CLOUDFRONT"
    rules = {rule["Name"]: rule for rule in acl["Rules"]}
    everything = rules["RatePerAddress"]["Statement"]["RateBasedStatement"]
    assert everything["AggregateKeyType"] == "IP" and "ScopeDownStatement" not in everything
    codes = rules["CodeRoutesPerAddress"]["Statement"]["RateBasedStatement"]
    assert codes["AggregateKeyType"] == "IP" and codes["Limit"] < everything["Limit"]
    paths = [
        s["ByteMatchStatement"]["SearchString"]
        for s in codes["ScopeDownStatement"]["OrStatement"]["Statements"]
    ]
    assert paths == list(CODE_ROUTES) == ["/v1/devices/registrations", "/v1/cancellation-requests"]
    assert all(r["Action"] == {"Block": {}} for r in rules.values())
    parameter = _one(edge, "AWS::SSM::Parameter")
    assert parameter["Name"] == EDGE_WEB_ACL_PARAMETER
    assert parameter["Value"] == {"Fn::GetAtt": [next(iter(_resources(edge, "AWS::WAFv2::WebACL"))), "Arn"]}

    # The web stack reads that parameter in us-east-1 and gives it to the distribution.
    config = _one(web_template, "AWS::CloudFront::Distribution")["DistributionConfig"]
    reader_id = config["WebACLId"]["Fn::GetAtt"][0]
    reader = web_template.to_json()["Resources"][reader_id]["Properties"]
    call = json.loads(json.dumps(reader["Create"])) if isinstance(reader["Create"], str) else reader["Create"]
    text = json.dumps(call)
    assert EDGE_WEB_ACL_PARAMETER in text and EDGE_REGION in text and "getParameter" in text
    assert cfn_lint_errors(assembly_dir / "AnshinEdge.template.json") == []


def test_each_route_group_is_throttled_to_its_demand(service_template: assertions.Template) -> None:
    stage = _one(service_template, "AWS::ApiGateway::Stage")
    settings = {(s["ResourcePath"], s["HttpMethod"]): s for s in stage["MethodSettings"]}
    default = settings[("/*", "*")]
    assert (default["ThrottlingRateLimit"], default["ThrottlingBurstLimit"]) == STAGE_THROTTLE
    # The API's resource tree, to see every throttled route exists.
    resources = service_template.to_json()["Resources"]
    paths: dict[str, str] = {}

    def path_of(logical_id: str) -> str:
        if logical_id not in paths:
            props = resources[logical_id]["Properties"]
            parent = props["ParentId"]
            prefix = "" if "Fn::GetAtt" in parent else path_of(parent["Ref"])
            paths[logical_id] = f"{prefix}/{props['PathPart']}"
        return paths[logical_id]

    methods = set()
    for resource in resources.values():
        if resource["Type"] == "AWS::ApiGateway::Method" and "Ref" in resource["Properties"]["ResourceId"]:
            methods.add(
                f"{path_of(resource['Properties']['ResourceId']['Ref'])}/{resource['Properties']['HttpMethod']}"
            )
    throttled = 0
    for group, rate, burst, routes in ROUTE_THROTTLES:
        assert rate < STAGE_THROTTLE[0] and burst <= STAGE_THROTTLE[1], group
        for route in routes:
            assert route in methods, route
            path, method = route.rsplit("/", 1)
            encoded = "/" + path.replace("/", "~1")
            setting = settings[(encoded, method)]
            assert (setting["ThrottlingRateLimit"], setting["ThrottlingBurstLimit"]) == (rate, burst), route
            throttled += 1
    assert settings[("/~1devices~1registrations", "POST")]["ThrottlingRateLimit"] == 5
    assert throttled == len(settings) - 1


def test_the_function_that_presigns_backups_knows_their_bound(service_template: assertions.Template) -> None:
    from anshin.settings import BACKUP_MAX_BYTES

    presigning = [
        f["Properties"]["Environment"]["Variables"]
        for f in _resources(service_template, "AWS::Lambda::Function").values()
        if "BACKUP_BUCKET" in f["Properties"].get("Environment", {}).get("Variables", {})
        and "COMMAND_DELIVERY_STATE_MACHINE_ARN" in f["Properties"]["Environment"]["Variables"]
    ]
    assert presigning and all(v["BACKUP_MAX_BYTES"] == str(BACKUP_MAX_BYTES) for v in presigning)
    assert BACKUP_MAX_BYTES == 50 * 1024 * 1024


def _service_principal_statements(assembly_dir: Path) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for template_file in sorted(assembly_dir.glob("*.template.json")):
        template = json.loads(template_file.read_text())
        for logical_id, resource in template.get("Resources", {}).items():
            if resource["Type"] != "AWS::KMS::Key":
                continue
            for statement in resource["Properties"]["KeyPolicy"]["Statement"]:
                principal = statement.get("Principal", {})
                if isinstance(principal, dict) and "Service" in principal:
                    found.append((f"{template_file.name}:{logical_id}", statement))
    return found


def test_every_key_policy_statement_for_a_service_principal_has_source_conditions(assembly_dir: Path) -> None:
    statements = _service_principal_statements(assembly_dir)
    assert statements, "the data key lets SNS deliver to its encrypted dead-letter queue"
    for where, statement in statements:
        conditions = statement.get("Condition", {})
        keys = {key for operator in conditions.values() for key in operator}
        assert "aws:SourceAccount" in keys, (where, statement)
        assert {"aws:SourceArn", "aws:SourceAccount"} <= keys, (where, statement)
        assert conditions["StringEquals"]["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}, where


def test_the_sns_statement_is_limited_to_this_stacks_topics(data_template: assertions.Template) -> None:
    key = next(
        r["Properties"]
        for r in _resources(data_template, "AWS::KMS::Key").values()
        if r["Properties"].get("EnableKeyRotation")
    )
    [sns] = [
        s for s in key["KeyPolicy"]["Statement"] if s.get("Principal") == {"Service": "sns.amazonaws.com"}
    ]
    pattern = json.dumps(sns["Condition"]["ArnLike"]["aws:SourceArn"])
    assert '":sns:"' in pattern.replace(", ", ",") or "sns" in pattern
    assert "AWS::StackName" in pattern and "AWS::AccountId" in pattern
