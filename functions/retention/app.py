"""Scheduled (daily, 03:15 Japan time): erase the personal data whose retention is over — refused
and failed applications' applicants, ended contracts' device data and holder contact data
(docs/retention.md). Idempotent: a second run erases nothing more."""

from anshin.runtime.tasks import workflow_task
from anshin.services import retention

handler = workflow_task("retention", lambda event: retention.run())
