"""Every Lambda function of the service stack comes from one factory: its code folder under
``functions/``, the shared layer, its own log group, the common environment and the cdk-nag
acknowledgements each function carries; in local deployments, the local-only layer around it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import Aws, Duration, Fn, RemovalPolicy, Stack
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs

from infra import grants
from infra.nag import acknowledge
from infra.settings import Settings
from infra.stacks.stateful import StatefulStack

ROOT = Path(__file__).resolve().parents[2]
SERVICE = "anshin"
#: The wrapper of every handler in a local deployment (layers/local/anshin_local/faults.py).
LOCAL_HANDLER = "anshin_local.faults.handler"


class Functions:
    """The function factory of one stack, and the functions it made, by folder name, in the
    order they were made (the alarms, the dashboard and the outputs follow it)."""

    def __init__(self, stack: Stack, *, data: StatefulStack, settings: Settings) -> None:
        self.stack = stack
        self.data = data
        self.settings = settings
        self.layer = self._layer(
            "SharedLayer",
            settings.layer_dir,
            "anshin domain package and its dependencies (powertools, pydantic)",
        )
        # Only a local deployment has the local-only layer at all: an AWS template cannot switch
        # fault injection, the call log or a shifted clock on, whatever its environment says.
        self.local_layer = (
            self._layer(
                "LocalLayer",
                settings.local_layer_dir,
                "anshin_local: fault injection, call log and time travel (local stacks only)",
            )
            if settings.fault_injection
            else None
        )
        self.by_name: dict[str, lambda_.Function] = {}

    def _layer(self, construct_id: str, directory: str, description: str) -> lambda_.LayerVersion:
        """A layer for python3.11 on x86_64 from a directory ``make layer`` built."""
        return lambda_.LayerVersion(
            self.stack,
            construct_id,
            code=lambda_.Code.from_asset(str(ROOT / directory)),
            compatible_runtimes=[lambda_.Runtime.PYTHON_3_11],
            compatible_architectures=[lambda_.Architecture.X86_64],
            description=description,
        )

    def log_group(self, construct_id: str) -> logs.LogGroup:
        """A log group encrypted with the data key, kept for the configured days, retained."""
        return logs.LogGroup(
            self.stack,
            construct_id,
            retention=_retention(self.settings.log_retention_days),
            encryption_key=self.data.key,
            removal_policy=RemovalPolicy.RETAIN,
        )

    def function(
        self,
        name: str,
        description: str,
        *,
        environment: dict[str, str] | None = None,
        timeout: Duration | None = None,
        dead_letter_queue: sqs.IQueue | None = None,
    ) -> lambda_.Function:
        """One Lambda function from ``functions/<name>/`` with the shared layer (and, for one
        invoked asynchronously, the queue its failed events go to)."""
        construct_id = "".join(part.title() for part in name.split("_"))
        log_group = self.log_group(f"{construct_id}Logs")
        fn = lambda_.Function(
            self.stack,
            construct_id,
            description=description,
            runtime=lambda_.Runtime.PYTHON_3_11,
            architecture=lambda_.Architecture.X86_64,
            handler=LOCAL_HANDLER if self.local_layer else "app.handler",
            code=lambda_.Code.from_asset(str(ROOT / "functions" / name), exclude=["__pycache__", "*.pyc"]),
            layers=[self.layer, self.local_layer] if self.local_layer else [self.layer],
            memory_size=512,
            timeout=timeout or Duration.seconds(30),
            tracing=lambda_.Tracing.ACTIVE,
            dead_letter_queue=dead_letter_queue,
            log_group=log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            environment={
                "POWERTOOLS_SERVICE_NAME": SERVICE,
                "POWERTOOLS_LOG_LEVEL": "INFO",
                "POWERTOOLS_METRICS_NAMESPACE": "Anshin",
                "CONTRACTS_TABLE": self.data.contracts_table.table_name,
                "LEDGER_TABLE": self.data.ledger_table.table_name,
                "SESSIONS_TABLE": self.data.sessions_table.table_name,
                "IDEMPOTENCY_TABLE": self.data.idempotency_table.table_name,
                "MONTHLY_FEE_JPY": str(self.settings.monthly_fee_jpy),
                # Who signed a token the authorizer admitted (anshin.runtime.staff / members).
                "STAFF_ISSUER": issuer(self.data.staff_pool),
                "MEMBERS_ISSUER": issuer(self.data.members_pool),
                **(environment or {}),
                **self._local_environment(name),
            },
        )
        if self.local_layer:  # the fault counters live in the idempotency table
            grants.table(fn, self.data.idempotency_table, self.data.key, write=True)
        acknowledge(
            fn,
            "IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
            "AWSLambdaBasicExecutionRole only lets the function write its own logs.",
        )
        acknowledge(fn, "IAM5[Resource::*]", "X-Ray PutTraceSegments has no resource-level permissions.")
        acknowledge(
            fn,
            "L1",
            "python3.11 on purpose: one layer build serves Lambda and the local stack, whose "
            "workers run this machine's Python 3.11.",
        )
        self.by_name[name] = fn
        return fn

    def of_contracts(
        self,
        name: str,
        description: str,
        *,
        indexes: tuple[str, ...] = (),
        appends_charges: bool = False,
        **options: Any,
    ) -> lambda_.Function:
        """A function of the contracts table, with Query on the ``indexes`` it reads and no
        other (DynamoDB authorises an index query on the index's own ARN), which reads the ledger
        of charges and, with ``appends_charges``, appends lines to it (never more: R13)."""
        fn = self.function(name, description, **options)
        grants.table(fn, self.data.contracts_table, self.data.key, write=True, indexes=indexes)
        grants.ledger(fn, self.data.ledger_table, self.data.key, append=appends_charges)
        return fn

    def _local_environment(self, name: str) -> dict[str, str]:
        """Local deployments only (anshin_local.faults): the switch, the function's name, its
        handler, and where a test run records the function's AWS requests (anshin_local.call_log)."""
        if not self.local_layer:
            return {}
        recording = {"ANSHIN_CALL_LOG": self.settings.call_log} if self.settings.call_log else {}
        return {
            "ANSHIN_FAULT_INJECTION": "on",
            "ANSHIN_FUNCTION": name,
            "ANSHIN_HANDLER": "app.handler",
            **recording,
        }


def issuer(pool: cognito.IUserPool) -> str:
    """The ``iss`` of the pool's tokens, ``https://cognito-idp.<region>.amazonaws.com/<pool id>``:
    built from the pool's id rather than its ``ProviderURL`` attribute, which the local emulator's
    CloudFormation does not provide (docs/emulator-notes.md)."""
    return Fn.join("", ["https://cognito-idp.", Aws.REGION, ".amazonaws.com/", pool.user_pool_id])


_RETENTION = {
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    90: logs.RetentionDays.THREE_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
    400: logs.RetentionDays.THIRTEEN_MONTHS,
}


def _retention(days: int) -> logs.RetentionDays:
    if days not in _RETENTION:
        raise ValueError(f"log retention must be one of {sorted(_RETENTION)} days, not {days}")
    return _RETENTION[days]
