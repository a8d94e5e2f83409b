"""Retention (docs/retention.md): the daily job's schedule, its settings as the function gets them,
and its least-privilege grants; the backup bucket's lifecycle backstop."""

from typing import Any

from anshin import settings as defaults
from aws_cdk import assertions

from infra.settings import Settings


def _retention_function(template: assertions.Template) -> tuple[str, Any]:
    [(logical, function)] = [
        (logical, resource)
        for logical, resource in template.find_resources("AWS::Lambda::Function").items()
        if logical.startswith("Retention")
    ]
    return logical, function


def test_the_retention_periods_are_the_documented_ones() -> None:
    settings = Settings()
    assert settings.refused_application_retention_days == defaults.REFUSED_APPLICATION_RETENTION_DAYS == 90
    assert settings.personal_data_retention_days == defaults.PERSONAL_DATA_RETENTION_DAYS == 365
    assert settings.backup_retention_days_after_end == defaults.BACKUP_RETENTION_DAYS_AFTER_END == 30


def test_the_job_gets_the_retention_settings(service_template: assertions.Template) -> None:
    _, function = _retention_function(service_template)
    variables = function["Properties"]["Environment"]["Variables"]
    assert variables["REFUSED_APPLICATION_RETENTION_DAYS"] == "90"
    assert variables["PERSONAL_DATA_RETENTION_DAYS"] == "365"
    assert variables["BACKUP_RETENTION_DAYS_AFTER_END"] == "30"
    assert "BACKUP_BUCKET" in variables and "CONTRACTS_TABLE" in variables
    assert function["Properties"]["Timeout"] == 900


def test_the_job_runs_daily_at_0315_japan_time(service_template: assertions.Template) -> None:
    logical, _ = _retention_function(service_template)
    rules = [
        rule["Properties"]
        for rule in service_template.find_resources("AWS::Events::Rule").values()
        if rule["Properties"].get("Targets", [{}])[0].get("Arn") == {"Fn::GetAtt": [logical, "Arn"]}
    ]
    [rule] = rules
    assert rule["ScheduleExpression"] == "cron(15 18 * * ? *)"  # 18:15 UTC is 03:15 JST, all year
    assert rule["State"] == "ENABLED"
    assert rule["Targets"][0]["RetryPolicy"]["MaximumRetryAttempts"] == 0  # the next day is the retry


def _statements(template: assertions.Template, logical: str) -> list[dict[str, Any]]:
    role = _role_of(template, logical)
    found: list[dict[str, Any]] = []
    for policy in template.find_resources("AWS::IAM::Policy").values():
        if {"Ref": role} in policy["Properties"]["Roles"]:
            found += policy["Properties"]["PolicyDocument"]["Statement"]
    return found


def _role_of(template: assertions.Template, logical: str) -> str:
    function = template.to_json()["Resources"][logical]
    return str(function["Properties"]["Role"]["Fn::GetAtt"][0])


def _actions(statement: dict[str, Any]) -> list[str]:
    actions = statement["Action"]
    return [actions] if isinstance(actions, str) else list(actions)


def test_the_job_may_delete_backup_versions_but_never_read_a_backup(
    service_template: assertions.Template,
) -> None:
    logical, _ = _retention_function(service_template)
    statements = _statements(service_template, logical)
    s3 = sorted(a for s in statements for a in _actions(s) if a.startswith("s3:"))
    assert s3 == ["s3:DeleteObjectVersion", "s3:ListBucketVersions"]
    [delete] = [s for s in statements if "s3:DeleteObjectVersion" in _actions(s)]
    assert "/backups/*" in str(delete["Resource"])
    # The table's items only: no index, no Scan.
    dynamodb = [s for s in statements if any(a.startswith("dynamodb:") for a in _actions(s))]
    assert not [s for s in dynamodb if "index" in str(s["Resource"])]
    assert not [a for s in dynamodb for a in _actions(s) if a == "dynamodb:Scan"]


def test_the_backup_buckets_old_versions_expire_as_a_backstop(data_template: assertions.Template) -> None:
    """What the job deletes by version is also expired by the bucket's lifecycle 30 days after it
    stops being current (a version a failed run left behind)."""
    buckets = [
        b["Properties"]
        for logical, b in data_template.find_resources("AWS::S3::Bucket").items()
        if logical.startswith("Backups")
    ]
    [bucket] = buckets
    rules = bucket["LifecycleConfiguration"]["Rules"]
    assert {"NoncurrentVersionExpiration": {"NoncurrentDays": 30}, "Status": "Enabled"} in rules
