"""Least-privilege grants written out: exact actions on the stack's own resources, no wildcards."""

from __future__ import annotations

from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns

_READ = ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:ConditionCheckItem"]
#: Transactions have no IAM action of their own: each item is authorised as its Put, Update,
#: Delete or ConditionCheck (tests/permissions evaluates them so).
_WRITE = ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"]
_KMS_READ = ["kms:Decrypt", "kms:DescribeKey"]
_KMS_WRITE = ["kms:Encrypt", "kms:GenerateDataKey"]


def table(
    grantee: iam.IGrantable,
    table: dynamodb.Table,
    key: kms.IKey,
    *,
    write: bool,
    indexes: tuple[str, ...] = (),
) -> None:
    """Item-level access to ``table`` (and Query on the named ``indexes``) and its key."""
    actions = _READ + (_WRITE if write else [])
    resources = [table.table_arn, *(f"{table.table_arn}/index/{name}" for name in indexes)]
    grantee.grant_principal.add_to_principal_policy(iam.PolicyStatement(actions=actions, resources=resources))
    kms_actions = _KMS_READ + (_KMS_WRITE if write else [])
    grantee.grant_principal.add_to_principal_policy(
        iam.PolicyStatement(actions=kms_actions, resources=[key.key_arn])
    )


#: What may be done to the ledger (R13): read, and append a line only if absent. No UpdateItem,
#: DeleteItem or BatchWriteItem, ever: a charge is written once and never changed or taken back.
_LEDGER_READ = ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query"]
_LEDGER_APPEND = ["dynamodb:PutItem"]


def ledger(
    grantee: iam.IGrantable,
    table: dynamodb.Table,
    key: kms.IKey,
    *,
    append: bool,
    indexes: tuple[str, ...] = (),
) -> None:
    """Read the ledger of charges (and Query the named ``indexes``); with ``append``, put lines
    too. PutItem can replace an item, so every put the code makes carries ``attribute_not_exists``
    (anshin.store.invoices); IAM has no action for "insert only", and no function is granted
    anything that updates or deletes (tests/permissions::test_no_function_may_change_the_ledger)."""
    actions = _LEDGER_READ + (_LEDGER_APPEND if append else [])
    resources = [table.table_arn, *(f"{table.table_arn}/index/{name}" for name in indexes)]
    grantee.grant_principal.add_to_principal_policy(iam.PolicyStatement(actions=actions, resources=resources))
    kms_actions = _KMS_READ + (_KMS_WRITE if append else [])
    grantee.grant_principal.add_to_principal_policy(
        iam.PolicyStatement(actions=kms_actions, resources=[key.key_arn])
    )


def key_use(grantee: iam.IGrantable, key: kms.IKey) -> None:
    """Encrypt and decrypt with ``key`` (publishing to or reading from an encrypted topic/queue)."""
    grantee.grant_principal.add_to_principal_policy(
        iam.PolicyStatement(actions=_KMS_READ + _KMS_WRITE, resources=[key.key_arn])
    )


def publish(grantee: iam.IGrantable, topic: sns.ITopic, key: kms.IKey) -> None:
    """Publish to ``topic`` (encrypted with ``key``, which publishing needs too)."""
    grantee.grant_principal.add_to_principal_policy(
        iam.PolicyStatement(actions=["sns:Publish"], resources=[topic.topic_arn])
    )
    key_use(grantee, key)


def code_mac(grantee: iam.IGrantable, key: kms.IKey) -> None:
    """Compute member-code MACs with ``key`` (anshin.mac); nothing else."""
    grantee.grant_principal.add_to_principal_policy(
        iam.PolicyStatement(actions=["kms:GenerateMac"], resources=[key.key_arn])
    )
