"""Bank-style exports of the sample book for the upload feature and its tests.

``python -m riskcore.sample_ledgers`` writes, from ``sample_data/loans.parquet``:

* ``QD02_2024-11_贷款台账.xlsx``: a merged title, a units note, amounts in 万元 with two
  decimals, Chinese dates (2024年11月30日), classes as 正常类…, a branch column merged down
  all rows, Y/N flags and a 合计 row with a merged label;
* ``QD03_2024-12_loan_ledger_with_errors.csv``: English headers, UTF-8 with BOM, 200 loans
  with deliberate problems on known rows (see :data:`PLANTED_ERRORS`);

and, from ``sample_data/borrowers.parquet``:

* ``QD01_2024_借款人财务报表.xlsx``: the financials of QD01's first 300 borrowers (by id) at
  their latest report period, as a branch's customer-financials export: a merged title, a
  units note, Chinese headers with amounts in 万元 (two decimals), periods as 2024年,
  founding dates as Excel dates, relationship dates as 2012年1月25日, the customer share in
  percent, blank cells where the figure is unknown.

The CSV is byte-for-byte deterministic; the workbook is deterministic in content (its ZIP
entries carry write times).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Final

import pandas as pd

from riskcore.sample import DEFAULT_DIR, load_sample

__all__ = [
    "XLSX_NAME", "ERRORS_NAME", "BORROWERS_XLSX_NAME", "BORROWER_HEADERS", "PLANTED_ERRORS", "write_bank_xlsx",
    "write_error_ledger", "write_borrower_xlsx", "sample_borrowers", "main",
]

XLSX_NAME: Final[str] = "QD02_2024-11_贷款台账.xlsx"
ERRORS_NAME: Final[str] = "QD03_2024-12_loan_ledger_with_errors.csv"
BORROWERS_XLSX_NAME: Final[str] = "QD01_2024_借款人财务报表.xlsx"
#: The borrower workbook's headers -> canonical borrower column ("" = not a column of it).
BORROWER_HEADERS: Final[dict[str, str]] = {
    "序号": "", "客户编号": "borrower_id", "客户名称": "", "报表期": "report_period",
    "资产总额（万元）": "total_assets", "负债总额（万元）": "total_liabilities", "所有者权益（万元）": "equity",
    "流动资产（万元）": "current_assets", "流动负债（万元）": "current_liabilities", "存货（万元）": "inventory",
    "应收账款（万元）": "accounts_receivable", "营业收入（万元）": "revenue", "上年营业收入（万元）": "revenue_prev",
    "净利润（万元）": "net_profit", "息税前利润（万元）": "ebit", "财务费用（万元）": "interest_expense",
    "经营活动现金流量净额（万元）": "operating_cash_flow", "成立日期": "established_date", "从业人员": "employees",
    "前五大客户占比（%）": "top_customer_share", "实控人征信逾期次数": "owner_credit_overdues",
    "纳税信用等级": "tax_credit_rating", "涉诉次数": "litigation_count", "行政处罚次数": "admin_penalties",
    "对外担保金额（万元）": "external_guarantees", "实控人从业年限": "owner_experience_years",
    "建立信贷关系日期": "bank_relationship_start",
}
_BRANCH_NAME: Final = {"QD01": "青岛市南支行", "QD02": "青岛市北支行", "QD03": "青岛黄岛支行"}
#: How the workbook writes a canonical column (the rest as they are).
_BORROWER_CELLS: Final[dict[str, str]] = {
    **{name: "wan" for name in ("total_assets", "total_liabilities", "equity", "current_assets", "current_liabilities",
                                "inventory", "accounts_receivable", "revenue", "revenue_prev", "net_profit", "ebit",
                                "interest_expense", "operating_cash_flow", "external_guarantees")},
    "top_customer_share": "percent", "established_date": "excel_date", "bank_relationship_start": "zh_date",
    **{name: "int" for name in ("employees", "owner_credit_overdues", "litigation_count", "admin_penalties",
                                "owner_experience_years")},
}
_CLASS_ZH: Final = {1: "正常类", 2: "关注类", 3: "次级类", 4: "可疑类", 5: "损失类"}
_GUARANTEE_ZH: Final = {"credit": "信用", "guarantee": "保证", "mortgage": "抵押", "pledge": "质押", "mixed": "组合"}
_SIZE_ZH: Final = {"small": "小型", "micro": "微型", "medium": "中型", "large": "大型"}
#: Excel row -> (English header, planted value, issue code the validator must report).
PLANTED_ERRORS: Final[dict[int, tuple[str, str, str]]] = {
    5: ("Start date", "2024-02-30", "bad_date"),
    9: ("Outstanding balance", "12O00.00", "bad_number"),
    14: ("Loan ID", "<dup>", "duplicate_loan_id"),
    20: ("Outstanding balance", "-5000.00", "negative_amount"),
    27: ("Classification", "Excellent", "unknown_class"),
    33: ("Maturity date", "2001-01-01", "maturity_before_origination"),
    41: ("Customer ID", "", "missing_value"),
}


def _snapshot(branch: str, as_of: str) -> pd.DataFrame:
    loans = load_sample().loans
    part = loans[(loans["branch_id"] == branch) & (loans["snapshot_date"] == pd.Timestamp(as_of))]
    return part.sort_values("loan_id").reset_index(drop=True)


def wan(yuan: object) -> float:
    """Yuan as 万元 with two decimals, as branch spreadsheets show them."""
    return round(float(yuan) / 1e4, 2)  # type: ignore[arg-type]


def _zh_date(value: pd.Timestamp) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


def write_bank_xlsx(path: str | Path, *, branch: str = "QD02", as_of: str = "2024-11-30") -> None:
    """Write one branch-month the way a branch analyst's Excel export looks."""
    import openpyxl
    from openpyxl.styles import Alignment, Font

    snap = _snapshot(branch, as_of)
    header = ["序号", "机构名称", "借据编号", "客户编号", "借款人名称", "行业门类", "企业规模", "授信额度（万元）",
              "贷款金额（万元）", "贷款余额（万元）", "放款日期", "到期日", "执行年利率", "担保方式", "五级分类",
              "逾期天数", "是否展期", "是否普惠"]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "贷款明细"
    last_col = openpyxl.utils.get_column_letter(len(header))
    ws["A1"] = f"{snap['branch_name'].iloc[0]}小微企业贷款明细表（{_zh_date(pd.Timestamp(as_of))}）"
    ws["A1"].font = Font(bold=True, size=14)
    ws["A1"].alignment = Alignment(horizontal="center")
    ws.merge_cells(f"A1:{last_col}1")
    ws["A2"] = "单位：万元"
    ws.append(header)
    for i, r in enumerate(snap.itertuples(index=False), start=1):
        ws.append([
            i, r.branch_name if i == 1 else None, r.loan_id, r.borrower_id, r.borrower_name, r.industry_code,
            _SIZE_ZH.get(r.enterprise_size, r.enterprise_size), wan(r.credit_limit), wan(r.loan_amount), wan(r.balance),
            _zh_date(r.origination_date), _zh_date(r.maturity_date), f"{r.interest_rate * 100:.2f}%",
            _GUARANTEE_ZH[r.guarantee_type], _CLASS_ZH[int(r.five_class)], int(r.dpd),
            "Y" if r.is_extended else "N", "Y" if r.is_inclusive else "N",
        ])
    first, last = 4, 3 + len(snap)
    ws.merge_cells(f"B{first}:B{last}")  # the branch name merged down every loan
    total_row = last + 1
    ws.append(["合计", None, None, None, None, None, None,
               round(sum(wan(v) for v in snap["credit_limit"]), 2), round(sum(wan(v) for v in snap["loan_amount"]), 2),
               round(sum(wan(v) for v in snap["balance"]), 2)])
    ws.merge_cells(f"A{total_row}:G{total_row}")
    stamp = dt.datetime(2024, 12, 1, 9, 0, 0)
    wb.properties.created = stamp
    wb.properties.modified = stamp
    wb.save(path)


