"""The permission check itself: the template resolves to the ARNs a deployment would have, the
evaluator decides like IAM, and a missing grant is a denial naming function, action and
resource. Needs no recording (it runs with the other tests)."""

import copy

import pytest

from tests.permissions.policies import Request, Stacks, evaluate, normalise, translate

TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/"


def contracts_table(stacks: Stacks) -> str:
    functions = stacks.functions()
    return TABLE + str(functions["devices_api"].environment["CONTRACTS_TABLE"])


def test_every_function_is_found_with_its_policies_and_environment(stacks: Stacks) -> None:
    functions = stacks.functions()
    assert "devices_api" in functions and "billing_shard" in functions
    environment = functions["devices_api"].environment
    assert environment["CONTRACTS_TABLE"] == "Contracts0B5774C6"  # Ref of the table, across stacks
    assert environment["PUSH_PLATFORM_APPLICATION_ARN"] == "arn:aws:sns:us-east-1:123456789012:app/GCM/anshin"
    assert all(p["policy"]["Statement"] for p in functions["devices_api"].policies)


def test_a_missing_index_grant_is_denied_and_named(stacks: Stacks) -> None:
    """Mutation: the same request, against the function's policy and against a copy of it with
    the index grant removed."""
    functions = stacks.functions()
    query = Request("devices_api", "dynamodb:Query", contracts_table(stacks) + "/index/gsi2")
    [allowed] = evaluate([query], functions)
    assert allowed["decision"] == "Allowed", allowed

    mutated = copy.deepcopy(functions)
    for policy in mutated["devices_api"].policies:
        for statement in policy["policy"]["Statement"]:
            resources = (
                statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            )
            statement["Resource"] = [r for r in resources if not str(r).endswith("/index/gsi2")] or [
                "arn:aws:s3:::none"
            ]
    [denied] = evaluate([query], mutated)
    assert denied["decision"] == "ImplicitlyDenied"
    assert denied["request"] == query  # function, action and resource, for the failure message


@pytest.mark.parametrize(
    ("action", "resource", "decision"),
    [
        ("dynamodb:GetItem", "table", "Allowed"),
        ("dynamodb:DeleteTable", "table", "ImplicitlyDenied"),
        ("dynamodb:Query", "table/index/gsi4", "ImplicitlyDenied"),  # an index it does not query
        ("dynamodb:TransactWriteItems", "table", "Invalid"),  # no such IAM action
    ],
)
def test_the_evaluator_decides_like_iam(stacks: Stacks, action: str, resource: str, decision: str) -> None:
    arn = contracts_table(stacks) + resource.removeprefix("table")
    [answer] = evaluate([Request("devices_api", action, arn)], stacks.functions())
    assert answer["decision"] == decision, answer


def test_recorded_names_become_the_templates(stacks: Stacks) -> None:
    synthesized = stacks.functions()["devices_api"].environment
    runtime = [{"CONTRACTS_TABLE": "Contracts", "BACKUP_BUCKET": "backups"}]
    query = Request(
        "devices_api", "dynamodb:Query", "arn:aws:dynamodb:us-east-1:000000000000:table/Contracts/index/gsi2"
    )
    assert translate(query, runtime, synthesized).resource == contracts_table(stacks) + "/index/gsi2"
    head = Request("devices_api", "s3:GetObject", "arn:aws:s3:::backups/backups/ctr-1/cmd-1.json")
    assert translate(head, runtime, synthesized).resource.startswith(
        f"arn:aws:s3:::{synthesized['BACKUP_BUCKET']}/backups/"
    )
    # The emulator's name for a mobile-push endpoint is AWS's endpoint ARN.
    assert normalise("arn:aws:sns:us-east-1:000000000000:app/GCM/anshin/abc") == (
        "arn:aws:sns:us-east-1:123456789012:endpoint/GCM/anshin/abc"
    )
