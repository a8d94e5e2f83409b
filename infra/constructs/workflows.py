"""Every Step Functions workflow of the service stack comes from one factory: a Standard state
machine whose definition is a file under ``statemachines/``, resource names coming in by
substitution, traced, logged to its own log group, allowed to invoke exactly its functions."""

from __future__ import annotations

import json

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_stepfunctions as sfn

from infra.constructs.functions import ROOT, Functions
from infra.nag import acknowledge


class Workflows:
    """The state machine factory of one stack, and the machines it made, by construct id."""

    def __init__(self, stack: Stack, functions: Functions) -> None:
        self.stack = stack
        self.functions = functions
        self.by_id: dict[str, sfn.StateMachine] = {}

    def of_tasks(
        self, construct_id: str, file_stem: str, tasks: list[lambda_.Function], **others: str
    ) -> sfn.StateMachine:
        """A workflow whose definition names each task function ``${<FunctionId>FunctionArn}``
        (``others``: any further substitutions, e.g. a nested workflow's ARN)."""
        arns = {f"{task.node.id}FunctionArn": task.function_arn for task in tasks}
        return self.state_machine(construct_id, file_stem, substitutions={**arns, **others}, invokes=tasks)

    def state_machine(
        self,
        construct_id: str,
        file_stem: str,
        *,
        substitutions: dict[str, str],
        invokes: list[lambda_.Function],
    ) -> sfn.StateMachine:
        """A Standard workflow from ``statemachines/<file_stem>.asl.json``."""
        path = ROOT / "statemachines" / f"{file_stem}.asl.json"
        json.loads(path.read_text(encoding="utf-8"))  # fail synthesis early on broken JSON
        log_group = self.functions.log_group(f"{construct_id}Logs")
        machine = sfn.StateMachine(
            self.stack,
            construct_id,
            definition_body=sfn.DefinitionBody.from_file(str(path)),
            definition_substitutions=substitutions,
            state_machine_type=sfn.StateMachineType.STANDARD,
            tracing_enabled=True,
            logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=False),
        )
        machine.add_to_role_policy(
            iam.PolicyStatement(
                actions=["lambda:InvokeFunction"], resources=[fn.function_arn for fn in invokes]
            )
        )
        acknowledge(
            machine,
            "IAM5[Resource::*]",
            "X-Ray tracing and CloudWatch Logs delivery have no resource-level permissions.",
        )
        self.by_id[construct_id] = machine
        return machine
