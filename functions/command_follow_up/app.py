"""Command delivery workflow task: after a wait, end, expire or re-send the command (Appendix)."""

from anshin.domain import clock
from anshin.runtime.tasks import workflow_task
from anshin.services import delivery

handler = workflow_task(
    "command_follow_up",
    lambda event: delivery.follow_up(str(event["commandId"]), int(event["attempt"]), clock.now()),
    metric=lambda result: (
        ("CommandsFinished", {"Action": str(result.get("action")), "Status": "EXPIRED"})
        if result.get("expiredNow")
        else None
    ),
)
