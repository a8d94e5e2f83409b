"""Contract ends decided one at a time (R8-R11): the staff's contracts API (cancellation,
termination, holder change, invoices) and the upstream mobile-account events that end or
re-rate contracts, delivered by EventBridge with retries and a dead-letter queue."""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_

from infra import grants
from infra.constructs.dead_letters import DeadLetters
from infra.constructs.functions import Functions


class ContractEnds:
    contracts_api: lambda_.Function
    account_events: lambda_.Function

    def __init__(self, stack: Stack, functions: Functions, dead_letters: DeadLetters) -> None:
        self.contracts_api = functions.of_contracts(
            "contracts_api",
            "REST API of contracts and invoices (staff)",
            # An account's contracts (gsi1): the search by account, a contract's account, invoices.
            indexes=("gsi1",),
            # The search by phone number looks up its keyed digest (the member code's key).
            environment={"CODE_MAC_KEY_ID": functions.data.code_key.key_arn},
        )
        grants.code_mac(self.contracts_api, functions.data.code_key)
        dlq = dead_letters.queue("AccountEventsDlq", "account-events")
        self.account_events = functions.of_contracts(
            "account_events",
            "Applies upstream mobile-account changes (R11)",
            dead_letter_queue=dlq,
            indexes=("gsi1",),  # the account's contracts
        )
        events.Rule(
            stack,
            "MobileAccountEvents",
            description="Mobile-account changes from the upstream mobile system (R11)",
            event_pattern=events.EventPattern(
                source=["qt.mobile"], detail_type=["MobileContractEnded", "RateLinesChanged"]
            ),
            targets=[targets.LambdaFunction(self.account_events, retry_attempts=8, dead_letter_queue=dlq)],
        )
