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


# --- the ledger of charges (R13, issue 25): appended, never changed ---------------------------------
#: Everything that could change or remove a line once written.
LEDGER_CHANGES = ("dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem")


def ledger_table(stacks: Stacks) -> str:
    return TABLE + str(stacks.functions()["billing_shard"].environment["LEDGER_TABLE"])


def test_no_function_may_change_the_ledger(stacks: Stacks) -> None:
    """Every function of the service, against every action that updates or deletes an item: all
    refused on the Ledger table (and its index), while the appenders may put and everyone reads."""
    functions = stacks.functions()
    ledger = ledger_table(stacks)
    requests = [
        Request(name, action, resource)
        for name in functions
        for action in LEDGER_CHANGES
        for resource in (ledger, ledger + "/index/gsi1")
    ]
    answers = evaluate(requests, functions)
    assert [a["request"] for a in answers if a["decision"] == "Allowed"] == []
    appenders = {"billing_shard", "record_contract", "reconcile_contracts", "devices_api"}
    puts = evaluate([Request(name, "dynamodb:PutItem", ledger) for name in functions], functions)
    assert {a["request"].function for a in puts if a["decision"] == "Allowed"} == appenders
    [reads] = evaluate([Request("contracts_api", "dynamodb:Query", ledger)], functions)
    assert reads["decision"] == "Allowed"


def test_an_update_granted_on_the_ledger_is_caught(stacks: Stacks) -> None:
    """Mutation: add UpdateItem on the ledger to billing's policy, and the check above sees it."""
    functions = copy.deepcopy(stacks.functions())
    ledger = ledger_table(stacks)
    functions["billing_shard"].policies[0]["policy"]["Statement"].append(
        {"Effect": "Allow", "Action": ["dynamodb:UpdateItem"], "Resource": [ledger]}
    )
    [answer] = evaluate([Request("billing_shard", "dynamodb:UpdateItem", ledger)], functions)
    assert answer["decision"] == "Allowed"  # the mutation is visible to the evaluator...
    [original] = evaluate([Request("billing_shard", "dynamodb:UpdateItem", ledger)], stacks.functions())
    assert original["decision"] == "ImplicitlyDenied"  # ...and the real policy refuses it
