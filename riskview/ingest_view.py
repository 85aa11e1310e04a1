"""Tables of the data page: ledger reports, problems, mappings and stored snapshots as the
analyst reads them, in Chinese or English.

Pure pandas (no Streamlit), so every table the page shows is unit-tested here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final, Literal

import pandas as pd

from riskcore.ingest.parse import Issue
from riskcore.ingest.pipeline import LedgerReport
from riskcore.ingest.borrowers import BORROWER_FIELDS
from riskcore.ingest.schema import LOAN_FIELDS, FieldSpec
from riskcore.store import BorrowerBatchRecord, SnapshotRecord
from riskview.i18n import code_label, field_label, issue_text, t

__all__ = [
    "FileStatus",
    "file_status",
    "files_table",
    "issues_table",
    "issue_counts",
    "mapping_table",
    "mapping_from_table",
    "field_option",
    "field_options",
    "dropped_table",
    "reconciliation_table",
    "snapshots_table",
    "borrower_batches_table",
    "fields_of",
]

FileStatus = Literal["unreadable", "errors", "ready", "imported", "recognised"]
TableKind = Literal["loans", "borrowers"]
_SEVERITY_ORDER: Final = {"error": 0, "warning": 1}
Record = SnapshotRecord | BorrowerBatchRecord


def fields_of(kind: str) -> tuple[FieldSpec, ...]:
    """The canonical schema of a table kind: loan ledger or borrower financials."""
    return BORROWER_FIELDS if kind == "borrowers" else LOAN_FIELDS


def file_status(report: LedgerReport, records: Sequence[Record] | None = None) -> FileStatus:
    """Where a checked file stands: unreadable (no table), has errors, ready to import,
    imported (new snapshot), or recognised (the same file was already the snapshot)."""
    if report.frame is None:
        return "unreadable"
    if report.has_errors:
        return "errors"
    if records:
        return "recognised" if all(r.recognised for r in records) else "imported"
    return "ready"


def _counts(issues: Iterable[Issue]) -> tuple[int, int]:
    errors = warnings = 0
    for issue in issues:
        if issue.severity == "error":
            errors += 1
        else:
            warnings += 1
    return errors, warnings


def files_table(
    reports: Sequence[tuple[LedgerReport, Sequence[Record] | None, str]], lang: str | None
) -> pd.DataFrame:
    """One row per uploaded file (report, stored records, table kind): what kind of table,
    how it was read, how many rows, errors and its status."""
    rows = []
    for report, records, kind in reports:
        errors, warnings = _counts(report.issues)
        rows.append({
            t("col.file", lang): report.file,
            t("col.table", lang): t(f"table.{kind}", lang),
            t("col.format", lang): (report.format or "").upper(),
            t("col.encoding", lang): report.encoding or "",
            t("col.sheet", lang): report.sheet or "",
            t("col.header_row", lang): report.header_row,
            t("col.rows", lang): report.rows,
            t("col.dropped", lang): len(report.dropped_rows),
            t("col.as_of", lang): report.as_of.date().isoformat() if report.as_of is not None else "",
            t("col.errors", lang): errors,
            t("col.warnings", lang): warnings,
            t("col.status", lang): t(f"status.{file_status(report, records)}", lang),
        })
    return pd.DataFrame(rows)


def issues_table(issues: Sequence[Issue], lang: str | None) -> pd.DataFrame:
    """Every problem with its Excel row, original column, value, severity, problem name and
    full message; errors first, then by row. Codes stay in a hidden-able ``code`` column
    so the page can filter without parsing translated text."""
    ordered = sorted(issues, key=lambda i: (_SEVERITY_ORDER.get(i.severity, 2), i.row or 0, i.column or ""))
    return pd.DataFrame(
        {
            # A file-level problem (a missing column, no branch) has no row: "—", not <NA>.
            t("col.row", lang): ["—" if i.row is None else str(i.row) for i in ordered],
            t("col.column", lang): [i.column or "" for i in ordered],
            t("col.value", lang): [i.value or "" for i in ordered],
            t("col.severity", lang): [t(f"severity.{i.severity}", lang) for i in ordered],
            t("col.problem", lang): [code_label("problem", i.code, lang) for i in ordered],
            t("col.message", lang): [issue_text(i, lang) for i in ordered],
            "code": [i.code for i in ordered],
            "severity": [i.severity for i in ordered],
        }
    )


def issue_counts(issues: Sequence[Issue], lang: str | None) -> pd.DataFrame:
    """How many problems of each kind: errors first, then the most frequent."""
    if not issues:
        return pd.DataFrame(columns=[t("col.problem", lang), t("col.severity", lang), t("col.count", lang)])
    frame = pd.DataFrame({"code": [i.code for i in issues], "severity": [i.severity for i in issues]})
    counts = frame.value_counts().rename("count").reset_index()
    counts["order"] = counts["severity"].map(_SEVERITY_ORDER)
    counts = counts.sort_values(["order", "count", "code"], ascending=[True, False, True])
    return pd.DataFrame({
        t("col.problem", lang): [code_label("problem", c, lang) for c in counts["code"]],
        t("col.severity", lang): [t(f"severity.{s}", lang) for s in counts["severity"]],
        t("col.count", lang): counts["count"].to_numpy(),
    }).reset_index(drop=True)


def field_option(name: str, lang: str | None) -> str:
    """A canonical field as a choice in the mapping editor: ``loan_id · 借据号``."""
    if not name:
        return t("data.ignore", lang)
    label = field_label(name, "zh")
    return name if label == name else f"{name} · {label}"


def field_options(lang: str | None, fields: Sequence[FieldSpec] = LOAN_FIELDS) -> list[str]:
    """Every choice of the mapping editor: ignore, then the schema's fields (required first)."""
    ordered = sorted(fields, key=lambda f: not f.required)
    return [field_option("", lang), *(field_option(f.name, lang) for f in ordered)]


