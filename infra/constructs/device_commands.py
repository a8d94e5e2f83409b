"""Device commands (Appendix): published on the device-command topic, relayed to the device's
push channel, then followed by a workflow that ends, expires or re-sends each one after a wait."""

from __future__ import annotations

from aws_cdk import ArnFormat
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_stepfunctions as sfn

from infra import grants
from infra.constructs.devices import BACKUPS_FINDING, backups
from infra.constructs.parts import Parts
from infra.nag import acknowledge
from infra.settings import Settings
from infra.stacks.stateful import StatefulStack


class DeviceCommands:
    delivery: sfn.StateMachine

    def __init__(self, parts: Parts, *, data: StatefulStack, settings: Settings) -> None:
        stack, functions, workflows, dead_letters = parts.unpack()
        topic = data.device_command_topic
        retry_settings = {
            "COMMAND_RETRY_BASE_SECONDS": str(settings.command_retry_base_seconds),
            "COMMAND_RETRY_MAX_SECONDS": str(settings.command_retry_max_seconds),
        }
        follow_up = functions.of_contracts(
            "command_follow_up",
            "Ends, expires or re-sends a device command after a wait (Appendix)",
            environment={"DEVICE_COMMAND_TOPIC_ARN": topic.topic_arn, **retry_settings},
        )
        grants.publish(follow_up, topic, data.key)
        self.delivery = workflows.of_tasks("CommandDelivery", "command_delivery", [follow_up])
        relay_dlq = dead_letters.queue("CommandRelayDlq", "command-relay")
        relay = functions.of_contracts(
            "command_relay",
            "Relays device commands to the device's push channel",
            dead_letter_queue=relay_dlq,
            environment={
                "COMMAND_DELIVERY_STATE_MACHINE_ARN": self.delivery.state_machine_arn,
                "BACKUP_BUCKET": data.backup_bucket.bucket_name,
                "BACKUP_MAX_BYTES": str(settings.backup_max_bytes),
                **retry_settings,
            },
        )
        self.delivery.grant_start_execution(relay)
        push_endpoints = stack.format_arn(
            service="sns",
            resource="endpoint",
            resource_name=f"{settings.push_platform_application}/*",
            arn_format=ArnFormat.SLASH_RESOURCE_NAME,
        )
        relay.add_to_role_policy(iam.PolicyStatement(actions=["sns:Publish"], resources=[push_endpoints]))
        # The presigned upload URL carries the relay's permission to put the backup; the data-key
        # use for SSE-KMS comes with the relay's table grant (same key).
        relay.add_to_role_policy(iam.PolicyStatement(actions=["s3:PutObject"], resources=[backups(data)]))
        acknowledge(
            relay,
            "IAM5[Resource::arn:<AWS::Partition>:sns:<AWS::Region>:<AWS::AccountId>:endpoint/"
            f"{settings.push_platform_application}/*]",
            "Pushes go to the device's own platform endpoint, one per device, all under the support "
            "app's platform application.",
        )
        acknowledge(relay, BACKUPS_FINDING, "Backups are keyed per contract and command under backups/.")
        topic.add_subscription(subscriptions.LambdaSubscription(relay, dead_letter_queue=relay_dlq))
