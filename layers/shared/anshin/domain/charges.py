"""The month's charge file for the carrier's billing system (R12, R13): pure.

One CSV record per mobile account and month, the account's contract lines in one field, the
invoice's subtotal, tax (once per invoice, R13) and total in yen; UTF-8, ``\\n`` line ends, a
header row. Records are ordered by account shard, then account id (the order the export reads
them in), and the file holds no timestamp: the same month and the same lines give the same bytes.

Each month's exports are versions: ``charges/<month>/v<N>/charges.csv`` and its
``manifest.json``. A version is written once and never overwritten; an export whose bytes equal
the latest version's is that version again, and one that differs is the next version, whose
manifest names the one it supersedes (a correction).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

from anshin.domain.billing_rules import Line, invoice

#: The file's columns, in order (README, "The month's charge file").
COLUMNS = (
    "mobile_contract_id",
    "billing_month",
    "line_count",
    "contract_lines",
    "subtotal_yen",
    "tax_yen",
    "total_yen",
)
HEADER = (",".join(COLUMNS) + "\n").encode("utf-8")
#: The manifest's format name; a consumer checks it before reading the fields.
FORMAT = "anshin-charges/1"
_SAFE = re.compile(r"^[A-Za-z0-9._:-]+$")


@dataclass(frozen=True)
class Record:
    """One account's charges for one month (one CSV record)."""

    mobile_contract_id: str
    month: str
    lines: tuple[tuple[str, int], ...]  # (contractId, amount), by contract id
    subtotal: int
    tax: int
    total: int

    def csv(self) -> bytes:
        """The record's CSV row. Ids are checked to need no quoting, so no field is ever quoted."""
        for text in (self.mobile_contract_id, self.month, *(c for c, _ in self.lines)):
            if not _SAFE.match(text):
                raise ValueError(f"unexpected characters in a charge file field: {text!r}")
        contract_lines = ";".join(f"{contract}:{amount}" for contract, amount in self.lines)
        fields = (self.mobile_contract_id, self.month, len(self.lines), contract_lines)
        return (",".join(map(str, (*fields, self.subtotal, self.tax, self.total))) + "\n").encode("utf-8")


def parse(row: bytes | str) -> Record:
    """The record a CSV row of the file is (the inverse of :meth:`Record.csv`); a row that is not
    one, or whose line count disagrees with its lines, is refused."""
    text = row.decode("utf-8") if isinstance(row, bytes) else row
    fields = text.rstrip("\n").split(",")
    if len(fields) != len(COLUMNS):
        raise ValueError(f"a charge file row has {len(COLUMNS)} fields, this one {len(fields)}")
    account, month, count, contract_lines, subtotal, tax, total = fields
    pairs = [pair.rsplit(":", 1) for pair in contract_lines.split(";")] if contract_lines else []
    if any(len(pair) != 2 for pair in pairs) or len(pairs) != int(count):
        raise ValueError("a charge file row whose contract lines disagree with its line count")
    lines = tuple((contract, int(amount)) for contract, amount in pairs)
    return Record(account, month, lines, int(subtotal), int(tax), int(total))


def record_of(lines: Iterable[Line]) -> Record:
    """The record of one account's lines for one month, amounts from the billing rules."""
    ordered = sorted(lines)
    if not ordered or len({(x.mobile_contract_id, x.month) for x in ordered}) != 1:
        raise ValueError("a record holds the lines of one account and month")
    amounts = invoice(ordered)
    return Record(
        ordered[0].mobile_contract_id,
        ordered[0].month,
        tuple((x.contract_id, x.amount) for x in ordered),
        amounts["subtotal"],
        amounts["tax"],
        amounts["total"],
    )


def records(lines: Iterable[Line]) -> Iterator[Record]:
    """The records of lines already in (account, contract) order, one per account (streamed)."""
    for _, group in groupby(lines, key=lambda x: (x.mobile_contract_id, x.month)):
        yield record_of(group)


