"""A sheet of 100,000 loans through check_ledger: row count, sums, Excel row numbers.

The workbook is written by tests/ingest/_xlsx.py straight into the ZIP (openpyxl would
take most of a minute for 100,000 rows).
"""

import time

import pytest
from _xlsx import sheet_xml, xlsx_bytes

from riskcore.ingest.pipeline import check_ledger

N = 100_000
FIRST = 3  # title on row 1, header on row 2
BAD_ROW = 99_990  # Excel row of the planted bad balance cell
HEADER = ["数据日期", "机构号", "借据号", "客户号", "客户名称", "行业代码", "贷款金额", "贷款余额（万元）",
          "发放日期", "到期日期", "担保方式", "五级分类", "逾期天数"]
GUARANTEE = ["信用", "抵押", "保证", "质押"]


def balance_cents(k: int) -> int:
    """Balance of loan k in cents of 万元 (0.00 to 999.99 万元)."""
    return (k * 7919) % 100_000


def ledger_rows() -> tuple[list[list[object]], int, int]:
    """(rows, total balance in cents of 万元, cents of the balance replaced by a bad cell)."""
    rows: list[list[object]] = [["青岛市北支行贷款台账（2024年6月30日）"], HEADER]
    bad_cents = 0
    for k in range(N):
        cents = balance_cents(k)
        watch = k % 50 == 0
        balance: object = cents / 100
        if FIRST + k == BAD_ROW:
            balance, bad_cents = "12.3.4", cents
        rows.append([
            "2024-06-30", "QD02", f"JJ{k:08d}", f"{k % 40_000:06d}", f"青岛第{k % 40_000}号企业有限公司",
            "CFGIH"[k % 5], 10_000_000 + (k % 7) * 1000, balance,
            45_000 + k % 400,  # origination as an Excel serial number (2023-03-15 + k % 400 days)
            "2026-06-30", GUARANTEE[k % 4], "关注" if watch else "正常", 45 if watch else 0,
        ])
    total = sum(balance_cents(k) for k in range(N))
    rows.append(["合计", None, None, None, None, None, sum(10_000_000 + (k % 7) * 1000 for k in range(N)),
                 total / 100, None, None, None, None, None])
    return rows, total, bad_cents


def test_hundred_thousand_row_sheet_through_check_ledger():
    rows, total_cents, bad_cents = ledger_rows()
    data = xlsx_bytes([("台账", sheet_xml(rows, merged=["A1:M1"]))])
    start = time.perf_counter()
    report = check_ledger(data, "QD02_2024-06_台账.xlsx")
    seconds = time.perf_counter() - start
    assert (report.format, report.sheet, report.header_row) == ("xlsx", "台账", 2)
    assert report.rows == N and len(report.frame) == N
    assert report.frame.index[0] == FIRST and report.frame.index[-1] == FIRST + N - 1 == 100_002
    assert [(d.row, d.reason, d.label) for d in report.dropped_rows] == [(100_003, "total_row", "合计")]
    # The one bad cell, named by its Excel row and header; the row itself is kept.
    assert [(i.row, i.column, i.value, i.code, i.severity) for i in report.issues] == [
        (BAD_ROW, "贷款余额（万元）", "12.3.4", "bad_number", "error")]
    assert report.frame.loc[BAD_ROW, "loan_id"] == f"JJ{BAD_ROW - FIRST:08d}"
    assert report.frame["balance"].isna().sum() == 1 and report.frame["balance"].isna()[BAD_ROW]
    # Sums in yuan: a cent of 万元 is 100 yuan.
    assert report.sums["balance"] == pytest.approx((total_cents - bad_cents) * 100, abs=0.5)
    assert report.sums["loan_amount"] == sum(10_000_000 + (k % 7) * 1000 for k in range(N))
    rec = {r.field: r for r in report.reconciliation}
    assert rec["loan_amount"].matches and rec["loan_amount"].difference == 0
    # The total row counted the planted loan's real balance; the file lost it to the bad cell.
    assert not rec["balance"].matches
    assert rec["balance"].difference == pytest.approx(-bad_cents * 100, abs=0.5)
    last = report.frame.iloc[-1]
    k = N - 1
    assert (last["loan_id"], last["borrower_id"]) == (f"JJ{k:08d}", f"{k % 40_000:06d}")
    assert last["balance"] == pytest.approx(balance_cents(k) * 100)
    assert report.frame["borrower_id"].iloc[:3].tolist() == ["000000", "000001", "000002"]  # text, zeros kept
    assert str(report.frame["origination_date"].iloc[0].date()) == "2023-03-15"  # Excel serial 45000
    assert report.frame["five_class"].value_counts().to_dict() == {1: N - N // 50, 2: N // 50}
    print(f"check_ledger on {N:,} rows: {seconds:.1f} s")
