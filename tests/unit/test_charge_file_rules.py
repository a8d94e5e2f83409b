"""The month's charge file (anshin.domain.charges): records, bytes, versions; pure."""

import hashlib
import json

import pytest
from anshin.domain import charges
from anshin.domain.billing_rules import Line


def lines(*spec: tuple[str, str]) -> list[Line]:
    return [Line(account, "2026-08", contract, 500) for account, contract in spec]


def test_one_record_per_account_with_its_lines_and_tax_once() -> None:
    found = list(charges.records(lines(("MC-1", "ctr-a"), ("MC-1", "ctr-b"), ("MC-2", "ctr-c"))))
    assert [r.csv() for r in found] == [
        b"MC-1,2026-08,2,ctr-a:500;ctr-b:500,1000,100,1100\n",
        b"MC-2,2026-08,1,ctr-c:500,500,50,550\n",
    ]


def test_header_names_the_documented_columns() -> None:
    assert charges.HEADER == (
        b"mobile_contract_id,billing_month,line_count,contract_lines,subtotal_yen,tax_yen,total_yen\n"
    )


def test_a_record_is_the_same_whatever_order_its_lines_come_in() -> None:
    one = charges.record_of(lines(("MC-1", "ctr-b"), ("MC-1", "ctr-a")))
    other = charges.record_of(lines(("MC-1", "ctr-a"), ("MC-1", "ctr-b")))
    assert one.csv() == other.csv()


def test_a_field_that_would_need_quoting_is_refused() -> None:
    with pytest.raises(ValueError):
        charges.record_of(lines(("MC,1", "ctr-a"))).csv()


def test_totals_sum_records_and_parts() -> None:
    totals = charges.Totals()
    for record in charges.records(lines(("MC-1", "ctr-a"), ("MC-1", "ctr-b"), ("MC-2", "ctr-c"))):
        totals.add(record)
    assert totals.as_dict() == {
        "records": 2,
        "lines": 3,
        "subtotalYen": 1500,
        "taxYen": 150,
        "totalYen": 1650,
    }
    assert charges.Totals.summed([totals.as_dict(), totals.as_dict()]).total == 3300


def test_version_decision_never_overwrites() -> None:
    assert charges.decide(None, "aa") == charges.Decision(1, True, None)
    assert charges.decide((1, "aa"), "aa") == charges.Decision(1, False, None)
    assert charges.decide((1, "aa"), "bb") == charges.Decision(2, True, 1)
    assert charges.decide((2, "bb"), "aa") == charges.Decision(3, True, 2)


def test_manifest_is_deterministic_and_names_what_it_supersedes() -> None:
    body = b"".join([charges.HEADER, *(r.csv() for r in charges.records(lines(("MC-1", "ctr-a"))))])
    sha = hashlib.sha256(body).hexdigest()
    totals = charges.Totals.summed(
        [{"records": 1, "lines": 1, "subtotalYen": 500, "taxYen": 50, "totalYen": 550}]
    )
    made = [
        charges.manifest(
            month="2026-08",
            decision=charges.decide((1, "old"), sha),
            totals=totals,
            sha256=sha,
            size=len(body),
            run_id="run-1",
            superseded_sha256="old",
            correction="contract repaired",
            changed={"addedLines": 1},
        )
        for _ in range(2)
    ]
    assert made[0] == made[1]
    manifest = json.loads(made[0])
    assert manifest["version"] == 2 and manifest["key"] == "charges/2026-08/v2/charges.csv"
    assert manifest["supersedes"] == {
        "version": 1,
        "key": "charges/2026-08/v1/charges.csv",
        "manifestKey": "charges/2026-08/v1/manifest.json",
        "sha256": "old",
        "reason": "contract repaired",
        "changes": {"addedLines": 1},
    }
    assert manifest["records"] == 1 and manifest["totalYen"] == 550 and manifest["sha256"] == sha


def test_keys() -> None:
    assert charges.version_of(charges.manifest_key("2026-08", 12)) == 12
    assert charges.version_of("charges/2026-08/v2/charges.csv") is None
    assert charges.part_key("2026-08", "run", 3, 7) == "staging/2026-08/run/part-03-000007.csv"
    assert sorted([charges.part_key("m", "r", 10, 0), charges.part_key("m", "r", 2, 11)])[0].endswith(
        "part-02-000011.csv"
    )


