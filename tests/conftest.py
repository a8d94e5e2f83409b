"""Shared fixtures: AWS credentials that can reach nothing real, and moto."""

import os

import pytest
from hypothesis import settings as hypothesis_settings

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


# Property tests (hypothesis): a developer's run explores new examples every time (and replays the
# failures it kept in .hypothesis/); CI (the variable CI set, as CI services do) runs the same
# derandomized examples every time, so a green build cannot turn red by chance: what random
# exploration finds is fixed and made an example test. HYPOTHESIS_PROFILE=ci|dev chooses
# explicitly. (Hypothesis has a built-in "ci" profile it loads itself when it sees CI; these make
# the choice ours and visible, and keep "dev" random even where CI is set but empty.)
hypothesis_settings.register_profile(
    "ci", hypothesis_settings.get_profile("ci"), derandomize=True, database=None
)
hypothesis_settings.register_profile("dev", hypothesis_settings.get_profile("default"))
hypothesis_settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE")
    or ("ci" if os.environ.get("CI", "").lower() not in ("", "0", "false", "no") else "dev")
)


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
