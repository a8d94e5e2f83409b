"""Dead letters: the queues failed asynchronous deliveries end in, and the function that replays
them on demand (``make redrive``), relying on every target's idempotency."""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn

from infra import grants
from infra.constructs.functions import Functions
from infra.nag import acknowledge


class DeadLetters:
    """The dead-letter queues of one stack, by construct id, each with the ``kind`` that tells
    the redrive function how to replay its messages (anshin.services.redrive)."""

    def __init__(self, stack: Stack, key: kms.IKey) -> None:
        self.stack = stack
        self.key = key
        self.queues: dict[str, sqs.Queue] = {}
        self.kinds: list[dict[str, str]] = []

    def queue(self, construct_id: str, kind: str) -> sqs.Queue:
        """A dead-letter queue encrypted with the data key, kept 14 days."""
        queue = sqs.Queue(
            self.stack,
            construct_id,
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=self.key,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        acknowledge(queue, "SQS3", "This queue is itself a dead-letter queue.")
        self.queues[construct_id] = queue
        self.kinds.append({"url": queue.queue_url, "kind": kind})
        return queue

    def add_redrive(
        self,
        functions: Functions,
        *,
        device_command_topic: sns.ITopic,
        account_events: lambda_.IFunction,
        jobs: list[sfn.StateMachine],
    ) -> lambda_.Function:
        """The function that replays every queue made so far to its target: the device-command
        topic, the account-events function or a month job (made last: it lists them all)."""
        redrive = functions.function(
            "redrive",
            "Replays dead letters to their targets (make redrive)",
            environment={
                "DEAD_LETTER_QUEUES": self.stack.to_json_string(self.kinds),
                "DEVICE_COMMAND_TOPIC_ARN": device_command_topic.topic_arn,
                "ACCOUNT_EVENTS_FUNCTION": account_events.function_name,
            },
            timeout=Duration.minutes(5),
        )
        for queue in self.queues.values():
            queue.grant_consume_messages(redrive)
        grants.publish(redrive, device_command_topic, self.key)
        redrive.add_to_role_policy(
            iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[account_events.function_arn])
        )
        for job in jobs:
            job.grant_start_execution(redrive)
        return redrive
