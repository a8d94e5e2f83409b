"""The local-only layer: what a local deployment adds around each function, and AWS never has.

``anshin_local.faults.handler`` wraps every function's own handler when ``anshin:faultInjection``
is on (``make run``, the e2e tests): fault injection (``make fault``), the shifted clock of
``local.jobs.time_travel`` and, under ``make test``, the record of each AWS request for the
permission check (``call_log``). CDK attaches this layer only to such deployments, so nothing of
it can run, or be switched on by an environment variable, in AWS (tests/infra checks).
"""
