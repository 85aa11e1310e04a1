"""Parsing a mapped ledger's text cells into typed canonical columns, collecting every
bad cell as an :class:`Issue` (never stopping at the first, never dropping a row silently).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import numpy as np
import pandas as pd

from riskcore.ingest.read import RawTable
from riskcore.ingest.schema import LOAN_FIELD_BY_NAME, ColumnMapping
from riskcore.objectives import LoanClass

__all__ = ["Issue", "ParsedLedger", "parse_ledger", "parse_amounts", "parse_dates", "parse_rates"]

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem, located as the analyst sees it: file, sheet, Excel row, original header.

    ``row`` is None for file-level problems (a missing column); ``canonical`` is the schema
    field the column maps to. ``code`` is a catalogue key
    the UI translates; ``params`` fills its placeholders.
    """

    file: str
    sheet: str | None
    row: int | None
    column: str | None
    value: str | None
    code: str
    severity: Severity
    canonical: str | None = None
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ParsedLedger:
    """Typed canonical columns (index = Excel row numbers) and every issue found."""

    frame: pd.DataFrame
    issues: tuple[Issue, ...]

    @property
    def has_errors(self) -> bool:
        """True when any issue is an error (the book must not be stored)."""
        return any(i.severity == "error" for i in self.issues)


_THOUSANDS: Final = re.compile(r"[,，\s]|元|万元")
_DATE_PARTS: Final = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T].*)?$")
_EXCEL_EPOCH: Final = pd.Timestamp("1899-12-30")
_TRUE: Final = {"是", "y", "yes", "true", "1", "√", "t", "是的"}
_FALSE: Final = {"否", "n", "no", "false", "0", "×", "f"}
_GUARANTEE: Final[dict[str, str]] = {
    "信用": "credit", "credit": "credit", "信用贷款": "credit", "unsecured": "credit",
    "保证": "guarantee", "担保": "guarantee", "guarantee": "guarantee", "保证担保": "guarantee", "guaranteed": "guarantee",
    "抵押": "mortgage", "mortgage": "mortgage", "抵押担保": "mortgage",
    "质押": "pledge", "pledge": "pledge", "质押担保": "pledge",
    "组合": "mixed", "混合": "mixed", "组合担保": "mixed", "mixed": "mixed", "combined": "mixed",
}
_SIZE: Final[dict[str, str]] = {
    "大": "large", "大型": "large", "large": "large", "中": "medium", "中型": "medium", "medium": "medium",
    "小": "small", "小型": "small", "small": "small", "微": "micro", "微型": "micro", "micro": "micro",
}


def _blank(s: pd.Series) -> pd.Series:
    return s.isna() | (s.astype("str").str.strip().isin(["", "-", "--", "—", "/", "nan", "NaN", "None"]))


def parse_amounts(s: pd.Series, scale: float = 1.0) -> tuple[pd.Series, pd.Series]:
    """Numbers with thousands separators, unit words and (123) negatives, times ``scale``.

    Returns (values, bad) where ``bad`` marks non-blank cells that are not numbers.
    """
    text = s.astype("str").str.normalize("NFKC").str.strip()  # full-width digits from IMEs
    negative = text.str.match(r"^\(.*\)$")
    cleaned = text.str.replace(_THOUSANDS, "", regex=True).str.strip("()（）").str.replace("−", "-")
    values = pd.to_numeric(cleaned.where(~_blank(s)), errors="coerce")
    values = values.where(~negative, -values) * scale
    return values.astype("float64"), ~_blank(s) & values.isna()


def parse_rates(s: pd.Series, scale: float | None = None) -> tuple[pd.Series, pd.Series]:
    """Annual rates as fractions: "4.35%" -> 0.0435, "3.6‰" -> 0.0036, a header scale
    (from "(%)" or "月利率(‰)") applies to plain numbers; a plain number >= 1 with no unit
    anywhere is read as a percentage (no SME loan costs 100 % a year)."""
    text = s.astype("str").str.normalize("NFKC").str.strip()
    pct = text.str.endswith("%")
    permille = text.str.endswith("‰")
    number, bad = parse_amounts(text.str.rstrip("%‰"))
    plain_scale = np.where(number >= 1.0, 0.01, 1.0) if scale is None else scale
    values = np.where(pct, number * 0.01, np.where(permille, number * 0.001, number * plain_scale))
    return pd.Series(values, index=s.index, dtype="float64"), bad