# --- a new version against the one it would supersede (R13) -------------------------------------


def record(account: str, *pairs: tuple[str, int]) -> charges.Record:
    return charges.record_of(Line(account, "2026-08", contract, amount) for contract, amount in pairs)


def position(account: str) -> tuple[int, str]:
    return (len(account), account)  # any total order the files share


def test_a_row_parses_back_to_its_record() -> None:
    one = record("MC-1", ("ctr-a", 500), ("ctr-b", 500))
    assert charges.parse(one.csv()) == one
    assert charges.parse(one.csv().decode()) == one
    for broken in (b"MC-1,2026-08,2,ctr-a:500,500,50,550\n", b"MC-1,2026-08,1,ctr-a,500,50,550\n", b"a,b\n"):
        with pytest.raises(ValueError):
            charges.parse(broken)


def test_a_version_that_only_adds_keeps_every_line() -> None:
    old = [record("MC-1", ("ctr-a", 500)), record("MC-3", ("ctr-c", 500))]
    new = [
        record("MC-1", ("ctr-a", 500), ("ctr-b", 500)),
        record("MC-2", ("ctr-x", 500)),
        record("MC-3", ("ctr-c", 500)),
        record("MC-10", ("ctr-y", 500), ("ctr-z", 500)),
    ]
    found = charges.changes(old, new, position)
    assert found.keeps_every_line and found.examples == []
    assert found.counts() == {
        "addedAccounts": 2,
        "addedLines": 4,
        "removedAccounts": 0,
        "removedLines": 0,
        "changedLines": 0,
        "loweredTotals": 0,
    }


def test_a_line_gone_or_changed_is_found_and_named() -> None:
    old = [
        record("MC-1", ("ctr-a", 500), ("ctr-b", 500)),
        record("MC-2", ("ctr-c", 500)),
        record("MC-3", ("ctr-d", 500)),
    ]
    new = [record("MC-1", ("ctr-a", 400)), record("MC-3", ("ctr-d", 500), ("ctr-e", 500))]
    found = charges.changes(old, new, position)
    assert not found.keeps_every_line
    assert found.counts() == {
        "addedAccounts": 0,
        "addedLines": 1,
        "removedAccounts": 1,
        "removedLines": 2,
        "changedLines": 1,
        "loweredTotals": 1,
    }
    assert found.examples == [
        {"mobileContractId": "MC-1", "contractId": "ctr-a", "beforeYen": 500, "afterYen": 400},
        {"mobileContractId": "MC-1", "contractId": "ctr-b", "beforeYen": 500, "afterYen": None},
        {"mobileContractId": "MC-2", "contractId": "ctr-c", "beforeYen": 500, "afterYen": None},
    ]


def test_identical_files_change_nothing_and_examples_are_bounded() -> None:
    many = [record(f"MC-{n:04d}", ("ctr-a", 500)) for n in range(50)]
    assert charges.changes(many, many, position).counts() == dict.fromkeys(
        ("addedAccounts", "addedLines", "removedAccounts", "removedLines", "changedLines", "loweredTotals"), 0
    )
    gone = charges.changes(many, [], position)
    assert gone.removed_lines == 50 and len(gone.examples) == charges.EXAMPLES


def test_files_out_of_order_are_refused_rather_than_merged_wrongly() -> None:
    ordered = [record("MC-1", ("ctr-a", 500)), record("MC-2", ("ctr-b", 500))]
    with pytest.raises(ValueError, match="new"):
        charges.changes(ordered, list(reversed(ordered)), position)
    with pytest.raises(ValueError, match="old"):
        charges.changes(list(reversed(ordered)), ordered, position)


def test_a_total_lowered_with_the_same_lines_is_a_reduction_not_a_rerun() -> None:
    """R13: the same lines with less tax (a changed rate, a bug) would reduce a charge."""
    before = record("MC-1", ("ctr-a", 500))
    after = charges.Record("MC-1", "2026-08", (("ctr-a", 500),), 500, 40, 540)
    found = charges.changes([before], [after], position)
    assert not found.keeps_every_line and found.lowered_totals == 1
    assert charges.changes([after], [before], position).keeps_every_line  # more is a re-run's
