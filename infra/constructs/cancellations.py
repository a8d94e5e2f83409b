"""Cancelling online from the web (R9): the function behind the public ``/cancellation-requests``
routes (the member code, then a one-time code to the contact on file, then the notice). Its
routes are registered with the others (infra.constructs.rest_api); the app's own route
(``POST /devices/{deviceId}/cancellation``) is the devices API's."""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_lambda as lambda_

from infra import grants
from infra.constructs.functions import Functions
from infra.settings import Settings
from infra.stacks.stateful import StatefulStack

#: The function's folder under ``functions/`` (the REST API finds it by this name).
NAME = "cancellations_api"


class Cancellations:
    cancellations_api: lambda_.Function

    def __init__(
        self, stack: Stack, functions: Functions, *, data: StatefulStack, settings: Settings
    ) -> None:
        self.cancellations_api = fn = functions.of_contracts(
            NAME,
            "REST API of cancelling online from the web (R9): one-time code, preview, notice",
            environment={
                "CODE_MAC_KEY_ID": data.code_key.key_arn,
                "CUSTOMER_NOTIFICATION_TOPIC_ARN": data.customer_notification_topic.topic_arn,
                # Its own per-source allowance (raised on a local stack, where every caller is 127.0.0.1).
                "CANCELLATION_ATTEMPTS_PER_SOURCE": str(settings.cancellation_attempts_per_source),
            },
            indexes=("gsi2",),  # member-code MACs
        )
        # The member code's and the one-time code's MACs, under the member code's key.
        grants.code_mac(fn, data.code_key)
        # The requests and the attempt-limit windows live in the sessions table.
        grants.table(fn, data.sessions_table, data.key, write=True)
        # The one-time code and the confirmation go to the contact on file.
        grants.publish(fn, data.customer_notification_topic, data.key)
