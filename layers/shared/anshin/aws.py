"""Small, cached AWS clients; the endpoint comes from the environment (AWS_ENDPOINT_URL)."""

from __future__ import annotations

import os
from functools import cache
from typing import Any

import boto3


@cache
def resource(name: str) -> Any:
    return boto3.resource(name)


@cache
def client(name: str) -> Any:
    return boto3.client(name)


def table(env_name: str) -> Any:
    """The DynamoDB table whose name is in the environment variable ``env_name``."""
    return resource("dynamodb").Table(os.environ[env_name])


def contracts_table() -> Any:
    return table("CONTRACTS_TABLE")


def sessions_table() -> Any:
    return table("SESSIONS_TABLE")
