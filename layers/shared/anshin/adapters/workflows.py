"""Step Functions: start a workflow once per business key, and resume a task waiting for a person."""

from __future__ import annotations

import json
from typing import Any

from anshin.adapters import aws


class AlreadyStarted(Exception):
    """An execution of this name exists already (a retry, a duplicate delivery)."""


def start(state_machine_arn: str, name: str, payload: dict[str, Any]) -> None:
    """Start the execution ``name`` (one per business key, whatever retries happen)."""
    sfn = aws.client("stepfunctions")
    try:
        sfn.start_execution(stateMachineArn=state_machine_arn, name=name, input=json.dumps(payload))
    except sfn.exceptions.ExecutionAlreadyExists:
        raise AlreadyStarted(name) from None


def resume(task_token: str, output: dict[str, Any]) -> None:
    """Complete a task waiting for a callback (``.waitForTaskToken``) with ``output``."""
    aws.client("stepfunctions").send_task_success(taskToken=task_token, output=json.dumps(output))
