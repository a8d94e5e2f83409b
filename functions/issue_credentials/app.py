"""Contract notification: issue the contract id, member confirmation code and support number."""

from anshin import contracts
from anshin.handler import workflow_task

handler = workflow_task(
    "issue_credentials", lambda event: contracts.issue_credentials(event["applicationId"])
)
