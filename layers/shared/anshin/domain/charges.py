"""The month's charge file for the carrier's billing system (R12, R13): pure.

One CSV record per mobile account and month, the account's contract lines in one field, the
invoice's subtotal, tax (once per invoice, R13) and total in yen; UTF-8, ``\\n`` line ends, a
header row. Records are ordered by account shard, then account id (the order the export reads
them in), and the file holds no timestamp: the same lines give the same bytes.

The file is a projection of the ledger (anshin.store.invoices): the month's lines, appended
only. Each month's exports are versions: ``charges/<month>/v<N>/<sha256>.csv`` and its
``manifest.json``, the manifest written after the file it names. A new version is written only
when the ledger holds lines the latest version lacks, so it holds every line of every earlier
version by construction; an account that gained a line appears with its whole record again (all
its lines, its subtotal, tax and total recomputed: tax is per invoice), and the new version
replaces the one it supersedes whole.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
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


# --- where the files are ------------------------------------------------------------------------
def month_prefix(month: str) -> str:
    return f"charges/{month}/"


def csv_key(month: str, version: int, sha256: str) -> str:
    """The file of a version, named by its bytes' SHA-256: written before the manifest that
    names it, so two runs racing for one version never write one key with different bytes, and
    a version's manifest never names a file that is not there."""
    return f"charges/{month}/v{version}/{sha256}.csv"


def manifest_key(month: str, version: int) -> str:
    return f"charges/{month}/v{version}/manifest.json"


def version_of(key: str) -> int | None:
    """The version a manifest key names (``charges/<month>/v<N>/manifest.json``), else None."""
    match = re.match(r"^charges/\d{4}-\d{2}/v(\d+)/manifest\.json$", key)
    return int(match.group(1)) if match else None


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
    """What an export does: keep the latest version (the ledger holds no line it lacks) or write
    the next one."""

    version: int
    new: bool
    supersedes: int | None


#: Why a version supersedes another: the ledger holds lines it lacks (billing ran the month again
#: and charged a contract set aside before, or a recording appended lines late, R12, R13).
LEDGER_GREW = "LEDGER_GREW"
#: An export's outcomes: a new version, or the latest version again.
CREATED, UNCHANGED = "CREATED", "UNCHANGED"


class LedgerBehind(RuntimeError):
    """The export read fewer lines than the month's latest version holds: the index the export
    reads has not caught up with the ledger (it only ever grows). Exporting again after a wait
    finds them."""


class LedgerChanged(RuntimeError):
    """The export read as many lines as the latest version holds, and different bytes: a line
    was changed, which the ledger's grants forbid. Never written as a version."""


def decide(latest: tuple[int, int, str] | None, lines: int, sha256: str) -> Decision:
    """The version an export of ``lines`` ledger lines with ``sha256`` is, given the month's
    latest version (number, its lines, its file's SHA-256) if any. The ledger is append-only, so
    the same number of lines is the same lines: that version again. More lines are the next
    version, superseding it whole. Fewer, or the same number with other bytes, are refused."""
    if latest is None:
        return Decision(1, True, None)
    version, latest_lines, latest_sha = latest
    if lines < latest_lines:
        raise LedgerBehind(f"{lines} lines read, version {version} holds {latest_lines}")
    if lines == latest_lines:
        if sha256 != latest_sha:
            raise LedgerChanged(f"version {version}'s {lines} lines read back as other bytes")
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
    superseded: dict[str, Any] | None,
) -> bytes:
    """The manifest's bytes: sorted keys, no timestamp; ``runId`` is the run that wrote the
    version (a later run of the same lines writes nothing, so the manifest stays as it was).
    ``superseded``: the latest version's manifest, when this one supersedes it."""
    body: dict[str, Any] = {
        "format": FORMAT,
        "month": month,
        "version": decision.version,
        "key": csv_key(month, decision.version, sha256),
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
        if superseded is None
        else {
            "version": int(superseded["version"]),
            "key": str(superseded["key"]),
            "manifestKey": manifest_key(month, int(superseded["version"])),
            "sha256": str(superseded["sha256"]),
            # Why: the ledger holds lines the superseded version lacks. This version replaces it
            # whole (every account of the month, an account that gained a line with its whole
            # record); it is not a delta to add to it.
            "reason": LEDGER_GREW,
            "addedLines": totals.lines - int(superseded["lines"]),
        },
    }
    return (json.dumps(body, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
