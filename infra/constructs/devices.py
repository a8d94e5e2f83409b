"""The support app on a device and the support centre (R7, R14, R16, Appendix): the devices API
(registration with the member code, passphrase, device token, command results) and the support
API (identity verification, device commands, support sessions)."""

from __future__ import annotations

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_

from infra import grants
from infra.constructs.functions import Functions
from infra.nag import acknowledge
from infra.settings import Settings
from infra.stacks.stateful import StatefulStack

#: The cdk-nag finding of a grant on the backups under ``backups/``, keyed per contract and command.
BACKUPS_FINDING = f"IAM5[Resource::{StatefulStack.BACKUP_BUCKET_ARN_EXPORT}/backups/*]"


def backups(data: StatefulStack) -> str:
    """The device backups' objects: the relay presigns their upload, the devices API checks it."""
    return f"{data.backup_bucket_arn}/backups/*"


def push_application_arn(stack: Stack, settings: Settings) -> str:
    """The support app's SNS platform application (created by the operator, README)."""
    return stack.format_arn(
        service="sns",
        resource="app",
        resource_name=settings.push_platform_application,
        arn_format=ArnFormat.SLASH_RESOURCE_NAME,
    )


class Devices:
    devices_api: lambda_.Function
    support_api: lambda_.Function

    def __init__(
        self, stack: Stack, functions: Functions, *, data: StatefulStack, settings: Settings
    ) -> None:
        self.devices_api = devices_api = functions.of_contracts(
            "devices_api",
            "REST API of the support app on a device (R16)",
            appends_charges=True,  # a registration may record the contract (R6.4), late too
            environment={
                "PUSH_PLATFORM_APPLICATION_ARN": push_application_arn(stack, settings),
                "BACKUP_BUCKET": data.backup_bucket.bucket_name,
                "CODE_MAC_KEY_ID": data.code_key.key_arn,
                "CUSTOMER_NOTIFICATION_TOPIC_ARN": data.customer_notification_topic.topic_arn,
                "DEVICE_TOKEN_DAYS": str(settings.device_token_days),
                "CREDENTIAL_COOLDOWN_HOURS": str(settings.credential_cooldown_hours),
                "REGISTRATION_ATTEMPTS_PER_SOURCE": str(settings.registration_attempts_per_source),
            },
            indexes=("gsi2",),  # member-code MACs
        )
        grants.code_mac(devices_api, data.code_key)
        # Registration attempts are counted in the sessions table (anshin.limits).
        grants.table(devices_api, data.sessions_table, data.key, write=True)
        # Re-registration and passphrase changes are told to the subscriber.
        grants.publish(devices_api, data.customer_notification_topic, data.key)
        # SNS's mobile-push calls support no resource-level permission: IAM authorises them on
        # "*" only, and a statement naming the application or its endpoints matches nothing
        # (found by the permission check, tests/permissions). Publishing to an endpoint does.
        devices_api.add_to_role_policy(
            iam.PolicyStatement(
                actions=[
                    "sns:CreatePlatformEndpoint",
                    "sns:GetEndpointAttributes",
                    "sns:SetEndpointAttributes",
                ],
                resources=["*"],
            )
        )
        # HeadObject of the device's uploaded backup needs s3:GetObject.
        devices_api.add_to_role_policy(
            iam.PolicyStatement(actions=["s3:GetObject"], resources=[backups(data)])
        )
        acknowledge(
            devices_api,
            "IAM5[Resource::*]",
            "sns:CreatePlatformEndpoint/Get-/SetEndpointAttributes support no resource-level "
            "permission; the endpoints the function creates belong to the support app's application.",
        )
        acknowledge(
            devices_api, BACKUPS_FINDING, "Backups are keyed per contract and command under backups/."
        )

        self.support_api = functions.of_contracts(
            "support_api",
            "REST API of the support centre: verification, device commands, sessions",
            environment={
                "DEVICE_COMMAND_TOPIC_ARN": data.device_command_topic.topic_arn,
                "COMMAND_EXPIRY_SECONDS": str(settings.command_expiry_seconds),
                # Staff reissue a member code (issue 24): drawn and digested under the code key,
                # sent to the holder on the customer-notification topic.
                "CODE_MAC_KEY_ID": data.code_key.key_arn,
                "CUSTOMER_NOTIFICATION_TOPIC_ARN": data.customer_notification_topic.topic_arn,
            },
        )
        grants.table(self.support_api, data.sessions_table, data.key, write=True)
        grants.publish(self.support_api, data.device_command_topic, data.key)
        grants.publish(self.support_api, data.customer_notification_topic, data.key)
        grants.code_mac(self.support_api, data.code_key)