def sample_borrowers(branch: str = "QD01", n: int = 300) -> pd.DataFrame:
    """The borrower rows the workbook holds: the first ``n`` borrowers (by id) with a loan at
    ``branch`` in the last snapshot, each at its latest report period, with its name."""
    book = load_sample()
    loans = book.loans[(book.loans["branch_id"] == branch)
                       & (book.loans["snapshot_date"] == book.loans["snapshot_date"].max())]
    names = loans.drop_duplicates("borrower_id").set_index("borrower_id")["borrower_name"]
    ids = sorted(names.index)[:n]
    fin = book.borrowers[book.borrowers["borrower_id"].isin(ids)]
    latest = fin.sort_values(["borrower_id", "report_period"]).groupby("borrower_id").tail(1)
    return latest.assign(borrower_name=latest["borrower_id"].map(names)).reset_index(drop=True)


def write_borrower_xlsx(path: str | Path, *, branch: str = "QD01", n: int = 300) -> None:
    """Write the branch's borrower financials the way a customer-financials export looks."""
    import openpyxl
    from openpyxl.styles import Alignment, Font

    fin = sample_borrowers(branch, n)
    header = list(BORROWER_HEADERS)

    def cell(name: str, value: object) -> object:
        if value is None or (isinstance(value, float) and value != value) or value is pd.NaT or value is pd.NA:
            return None  # an unknown figure is a blank cell, as in the bank's export
        kind = _BORROWER_CELLS.get(name)
        if kind == "wan":
            return wan(value)
        if kind == "percent":
            return round(float(value) * 100, 2)  # type: ignore[arg-type]
        if kind == "excel_date":
            return pd.Timestamp(value).date()
        if kind == "zh_date":
            return _zh_date(pd.Timestamp(value))
        if kind == "int":
            return int(value)  # type: ignore[call-overload]
        if name == "report_period":
            return f"{int(value)}年"  # type: ignore[call-overload]
        return value

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "借款人财务数据"
    last_col = openpyxl.utils.get_column_letter(len(header))
    ws["A1"] = f"{_BRANCH_NAME.get(branch, branch)}借款人主要财务指标表"
    ws["A1"].font = Font(bold=True, size=14)
    ws["A1"].alignment = Alignment(horizontal="center")
    ws.merge_cells(f"A1:{last_col}1")
    ws["A2"] = "单位：万元"
    ws.append(header)
    for i, r in enumerate(fin.to_dict("records"), start=1):
        row: list[object] = []
        for h, name in BORROWER_HEADERS.items():
            if h == "序号":
                row.append(i)
            elif h == "客户名称":
                row.append(r["borrower_name"])
            else:
                row.append(cell(name, r[name]))
        ws.append(row)
    founded = openpyxl.utils.get_column_letter(header.index("成立日期") + 1)
    for c in ws[founded][3:]:
        c.number_format = "yyyy-mm-dd"  # shown as a date, as the bank's export does, not a serial number
    stamp = dt.datetime(2025, 5, 31, 9, 0, 0)
    wb.properties.created = stamp
    wb.properties.modified = stamp
    wb.save(path)


