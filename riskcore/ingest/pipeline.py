"""One ledger file end to end: read -> map -> parse -> validate -> (store).

Used by the command line and, later, the data page, so that both report the same figures.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Final

import pandas as pd

from riskcore.ingest.parse import Issue, parse_amounts, parse_ledger
from riskcore.ingest.read import DroppedRow, RawTable, ReadError, read_table
from riskcore.ingest.schema import LOAN_FIELD_BY_NAME, ColumnMapping, FieldSpec, map_columns
from riskcore.ingest.validate import validate_loans
from riskcore.store import LedgerStore, MappingProfile, SnapshotRecord

__all__ = [
    "LedgerReport", "Reconciliation", "check_ledger", "import_ledger", "infer_as_of", "infer_branch", "store_report",
]


@dataclass(frozen=True, slots=True)
class Reconciliation:
    """Loaded rows against the file's own total row, for one amount column (in yuan)."""

    field: str
    column: str
    loaded: float
    total_row: float
    difference: float
    matches: bool


@dataclass(frozen=True, slots=True)
class LedgerReport:
    """Everything an analyst needs to judge one file; ``frame`` is None when unreadable."""

    file: str
    format: str | None
    encoding: str | None
    sheet: str | None
    header_row: int | None
    rows: int
    dropped_rows: tuple[DroppedRow, ...]
    mapping: ColumnMapping | None
    sums: dict[str, float]
    reconciliation: tuple[Reconciliation, ...]
    issues: tuple[Issue, ...]
    frame: pd.DataFrame | None = field(default=None, repr=False)
    as_of: pd.Timestamp | None = None
    as_of_source: str | None = None
    #: Name of the saved mapping profile applied, if any.
    profile: str | None = None
    #: The file's headers as read (blank ones named after their column letter).
    headers: tuple[str, ...] = ()
    #: Where the branch came from: "column", "argument" (given for the file), "file_name"
    #: (QD02_2024-11_….xlsx), or None when no branch is known (a ``missing_branch`` error).
    branch_source: str | None = None
    #: Every sheet of a workbook (to offer a choice); empty for CSV.
    sheets: tuple[str, ...] = ()
    #: The first rows as read (text cells, Excel row numbers), to show next to the mapping.
    preview: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def has_errors(self) -> bool:
        """True when any issue is an error."""
        return any(i.severity == "error" for i in self.issues)


def _reconcile(
    raw: RawTable, mapping: ColumnMapping, frame: pd.DataFrame, by_name: Mapping[str, FieldSpec] = LOAN_FIELD_BY_NAME
) -> tuple[Reconciliation, ...]:
    if raw.totals.empty:
        return ()
    found = []
    grand = raw.totals.iloc[[-1]]  # the last total row is the grand total
    for header, name in mapping.columns.items():
        if by_name[name].kind != "amount":
            continue
        value, bad = parse_amounts(grand[header], mapping.scales.get(header, 1.0))
        if bad.any() or value.isna().all():
            continue
        loaded = float(frame[name].sum())
        total = float(value.iloc[0])
        diff = loaded - total
        # Totals are printed rounded; accept half a cent per row, or 1e-6 of the total.
        tolerance = max(0.005 * len(frame) * mapping.scales.get(header, 1.0), 1e-6 * abs(total))
        found.append(Reconciliation(name, header, loaded, total, diff, abs(diff) <= tolerance))
    return tuple(found)


_TITLE_DATE: Final = re.compile(r"(\d{4})\s*[年/.-]\s*(\d{1,2})\s*[月/.-]\s*(\d{1,2})")
_NAME_MONTH: Final = re.compile(r"(20\d{2})[-_.年]?(0[1-9]|1[0-2])(?!\d)")


def infer_as_of(raw: RawTable, as_of: Any = None) -> tuple[pd.Timestamp | None, str | None]:
    """The file's snapshot date when it has no date column: the ``as_of`` given, else a full
    date in the title (…（2024年11月30日）), else a year-month in the file name taken as
    that month's end (QD02_2024-11_….xlsx -> 2024-11-30). Returns (date, source)."""
    if as_of is not None:
        return pd.Timestamp(as_of).normalize(), "argument"
    match = _TITLE_DATE.search(raw.title or "")
    if match:
        try:
            return pd.Timestamp(int(match[1]), int(match[2]), int(match[3])), "title"
        except ValueError:
            pass
    match = _NAME_MONTH.search(raw.file)
    if match:
        return pd.Timestamp(int(match[1]), int(match[2]), 1) + pd.offsets.MonthEnd(0), "file_name"
    return None, None


ProfileLookup = Callable[[Sequence[str]], MappingProfile | None]


_NAME_BRANCH: Final = re.compile(r"^([A-Za-z]{1,6}\d{1,6})(?=[_\-. ])")


def infer_branch(raw: RawTable, branch: str | None = None) -> tuple[str | None, str | None]:
    """The branch of a file without a branch column: ``branch`` if given, else a branch
    code leading the file name (QD02_2024-11_贷款台账.xlsx -> QD02), as branches name their
    monthly exports. Returns (branch id, source)."""
    if branch:
        return branch, "argument"
    match = _NAME_BRANCH.match(raw.file.rsplit("/", 1)[-1])
    if match:
        return match[1].upper(), "file_name"
    return None, None


