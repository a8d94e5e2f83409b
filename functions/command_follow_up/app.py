"""Command delivery workflow task: after a wait, end, expire or re-send the command (Appendix)."""

from anshin import clock, relay
from anshin.handler import workflow_task

handler = workflow_task(
    "command_follow_up",
    lambda event: relay.follow_up(str(event["commandId"]), int(event["attempt"]), clock.now()),
    metric=lambda result: (
        ("CommandsFinished", {"Action": str(result.get("action")), "Status": "EXPIRED"})
        if result.get("expiredNow")
        else None
    ),
)