def write_error_ledger(path: str | Path, *, branch: str = "QD03", as_of: str = "2024-12-31", rows: int = 200) -> None:
    """Write an English-headed UTF-8 (BOM) CSV of ``rows`` loans with :data:`PLANTED_ERRORS`."""
    snap = _snapshot(branch, as_of).head(rows)
    header = ["As of date", "Branch", "Loan ID", "Customer ID", "Borrower name", "Industry", "Loan amount",
              "Outstanding balance", "Start date", "Maturity date", "Interest rate", "Guarantee type",
              "Classification", "Days past due"]
    body = [[
        r.snapshot_date.strftime("%Y-%m-%d"), r.branch_id, r.loan_id, r.borrower_id, r.borrower_name, r.industry_code,
        f"{r.loan_amount:.2f}", f"{r.balance:.2f}", r.origination_date.strftime("%Y-%m-%d"),
        r.maturity_date.strftime("%Y-%m-%d"), f"{r.interest_rate * 100:.2f}%", r.guarantee_type,
        ["normal", "special mention", "substandard", "doubtful", "loss"][int(r.five_class) - 1], str(int(r.dpd)),
    ] for r in snap.itertuples(index=False)]
    for excel_row, (column, value, _) in PLANTED_ERRORS.items():
        cells = body[excel_row - 2]  # row 1 is the header
        j = header.index(column)
        cells[j] = body[0][j] if value == "<dup>" else value
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(body)
    Path(path).write_bytes(b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8"))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the bank-style sample ledgers")
    parser.add_argument("--out", type=Path, default=DEFAULT_DIR)
    args = parser.parse_args(argv)
    write_bank_xlsx(args.out / XLSX_NAME)
    write_error_ledger(args.out / ERRORS_NAME)
    write_borrower_xlsx(args.out / BORROWERS_XLSX_NAME)
    print(f"wrote {args.out / XLSX_NAME}, {args.out / ERRORS_NAME} and {args.out / BORROWERS_XLSX_NAME}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
