"""What an operator watches: alarms to an operations topic, one dashboard, and the WAF in front
of the public API (issue 7): the stage answers only requests that came through the site's
CloudFront distribution (the origin secret, issue 24), and none with an oversized body. The
per-address rate limits are the distribution's (infra.stacks.edge): here every request comes from
one of CloudFront's addresses, so a rate rule on the address would be one limit for everyone."""

from __future__ import annotations

from anshin.settings import MAX_BODY_BYTES
from aws_cdk import Duration, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from infra.nag import acknowledge

FIVE_MINUTES = Duration.minutes(5)
#: The header CloudFront adds to every request it sends to the API (an origin custom header), whose
#: value is the origin secret; the stage's web ACL blocks a request without it. WAF matches header
#: names case-insensitively; it is written in lower case, as WAF's SingleHeader requires.
ORIGIN_HEADER = "x-origin-verify"


class Operations(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        key: kms.IKey,
        functions: dict[str, lambda_.Function],
        queues: dict[str, sqs.Queue],
        machines: dict[str, sfn.StateMachine],
        api: apigw.RestApi,
        waf: bool,
    ) -> None:
        super().__init__(scope, construct_id)
        #: The origin secret (None without the WAF): the web stack's CloudFront adds it to requests.
        self.origin_secret: secretsmanager.Secret | None = None
        self.topic = sns.Topic(self, "Alarms", master_key=key, enforce_ssl=True)
        notify = actions.SnsAction(self.topic)
        self.alarms: list[cloudwatch.Alarm] = []

        def alarm(alarm_id: str, metric: cloudwatch.Metric, description: str) -> None:
            created = metric.create_alarm(
                self,
                alarm_id,
                alarm_description=description,
                threshold=0,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                evaluation_periods=1,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            created.add_alarm_action(notify)
            self.alarms.append(created)

        for name, fn in functions.items():
            alarm(f"{name}Errors", fn.metric_errors(period=FIVE_MINUTES), f"{name}: invocations failed")
            alarm(f"{name}Throttles", fn.metric_throttles(period=FIVE_MINUTES), f"{name}: throttled")
        for name, queue in queues.items():
            alarm(
                f"{name}Depth",
                queue.metric_approximate_number_of_messages_visible(period=FIVE_MINUTES, statistic="Maximum"),
                f"{name}: dead letters waiting (make redrive after fixing the cause)",
            )
        for name, machine in machines.items():
            alarm(f"{name}Failed", machine.metric_failed(period=FIVE_MINUTES), f"{name}: executions failed")
            alarm(
                f"{name}TimedOut",
                machine.metric_timed_out(period=FIVE_MINUTES),
                f"{name}: executions timed out",
            )
            alarm(
                f"{name}Aborted", machine.metric_aborted(period=FIVE_MINUTES), f"{name}: executions aborted"
            )

        for job in ("MONTH_END", "BILLING"):
            # A month job set a contract aside (anshin.jobs.set_aside): the rest of the month was
            # done; this one waits for an operator to repair it and run the month again.
            alarm(
                f"Quarantined{job.title().replace('_', '')}",
                cloudwatch.Metric(
                    namespace="Anshin",
                    metric_name="ContractsQuarantined",
                    dimensions_map={"Job": job, "service": "anshin"},
                    statistic="Sum",
                    period=FIVE_MINUTES,
                ),
                f"{job}: contracts set aside (repair them, then run the month again: make month-end)",
            )

        def signal(metric_name: str, description: str) -> None:
            """An alarm on a business signal for a person (namespace Anshin, the dimension set the
            functions' EMF records carry: powertools' ``service`` only), named after its metric."""
            metric = cloudwatch.Metric(
                namespace="Anshin",
                metric_name=metric_name,
                dimensions_map={"service": "anshin"},
                statistic="Sum",
                period=FIVE_MINUTES,
            )
            alarm(metric_name, metric, description)

        # R6.4: a formed contract the reconciler could not record either (anshin.services.contracts
        # .reconcile_unrecorded): its entry says why; it is tried again every run once repaired.
        signal(
            "ContractsNotHealed",
            "formed contracts not recorded even by the reconciler (see its log and UNRECORDED entries)",
        )

        # R12, R13: a contract recorded late (the reconciler, a late step, a device's registration),
        # or one displaced from its account's first-contract claim, owed months that were over:
        # the recording appended their lines to the ledger itself (anshin.services.contracts
        # .record_contract). A month whose charge file was exported lacks them until exported again.
        signal(
            "ChargesAppendedLate",
            "a recording appended ledger lines to months that are over (the log names the months and "
            "contracts): export each month's charge file again (make month-end MONTH=<month>: billing "
            "appends nothing more, the export writes the next version, which holds them).",
        )

        # R9, R11, R13: an end recorded late (a notice entered after its month, an account event
        # delivered late) fell before months billing had already charged (anshin.services
        # .contract_ends): the charges stand; the system never credits or refunds.
        signal(
            "ChargedPastEnd",
            "a contract was ended late, before months already charged (the log and the contract's "
            "timeline, CHARGED_PAST_END, name the months): the charges stand, R13 forbids the system "
            "any credit or refund; any goodwill is the carrier's, handled outside this system.",
        )

        def business(name: str, label: str) -> cloudwatch.IMetric:
            return cloudwatch.MathExpression(
                expression=f"SUM(SEARCH('{{Anshin}} MetricName=\"{name}\"', 'Sum', 3600))",
                label=label,
                period=Duration.hours(1),
            )

        self.dashboard = cloudwatch.Dashboard(
            self, "Dashboard", dashboard_name=f"{Stack.of(self).stack_name}-ops"
        )
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Applications, contracts (per hour)",
                left=[
                    business("ApplicationsScreened", "screened"),
                    business("ApplicationsFailed", "notification failed"),
                    business("ContractsFormed", "contracts formed"),
                    business("ContractsEnded", "contracts ended"),
                ],
            ),
            cloudwatch.GraphWidget(
                title="Device commands and billing (per hour)",
                left=[business("CommandsFinished", "commands finished")],
                right=[business("InvoiceLinesWritten", "invoice lines"), business("YenBilled", "yen billed")],
            ),
        )
        self.dashboard.add_widgets(
            cloudwatch.AlarmStatusWidget(title="Alarms", alarms=self.alarms, width=24),
        )

        if waf:
            self.protect(api)
        else:
            acknowledge(
                api,
                "APIG3",
                "anshin:apiWaf is off for this deployment (the local emulator cannot associate a "
                "web ACL); stage throttling still applies. AWS deployments keep the default (on).",
            )

    def protect(self, api: apigw.RestApi) -> None:
        """The stage: only through CloudFront (the origin secret), and a body size limit, before any
        function runs. The secret is generated by Secrets Manager and reaches both this web ACL and
        the distribution's origin header as a ``{{resolve:secretsmanager:…}}`` dynamic reference
        (CloudFormation resolves those in any resource property), never as a literal in a template."""
        self.origin_secret = secretsmanager.Secret(
            self,
            "OriginSecret",
            description="anshin: the header value CloudFront adds to API requests (x-origin-verify)",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                exclude_punctuation=True, password_length=48
            ),
        )
        acknowledge(
            self.origin_secret,
            "SMG4",
            "Rotating it means updating the distribution and the web ACL together (redeploy both "
            "stacks); it is a shared marker that the request passed CloudFront, not a credential "
            "of a user, and is resolved only by CloudFormation.",
        )
        secret_value = self.origin_secret.secret_value.unsafe_unwrap()

        def rule(
            name: str, priority: int, statement: wafv2.CfnWebACL.StatementProperty
        ) -> wafv2.CfnWebACL.RuleProperty:
            return wafv2.CfnWebACL.RuleProperty(
                name=name,
                priority=priority,
                action=wafv2.CfnWebACL.RuleActionProperty(block={}),
                statement=statement,
                visibility_config=wafv2.CfnWebACL.VisibilityConfigProperty(
                    cloud_watch_metrics_enabled=True, metric_name=name, sampled_requests_enabled=True
                ),
            )

        self.web_acl = wafv2.CfnWebACL(
            self,
            "WebAcl",
            scope="REGIONAL",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=wafv2.CfnWebACL.VisibilityConfigProperty(
                cloud_watch_metrics_enabled=True, metric_name="anshin-api", sampled_requests_enabled=True
            ),
            rules=[
                rule(
                    "OnlyThroughCloudFront",
                    0,
                    wafv2.CfnWebACL.StatementProperty(
                        not_statement=wafv2.CfnWebACL.NotStatementProperty(
                            statement=wafv2.CfnWebACL.StatementProperty(
                                byte_match_statement=wafv2.CfnWebACL.ByteMatchStatementProperty(
                                    field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(
                                        single_header={"Name": ORIGIN_HEADER}
                                    ),
                                    positional_constraint="EXACTLY",
                                    search_string=secret_value,
                                    text_transformations=[
                                        wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")
                                    ],
                                )
                            )
                        )
                    ),
                ),
                rule(
                    "BodyTooLarge",
                    1,
                    wafv2.CfnWebACL.StatementProperty(
                        size_constraint_statement=wafv2.CfnWebACL.SizeConstraintStatementProperty(
                            comparison_operator="GT",
                            size=MAX_BODY_BYTES,  # the handlers' limit too (an application is ~1 KB)
                            field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(
                                body=wafv2.CfnWebACL.BodyProperty(oversize_handling="MATCH")
                            ),
                            text_transformations=[
                                wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")
                            ],
                        )
                    ),
                ),
            ],
        )
        wafv2.CfnWebACLAssociation(
            self,
            "ApiWebAcl",
            resource_arn=api.deployment_stage.stage_arn,
            web_acl_arn=self.web_acl.attr_arn,
        )
