"""Cancelling online from the web (R9): the function behind the public ``/cancellation-requests``
routes (the member code, then a one-time code to the contact on file, then the notice), and the
queue that sends the codes. Its routes are registered with the others (infra.constructs.rest_api);
the app's own route (``POST /devices/{deviceId}/cancellation``) is the devices API's.

Asking for a code does the same work for a real member code and an unknown one (no timing tells
them apart): the API writes the request and queues its id; the worker (``cancellation_codes``)
reads the contract, draws, sends, audits and stores the code. A message that fails three times
goes to the dead-letter queue (alarmed by infra.constructs.operations): by then its code would
have expired, so it is not replayed (``make redrive`` does not know it); the subscriber asks again.
The queue itself is watched by what matters of it: a request the worker reached only after its
code's validity (``CancellationCodesLate``), whose subscriber got no code.
"""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_sqs as sqs

from infra import grants
from infra.constructs.functions import Functions
from infra.constructs.operations import FIVE_MINUTES, Operations
from infra.nag import acknowledge
from infra.settings import Settings
from infra.stacks.stateful import StatefulStack

#: The function's folder under ``functions/`` (the REST API finds it by this name).
NAME = "cancellations_api"
#: The queue's worker: sends each request's one-time code.
WORKER = "cancellation_codes"
#: The worker's time for one batch; the queue hides a message six times as long while it runs
#: (AWS's advice for a Lambda source), and a failed one is retried after that.
WORKER_TIMEOUT = Duration.seconds(10)
#: Receives before a message is dead-lettered.
MAX_RECEIVES = 3


class Cancellations:
    cancellations_api: lambda_.Function
    cancellation_codes: lambda_.Function
    queue: sqs.Queue
    dead_letter_queue: sqs.Queue

    def __init__(
        self, stack: Stack, functions: Functions, *, data: StatefulStack, settings: Settings
    ) -> None:
        self.stack = stack
        self.dead_letter_queue = sqs.Queue(
            stack,
            "CancellationCodeDlq",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=data.key,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        acknowledge(self.dead_letter_queue, "SQS3", "This queue is itself a dead-letter queue.")
        self.queue = sqs.Queue(
            stack,
            "CancellationCodeQueue",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=data.key,
            enforce_ssl=True,
            visibility_timeout=Duration.seconds(WORKER_TIMEOUT.to_seconds() * 6),
            dead_letter_queue=sqs.DeadLetterQueue(
                queue=self.dead_letter_queue, max_receive_count=MAX_RECEIVES
            ),
        )

        self.cancellations_api = fn = functions.of_contracts(
            NAME,
            "REST API of cancelling online from the web (R9): one-time code, preview, notice",
            environment={
                "CODE_MAC_KEY_ID": data.code_key.key_arn,
                "CUSTOMER_NOTIFICATION_TOPIC_ARN": data.customer_notification_topic.topic_arn,
                "CANCELLATION_CODE_QUEUE_URL": self.queue.queue_url,
                # Its own per-source allowance (raised on a local stack, where every caller is 127.0.0.1).
                "CANCELLATION_ATTEMPTS_PER_SOURCE": str(settings.cancellation_attempts_per_source),
            },
            indexes=("gsi2",),  # member-code MACs
        )
        # The member code's and the one-time code's MACs, under the member code's key.
        grants.code_mac(fn, data.code_key)
        # The requests and the attempt-limit windows live in the sessions table.
        grants.table(fn, data.sessions_table, data.key, write=True)
        # Each request's code is queued for the worker (the queue is encrypted with the data key,
        # whose use comes with the table grants).
        fn.add_to_role_policy(
            iam.PolicyStatement(actions=["sqs:SendMessage"], resources=[self.queue.queue_arn])
        )
        # The confirmation goes to the contact on file.
        grants.publish(fn, data.customer_notification_topic, data.key)

        self.cancellation_codes = worker = functions.of_contracts(
            WORKER,
            "Sends web cancellations' one-time codes (R9), queued by the cancellations API",
            environment={
                "CODE_MAC_KEY_ID": data.code_key.key_arn,
                "CUSTOMER_NOTIFICATION_TOPIC_ARN": data.customer_notification_topic.topic_arn,
            },
            timeout=WORKER_TIMEOUT,
        )
        # The one-time code's MAC; the requests in the sessions table; the code to the contact.
        grants.code_mac(worker, data.code_key)
        grants.table(worker, data.sessions_table, data.key, write=True)
        grants.publish(worker, data.customer_notification_topic, data.key)
        # Lambda's poller reads and deletes with the worker's role (and decrypts with the key).
        worker.add_event_source(
            sources.SqsEventSource(self.queue, batch_size=10, report_batch_item_failures=True)
        )

    def watch(self, operations: Operations) -> None:
        """The queue's alarm, to the operations topic and on the dashboard: requests whose code was
        not sent within its validity (the worker failing or far behind)."""
        late = cloudwatch.Metric(
            namespace="Anshin",
            metric_name="CancellationCodesLate",
            dimensions_map={"service": "anshin"},
            statistic="Sum",
            period=FIVE_MINUTES,
        ).create_alarm(
            self.stack,
            "CancellationCodesLateAlarm",
            alarm_description="web cancellations whose one-time code was not sent within its validity "
            "(see cancellation_codes' errors and the CancellationCodeQueue); the subscribers ask again",
            threshold=0,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        late.add_alarm_action(actions.SnsAction(operations.topic))
        operations.dashboard.add_widgets(
            cloudwatch.AlarmStatusWidget(title="Cancellation codes", alarms=[late], width=24)
        )
