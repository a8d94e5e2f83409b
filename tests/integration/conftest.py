"""Handler tests: each function's module against moto, through real event shapes."""

import functools
import importlib.util
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest
from anshin.adapters import aws
from anshin.domain.staff import StaffMember
from anshin.store import db, keys
from anshin_local import call_log
from moto import mock_aws

ROOT = Path(__file__).resolve().parents[2]


def load_handler(name: str) -> ModuleType:
    """Import ``functions/<name>/app.py`` fresh, as Lambda would (its folder is the code root)."""
    path = ROOT / "functions" / name / "app.py"
    spec = importlib.util.spec_from_file_location(f"functions_{name}_app", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    # Under make test, the AWS requests it makes are recorded for the permission check.
    module.handler = recorded(name, module.handler)
    return module


def recorded(name: str, handler: Any) -> Any:
    @functools.wraps(handler)
    def call(event: Any, context: Any) -> Any:
        with call_log.recording(name):
            return handler(event, context)

    return call


def create_table(name: str, key: str = "pk", sort: str | None = "sk", indexes: tuple[str, ...] = ()) -> None:
    attributes = [{"AttributeName": key, "AttributeType": "S"}]
    schema = [{"AttributeName": key, "KeyType": "HASH"}]
    if sort:
        attributes.append({"AttributeName": sort, "AttributeType": "S"})
        schema.append({"AttributeName": sort, "KeyType": "RANGE"})
    gsis = []
    for index in indexes:
        attributes += [
            {"AttributeName": f"{index}pk", "AttributeType": "S"},
            {"AttributeName": f"{index}sk", "AttributeType": "S"},
        ]
        gsis.append(
            {
                "IndexName": index,
                "KeySchema": [
                    {"AttributeName": f"{index}pk", "KeyType": "HASH"},
                    {"AttributeName": f"{index}sk", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        )
    extra: dict[str, Any] = {"GlobalSecondaryIndexes": gsis} if gsis else {}
    boto3.client("dynamodb").create_table(
        TableName=name,
        AttributeDefinitions=attributes,
        KeySchema=schema,
        BillingMode="PAY_PER_REQUEST",
        **extra,
    )


def sent_notifications(env: dict[str, str]) -> list[dict[str, Any]]:
    """What the customer-notification topic delivered (to the test's SQS subscriber)."""
    messages = boto3.client("sqs").receive_message(QueueUrl=env["OUTBOX_QUEUE_URL"], MaxNumberOfMessages=10)
    return [json.loads(m["Body"]) for m in messages.get("Messages", [])]


PASS_MACHINE = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}})


#: The tables a property's example starts afresh: the contracts and the ledger of charges.
DATA_TABLES = (("Contracts", ("gsi1", "gsi2", "gsi3", "gsi4")), ("Ledger", ("gsi1",)))


def fresh_data_tables() -> None:
    """Empty the contracts table and the ledger (a hypothesis example in one moto session)."""
    for name, indexes in DATA_TABLES:
        boto3.client("dynamodb").delete_table(TableName=name)
        create_table(name, indexes=indexes)


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """moto with the stack's tables, topics and a stand-in approval state machine."""
    db.reset()
    aws.client.cache_clear()
    with mock_aws():
        for name, indexes in DATA_TABLES:
            create_table(name, indexes=indexes)
        create_table("Sessions")
        create_table("Idempotency", key="id", sort=None)
        machine = boto3.client("stepfunctions").create_state_machine(
            name="approval", definition=PASS_MACHINE, roleArn="arn:aws:iam::123456789012:role/sfn"
        )["stateMachineArn"]
        topic = boto3.client("sns").create_topic(Name="device-commands")["TopicArn"]
        notifications = boto3.client("sns").create_topic(Name="customer-notifications")["TopicArn"]
        outbox = boto3.client("sqs").create_queue(QueueName="outbox")["QueueUrl"]
        outbox_arn = boto3.client("sqs").get_queue_attributes(QueueUrl=outbox, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        boto3.client("sns").subscribe(
            TopicArn=notifications,
            Protocol="sqs",
            Endpoint=outbox_arn,
            Attributes={"RawMessageDelivery": "true"},
        )
        push_application = boto3.client("sns").create_platform_application(
            Name="anshin", Platform="GCM", Attributes={"PlatformCredential": "test"}
        )["PlatformApplicationArn"]
        delivery = boto3.client("stepfunctions").create_state_machine(
            name="delivery", definition=PASS_MACHINE, roleArn="arn:aws:iam::123456789012:role/sfn"
        )["stateMachineArn"]
        boto3.client("s3").create_bucket(Bucket="backups")
        code_key = boto3.client("kms").create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")

        env = {
            "CONTRACTS_TABLE": "Contracts",
            "LEDGER_TABLE": "Ledger",
            "SESSIONS_TABLE": "Sessions",
            "IDEMPOTENCY_TABLE": "Idempotency",
            "APPROVAL_STATE_MACHINE_ARN": machine,
            "DEVICE_COMMAND_TOPIC_ARN": topic,
            "CUSTOMER_NOTIFICATION_TOPIC_ARN": notifications,
            "OUTBOX_QUEUE_URL": outbox,
            "PUSH_PLATFORM_APPLICATION_ARN": push_application,
            "COMMAND_DELIVERY_STATE_MACHINE_ARN": delivery,
            "BACKUP_BUCKET": "backups",
            "CODE_MAC_KEY_ID": code_key["KeyMetadata"]["Arn"],
            "COMMAND_RETRY_BASE_SECONDS": "60",
            "COMMAND_RETRY_MAX_SECONDS": "3600",
            "COMMAND_EXPIRY_SECONDS": str(72 * 3600),
            "STAFF_ISSUER": STAFF_ISSUER,
            "MEMBERS_ISSUER": MEMBERS_ISSUER,
        }
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        yield env
    db.reset()
    aws.client.cache_clear()


def give_code(contract_id: str, code: str) -> None:
    """Give a seeded contract a member confirmation code, as its notification would have."""
    from anshin.adapters import mac

    code_mac = mac.code_mac(code)
    boto3.resource("dynamodb").Table("Contracts").update_item(
        Key=keys.contract(contract_id),
        UpdateExpression="SET gsi2pk = :p, memberCodeMac = :m",
        ExpressionAttributeValues={":p": keys.code_lookup(code_mac, "CONTRACT")["gsi2pk"], ":m": code_mac},
    )


def pushed(endpoint_arn: str) -> list[dict[str, Any]]:
    """The data messages pushed to a device's platform endpoint (moto keeps them)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sns.models import sns_backends

    endpoint = sns_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].platform_endpoints[endpoint_arn]
    # SNS's FCM v1 shape: {"GCM": "{\"fcmV1Message\": {\"message\": {\"data\": {...}, ...}}}"}
    return [
        json.loads(json.loads(m)["GCM"])["fcmV1Message"]["message"]["data"]
        for m in endpoint.messages.values()
    ]


def handler_fixture(name: str) -> Any:
    """A fixture that loads ``functions/<name>/app.py`` inside moto (``aws_env``)."""

    @pytest.fixture
    def loaded(aws_env: dict[str, str]) -> ModuleType:
        return load_handler(name)

    return loaded


def rest_event(
    method: str,
    path: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
    path_parameters: dict[str, str] | None = None,
    resource: str | None = None,
) -> dict[str, Any]:
    """An API Gateway REST (v1) proxy event, as the deployed stage sends it."""
    return {
        "resource": resource or path,
        "path": path,
        "httpMethod": method,
        "headers": {"Content-Type": "application/json", **(headers or {})},
        "multiValueHeaders": {},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": path_parameters,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": resource or path,
            "httpMethod": method,
            "path": f"/v1{path}",
            "stage": "v1",
            "requestId": "req-1",
            "accountId": "123456789012",
            "identity": {"sourceIp": "127.0.0.1"},
        },
        "body": None if body is None else (body if isinstance(body, str) else json.dumps(body)),
        "isBase64Encoded": False,
    }


#: The issuers of the two user pools' tokens (the functions' STAFF_ISSUER and MEMBERS_ISSUER).
STAFF_ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_staff"
MEMBERS_ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_members"

#: Claims the Cognito authorizer passes for a verified support-staff member.
STAFF = {
    "sub": "staff-1",
    "cognito:username": "sato.hanako",
    "cognito:groups": "support-staff",
    "iss": STAFF_ISSUER,
    "token_use": "id",
}
#: The same staff member as the services take them (anshin.runtime.staff makes it of ``STAFF``).
STAFF_MEMBER = StaffMember(id="staff-1", name="sato.hanako")


def member_claims(mobile_contract_id: str, sub: str | None = None) -> dict[str, str]:
    """Claims the authorizer passes for a signed-in member, holder of ``mobile_contract_id``."""
    return {
        "sub": sub or f"member-{mobile_contract_id}",
        "cognito:username": mobile_contract_id.lower(),
        "custom:mobileContractId": mobile_contract_id,
        "iss": MEMBERS_ISSUER,
        "token_use": "id",
    }


def api_call(
    api: Any,
    context: object,
    method: str,
    path: str,
    resource: str,
    params: dict[str, str] | None,
    body: Any = None,
    claims: dict[str, str] | None = STAFF,
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
) -> tuple[int, Any]:
    """Call a handler with a REST event, as a caller with ``claims`` (None: anonymous), with the
    query string ``query``."""
    event = rest_event(method, path, body, path_parameters=params, resource=resource, headers=headers)
    if query:
        event["queryStringParameters"] = query
        event["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()}
    if claims is not None:
        event["requestContext"]["authorizer"] = {"claims": claims}
    response = api.handler(event, context)
    return response["statusCode"], json.loads(response["body"]) if response.get("body") else None
