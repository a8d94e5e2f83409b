"""The charge file's bucket, workflow and grants, and the schedules' test-only override."""

import json
from pathlib import Path
from typing import Any

from aws_cdk import assertions

from infra.app import build_app

ROOT = Path(__file__).resolve().parents[2]


def _charges_bucket(data_template: assertions.Template) -> dict[str, Any]:
    buckets = data_template.find_resources("AWS::S3::Bucket")
    [found] = [r for k, r in buckets.items() if k.startswith("Charges")]
    return found


def test_charges_bucket_is_kms_encrypted_versioned_private_and_retained(
    data_template: assertions.Template,
) -> None:
    bucket = _charges_bucket(data_template)
    props = bucket["Properties"]
    [rule] = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert "KMSMasterKeyID" in rule["ServerSideEncryptionByDefault"]  # the data key
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert bucket["DeletionPolicy"] == "Retain"
    staging = [r for r in props["LifecycleConfiguration"]["Rules"] if r.get("Prefix") == "staging/"]
    assert staging and staging[0]["ExpirationInDays"] == 7
    policies = data_template.find_resources("AWS::S3::BucketPolicy")
    tls_only = [
        s
        for p in policies.values()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
        if s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"
        and s["Effect"] == "Deny"
    ]
    assert len(tls_only) >= 2  # backups and charges


def test_the_billing_run_ends_with_the_charge_export_and_month_end_never_reaches_it() -> None:
    job = json.loads((ROOT / "statemachines" / "sharded_month_job.asl.json").read_text())
    states = job["States"]
    assert states["FinishRun"]["Next"] == "ExportsCharges"
    [choice] = states["ExportsCharges"]["Choices"]
    assert {"Variable": "$.job", "StringEquals": "BILLING"} in choice["And"]
    assert states["ExportCharges"]["Resource"] == "arn:aws:states:::states:startExecution.sync:2"
    export = json.loads((ROOT / "statemachines" / "charge_export.asl.json").read_text())
    assert export["StartAt"] == "Export"
    [branch] = export["States"]["Export"]["Branches"]
    assert (branch["StartAt"], branch["States"]["ExportShards"]["Next"]) == ("ExportShards", "Assemble")


def test_an_index_behind_billing_runs_the_shards_and_the_assembly_again_after_a_wait() -> None:
    """ExportIncomplete is not retried by the assembly alone (the parts would be the same): it
    leaves the branch as itself, and the Parallel around the shards and the assembly retries it
    after a wait; any other failure of either fails the export at once (it is retried inside)."""
    export = json.loads((ROOT / "statemachines" / "charge_export.asl.json").read_text())
    parallel = export["States"]["Export"]
    assert parallel["Type"] == "Parallel"
    [retrier] = parallel["Retry"]
    assert retrier["ErrorEquals"] == ["ExportIncomplete"]
    assert retrier["IntervalSeconds"] >= 30 and retrier["MaxAttempts"] >= 3
    inner = parallel["Branches"][0]["States"]
    assemble = inner["Assemble"]
    assert assemble["Retry"][0] == {"ErrorEquals": ["ExportIncomplete"], "MaxAttempts": 0}
    incomplete = next(c for c in assemble["Catch"] if c["ErrorEquals"] == ["ExportIncomplete"])
    assert inner[incomplete["Next"]] == {
        **inner[incomplete["Next"]],
        "Type": "Fail",
        "Error": "ExportIncomplete",
    }
    assert all(inner[c["Next"]]["Error"] != "ExportIncomplete" for c in inner["ExportShards"]["Catch"])


def test_every_export_is_announced_there_is_no_version_waiting_for_a_person() -> None:
    """The ledger only grows: a new version needs no one's word (issue 25), so the export goes
    straight on to the announcement."""
    export = json.loads((ROOT / "statemachines" / "charge_export.asl.json").read_text())
    states = export["States"]
    assert states["Export"]["Next"] == "Announce"
    assert set(states) == {"Export", "Announce", "ExportFailed"}
    assemble = states["Export"]["Branches"][0]["States"]["Assemble"]
    assert set(assemble["Parameters"]["Payload"]) == {"month.$", "runId.$", "expectedLines.$", "results.$"}


def _schedules(template: dict[str, Any]) -> list[str]:
    return sorted(
        r["Properties"]["ScheduleExpression"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::Scheduler::Schedule"
    )


def test_the_aws_template_has_only_the_real_cron_expressions(assembly_dir: Path) -> None:
    template = json.loads((assembly_dir / "AnshinService.template.json").read_text())
    assert _schedules(template) == ["cron(30 0 1 * ? *)", "cron(5 0 1 * ? *)"]
    assert "anshin:scheduleOverride" not in json.loads((ROOT / "cdk.json").read_text()).get("context", {})


def test_a_test_deployment_can_override_the_schedule(tmp_path: Path) -> None:
    from local.service import LOCAL_CONTEXT

    app = build_app(
        outdir=str(tmp_path), context={**LOCAL_CONTEXT, "anshin:scheduleOverride": "rate(1 minute)"}
    )
    template = app.synth().get_stack_by_name("AnshinService").template
    assert _schedules(template) == ["rate(1 minute)", "rate(1 minute)"]


def test_only_the_assembler_reads_and_writes_the_files_and_only_the_announcer_publishes(
    service_template: assertions.Template,
) -> None:
    policies = service_template.find_resources("AWS::IAM::Policy")

    def actions_of(prefix: str) -> set[str]:
        found: set[str] = set()
        for key, policy in policies.items():
            if key.startswith(prefix):
                for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
                    acts = statement["Action"]
                    found |= set([acts] if isinstance(acts, str) else acts)
        return found

    shard = actions_of("ExportChargesShard")
    assert {a for a in shard if a.startswith("s3:")} == {"s3:PutObject"}
    assert not {
        a
        for a in shard
        if a.startswith("dynamodb:")
        and a
        not in ("dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:ConditionCheckItem")
    }
    assert "events:PutEvents" in actions_of("ExportChargesAnnounce")
    assert not {a for a in actions_of("ExportChargesAnnounce") if a.startswith("s3:")}
    assert "s3:ListBucket" in actions_of("ExportChargesAssemble")
