"""What the capabilities' constructs build on: the stack, and its shared function factory,
workflow factory and dead-letter queues (built first, in this order, by the stack)."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Stack

from infra.constructs.dead_letters import DeadLetters
from infra.constructs.functions import Functions
from infra.constructs.workflows import Workflows


@dataclass(frozen=True)
class Parts:
    stack: Stack
    functions: Functions
    workflows: Workflows
    dead_letters: DeadLetters

    def unpack(self) -> tuple[Stack, Functions, Workflows, DeadLetters]:
        return self.stack, self.functions, self.workflows, self.dead_letters