def _best_sheet(data: bytes, file: str, first: RawTable) -> RawTable:
    """The sheet whose headers map best onto the loan schema, when the first readable one
    misses required columns: workbooks often open with a summary (汇总) or notes (说明)
    sheet before the detail (明细). Ties keep the first; unreadable sheets are skipped."""
    best, missing = first, len(map_columns(list(first.frame.columns)).missing_required)
    for name in first.sheets:
        if missing == 0:
            break
        if name == first.sheet:
            continue
        try:
            other = read_table(data, file, sheet=name)
        except ReadError:
            continue
        other_missing = len(map_columns(list(other.frame.columns)).missing_required)
        if other_missing < missing:
            best, missing = other, other_missing
    return best


def check_ledger(
    data: bytes, file: str, *, profile: Mapping[str, str] | None = None, sheet: str | int | None = None,
    as_of: Any = None, profiles: ProfileLookup | None = None, branch: str | None = None,
) -> LedgerReport:
    """Read, map, parse and validate one file; never raises for a bad file: a file that
    cannot be read gives a report with one file-level error issue. Without a date column
    the snapshot date comes from :func:`infer_as_of`.

    ``profile`` maps headers explicitly; without it, ``profiles`` (e.g.
    :meth:`LedgerStore.find_profile`) is asked for a saved profile of this header layout,
    and the report names the profile it used."""
    try:
        raw = read_table(data, file, sheet=sheet)
    except ReadError as err:
        issue = Issue(file, err.params.get("sheet"), err.params.get("row"), None, None, err.code, "error", None,
                      dict(err.params))
        return LedgerReport(file, None, None, None, None, 0, (), None, {}, (), (issue,))
    if sheet is None and len(raw.sheets) > 1 and profile is None:
        raw = _best_sheet(data, file, raw)
    used: str | None = None
    if profile is None and profiles is not None:
        saved = profiles(list(raw.frame.columns))
        if saved is not None:
            profile, used = saved.mapping, saved.name or saved.layout[:8]
    mapping = map_columns(list(raw.frame.columns), profile)
    date, source = (None, "column") if "snapshot_date" in mapping.columns.values() else infer_as_of(raw, as_of)
    if date is not None:
        mapping = map_columns(list(raw.frame.columns), profile, given=["snapshot_date"])
    parsed = parse_ledger(raw, mapping)
    if date is not None:
        parsed.frame.insert(0, "snapshot_date", pd.Series(date, index=parsed.frame.index).astype("datetime64[us]"))
    parsed = validate_loans(raw, parsed, mapping.columns)
    frame = parsed.frame
    branch_id: str | None = None
    branch_source: str | None = "column"
    if "branch_id" not in frame or frame["branch_id"].isna().all():
        branch_id, branch_source = infer_branch(raw, branch)
        if branch_id is None:
            issue = Issue(file, raw.sheet, None, None, None, "missing_branch", "error", "branch_id")
            parsed = replace(parsed, issues=(*parsed.issues, issue))
        else:
            frame["branch_id"] = pd.Series(branch_id, index=frame.index, dtype="str")
    sums = {name: float(frame[name].sum()) for name in frame.columns if LOAN_FIELD_BY_NAME[name].kind == "amount"}
    return LedgerReport(
        file=file, format=raw.format, encoding=raw.encoding, sheet=raw.sheet, header_row=raw.header_row,
        rows=len(frame), dropped_rows=raw.dropped_rows, mapping=mapping, sums=sums,
        reconciliation=_reconcile(raw, mapping, frame), issues=parsed.issues, frame=frame,
        as_of=date if date is not None else _single_date(frame), as_of_source=source if date is not None else "column",
        profile=used, headers=tuple(raw.frame.columns), sheets=raw.sheets, preview=raw.frame.head(5),
        branch_source=branch_source,
    )


def _single_date(frame: pd.DataFrame) -> pd.Timestamp | None:
    dates = frame["snapshot_date"].dropna().unique() if "snapshot_date" in frame else []
    return pd.Timestamp(dates[0]) if len(dates) == 1 else None


def import_ledger(
    store: LedgerStore, data: bytes, file: str, *, branch: str | None = None,
    profile: Mapping[str, str] | None = None, uploaded_by: str = "", as_of: Any = None,
    sheet: str | int | None = None,
) -> tuple[LedgerReport, list[SnapshotRecord]]:
    """Store the bytes first, then check; a book without errors becomes one snapshot per
    (branch, snapshot date) in it. ``branch`` fills a missing branch column. Without an
    explicit ``profile``, a mapping profile saved in the store for this layout applies."""
    stored = store.put_file(data, file, uploaded_by=uploaded_by)
    report = check_ledger(data, file, profile=profile, as_of=as_of, profiles=store.find_profile, sheet=sheet,
                          branch=branch)
    return store_report(store, report, stored.sha256, branch=branch)


def store_report(
    store: LedgerStore, report: LedgerReport, sha256: str, *, branch: str | None = None
) -> tuple[LedgerReport, list[SnapshotRecord]]:
    """Store a checked file (its bytes already kept with :meth:`LedgerStore.put_file`) as one
    snapshot per (branch, snapshot date); nothing is stored when the report has errors.
    Without a branch column, ``branch`` names the branch, else the report gains a
    ``missing_branch`` error."""
    if report.has_errors or report.frame is None:
        return report, []
    frame = report.frame.copy()
    if "branch_id" not in frame or frame["branch_id"].isna().all():
        if not branch:
            issue = Issue(report.file, report.sheet, None, None, None, "missing_branch", "error", "branch_id")
            return replace(report, issues=(*report.issues, issue)), []
        frame["branch_id"] = branch
    records = []
    for (branch_id, as_of), part in frame.groupby(["branch_id", "snapshot_date"], sort=True):
        records.append(store.add_snapshot(sha256, str(branch_id), as_of, part.reset_index(drop=True)))
    return report, records

