"""Everything that holds data: the KMS key, the tables and the topics. Retained on deletion."""

from __future__ import annotations

from anshin.settings import STAFF_GROUP
from aws_cdk import Aws, CfnOutput, Duration, Fn, RemovalPolicy, Stack
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from constructs import Construct

from infra.constructs import buckets, members_sign_in, staff_sign_in
from infra.constructs.sign_in import PASSWORD_POLICY
from infra.nag import acknowledge
from infra.settings import Settings


class StatefulStack(Stack):
    #: The backup bucket's ARN, exported under a fixed name so the grants on it read plainly.
    BACKUP_BUCKET_ARN_EXPORT = "AnshinData-BackupBucketArn"

    def __init__(self, scope: Construct, construct_id: str, *, settings: Settings, **kwargs: object) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]

        self.key = kms.Key(
            self,
            "DataKey",
            description="anshin: encrypts tables, topics, queues and logs",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        # SNS needs to use the key to deliver to its subscribers (the relay subscription's
        # dead-letter queue is encrypted with it). Only for this account's topics, and only this
        # stack's (the key policy cannot name the topics themselves: they are encrypted with this
        # key, so naming them here would be a circular reference; CloudFormation names them
        # <stack name>-<logical id>-<suffix>). Every service-principal statement on a key carries
        # such source conditions (tests/infra/test_edge_security.py walks them all).
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                principals=[iam.ServicePrincipal("sns.amazonaws.com")],
                resources=["*"],
                conditions={
                    "StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID},
                    "ArnLike": {
                        "aws:SourceArn": Fn.join(
                            ":",
                            ["arn", Aws.PARTITION, "sns", Aws.REGION, Aws.ACCOUNT_ID, f"{Aws.STACK_NAME}-*"],
                        )
                    },
                },
            )
        )

        # The member confirmation code's lookup key is an HMAC under this key (anshin.mac): the
        # key never leaves KMS, so whoever reads the table cannot try the 10^8 codes offline.
        self.code_key = kms.Key(
            self,
            "CodeMacKey",
            description="anshin: HMAC of member confirmation codes (their lookup keys)",
            key_spec=kms.KeySpec.HMAC_256,
            key_usage=kms.KeyUsage.GENERATE_VERIFY_MAC,
            removal_policy=RemovalPolicy.RETAIN,
        )

        table_defaults: dict[str, object] = {
            "partition_key": dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
            "sort_key": dynamodb.Attribute(name="sk", type=dynamodb.AttributeType.STRING),
            "billing_mode": dynamodb.BillingMode.PAY_PER_REQUEST,
            "encryption": dynamodb.TableEncryption.CUSTOMER_MANAGED,
            "encryption_key": self.key,
            "point_in_time_recovery_specification": dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            "deletion_protection": True,
            "removal_policy": RemovalPolicy.RETAIN,
        }

        # Contracts: the mobile-account mirror, applications, contracts, devices, commands and
        # invoices, in one table (single-table design; keys in README). gsi1: by account; gsi2:
        # member-code digests; gsi3: contracts by the month they end/ended, sharded; gsi4: live
        # contracts, sharded (the month-end jobs read only these, never the ended history).
        self.contracts_table = dynamodb.Table(self, "Contracts", **table_defaults)  # type: ignore[arg-type]
        for index in ("gsi1", "gsi2", "gsi3", "gsi4"):
            self.contracts_table.add_global_secondary_index(
                index_name=index,
                partition_key=dynamodb.Attribute(name=f"{index}pk", type=dynamodb.AttributeType.STRING),
                sort_key=dynamodb.Attribute(name=f"{index}sk", type=dynamodb.AttributeType.STRING),
            )

        # The ledger of charges (R13, issue 25): invoice lines, appended only. A table of its own so
        # that its grants can say so: functions hold PutItem on it at most, never UpdateItem,
        # DeleteItem or BatchWriteItem (infra/grants.py ``ledger``, proved by tests/permissions).
        # gsi1: the month's charges by account shard (the charge file's export reads it).
        self.ledger_table = dynamodb.Table(self, "Ledger", **table_defaults)  # type: ignore[arg-type]
        self.ledger_table.add_global_secondary_index(
            index_name="gsi1",
            partition_key=dynamodb.Attribute(name="gsi1pk", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="gsi1sk", type=dynamodb.AttributeType.STRING),
        )

        # Sessions: identity-verification and support sessions; they expire (TTL attribute "ttl").
        self.sessions_table = dynamodb.Table(
            self,
            "Sessions",
            time_to_live_attribute="ttl",
            **table_defaults,  # type: ignore[arg-type]
        )

        # Idempotency records of powertools idempotency (retries never do the work twice).
        self.idempotency_table = dynamodb.Table(
            self,
            "Idempotency",
            partition_key=dynamodb.Attribute(name="id", type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=self.key,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            time_to_live_attribute="expiration",
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
        )

        # Commands for devices (lock, wipe, backup), relayed to the device's push endpoint.
        self.device_command_topic = sns.Topic(self, "DeviceCommands", master_key=self.key, enforce_ssl=True)
        # Customer notifications (the notification that forms the contract, R6.4); e-mail and SMS
        # delivery are this topic's subscribers.
        self.customer_notification_topic = sns.Topic(
            self, "CustomerNotifications", master_key=self.key, enforce_ssl=True
        )

        # Settings backups uploaded by devices (Appendix) through presigned URLs: encrypted with
        # the data key, TLS only, never public, retained; access logged to a second bucket.
        access_logs = buckets.access_logs(self, "BackupAccessLogs")
        acknowledge(access_logs, "S1", "This bucket is the access-log target of the backup bucket.")
        self.backup_bucket = buckets.private(
            self, "Backups", logs=access_logs, logs_prefix="backups/", key=self.key
        )
        # The month's charge files for the carrier's billing system (R12, R13; README): each
        # version written once, never overwritten; staging/ holds a run's parts until assembled.
        self.charges_bucket = buckets.private(
            self, "Charges", logs=access_logs, logs_prefix="charges/", key=self.key, scratch_prefix="staging/"
        )

        # Support staff sign in with Cognito; the staff routes' authorizer admits this pool's
        # tokens and the handlers require the support-staff group. No self sign-up: an
        # administrator creates staff accounts.
        self.staff_pool = cognito.UserPool(
            self,
            "StaffPool",
            self_sign_up_enabled=False,
            sign_in_aliases=cognito.SignInAliases(username=True, email=True),
            password_policy=PASSWORD_POLICY,
            mfa=cognito.Mfa(settings.staff_mfa),
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            feature_plan=cognito.FeaturePlan.PLUS,
            standard_threat_protection_mode=cognito.StandardThreatProtectionMode.FULL_FUNCTION,
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        if settings.staff_mfa != cognito.Mfa.REQUIRED.value:
            acknowledge(
                self.staff_pool,
                "COG2",
                f"MFA is {settings.staff_mfa} only because anshin:staffMfa says so for this deployment "
                "(the local emulator's demo staff); the default is REQUIRED.",
            )
        cognito.CfnUserPoolGroup(
            self,
            "SupportStaffGroup",
            user_pool_id=self.staff_pool.user_pool_id,
            group_name=STAFF_GROUP,  # the staff routes require it (anshin.runtime.staff)
            description="Support staff: verify callers, send device commands, manage contracts",
        )
        self.staff_client = self.staff_pool.add_client(
            "StaffConsole",
            auth_flows=cognito.AuthFlow(user_srp=True, user_password=True),
            # Tools only (make staff-token, the tests): no OAuth. CDK's default would allow the
            # implicit flow to https://example.com once the pool has a domain (the console's).
            disable_o_auth=True,
            generate_secret=False,
            prevent_user_existence_errors=True,
            id_token_validity=Duration.hours(1),
            access_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.hours(12),
        )
        self.staff_domain = staff_sign_in.domain(self.staff_pool, settings.staff_domain_prefix)
        outputs = {"StaffSignInDomain": self.staff_domain.base_url()}
        if settings.local_console_url:  # a local deployment's page server (never in AWS)
            console = staff_sign_in.console_client(
                self, "LocalConsole", self.staff_pool, settings.local_console_url
            )
            outputs["StaffConsoleClientId"] = console.user_pool_client_id

        # Members of the mobile service (issue 23): the holder of an account applies, reads and
        # changes it, signed in with this pool (infra.constructs.members_sign_in).
        self.members_pool = members_sign_in.pool(self, settings)
        self.members_provider = members_sign_in.provider(self, self.members_pool, settings)
        self.members_domain = members_sign_in.domain(self.members_pool, settings.members_domain_prefix)
        outputs["MembersSignInDomain"] = self.members_domain.base_url()
        if settings.local_console_url:  # a local deployment's page server (never in AWS)
            pages = members_sign_in.pages_client(
                self, "LocalMemberPages", self.members_pool, settings.local_console_url, self.members_provider
            )
            outputs["MembersPagesClientId"] = pages.user_pool_client_id
        if settings.fault_injection:  # a local deployment's tools sign members in by password
            tools = members_sign_in.tools_client(self.members_pool)
            outputs["MembersToolsClientId"] = tools.user_pool_client_id
        for name, value in outputs.items():
            CfnOutput(self, name, value=value)

        self.backup_bucket_arn = self.export_value(
            self.backup_bucket.bucket_arn, name=self.BACKUP_BUCKET_ARN_EXPORT
        )

        for name, value in {
            "ContractsTableName": self.contracts_table.table_name,
            "LedgerTableName": self.ledger_table.table_name,
            "SessionsTableName": self.sessions_table.table_name,
            "IdempotencyTableName": self.idempotency_table.table_name,
            "DeviceCommandTopicArn": self.device_command_topic.topic_arn,
            "CustomerNotificationTopicArn": self.customer_notification_topic.topic_arn,
            "BackupBucketName": self.backup_bucket.bucket_name,
            "StaffUserPoolId": self.staff_pool.user_pool_id,
            "StaffUserPoolClientId": self.staff_client.user_pool_client_id,
            "MembersUserPoolId": self.members_pool.user_pool_id,
        }.items():
            CfnOutput(self, name, value=value)