@dataclass
class Totals:
    """What a part (or the whole file) holds: records, lines and yen."""

    records: int = 0
    lines: int = 0
    subtotal: int = 0
    tax: int = 0
    total: int = 0

    def add(self, record: Record) -> None:
        self.records += 1
        self.lines += len(record.lines)
        self.subtotal += record.subtotal
        self.tax += record.tax
        self.total += record.total

    def as_dict(self) -> dict[str, int]:
        return {
            "records": self.records,
            "lines": self.lines,
            "subtotalYen": self.subtotal,
            "taxYen": self.tax,
            "totalYen": self.total,
        }

    @classmethod
    def summed(cls, parts: Iterable[dict[str, Any]]) -> Totals:
        totals = cls()
        for part in parts:
            totals.records += int(part.get("records", 0))
            totals.lines += int(part.get("lines", 0))
            totals.subtotal += int(part.get("subtotalYen", 0))
            totals.tax += int(part.get("taxYen", 0))
            totals.total += int(part.get("totalYen", 0))
        return totals


# --- what a new version changes in the one it would supersede --------------------------------------
#: How many removed or changed lines a comparison lists by id (the counts are always complete).
EXAMPLES = 20


@dataclass
class Changes:
    """What the month's new bytes change in its latest version, line by line (R13). Lines only
    ever get added by billing (a line is written once and never changed), so a new version that
    keeps every line of the old one with its amount is a billing re-run that charged more; a
    line gone or changed is something else, which waits for an operator's word."""

    added_accounts: int = 0
    added_lines: int = 0
    removed_accounts: int = 0
    removed_lines: int = 0
    changed_lines: int = 0
    #: Records whose total went down with their lines kept (the tax, say): a charge reduced (R13).
    lowered_totals: int = 0
    #: The first removed or changed lines: account, contract, amount before, amount after (None: gone).
    examples: list[dict[str, Any]] = field(default_factory=list)

    @property
    def keeps_every_line(self) -> bool:
        return self.removed_lines == 0 and self.changed_lines == 0 and self.lowered_totals == 0

    def _lost(self, account: str, contract: str, before: int, after: int | None) -> None:
        if after is None:
            self.removed_lines += 1
        else:
            self.changed_lines += 1
        if len(self.examples) < EXAMPLES:
            self.examples.append(
                {"mobileContractId": account, "contractId": contract, "beforeYen": before, "afterYen": after}
            )

    def counts(self) -> dict[str, int]:
        return {
            "addedAccounts": self.added_accounts,
            "addedLines": self.added_lines,
            "removedAccounts": self.removed_accounts,
            "removedLines": self.removed_lines,
            "changedLines": self.changed_lines,
            "loweredTotals": self.lowered_totals,
        }


def _in_order(records: Iterable[Record], position: Callable[[str], Any], which: str) -> Iterator[Record]:
    last: Any = None
    for record in records:
        here = position(record.mobile_contract_id)
        if last is not None and not last < here:
            raise ValueError(f"the {which} file is not in the file's order at {record.mobile_contract_id}")
        last = here
        yield record


def changes(old: Iterable[Record], new: Iterable[Record], position: Callable[[str], Any]) -> Changes:
    """Compare two versions of a month's file record by record, streaming (a merge of two files in
    the same order: ``position`` of an account is its place in the file, account shard then id);
    neither file is ever held whole. Raises if either is out of order (a merge would be wrong)."""
    found = Changes()
    olds, news = _in_order(old, position, "old"), _in_order(new, position, "new")
    before, after = next(olds, None), next(news, None)
    while before is not None or after is not None:
        if after is None or (
            before is not None and position(before.mobile_contract_id) < position(after.mobile_contract_id)
        ):
            assert before is not None
            found.removed_accounts += 1
            for contract, amount in before.lines:
                found._lost(before.mobile_contract_id, contract, amount, None)
            before = next(olds, None)
        elif before is None or position(after.mobile_contract_id) < position(before.mobile_contract_id):
            found.added_accounts += 1
            found.added_lines += len(after.lines)
            after = next(news, None)
        else:
            now = dict(after.lines)
            for contract, amount in before.lines:
                if now.get(contract) != amount:
                    found._lost(before.mobile_contract_id, contract, amount, now.get(contract))
            found.added_lines += len(set(now) - {contract for contract, _ in before.lines})
            if after.total < before.total:
                found.lowered_totals += 1
            before, after = next(olds, None), next(news, None)
    return found


