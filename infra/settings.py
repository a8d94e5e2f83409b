"""Deployment settings, read from CDK context (``cdk.json`` or ``-c key=value``). The defaults the
functions also fall back to come from ``anshin.settings``, so the stack and the code never disagree."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from anshin import settings as defaults

if TYPE_CHECKING:  # importing constructs starts jsii's Node process; the local launcher need not
    from constructs import Construct


@dataclass(frozen=True)
class Settings:
    #: Fees: the monthly fee in yen before tax.
    monthly_fee_jpy: int = defaults.MONTHLY_FEE_JPY
    #: Appendix: how long a device command waits for an unreachable device (seconds).
    command_expiry_seconds: int = defaults.COMMAND_EXPIRY_SECONDS
    #: Appendix: the first wait before a command is pushed again; it doubles up to the max.
    command_retry_base_seconds: int = defaults.COMMAND_RETRY_BASE_SECONDS
    command_retry_max_seconds: int = defaults.COMMAND_RETRY_MAX_SECONDS
    #: The SNS mobile-push platform application (FCM) of the support app, as ``GCM/<name>``.
    #: CloudFormation cannot create one (it holds the FCM credential): the operator creates it
    #: once per account and region (README); ``make run`` creates it in the emulator.
    push_platform_application: str = "GCM/anshin"
    #: The dedicated support phone number told to subscribers when their contract forms (R6.4).
    support_phone_number: str = defaults.SUPPORT_PHONE_NUMBER
    #: Where the built shared layer lies (``make layer`` writes it).
    layer_dir: str = ".build/layer"
    #: Where the built local-only layer lies (``make layer`` writes it); only a deployment with
    #: ``fault_injection`` on gets it.
    local_layer_dir: str = ".build/layer-local"
    #: Where the assembled pages lie (``make web`` writes them); the web stack deploys them.
    web_dir: str = ".build/web"
    #: The web stack (AnshinWeb: the pages behind CloudFront). Local deployments leave it out:
    #: the emulator cannot serve it (docs/emulator-notes.md); local/web.py serves the pages.
    web_stack: bool = True
    #: An AWS WAF web ACL of scope CLOUDFRONT for the pages' distribution, by ARN; empty: the one
    #: AnshinEdge makes in us-east-1 (infra.stacks.edge), with the per-viewer rate limits.
    web_acl_arn: str = ""
    #: MFA for support staff sign-in: REQUIRED (default), OPTIONAL or OFF (local demo only).
    staff_mfa: str = "REQUIRED"
    #: AWS WAF in front of the API stage (rate limit per address, body size). Local deployments
    #: turn it off: the emulator has no AWS::WAFv2::WebACLAssociation (docs/emulator-notes.md).
    api_waf: bool = True
    #: Log retention of every function and state machine log group, in days.
    log_retention_days: int = 30
    #: Local deployments only: every function gets the local-only layer, whose wrapper can make
    #: it raise for its next N calls (anshin_local.faults, ``make fault``), shift its clock
    #: (anshin_local.time_travel) and record its AWS requests (``call_log``). Never on in AWS.
    fault_injection: bool = False
    #: A device token's lifetime in days: the app rotates it before then (anshin.devices).
    device_token_days: int = defaults.DEVICE_TOKEN_DAYS
    #: How long a WIPE is refused after a device is registered again or the passphrase changes.
    credential_cooldown_hours: int = defaults.CREDENTIAL_COOLDOWN_HOURS
    #: Device registrations one source address may attempt per 15 minutes (guessing codes). A
    #: local stack, where every caller is 127.0.0.1, raises it (LOCAL_CONTEXT).
    registration_attempts_per_source: int = defaults.REGISTRATION_ATTEMPTS_PER_SOURCE
    #: Online cancellation calls (code requests and guesses, R9) one source address may make per
    #: window; raised on a local stack like the registrations'.
    cancellation_attempts_per_source: int = defaults.CANCELLATION_ATTEMPTS_PER_SOURCE
    #: Local test runs only: the directory each function records the AWS requests it makes to
    #: (anshin_local.call_log, for the permission check of tests/permissions). Needs
    #: fault_injection's wrapper. Never set in AWS.
    call_log: str = ""
    #: The staff console's sign-in (Cognito managed login): the prefix of the user pool's domain
    #: ``https://<prefix>.auth.<region>.amazoncognito.com``, unique per region across AWS; empty:
    #: ``anshin-staff-<account id>``.
    staff_domain_prefix: str = ""
    #: Local deployments only: the console's address on 127.0.0.1 (``make run``'s page server),
    #: for which the data stack makes a sign-in client. In AWS the web stack makes the console's
    #: client for its own CloudFront address, and this stays empty.
    local_console_url: str = ""
    #: Members (issue 23): the carrier's OpenID Connect identity provider's issuer URL; empty:
    #: none, and the carrier's system creates members (AdminCreateUser) instead.
    members_oidc_issuer: str = ""
    #: The members pool's client id at the carrier's provider, and the Secrets Manager secret
    #: (by name) holding its client secret: needed with ``members_oidc_issuer``.
    members_oidc_client_id: str = ""
    members_oidc_client_secret_name: str = ""
    #: The claim of the carrier's ID token that names the mobile account (mapped onto
    #: ``custom:mobileContractId``), and the scopes to ask for besides ``openid``.
    members_account_claim: str = "mobile_contract_id"
    members_oidc_scopes: tuple[str, ...] = ("profile",)
    #: The prefix of the members' managed-login domain; empty: ``anshin-members-<account id>``.
    members_domain_prefix: str = ""
    #: The largest settings backup a device may upload, in bytes: the presigned POST's
    #: content-length-range, enforced by S3 (anshin.adapters.push.upload_form).
    backup_max_bytes: int = defaults.BACKUP_MAX_BYTES
    #: Applications one member, and one account, may make per day (anshin.settings).
    applications_per_day: int = defaults.APPLICATIONS_PER_DAY
    #: Retention (docs/retention.md), in days: a refused or failed application's personal data;
    #: an ended contract's holder contact data; its device data (backups, locations) after the end.
    refused_application_retention_days: int = defaults.REFUSED_APPLICATION_RETENTION_DAYS
    personal_data_retention_days: int = defaults.PERSONAL_DATA_RETENTION_DAYS
    backup_retention_days_after_end: int = defaults.BACKUP_RETENTION_DAYS_AFTER_END
    #: Test deployments only (tests/e2e/test_charge_file.py, test_auto_heal.py): a schedule
    #: expression, e.g. ``rate(1 minute)``, that replaces the month jobs' cron expressions and the
    #: reconciler's five-minute rate, to see a schedule fire its target on the local stack. Empty
    #: (always, in AWS): the real expressions.
    schedule_override: str = ""

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
            local_layer_dir=str(get("localLayerDir", cls.local_layer_dir)),
            web_dir=str(get("webDir", cls.web_dir)),
            web_stack=str(get("webStack", cls.web_stack)).lower() in ("true", "1"),
            web_acl_arn=str(get("webAclArn", cls.web_acl_arn)),
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
            cancellation_attempts_per_source=int(
                str(get("cancellationAttemptsPerSource", cls.cancellation_attempts_per_source))
            ),
            credential_cooldown_hours=int(str(get("credentialCooldownHours", cls.credential_cooldown_hours))),
            staff_domain_prefix=str(get("staffDomainPrefix", cls.staff_domain_prefix)),
            local_console_url=str(get("localConsoleUrl", cls.local_console_url)),
            schedule_override=str(get("scheduleOverride", cls.schedule_override)),
            members_oidc_issuer=str(get("membersOidcIssuer", cls.members_oidc_issuer)),
            members_oidc_client_id=str(get("membersOidcClientId", cls.members_oidc_client_id)),
            members_oidc_client_secret_name=str(
                get("membersOidcClientSecretName", cls.members_oidc_client_secret_name)
            ),
            members_account_claim=str(get("membersAccountClaim", cls.members_account_claim)),
            members_oidc_scopes=tuple(
                str(get("membersOidcScopes", " ".join(cls.members_oidc_scopes))).split()
            ),
            members_domain_prefix=str(get("membersDomainPrefix", cls.members_domain_prefix)),
            applications_per_day=int(str(get("applicationsPerDay", cls.applications_per_day))),
            backup_max_bytes=int(str(get("backupMaxBytes", cls.backup_max_bytes))),
            refused_application_retention_days=int(
                str(get("refusedApplicationRetentionDays", cls.refused_application_retention_days))
            ),
            personal_data_retention_days=int(
                str(get("personalDataRetentionDays", cls.personal_data_retention_days))
            ),
            backup_retention_days_after_end=int(
                str(get("backupRetentionDaysAfterEnd", cls.backup_retention_days_after_end))
            ),
        )
