"""Row-level checks of a parsed loan ledger beyond parsing (DOMAIN.md §1-2).

Errors block storing the book; warnings are shown but do not. Every finding names the
file, sheet, Excel row and the original header of the column it concerns.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import pandas as pd

from riskcore.ingest.parse import Issue, ParsedLedger, Severity
from riskcore.ingest.read import RawTable
from riskcore.portfolio import dpd_floor

__all__ = ["flagged_cells", "validate_loans", "INCLUSIVE_CREDIT_CAP"]

#: 普惠型小微企业贷款: single-borrower credit line <= CNY 10 million (DOMAIN.md §1.7).
INCLUSIVE_CREDIT_CAP: Final[float] = 10_000_000.0


def flagged_cells(
    raw: RawTable, header: Mapping[str, str], mask: pd.Series, field: str, code: str, severity: Severity,
    **params: object,
) -> list[Issue]:
    """One :class:`Issue` per row where ``mask`` is True, located at the original column of
    canonical ``field`` (``header``: canonical -> original) with the cell's text as value."""
    col = header.get(field)
    return [
        Issue(raw.file, raw.sheet, int(row), col, None if col is None else str(raw.frame.at[row, col]),
              code, severity, field, dict(params))
        for row in mask.index[mask.fillna(False).to_numpy(dtype=bool)]
    ]


def validate_loans(raw: RawTable, parsed: ParsedLedger, columns: Mapping[str, str]) -> ParsedLedger:
    """Add the ledger rules' findings to ``parsed`` (``columns``: original header -> canonical).

    Errors: negative balance or loan amount, duplicate loan id within one snapshot,
    maturity before origination. Warnings: balance above loan amount, reported class
    better than its DPD floor (2023 Measures), inclusive-SME flag inconsistent with the
    credit line (<= 10 million and small/micro size).
    """
    f = parsed.frame
    header = {canonical: original for original, canonical in columns.items()}
    found: list[Issue] = []

    def add(mask: pd.Series, field: str, code: str, severity: Severity, **params: object) -> None:
        found.extend(flagged_cells(raw, header, mask, field, code, severity, **params))

    if "balance" in f:
        add(f["balance"] < 0, "balance", "negative_amount", "error")
    if "loan_amount" in f:
        add(f["loan_amount"] < 0, "loan_amount", "negative_amount", "error")
    if "loan_id" in f:
        keys = [c for c in ("snapshot_date", "loan_id") if c in f]
        dup = f.duplicated(subset=keys, keep="first") & f["loan_id"].notna()
        first_row = f.reset_index().groupby(keys, dropna=False)["row"].transform("min").set_axis(f.index)
        for row in f.index[dup.to_numpy()]:
            found.append(Issue(raw.file, raw.sheet, int(row), header.get("loan_id"), str(f.at[row, "loan_id"]),
                               "duplicate_loan_id", "error", "loan_id", {"first_row": int(first_row[row])}))
    if {"origination_date", "maturity_date"} <= set(f):
        add(f["maturity_date"] < f["origination_date"], "maturity_date", "maturity_before_origination", "error")
    if {"balance", "loan_amount"} <= set(f):
        add(f["balance"] > f["loan_amount"] + 0.005, "balance", "balance_above_amount", "warning")
    if {"five_class", "dpd"} <= set(f):
        floor = pd.Series(dpd_floor(f["dpd"].astype("float64").to_numpy()), index=f.index)
        better = f["five_class"].astype("float64") < floor
        for row in f.index[better.fillna(False).to_numpy(dtype=bool)]:
            found.append(Issue(raw.file, raw.sheet, int(row), header.get("five_class"),
                               str(raw.frame.at[row, header["five_class"]]), "class_better_than_floor", "warning",
                               "five_class", {"dpd": int(f.at[row, "dpd"]), "floor": int(floor[row])}))
    if {"is_inclusive", "credit_limit"} <= set(f):
        small = f["enterprise_size"].isin(["small", "micro"]) if "enterprise_size" in f else pd.Series(True, index=f.index)
        expected = (f["credit_limit"] <= INCLUSIVE_CREDIT_CAP) & small
        known = f["is_inclusive"].notna() & f["credit_limit"].notna()
        mismatch = known & (f["is_inclusive"].astype("boolean") != expected)
        add(mismatch, "is_inclusive", "inclusive_flag_mismatch", "warning", cap=INCLUSIVE_CREDIT_CAP)

    issues = sorted([*parsed.issues, *found], key=lambda i: (i.row or 0, i.column or "", i.code))
    return ParsedLedger(frame=f, issues=tuple(issues))