# --- where the files are ------------------------------------------------------------------------
def month_prefix(month: str) -> str:
    return f"charges/{month}/"


def csv_key(month: str, version: int) -> str:
    return f"charges/{month}/v{version}/charges.csv"


def manifest_key(month: str, version: int) -> str:
    return f"charges/{month}/v{version}/manifest.json"


def version_of(key: str) -> int | None:
    """The version a manifest key names (``charges/<month>/v<N>/manifest.json``), else None."""
    match = re.match(r"^charges/\d{4}-\d{2}/v(\d+)/manifest\.json$", key)
    return int(match.group(1)) if match else None


def review_key(month: str, run_id: str) -> str:
    """Where a run that may not make its bytes a version by itself says why (NEEDS_CORRECTION):
    kept (no lifecycle rule), for the operator who decides."""
    return f"reviews/{month}/{run_id}.json"


def staging_prefix(month: str, run_id: str) -> str:
    """Where one run's parts and assembled file wait before they become a version (a lifecycle
    rule removes what a failed run leaves)."""
    return f"staging/{month}/{run_id}/"


def part_key(month: str, run_id: str, shard: int, page: int) -> str:
    """One page of one shard's records: the fixed order of the parts is the order of their keys."""
    return part_key_in(staging_prefix(month, run_id), shard, page)


def part_key_in(staging: str, shard: int, page: int) -> str:
    return f"{staging}part-{shard:02d}-{page:06d}.csv"


# --- versions -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Decision:
    """What an export does: keep the latest version (same bytes) or write the next one."""

    version: int
    new: bool
    supersedes: int | None


#: Why a version supersedes another when no operator said why: billing ran the month again and
#: charged more (a contract set aside, then repaired; lines are only ever added, R13).
RERUN = "BILLING_RERUN"
#: An export's outcomes: a new version, the latest version again, or bytes that would remove or
#: change a line of the latest version, which become a version only on an operator's correction.
CREATED, UNCHANGED, NEEDS_CORRECTION = "CREATED", "UNCHANGED", "NEEDS_CORRECTION"


def decide(latest: tuple[int, str] | None, sha256: str) -> Decision:
    """The version an export of bytes with ``sha256`` is, given the month's latest version
    (number, its file's SHA-256) if any: equal bytes are that version again (nothing written);
    other bytes are the next version, a correction superseding it whole. Never an overwrite."""
    if latest is None:
        return Decision(1, True, None)
    version, latest_sha = latest
    if latest_sha == sha256:
        return Decision(version, False, None)
    return Decision(version + 1, True, version)


def manifest(
    *,
    month: str,
    decision: Decision,
    totals: Totals,
    sha256: str,
    size: int,
    run_id: str,
    superseded_sha256: str | None,
    correction: str | None = None,
    changed: dict[str, int] | None = None,
) -> bytes:
    """The manifest's bytes: sorted keys, no timestamp; ``runId`` is the run that wrote the
    version (a later run of the same bytes writes nothing, so the manifest stays as it was)."""
    body: dict[str, Any] = {
        "format": FORMAT,
        "month": month,
        "version": decision.version,
        "key": csv_key(month, decision.version),
        "columns": list(COLUMNS),
        "records": totals.records,
        "lines": totals.lines,
        "subtotalYen": totals.subtotal,
        "taxYen": totals.tax,
        "totalYen": totals.total,
        "currency": "JPY",
        "bytes": size,
        "sha256": sha256,
        "runId": run_id,
        "supersedes": None
        if decision.supersedes is None
        else {
            "version": decision.supersedes,
            "key": csv_key(month, decision.supersedes),
            "manifestKey": manifest_key(month, decision.supersedes),
            "sha256": superseded_sha256,
            # Why: the operator's reason. The new version replaces the one it supersedes whole
            # (every account of the month), it is not a delta to add to it.
            "reason": correction,
            # What it changes in the superseded version, line by line (Changes.counts).
            "changes": changed,
        },
    }
    return (json.dumps(body, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