def mapping_table(report: LedgerReport, lang: str | None) -> pd.DataFrame:
    """The mapping as an editable table: original header, field it maps to, unit read from
    the header, and the first values of the column."""
    mapping = report.mapping
    columns: Mapping[str, str] = mapping.columns if mapping else {}
    units: Mapping[str, str] = mapping.unit_labels if mapping else {}
    preview = report.preview if report.preview is not None else pd.DataFrame()
    samples = []
    for header in report.headers:
        values = preview[header].head(3).tolist() if header in preview else []
        samples.append(" | ".join(str(v) for v in values if str(v)))
    return pd.DataFrame({
        t("col.original_header", lang): list(report.headers),
        t("col.maps_to", lang): [field_option(columns.get(h, ""), lang) for h in report.headers],
        t("col.unit", lang): [units.get(h, "") for h in report.headers],
        t("col.sample", lang): samples,
    })


def mapping_from_table(
    table: pd.DataFrame, lang: str | None, fields: Sequence[FieldSpec] = LOAN_FIELDS
) -> dict[str, str]:
    """The profile an edited mapping table stands for: header -> canonical name, "" to ignore."""
    by_option = {field_option(f.name, lang): f.name for f in fields}
    by_option[field_option("", lang)] = ""
    headers = table[t("col.original_header", lang)]
    choices = table[t("col.maps_to", lang)]
    return {str(h): by_option.get(str(c), "") if c is not None else "" for h, c in zip(headers, choices, strict=True)}


def dropped_table(report: LedgerReport, lang: str | None) -> pd.DataFrame:
    """Rows left out of the table: Excel row, why, and the total label when there is one."""
    return pd.DataFrame({
        t("col.row", lang): [d.row for d in report.dropped_rows],
        t("col.reason", lang): [code_label("reason", d.reason, lang) for d in report.dropped_rows],
        t("col.label", lang): [d.label for d in report.dropped_rows],
    })


def reconciliation_table(report: LedgerReport, lang: str | None) -> pd.DataFrame:
    """Loaded rows against the file's own total row, per amount column (yuan)."""
    rows = []
    for rec in report.reconciliation:
        verdict = (t("data.recon.match", lang) if rec.matches
                   else t("data.recon.differs", lang, diff=f"{rec.difference:,.2f}"))
        rows.append({
            t("col.column", lang): rec.column,
            t("col.loaded", lang): rec.loaded,
            t("col.total_row", lang): rec.total_row,
            t("col.result", lang): verdict,
        })
    return pd.DataFrame(rows)


def snapshots_table(snapshots: pd.DataFrame, lang: str | None) -> pd.DataFrame:
    """``LedgerStore.snapshots()`` for display: newest first, status translated, balance in 万元."""
    if snapshots.empty:
        return pd.DataFrame()
    ordered = snapshots.sort_values(["as_of", "branch_id", "id"], ascending=[False, True, False])
    superseded: Any = ordered["superseded_by"].astype("Int64")
    return pd.DataFrame({
        t("col.snapshot_id", lang): ordered["id"].to_numpy(),
        t("col.branch", lang): ordered["branch_id"].astype(str).to_numpy(),
        t("col.as_of", lang): pd.to_datetime(ordered["as_of"]).dt.strftime("%Y-%m-%d").to_numpy(),
        t("col.status", lang): [t(f"status.{s}", lang) for s in ordered["status"]],
        t("col.rows", lang): ordered["rows"].to_numpy(),
        t("col.balance_total", lang): (ordered["balance"].astype("float64") / 1e4).round(2).to_numpy(),
        t("col.file", lang): ordered["file"].astype(str).to_numpy(),
        t("col.superseded_by", lang): ["—" if pd.isna(v) else str(int(v)) for v in superseded],
        t("col.stored_at", lang): pd.to_datetime(ordered["created_at"]).dt.strftime("%Y-%m-%d %H:%M").to_numpy(),
    }).reset_index(drop=True)




def borrower_batches_table(batches: pd.DataFrame, lang: str | None) -> pd.DataFrame:
    """``LedgerStore.borrower_batches()`` for display: newest first, periods covered."""
    if batches.empty:
        return pd.DataFrame()
    ordered = batches.sort_values("id", ascending=False)
    return pd.DataFrame({
        t("col.batch_id", lang): ordered["id"].to_numpy(),
        t("col.file", lang): ordered["file"].astype(str).to_numpy(),
        t("col.rows", lang): ordered["rows"].to_numpy(),
        t("col.current_rows", lang): ordered["current_rows"].to_numpy(),
        t("col.periods", lang): [f"{a}–{b}" if a != b else f"{a}"
                                 for a, b in zip(ordered["first_period"], ordered["last_period"], strict=True)],
        t("col.stored_at", lang): pd.to_datetime(ordered["created_at"]).dt.strftime("%Y-%m-%d %H:%M").to_numpy(),
    }).reset_index(drop=True)
