"""Small, cached clients of the AWS services other than DynamoDB (the endpoint comes from the
environment: AWS_ENDPOINT_URL)."""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3


@cache
def client(name: str) -> Any:
    return boto3.client(name)
