"""The borrower table (DOMAIN.md §2.2): one row per borrower per annual report period, as
banks export it (客户财务报表 / 借款人财务指标), mapped, parsed, validated and stored like
the loan ledger.

Headers are Chinese or English with the unit in the header (资产总额（万元）, Revenue (CNY));
every amount is stored in yuan. Report periods come as 2023, 2023年, 2023年度, 2023-12-31,
2023年12月31日, 2023-12 or 2023Q4 and are stored as the int year; a quarter, half-year or
other part-year period is an error, because the indicators (ROA, net margin, revenue growth,
turnover, interest coverage) take revenue, profit and cash flow as full-year flows.

Rules (each finding an :class:`~riskcore.ingest.parse.Issue` naming file, sheet, Excel row
and original header):

========================================  =========  ===================================
rule                                      severity   code
========================================  =========  ===================================
(borrower_id, report_period) repeated     error      ``duplicate_borrower_period``
total_assets < 0                          error      ``negative_amount``
revenue or revenue_prev < 0               error      ``negative_amount``
employees or a count field < 0            error      ``negative_count``
tax rating not A/B/M/C/D                  error      ``unknown_tax_rating`` (parsing)
period not a full year                    error      ``interim_period`` (parsing)
|A − (L + E)| > 1 % × |A|                 warning    ``balance_sheet_mismatch``
========================================  =========  ===================================
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Final, Literal

import numpy as np
import pandas as pd

from riskcore.ingest.parse import Issue, ParsedLedger, Severity, parse_ledger
from riskcore.ingest.read import RawTable, ReadError, read_table, sniff_format
from riskcore.ingest.schema import LOAN_FIELDS, FieldKind, FieldSpec, map_columns
from riskcore.ingest.validate import flagged_cells

if TYPE_CHECKING:  # the pipeline imports the store, which imports this module's field table
    from riskcore.ingest.pipeline import LedgerReport
    from riskcore.store import BorrowerBatchRecord, LedgerStore, MappingProfile

__all__ = [
    "BORROWER_FIELDS", "BORROWER_FIELD_BY_NAME", "BALANCE_SHEET_TOLERANCE", "COUNT_FIELDS", "TableKind",
    "detect_table_kind", "detect_file_kind", "validate_borrowers", "check_borrowers", "import_borrowers",
    "store_borrower_report",
]

TableKind = Literal["loans", "borrowers"]


def _f(name: str, kind: FieldKind, required: bool, *synonyms: str) -> FieldSpec:
    return FieldSpec(name, kind, required, (name, *synonyms))


#: DOMAIN.md §2.2, the columns of ``sample_data/borrowers.parquet``.
#:
#: Required: ``borrower_id`` and ``report_period`` are the key; ``total_assets``,
#: ``total_liabilities``, ``revenue`` and ``net_profit`` are what every SME statement has
#: (balance sheet and income statement totals) and what the financial criterion cannot do
#: without: asset-liability ratio = L / A, ROA = net profit / A, net margin = net profit /
#: revenue, asset turnover = revenue / A, and the 2011 size test uses revenue and assets.
#: The rest is optional: small firms under the 小企业会计准则 often hand in no cash-flow
#: statement, credit-bureau and tax fields come from other systems, and the indicator
#: builder imputes a missing value (industry median) rather than dropping the borrower.
BORROWER_FIELDS: Final[tuple[FieldSpec, ...]] = (
    _f("borrower_id", "text", True, "客户号", "客户编号", "客户代码", "借款人编号", "客户id", "customer_id", "client_id",
       "customer id", "customer no", "client id", "borrower id"),
    _f("report_period", "period", True, "报表期", "报告期", "报表期间", "报表日期", "报表年度", "财务报表年度", "会计期间",
       "会计年度", "年度", "报表年份", "财报年度", "report period", "reporting period", "period", "fiscal year",
       "financial year", "year"),
    _f("total_assets", "amount", True, "资产总额", "资产总计", "总资产", "资产合计", "total assets"),
    _f("total_liabilities", "amount", True, "负债总额", "负债合计", "总负债", "负债总计", "total liabilities"),
    _f("equity", "amount", False, "所有者权益", "净资产", "所有者权益合计", "股东权益", "股东权益合计", "所有者权益或股东权益合计",
       "equity", "total equity", "net assets", "owners equity", "owners' equity", "owner's equity",
       "shareholders equity", "shareholders' equity"),
    _f("current_assets", "amount", False, "流动资产", "流动资产合计", "current assets", "total current assets"),
    _f("current_liabilities", "amount", False, "流动负债", "流动负债合计", "current liabilities",
       "total current liabilities"),
    _f("inventory", "amount", False, "存货", "inventory", "inventories"),
    _f("accounts_receivable", "amount", False, "应收账款", "应收帐款", "accounts receivable", "receivables",
       "trade receivables"),
    _f("revenue", "amount", True, "营业收入", "营业总收入", "主营业务收入", "销售收入", "本年营业收入", "revenue",
       "operating revenue", "sales", "turnover"),
    _f("revenue_prev", "amount", False, "上年营业收入", "上年同期营业收入", "上期营业收入", "上年度营业收入", "上年主营业务收入",
       "上年销售收入", "prior year revenue", "previous year revenue", "last year revenue", "revenue prev",
       "revenue previous year"),
    _f("net_profit", "amount", True, "净利润", "本年净利润", "net profit", "net income", "profit after tax"),
    _f("ebit", "amount", False, "息税前利润", "ebit", "earnings before interest and tax"),
    # 财务费用 is interest expense net of interest income plus fees and FX; SME statements
    # rarely break it down, so banks (and DOMAIN.md §2.2) use it for 利息支出.
    _f("interest_expense", "amount", False, "利息支出", "财务费用", "利息费用", "interest expense", "interest paid",
       "finance costs"),
    _f("operating_cash_flow", "amount", False, "经营活动现金流量净额", "经营活动产生的现金流量净额", "经营性现金流量净额",
       "经营现金流量净额", "经营现金流", "operating cash flow", "net cash from operating activities", "cfo"),
    _f("established_date", "date", False, "成立日期", "成立时间", "注册日期", "企业成立日期", "established date",
       "date of establishment", "incorporation date", "founded"),
    _f("employees", "int", False, "从业人员", "员工人数", "从业人数", "职工人数", "从业人员数", "员工数", "employees",
       "number of employees", "headcount", "staff"),
    _f("top_customer_share", "share", False, "前五大客户占比", "前五大客户销售占比", "客户集中度", "前五名客户销售额占比",
       "top customer share", "top 5 customer share", "top five customers share", "customer concentration"),
    _f("owner_credit_overdues", "int", False, "实控人征信逾期次数", "实际控制人征信逾期次数", "企业主征信逾期次数",
       "法人征信逾期次数", "实控人逾期次数", "owner credit overdues", "owner overdue count", "owner credit overdue count"),
    _f("tax_credit_rating", "tax_rating", False, "纳税信用等级", "纳税信用级别", "纳税评级", "纳税信用评级", "tax credit rating",
       "tax rating"),
    _f("litigation_count", "int", False, "涉诉次数", "涉诉被执行次数", "涉诉案件数", "诉讼次数", "litigation count",
       "litigation cases", "lawsuits"),
    _f("admin_penalties", "int", False, "行政处罚次数", "行政处罚", "administrative penalties", "admin penalties"),
    _f("external_guarantees", "amount", False, "对外担保金额", "对外担保", "对外担保余额", "对外担保总额",
       "external guarantees", "guarantees given", "guarantees to others"),
    _f("owner_experience_years", "number", False, "实控人从业年限", "实际控制人从业年限", "企业主从业年限", "法人从业年限",
       "从业年限", "owner experience years", "owner's years of experience", "owner experience"),
    _f("bank_relationship_start", "date", False, "建立信贷关系日期", "合作起始日", "合作起始日期", "首次合作日期", "建立信贷关系时间",
       "首次授信日期", "bank relationship start", "relationship start", "relationship since", "customer since"),
)
BORROWER_FIELD_BY_NAME: Final[Mapping[str, FieldSpec]] = {f.name: f for f in BORROWER_FIELDS}

#: |assets − (liabilities + equity)| may be this share of |assets| before it is flagged:
#: statements are typed from paper in 万元 with rounding, and minority interests or
#: unaudited figures leave small gaps that are not errors.
BALANCE_SHEET_TOLERANCE: Final[float] = 0.01

#: Whole-number fields that cannot be negative (a head count, counts of events).
COUNT_FIELDS: Final[tuple[str, ...]] = ("employees", "owner_credit_overdues", "litigation_count", "admin_penalties")

# Required fields that only one table has: the shared key borrower_id says nothing.
_LOAN_ONLY: Final = frozenset(f.name for f in LOAN_FIELDS if f.required) - {f.name for f in BORROWER_FIELDS}
_BORROWER_ONLY: Final = frozenset(f.name for f in BORROWER_FIELDS if f.required) - {f.name for f in LOAN_FIELDS}
_MIN_HITS: Final = 2
# A CSV's header is in its first rows: detecting the table kind never needs more.
_DETECT_BYTES: Final = 1 << 18


def detect_table_kind(headers: Sequence[str]) -> TableKind | None:
    """Whether headers are a loan ledger's or a borrower table's, from what they map to.

    Each table scores the share of its *own* required fields (not borrower_id, which both
    have) that the headers map to: loans 11 (loan_id, loan_amount, balance, five_class, …),
    borrowers 5 (report_period, total_assets, total_liabilities, revenue, net_profit). A
    table needs at least 2 hits to count, so a stray 客户名称 or 营业收入 decides nothing; the
    higher share wins and a tie is None (ask the user)."""
    scores: dict[TableKind, float] = {}
    candidates: tuple[tuple[TableKind, tuple[FieldSpec, ...], frozenset[str]], ...] = (
        ("loans", LOAN_FIELDS, _LOAN_ONLY), ("borrowers", BORROWER_FIELDS, _BORROWER_ONLY),
    )
    for kind, fields, own in candidates:
        hits = own & set(map_columns(headers, fields=fields).columns.values())
        if len(hits) >= _MIN_HITS:
            scores[kind] = len(hits) / len(own)
    if not scores:
        return None
    best = max(scores.values())
    winners = [kind for kind, score in scores.items() if score == best]
    return winners[0] if len(winners) == 1 else None


def detect_file_kind(data: bytes, file: str = "<upload>", *, sheet: str | int | None = None) -> TableKind | None:
    """:func:`detect_table_kind` of a file's headers; None when the file cannot be read
    (checking it reports why) or its headers fit neither table. Reads only the first
    256 KB of a CSV, so telling a 50 MB ledger's kind costs milliseconds."""
    head = data
    try:
        if len(data) > _DETECT_BYTES and sniff_format(data, file) == "csv" and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
            # Cut at a line end (no byte of a GBK character is a line feed).
            head = data[: data.rfind(b"\n", 0, _DETECT_BYTES) + 1] or data
        raw = read_table(head, file, sheet=sheet)
    except ReadError:
        if head is data:
            return None
        try:  # the cut fell inside a quoted multi-line cell: read it all
            raw = read_table(data, file, sheet=sheet)
        except ReadError:
            return None
    return detect_table_kind(list(raw.frame.columns))


