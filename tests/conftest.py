"""Shared fixtures: AWS credentials that can reach nothing real, and moto."""

import os

import pytest

# Nothing in the tests may reach a real AWS account.
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_SERVICE_NAME": "anshin",
        "POWERTOOLS_METRICS_NAMESPACE": "Anshin",
        "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
    }
)
os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ.pop("AWS_PROFILE", None)

if os.environ.get("ANSHIN_CALL_LOG"):
    # make test records each function's AWS requests (tests/permissions): hook botocore before
    # any client exists.
    from anshin_local import call_log

    os.makedirs(os.environ["ANSHIN_CALL_LOG"], exist_ok=True)
    call_log.install()


@pytest.fixture
def lambda_context() -> object:
    class Context:
        function_name = "test"
        memory_limit_in_mb = 128
        invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:test"
        aws_request_id = "00000000-0000-0000-0000-000000000000"

        @staticmethod
        def get_remaining_time_in_millis() -> int:
            return 30_000

    return Context()