def parse_dates(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """2024-06-30, 2024/6/30, 2024.6.30, 2024年6月30日, 20240630 and Excel serial numbers."""
    text = s.astype("str").str.normalize("NFKC").str.strip()
    parts = text.str.extract(_DATE_PARTS)
    compact = text.str.extract(r"^(\d{4})(\d{2})(\d{2})$")
    parts = parts.fillna(compact)
    dates = pd.to_datetime(
        {"year": pd.to_numeric(parts[0], errors="coerce"), "month": pd.to_numeric(parts[1], errors="coerce"),
         "day": pd.to_numeric(parts[2], errors="coerce")},
        errors="coerce",
    )
    serial = pd.to_numeric(text.where(text.str.fullmatch(r"\d{4,5}(\.0+)?")), errors="coerce")
    from_serial = _EXCEL_EPOCH + pd.to_timedelta(serial.where(serial.between(1, 80_000)), unit="D")
    dates = dates.fillna(from_serial).astype("datetime64[us]")
    return dates, ~_blank(s) & dates.isna()


def _lookup(s: pd.Series, table: dict[str, str]) -> tuple[pd.Series, pd.Series]:
    key = s.astype("str").str.strip().str.lower().str.replace(r"\s+", "", regex=True)
    values = key.map(table).astype("str")  # labels not in the table become missing
    return values, ~_blank(s) & values.isna()


def _classes(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    def one(label: str) -> float:
        try:
            return float(LoanClass.from_label(label))
        except ValueError:
            return np.nan

    text = s.astype("str").str.strip()
    uniques = {u: one(u) for u in text.where(~_blank(s)).dropna().unique()}
    values = text.map(uniques).astype("float64")
    return values.astype("Int64"), ~_blank(s) & values.isna()


_BAD_CODE: Final[dict[str, str]] = {
    "amount": "bad_number", "rate": "bad_rate", "date": "bad_date", "int": "bad_integer",
    "bool": "bad_flag", "class": "unknown_class", "guarantee": "unknown_guarantee", "size": "unknown_size",
}


def parse_ledger(raw: RawTable, mapping: ColumnMapping) -> ParsedLedger:
    """Typed canonical columns from a raw table and its mapping, with every problem as an Issue.

    Errors: a required column missing (row None), a required cell empty, a cell that does
    not parse for its kind. Rows are kept (with the bad cell empty) so that every problem
    of the file is reported at once.
    """
    issues: list[Issue] = [
        Issue(raw.file, raw.sheet, None, None, None, "missing_column", "error", name)
        for name in mapping.missing_required
    ]
    out: dict[str, pd.Series] = {}
    for header, name in mapping.columns.items():
        spec = LOAN_FIELD_BY_NAME[name]
        cells = raw.frame[header]
        scale = mapping.scales.get(header)
        if spec.kind == "amount":
            values, bad = parse_amounts(cells, scale or 1.0)
        elif spec.kind == "rate":
            values, bad = parse_rates(cells, scale)
        elif spec.kind == "date":
            values, bad = parse_dates(cells)
        elif spec.kind == "int":
            number, bad = parse_amounts(cells)
            fractional = number.notna() & (number != np.floor(number))
            bad = bad | fractional
            values = number.where(~fractional).astype("Int64")
        elif spec.kind == "bool":
            key = cells.astype("str").str.strip().str.lower()
            values = pd.Series(pd.NA, index=cells.index, dtype="boolean")
            values[key.isin(_TRUE)] = True
            values[key.isin(_FALSE)] = False
            bad = ~_blank(cells) & values.isna()
        elif spec.kind == "class":
            values, bad = _classes(cells)
        elif spec.kind == "guarantee":
            values, bad = _lookup(cells, _GUARANTEE)
        elif spec.kind == "size":
            values, bad = _lookup(cells, _SIZE)
        else:
            values = cells.astype("str").str.strip().where(~_blank(cells))
            bad = pd.Series(False, index=cells.index)
        out[name] = values
        for row in bad[bad].index:
            issues.append(Issue(raw.file, raw.sheet, int(row), header, str(cells[row]), _BAD_CODE[spec.kind], "error", name))
        if spec.required:
            for row in cells.index[_blank(cells)]:
                issues.append(Issue(raw.file, raw.sheet, int(row), header, "", "missing_value", "error", name))
    frame = pd.DataFrame(out, index=raw.frame.index)
    issues.sort(key=lambda i: (i.row or 0, i.column or ""))
    return ParsedLedger(frame=frame, issues=tuple(issues))
