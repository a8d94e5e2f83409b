"""The two kinds of bucket the stacks keep, with their safe defaults in one place: private
(BlockPublicAccess, TLS only), retained, and tidied by lifecycle rules."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct


def access_logs(scope: Construct, construct_id: str) -> s3.Bucket:
    """An access-log target: S3-managed encryption (S3 server access logs and CloudFront standard
    logs cannot be delivered SSE-KMS), ACLs allowed for CloudFront's log delivery, 400 days."""
    return s3.Bucket(
        scope,
        construct_id,
        encryption=s3.BucketEncryption.S3_MANAGED,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        enforce_ssl=True,
        object_ownership=s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
        lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(400))],
        removal_policy=RemovalPolicy.RETAIN,
    )


def private(
    scope: Construct,
    construct_id: str,
    *,
    logs: s3.IBucket,
    logs_prefix: str,
    key: kms.IKey | None = None,
    scratch_prefix: str | None = None,
) -> s3.Bucket:
    """A versioned private bucket logging to ``logs``: SSE-KMS under ``key`` (with a bucket key)
    when given, else S3-managed; old versions expire after 30 days. Objects under
    ``scratch_prefix`` (work in progress) expire after 7 days, unfinished multipart uploads after 1."""
    scratch = (
        [
            s3.LifecycleRule(
                prefix=scratch_prefix,
                expiration=Duration.days(7),
                abort_incomplete_multipart_upload_after=Duration.days(1),
            )
        ]
        if scratch_prefix
        else []
    )
    encryption = (
        {"encryption": s3.BucketEncryption.KMS, "encryption_key": key, "bucket_key_enabled": True}
        if key is not None
        else {"encryption": s3.BucketEncryption.S3_MANAGED}
    )
    return s3.Bucket(
        scope,
        construct_id,
        **encryption,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        enforce_ssl=True,
        versioned=True,
        server_access_logs_bucket=logs,
        server_access_logs_prefix=logs_prefix,
        lifecycle_rules=[s3.LifecycleRule(noncurrent_version_expiration=Duration.days(30)), *scratch],
        removal_policy=RemovalPolicy.RETAIN,
    )
