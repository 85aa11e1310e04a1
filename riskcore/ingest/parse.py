"""Parsing a mapped ledger's text cells into typed canonical columns, collecting every
bad cell as an :class:`Issue` (never stopping at the first, never dropping a row silently).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from collections.abc import Callable, Sequence
from typing import Any, Final, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from riskcore.ingest._text import large_text, normalised, trimmed
from riskcore.ingest.read import RawTable
from riskcore.ingest.schema import LOAN_FIELDS, ColumnMapping, FieldSpec
from riskcore.objectives import LoanClass

__all__ = [
    "Issue", "ParsedLedger", "parse_ledger", "parse_amounts", "parse_dates", "parse_rates", "parse_periods",
    "parse_shares", "TAX_RATINGS",
]

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


_BLANK_WORDS: Final = ["", "-", "--", "—", "/", "nan", "NaN", "None"]
_NUMBER: Final = r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"
# A unit written in the cell itself wins over the header's: "12万元" is 120,000 yuan.
_CELL_UNITS: Final = ((r"亿元?$", 1e8), (r"万元?$", 1e4), (r"千元$", 1e3), (r"元$", 1.0))
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
#: 纳税信用级别 (DOMAIN.md §1.9), best first: A > B > M > C > D.
TAX_RATINGS: Final[tuple[str, ...]] = ("A", "B", "M", "C", "D")
# Keys are lower-cased like every lookup key; exports write "A", "A级", "A类" or "A级纳税人".
_TAX_RATING: Final[dict[str, str]] = {
    f"{letter.lower()}{suffix}": letter for letter in TAX_RATINGS for suffix in ("", "级", "类", "级纳税人")
}


def _blank(s: pd.Series) -> pd.Series:
    return s.isna() | (s.astype("str").str.strip().isin(_BLANK_WORDS))


def _arrow_text(s: pd.Series) -> pa.Array:
    """Cells as Arrow strings, NFKC-normalised (full-width digits and brackets from Chinese
    input methods become ASCII) and trimmed; missing cells are null. Arrow's kernels keep a
    200,000-row column in milliseconds where Python string methods take a second."""
    return trimmed(normalised(large_text(s)))


def _arrow_blank(text: pa.Array) -> np.ndarray:
    return np.asarray(pc.fill_null(pc.is_in(text, value_set=pa.array(_BLANK_WORDS, text.type)), True))


def _mask(condition: pa.Array) -> np.ndarray:
    return np.asarray(pc.fill_null(condition, False), dtype=bool)


def _amounts(text: pa.Array, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """(values, parsed) for trimmed text: separators, brackets for negatives, cell units.

    Most ledgers hold plain numbers, so one cast tries the whole column first; only a
    column that fails it pays for the regular expressions."""
    plain = pc.if_else(pc.fill_null(pc.is_in(text, value_set=pa.array(_BLANK_WORDS, text.type)), True),
                       pa.scalar(None, text.type), text)
    try:
        values = pc.cast(plain, pa.float64()).to_numpy(zero_copy_only=False)
    except pa.ArrowInvalid:
        pass
    else:
        finite = np.isfinite(values)
        return np.where(finite, values * scale, np.nan), finite
    negative = _mask(pc.match_substring_regex(text, r"^\(.*\)$"))
    cleaned = text
    if pc.any(pc.match_substring_regex(text, r"[,，\s()]")).as_py():
        cleaned = pc.replace_substring_regex(cleaned, r"[,，\s()]", "")
    cleaned = pc.replace_substring(cleaned, "−", "-")
    factor = np.full(len(text), scale)
    for pattern, unit in _CELL_UNITS:
        has_unit = _mask(pc.match_substring_regex(cleaned, pattern))
        if has_unit.any():
            factor[has_unit] = unit
            cleaned = pc.replace_substring_regex(cleaned, pattern, "")
    parsed = _mask(pc.match_substring_regex(cleaned, _NUMBER))
    number = pc.cast(pc.if_else(pa.array(parsed), cleaned, pa.scalar(None, cleaned.type)), pa.float64())
    values = number.to_numpy(zero_copy_only=False)
    return np.where(negative, -values, values) * factor, parsed


def parse_amounts(s: pd.Series, scale: float = 1.0) -> tuple[pd.Series, pd.Series]:
    """Numbers with thousands separators, (123) negatives and unit words, times ``scale``
    (the header's unit); a unit in the cell itself ("12万元") takes precedence.

    Returns (values, bad) where ``bad`` marks non-blank cells that are not numbers.
    """
    text = _arrow_text(s)
    values, parsed = _amounts(text, scale)
    blank = _arrow_blank(text)
    values[blank] = np.nan
    return pd.Series(values, index=s.index, dtype="float64"), pd.Series(~blank & ~parsed, index=s.index)


def parse_rates(s: pd.Series, scale: float | None = None) -> tuple[pd.Series, pd.Series]:
    """Annual rates as fractions: "4.35%" -> 0.0435, "3.6‰" -> 0.0036, a header scale
    (from "(%)" or "月利率(‰)") applies to plain numbers; a plain number >= 1 with no unit
    anywhere is read as a percentage (no SME loan costs 100 % a year)."""
    text = _arrow_text(s)
    pct = _mask(pc.ends_with(text, "%"))
    permille = _mask(pc.ends_with(text, "‰"))
    number, parsed = _amounts(pc.utf8_rtrim(text, characters="%‰"), 1.0)
    blank = _arrow_blank(text)
    number[blank] = np.nan
    plain_scale = np.where(number >= 1.0, 0.01, 1.0) if scale is None else scale
    values = np.where(pct, number * 0.01, np.where(permille, number * 0.001, number * plain_scale))
    return pd.Series(values, index=s.index, dtype="float64"), pd.Series(~blank & ~parsed, index=s.index)


def _per_unique(
    s: pd.Series, parse: Callable[[pd.Series], tuple[pd.Series, pd.Series]]
) -> tuple[pd.Series, pd.Series]:
    """Run ``parse`` once per distinct cell text and spread the results back: a ledger's
    dates, classes and flags repeat, so 200,000 rows hold a few thousand values at most."""
    encoded = large_text(s).dictionary_encode()
    distinct = pd.Series([*encoded.dictionary.to_pylist(), ""], dtype="str")  # "" stands for missing cells
    codes = np.asarray(encoded.indices.fill_null(len(distinct) - 1))
    values, bad = parse(distinct)
    return (values.iloc[codes].set_axis(s.index), pd.Series(bad.to_numpy()[codes], index=s.index))


def _dates(s: pd.Series) -> tuple[pd.Series, pd.Series]:
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


def parse_dates(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """2024-06-30, 2024/6/30, 2024.6.30, 2024年6月30日, 20240630 and Excel serial numbers."""
    return _per_unique(s, _dates)


_CN_QUARTER: Final = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_PERIOD_YEAR: Final = re.compile(r"^(?:FY)?(\d{4})(?:\.0+|FY|年(?:度)?(?:末|年报|报)?(?:财务)?(?:报表|报告)?)?$")
_PERIOD_MONTH: Final = re.compile(r"^(\d{4})(?:[-/.年](\d{1,2})月?|(\d{2}))$")
_PERIOD_QUARTER: Final = re.compile(r"^(\d{4})[-/.年]?(?:Q|第)?([1-4一二三四])(?:季度|季)?(?:报表|报告)?$")
_PERIOD_QUARTER_FIRST: Final = re.compile(r"^Q([1-4])[-/.]?(\d{4})$")
_PERIOD_HALF: Final = re.compile(r"^(\d{4})[-/.年]?(?:H[12]|上半年|下半年|半年|中)(?:度|报|年报)?(?:报表|报告)?$")
_PERIOD_SERIAL: Final = re.compile(r"^\d{5}(?:\.0+)?$")
_PERIOD_DATE: Final = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T].*)?$|^(\d{4})(\d{2})(\d{2})$")
PeriodStatus = Literal["annual", "interim", "bad", "blank"]


def _one_period(cell: str) -> tuple[int | None, PeriodStatus]:
    """(year, status) of one report-period cell.

    Annual statements: 2023, 2023年, 2023年度, 2023年报, FY2023, 2023-12-31, 2023年12月31日,
    20231231, 2023-12, 202312, 2023Q4, 2023年第四季度 (a Q4 / December statement is the
    year-end one: Chinese statements are cumulative from January). Any other quarter,
    half-year or date is ``interim``; the canonical borrower table holds annual figures
    only, because revenue, profit and cash flow of a part year would distort every ratio."""
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", cell)).upper()
    if text in _BLANK_SET:
        return None, "blank"
    year: int | None = None
    annual = False
    if m := _PERIOD_YEAR.match(text):
        year, annual = int(m[1]), True
    elif m := _PERIOD_QUARTER_FIRST.match(text):
        year, annual = int(m[2]), m[1] == "4"
    elif (m := _PERIOD_DATE.match(text)) or _PERIOD_SERIAL.match(text):
        if m:
            y, mo, d = (int(m[1]), int(m[2]), int(m[3])) if m[1] else (int(m[4]), int(m[5]), int(m[6]))
            try:
                when = pd.Timestamp(y, mo, d)
            except ValueError:
                return None, "bad"
        else:
            when = _EXCEL_EPOCH + pd.Timedelta(days=float(text))
        year, annual = when.year, (when.month, when.day) == (12, 31)
    elif m := _PERIOD_MONTH.match(text):
        month = int(m[2] or m[3])
        if not 1 <= month <= 12:
            return None, "bad"
        year, annual = int(m[1]), month == 12
    elif m := _PERIOD_QUARTER.match(text):
        year, annual = int(m[1]), _CN_QUARTER[m[2]] == 4
    elif m := _PERIOD_HALF.match(text):
        year, annual = int(m[1]), False
    if year is None or not 1900 <= year <= 2100:
        return None, "bad"
    return year, "annual" if annual else "interim"


_BLANK_SET: Final = frozenset(w.upper() for w in _BLANK_WORDS)


def parse_periods(s: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Annual report periods as an int year (see :func:`_one_period` for the forms).

    Returns (years, bad, interim): ``bad`` marks cells that are no period at all,
    ``interim`` valid periods that are not a full year (2023Q2, 2023-06-30, 2023H1);
    both are left empty in ``years``. Parsed once per distinct text: a table has a
    handful of periods."""
    codes, uniques = pd.factorize(s.astype("str"), use_na_sentinel=True)
    found = [_one_period(str(u)) for u in uniques] + [(None, "blank")]  # the last stands for missing cells
    codes = np.where(codes < 0, len(found) - 1, codes)
    years = pd.array([y if st == "annual" else None for y, st in found], dtype="Int64")
    status = np.array([st for _, st in found], dtype=object)
    return (pd.Series(years[codes], index=s.index, dtype="Int64"), pd.Series(status[codes] == "bad", index=s.index),
            pd.Series(status[codes] == "interim", index=s.index))


def parse_shares(s: pd.Series, scale: float | None = None) -> tuple[pd.Series, pd.Series]:
    """Shares (e.g. 前五大客户占比) as fractions 0-1: "35%" -> 0.35; plain numbers are
    percentages when the header says so (``scale`` 0.01, from "(%)") or, without a unit,
    when any plain number in the column exceeds 1 (a column of 35, 60, 100 is in percent;
    one of 0.35, 0.6, 1 in fractions). Deciding per column, not per cell, keeps a share of
    exactly 1 (one customer) right, which :func:`parse_rates`' per-cell rule would read as 1 %.

    Returns (values, bad); a value outside 0-100 % is bad and left empty."""
    text = _arrow_text(s)
    pct = _mask(pc.ends_with(text, "%"))
    number, parsed = _amounts(pc.utf8_rtrim(text, characters="%"), 1.0)
    blank = _arrow_blank(text)
    number[blank] = np.nan
    plain = parsed & ~pct & ~blank
    in_percent = scale is not None or bool((number[plain] > 1.0).any())
    # Divide rather than multiply by 0.01: 18 / 100 is the double nearest 0.18, 18 * 0.01 is not always.
    values = np.where(pct | (plain & in_percent), number / 100.0, number)
    if scale is not None and scale != 0.01:
        values = np.where(plain, number * scale, values)
    outside = parsed & ~blank & ~((values >= 0.0) & (values <= 1.0 + 1e-9))
    values[outside] = np.nan
    return (pd.Series(values, index=s.index, dtype="float64"),
            pd.Series((~blank & ~parsed) | outside, index=s.index))


def _lookup(s: pd.Series, table: dict[str, str]) -> tuple[pd.Series, pd.Series]:
    def parse(cells: pd.Series) -> tuple[pd.Series, pd.Series]:
        key = cells.str.normalize("NFKC").str.strip().str.lower().str.replace(r"\s+", "", regex=True)
        values = key.map(table).astype("str")  # labels not in the table become missing
        return values, ~_blank(cells) & values.isna()

    return _per_unique(s, parse)


def _flags(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    def parse(cells: pd.Series) -> tuple[pd.Series, pd.Series]:
        key = cells.str.normalize("NFKC").str.strip().str.lower()
        values = pd.Series(pd.NA, index=cells.index, dtype="boolean")
        values[key.isin(_TRUE)] = True
        values[key.isin(_FALSE)] = False
        return values, ~_blank(cells) & values.isna()

    return _per_unique(s, parse)


def _classes(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    def one(label: str) -> float:
        try:
            return float(LoanClass.from_label(label))
        except ValueError:
            return np.nan

    def parse(cells: pd.Series) -> tuple[pd.Series, pd.Series]:
        values = cells.str.strip().map(lambda label: one(label) if label else np.nan).astype("float64")
        return values.astype("Int64"), ~_blank(cells) & values.isna()

    return _per_unique(s, parse)


_BAD_CODE: Final[dict[str, str]] = {
    "amount": "bad_number", "rate": "bad_rate", "date": "bad_date", "int": "bad_integer",
    "bool": "bad_flag", "class": "unknown_class", "guarantee": "unknown_guarantee", "size": "unknown_size",
    "period": "bad_period", "tax_rating": "unknown_tax_rating", "share": "bad_share", "number": "bad_number",
}


def parse_ledger(
    raw: RawTable, mapping: ColumnMapping, *, fields: Sequence[FieldSpec] = LOAN_FIELDS
) -> ParsedLedger:
    """Typed canonical columns from a raw table and its mapping, with every problem as an Issue.

    Errors: a required column missing (row None), a required cell empty, a cell that does
    not parse for its kind, a report period that is not a full year (``interim_period``).
    Rows are kept (with the bad cell empty) so that every problem of the file is reported
    at once. ``fields`` is the schema ``mapping`` was made with (the loan table by default).
    """
    by_name = {f.name: f for f in fields}
    issues: list[Issue] = [
        Issue(raw.file, raw.sheet, None, None, None, "missing_column", "error", name)
        for name in mapping.missing_required
    ]
    out: dict[str, pd.Series] = {}
    for header, name in mapping.columns.items():
        spec = by_name[name]
        cells = raw.frame[header]
        scale = mapping.scales.get(header)
        interim = None
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
            values, bad = _flags(cells)
        elif spec.kind == "class":
            values, bad = _classes(cells)
        elif spec.kind == "guarantee":
            values, bad = _lookup(cells, _GUARANTEE)
        elif spec.kind == "size":
            values, bad = _lookup(cells, _SIZE)
        elif spec.kind == "period":
            values, bad, interim = parse_periods(cells)
        elif spec.kind == "tax_rating":
            values, bad = _lookup(cells, _TAX_RATING)
        elif spec.kind == "share":
            values, bad = parse_shares(cells, scale)
        elif spec.kind == "number":
            values, bad = parse_amounts(cells)
        else:
            text = trimmed(large_text(cells))
            values = pd.Series(text, index=cells.index, dtype="str").where(~_arrow_blank(text))
            bad = pd.Series(False, index=cells.index)
        out[name] = values
        for row in bad[bad].index:
            issues.append(Issue(raw.file, raw.sheet, int(row), header, str(cells[row]), _BAD_CODE[spec.kind], "error", name))
        if interim is not None:
            for row in interim[interim].index:
                issues.append(Issue(raw.file, raw.sheet, int(row), header, str(cells[row]), "interim_period", "error", name))
        if spec.required:
            for row in cells.index[_arrow_blank(trimmed(large_text(cells)))]:
                issues.append(Issue(raw.file, raw.sheet, int(row), header, "", "missing_value", "error", name))
    frame = pd.DataFrame(out, index=raw.frame.index)
    issues.sort(key=lambda i: (i.row or 0, i.column or ""))
    return ParsedLedger(frame=frame, issues=tuple(issues))
