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


def test_a_version_is_the_ledgers_lines_never_fewer_never_other_bytes() -> None:
    assert charges.decide(None, 3, "aa") == charges.Decision(1, True, None)
    assert charges.decide((1, 3, "aa"), 3, "aa") == charges.Decision(1, False, None)  # the same lines
    assert charges.decide((1, 3, "aa"), 4, "bb") == charges.Decision(2, True, 1)  # the ledger grew
    with pytest.raises(charges.LedgerBehind):  # the index has not caught up: never a short file
        charges.decide((2, 4, "bb"), 3, "aa")
    with pytest.raises(charges.LedgerChanged):  # as many lines, other bytes: a line changed
        charges.decide((2, 4, "bb"), 4, "cc")


def test_manifest_is_deterministic_and_names_what_it_supersedes() -> None:
    body = b"".join([charges.HEADER, *(r.csv() for r in charges.records(lines(("MC-1", "ctr-a"))))])
    sha = hashlib.sha256(body).hexdigest()
    totals = charges.Totals.summed(
        [{"records": 1, "lines": 1, "subtotalYen": 500, "taxYen": 50, "totalYen": 550}]
    )
    superseded = {"version": 1, "key": "charges/2026-08/v1/old.csv", "sha256": "old", "lines": 0}
    made = [
        charges.manifest(
            month="2026-08",
            decision=charges.decide((1, 0, "old"), 1, sha),
            totals=totals,
            sha256=sha,
            size=len(body),
            run_id="run-1",
            superseded=superseded,
        )
        for _ in range(2)
    ]
    assert made[0] == made[1]
    manifest = json.loads(made[0])
    assert manifest["version"] == 2 and manifest["key"] == f"charges/2026-08/v2/{sha}.csv"
    assert manifest["supersedes"] == {
        "version": 1,
        "key": "charges/2026-08/v1/old.csv",
        "manifestKey": "charges/2026-08/v1/manifest.json",
        "sha256": "old",
        "reason": "LEDGER_GREW",
        "addedLines": 1,
    }
    assert manifest["records"] == 1 and manifest["totalYen"] == 550 and manifest["sha256"] == sha


def test_keys() -> None:
    assert charges.version_of(charges.manifest_key("2026-08", 12)) == 12
    assert charges.version_of(charges.csv_key("2026-08", 2, "ab" * 32)) is None
    assert charges.part_key("2026-08", "run", 3, 7) == "staging/2026-08/run/part-03-000007.csv"
    assert sorted([charges.part_key("m", "r", 10, 0), charges.part_key("m", "r", 2, 11)])[0].endswith(
        "part-02-000011.csv"
    )


# --- a record and its row --------------------------------------------------------------------


def record(account: str, *pairs: tuple[str, int]) -> charges.Record:
    return charges.record_of(Line(account, "2026-08", contract, amount) for contract, amount in pairs)


def test_a_row_parses_back_to_its_record() -> None:
    one = record("MC-1", ("ctr-a", 500), ("ctr-b", 500))
    assert charges.parse(one.csv()) == one
    assert charges.parse(one.csv().decode()) == one
    for broken in (b"MC-1,2026-08,2,ctr-a:500,500,50,550\n", b"MC-1,2026-08,1,ctr-a,500,50,550\n", b"a,b\n"):
        with pytest.raises(ValueError):
            charges.parse(broken)


def test_an_account_that_gains_a_line_has_its_whole_record_again_never_lower() -> None:
    """R13, tax once per invoice: a later version shows the account's record whole, every line
    it had and the new one, its subtotal, tax and total recomputed; none of them ever goes down."""
    for count in range(1, 60):
        before = record("MC-1", *((f"ctr-{n:03d}", 500) for n in range(count)))
        after = record("MC-1", *((f"ctr-{n:03d}", 500) for n in range(count + 1)))
        assert set(before.lines) < set(after.lines)
        assert (after.subtotal, after.tax, after.total) > (before.subtotal, before.tax, before.total)
        assert after.tax >= before.tax
