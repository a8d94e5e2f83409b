"""Deployment settings, read from CDK context (``cdk.json`` or ``-c key=value``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # importing constructs starts jsii's Node process; the local launcher need not
    from constructs import Construct


@dataclass(frozen=True)
class Settings:
    #: Fees: the monthly fee in yen before tax.
    monthly_fee_jpy: int = 500
    #: Appendix: how long a device command waits for an unreachable device (seconds).
    command_expiry_seconds: int = 72 * 3600
    #: Appendix: the first wait before a command is pushed again; it doubles up to the max.
    command_retry_base_seconds: int = 60
    command_retry_max_seconds: int = 3600
    #: The SNS mobile-push platform application (FCM) of the support app, as ``GCM/<name>``.
    #: CloudFormation cannot create one (it holds the FCM credential): the operator creates it
    #: once per account and region (README); ``make run`` creates it in the emulator.
    push_platform_application: str = "GCM/anshin"
    #: The dedicated support phone number told to subscribers when their contract forms (R6.4).
    support_phone_number: str = "0120-000-110"
    #: Where the built shared layer lies (``make layer`` writes it).
    layer_dir: str = ".build/layer"
    #: MFA for support staff sign-in: REQUIRED (default), OPTIONAL or OFF (local demo only).
    staff_mfa: str = "REQUIRED"
    #: AWS WAF in front of the API stage (rate limit per address, body size). Local deployments
    #: turn it off: the emulator has no AWS::WAFv2::WebACLAssociation (docs/emulator-notes.md).
    api_waf: bool = True
    #: Log retention of every function and state machine log group, in days.
    log_retention_days: int = 30
    #: Local deployments only: every function can be made to raise for its next N calls
    #: (anshin.faults, ``make fault``). Never on in AWS.
    fault_injection: bool = False
    #: A device token's lifetime in days: the app rotates it before then (anshin.devices).
    device_token_days: int = 30
    #: How long a WIPE is refused after a device is registered again or the passphrase changes.
    credential_cooldown_hours: int = 24
    #: Device registrations one source address may attempt per 15 minutes (guessing codes). A
    #: local stack, where every caller is 127.0.0.1, raises it (LOCAL_CONTEXT).
    registration_attempts_per_source: int = 20
    #: Local test runs only: the directory each function records the AWS requests it makes to
    #: (anshin.call_log, for the permission check of tests/permissions). Needs fault_injection's
    #: wrapper. Never set in AWS.
    call_log: str = ""

    @classmethod
    def from_context(cls, scope: Construct) -> Settings:
        node = scope.node

        def get(key: str, default: object) -> object:
            value = node.try_get_context(f"anshin:{key}")
            return default if value is None else value

        return cls(
            monthly_fee_jpy=int(str(get("monthlyFeeJpy", cls.monthly_fee_jpy))),
            command_expiry_seconds=int(str(get("commandExpirySeconds", cls.command_expiry_seconds))),
            command_retry_base_seconds=int(
                str(get("commandRetryBaseSeconds", cls.command_retry_base_seconds))
            ),
            command_retry_max_seconds=int(str(get("commandRetryMaxSeconds", cls.command_retry_max_seconds))),
            push_platform_application=str(get("pushPlatformApplication", cls.push_platform_application)),
            layer_dir=str(get("layerDir", cls.layer_dir)),
            support_phone_number=str(get("supportPhoneNumber", cls.support_phone_number)),
            staff_mfa=str(get("staffMfa", cls.staff_mfa)),
            api_waf=str(get("apiWaf", cls.api_waf)).lower() in ("true", "1"),
            log_retention_days=int(str(get("logRetentionDays", cls.log_retention_days))),
            fault_injection=str(get("faultInjection", cls.fault_injection)).lower() in ("true", "1"),
            call_log=str(get("callLog", cls.call_log)),
            device_token_days=int(str(get("deviceTokenDays", cls.device_token_days))),
            registration_attempts_per_source=int(
                str(get("registrationAttemptsPerSource", cls.registration_attempts_per_source))
            ),
            credential_cooldown_hours=int(str(get("credentialCooldownHours", cls.credential_cooldown_hours))),
        )