def validate_borrowers(raw: RawTable, parsed: ParsedLedger, columns: Mapping[str, str]) -> ParsedLedger:
    """Add the borrower rules' findings (module docstring) to ``parsed``; ``columns`` maps
    original header -> canonical name.

    Balance sheet identity: assets = liabilities + equity; a row is flagged when
    |A − (L + E)| > 1 % × |A| (:data:`BALANCE_SHEET_TOLERANCE`), only where all three are
    given. Negative equity is legitimate (an insolvent firm) and not flagged; negative
    revenue is impossible (sales returns net to zero at worst); so are negative assets."""
    f = parsed.frame
    header = {canonical: original for original, canonical in columns.items()}
    found: list[Issue] = []

    def add(mask: pd.Series, field: str, code: str, severity: Severity, **params: object) -> None:
        found.extend(flagged_cells(raw, header, mask, field, code, severity, **params))

    if {"borrower_id", "report_period"} <= set(f):
        keys = ["borrower_id", "report_period"]
        known = f["borrower_id"].notna() & f["report_period"].notna()
        dup = f.duplicated(subset=keys, keep="first") & known
        first_row = f.reset_index().groupby(keys, dropna=False)["row"].transform("min").set_axis(f.index)
        for row in f.index[dup.to_numpy(dtype=bool)]:
            found.append(Issue(raw.file, raw.sheet, int(row), header.get("borrower_id"), str(f.at[row, "borrower_id"]),
                               "duplicate_borrower_period", "error", "borrower_id",
                               {"period": int(f.at[row, "report_period"]), "first_row": int(first_row[row])}))
    for name in ("total_assets", "revenue", "revenue_prev"):
        if name in f:
            add(f[name] < 0, name, "negative_amount", "error")
    for name in COUNT_FIELDS:
        if name in f:
            add(f[name] < 0, name, "negative_count", "error")
    if {"total_assets", "total_liabilities", "equity"} <= set(f):
        assets = f["total_assets"]
        other_side = f["total_liabilities"] + f["equity"]
        gap = (assets - other_side).abs()
        off = gap > BALANCE_SHEET_TOLERANCE * assets.abs()
        for row in f.index[off.fillna(False).to_numpy(dtype=bool)]:
            share = gap[row] / abs(assets[row]) if assets[row] else float("inf")
            found.append(Issue(
                raw.file, raw.sheet, int(row), header["total_assets"], str(raw.frame.at[row, header["total_assets"]]),
                "balance_sheet_mismatch", "warning", "total_assets",
                {"assets": f"{assets[row]:,.2f}", "sum": f"{other_side[row]:,.2f}", "gap": f"{share:.2%}"},
            ))

    issues = sorted([*parsed.issues, *found], key=lambda i: (i.row or 0, i.column or "", i.code))
    return ParsedLedger(frame=f, issues=tuple(issues))


