"""cdk-nag AwsSolutions, run at synthesis: any finding not acknowledged fails ``cdk synth``.

Every acknowledgement is made next to the resource it concerns, with its reason, through
:func:`acknowledge`.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import Acknowledgment, Validations
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct


def add_checks(app: cdk.App) -> None:
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))


def acknowledge(scope: IConstruct, rule: str, reason: str) -> None:
    """Accept AwsSolutions ``rule`` (e.g. ``"IAM5"``) on ``scope`` and everything under it."""
    Validations.of(scope).acknowledge(Acknowledgment(id=f"AwsSolutions::AwsSolutions-{rule}", reason=reason))
