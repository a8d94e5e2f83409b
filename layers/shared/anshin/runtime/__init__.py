"""Lambda and HTTP plumbing: the error table, the auth gates, the workflow-task wrapper."""