def check_borrowers(
    data: bytes, file: str, *, profile: Mapping[str, str] | None = None, sheet: str | int | None = None,
    profiles: Callable[[Sequence[str]], MappingProfile | None] | None = None,
) -> LedgerReport:
    """Read, map onto :data:`BORROWER_FIELDS`, parse and validate one borrower table; never
    raises for a bad file (an unreadable one gives a report with one file-level error).

    Amounts scaled from 万元/亿元/千元 are rounded to the cent: 416.6628 万元 × 10⁴ is
    4166627.9999999995 in floating point, and a statement figure is a whole number of cents.
    ``profile`` maps headers explicitly; without it ``profiles`` (e.g. a store's borrower
    profiles) may supply a saved one. ``as_of`` of the report is None: periods are in rows."""
    from riskcore.ingest.pipeline import LedgerReport, _reconcile  # see the TYPE_CHECKING import

    try:
        raw = read_table(data, file, sheet=sheet)
    except ReadError as err:
        issue = Issue(file, err.params.get("sheet"), err.params.get("row"), None, None, err.code, "error", None,
                      dict(err.params))
        return LedgerReport(file, None, None, None, None, 0, (), None, {}, (), (issue,))
    headers = list(raw.frame.columns)
    used: str | None = None
    if profile is None and profiles is not None:
        saved = profiles(headers)
        if saved is not None:
            profile, used = saved.mapping, saved.name or saved.layout[:8]
    mapping = map_columns(headers, profile, fields=BORROWER_FIELDS)
    parsed = parse_ledger(raw, mapping, fields=BORROWER_FIELDS)
    frame = parsed.frame
    for header, name in mapping.columns.items():
        if BORROWER_FIELD_BY_NAME[name].kind == "amount" and mapping.scales.get(header, 1.0) != 1.0:
            frame[name] = np.round(frame[name], 2)
    parsed = validate_borrowers(raw, ParsedLedger(frame, parsed.issues), mapping.columns)
    amounts = [n for n in frame.columns if BORROWER_FIELD_BY_NAME[n].kind == "amount"]
    return LedgerReport(
        file=file, format=raw.format, encoding=raw.encoding, sheet=raw.sheet, header_row=raw.header_row,
        rows=len(frame), dropped_rows=raw.dropped_rows, mapping=mapping,
        sums={name: float(frame[name].sum()) for name in amounts},
        reconciliation=_reconcile(raw, mapping, frame, BORROWER_FIELD_BY_NAME), issues=parsed.issues, frame=frame,
        profile=used, headers=tuple(headers), sheets=raw.sheets, preview=raw.frame.head(5),
    )


def store_borrower_report(
    store: LedgerStore, report: LedgerReport, sha256: str
) -> tuple[LedgerReport, BorrowerBatchRecord | None]:
    """Store a checked borrower table (its bytes already kept by :meth:`LedgerStore.put_file`)
    as one batch; nothing is stored when the report has errors."""
    if report.has_errors or report.frame is None:
        return report, None
    return report, store.add_borrower_snapshot(sha256, report.frame.reset_index(drop=True))


def import_borrowers(
    store: LedgerStore, data: bytes, file: str, *, profile: Mapping[str, str] | None = None,
    uploaded_by: str = "", sheet: str | int | None = None,
) -> tuple[LedgerReport, BorrowerBatchRecord | None]:
    """Store the bytes first (kept even when the table is invalid), then check; a table
    without errors becomes a batch whose rows supersede earlier rows of the same
    (borrower_id, report_period). A saved borrower mapping profile applies when no
    ``profile`` is given."""
    stored = store.put_file(data, file, uploaded_by=uploaded_by)
    report = check_borrowers(data, file, profile=profile, sheet=sheet,
                             profiles=lambda headers: store.find_profile(headers, "borrowers"))
    return store_borrower_report(store, report, stored.sha256)
