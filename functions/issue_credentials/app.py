"""Contract notification: issue the contract id, member confirmation code and support number."""

from anshin.runtime.tasks import workflow_task
from anshin.services import contracts

handler = workflow_task(
    "issue_credentials", lambda event: contracts.issue_credentials(event["applicationId"])
)
