from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from riskcore.ingest import map_columns, parse_ledger, read_table
from riskcore.ingest.parse import parse_amounts, parse_dates, parse_rates
from riskcore.ingest.schema import LOAN_FIELDS, normalise_header
from riskcore.sample import load_sample

SAMPLE_CSV = Path(__file__).resolve().parents[2] / "sample_data" / "QD01_2024-12_贷款台账.csv"
REQUIRED = [f.name for f in LOAN_FIELDS if f.required]


def test_headers_normalise_and_units_are_read():
    assert normalise_header("贷款余额（万元）") == ("贷款余额", "万元")
    assert normalise_header(" Loan Amount (CNY) ") == ("loanamount", "CNY")
    m = map_columns(["借据号", "贷款余额（万元）", "贷款金额(元)", "授信额度（亿元）", "执行利率(%)", "月利率(‰)"])
    assert m.columns == {"借据号": "loan_id", "贷款余额（万元）": "balance", "贷款金额(元)": "loan_amount",
                         "授信额度（亿元）": "credit_limit", "执行利率(%)": "interest_rate"}
    assert m.scales == {"贷款余额（万元）": 1e4, "贷款金额(元)": 1.0, "授信额度（亿元）": 1e8, "执行利率(%)": 0.01}
    assert m.duplicates == ("interest_rate",) and "月利率(‰)" in m.unmapped


def test_monthly_permille_rate_becomes_annual_fraction():
    m = map_columns(["月利率(‰)"])
    assert m.scales["月利率(‰)"] == pytest.approx(0.012)
    assert m.unit_labels["月利率(‰)"] == "‰/月"


def test_english_headers_and_missing_required_are_named():
    m = map_columns(["Loan ID", "Customer ID", "Borrower Name", "Balance", "Days past due"])
    assert set(m.columns.values()) == {"loan_id", "borrower_id", "borrower_name", "balance", "dpd"}
    assert set(m.missing_required) == set(REQUIRED) - set(m.columns.values())
    assert "snapshot_date" not in map_columns(["借据号"], given=["snapshot_date"]).missing_required


def test_profile_overrides_and_ignores():
    m = map_columns(["贷款编号", "余额"], profile={"贷款编号": "loan_id", "余额": ""})
    assert m.columns == {"贷款编号": "loan_id"} and m.unmapped == ("余额",)
    with pytest.raises(ValueError, match=r"the mapping profile names unknown fields: \['loan_number'\]"):
        map_columns(["x"], profile={"x": "loan_number"})


def test_amounts():
    s = pd.Series(["1,234.50", "１２", "(300)", "", "-", "12万元", "abc", "3，000"])
    values, bad = parse_amounts(s, 10.0)
    assert values.tolist()[:3] == [12345.0, 120.0, -3000.0]
    assert np.isnan(values[3]) and np.isnan(values[4])
    assert bad.tolist() == [False, False, False, False, False, False, True, False]
    assert values[7] == 30000.0
    assert values[5] == 120000.0  # the cell's own unit wins over the header's


def test_amounts_fast_cast_and_cleaning_paths_agree():
    plain = pd.Series(["1234.5", "", "-", "7", "1e3", "inf", "nan"])
    values, bad = parse_amounts(plain, 2.0)
    assert values.tolist()[:1] + values.tolist()[3:5] == [2469.0, 14.0, 2000.0]
    assert bad.tolist() == [False, False, False, False, False, True, False]
    messy, bad_messy = parse_amounts(pd.concat([plain, pd.Series(["1,000"])], ignore_index=True), 2.0)
    np.testing.assert_array_equal(messy.to_numpy()[:7], values.to_numpy())
    assert bad_messy.tolist()[:7] == bad.tolist() and messy.iloc[7] == 2000.0


def test_rates():
    values, bad = parse_rates(pd.Series(["4.35%", "3.6‰", "0.0435", "4.35", "x"]))
    assert values.tolist()[:4] == pytest.approx([0.0435, 0.0036, 0.0435, 0.0435])
    assert bad.tolist() == [False, False, False, False, True]
    monthly, _ = parse_rates(pd.Series(["3.6", "3.6‰"]), 0.012)
    assert monthly.tolist() == pytest.approx([0.0432, 0.0036])


def test_dates_in_every_bank_format():
    s = pd.Series(["2024-06-30", "2024/6/30", "20240630", "2024年6月30日", "2024.06.30", "45473",
                   "2024-06-30 00:00:00", "2024-02-30", "明天", ""])
    values, bad = parse_dates(s)
    assert values[:7].tolist() == [pd.Timestamp("2024-06-30")] * 7
    assert bad.tolist() == [False] * 7 + [True, True, False]


def bank_csv(rows: list[str]) -> bytes:
    header = "数据日期,借据号,客户号,客户名称,行业代码,贷款金额,贷款余额（万元）,发放日期,到期日期,担保方式,五级分类,逾期天数,是否展期"
    return ("\n".join([header, *rows]) + "\n").encode("gbk")


def test_parse_ledger_types_and_units():
    raw = read_table(bank_csv([
        "2024-06-30,JJ001,001,青岛甲,C,\"1,000,000\",80,2023/6/30,20250630,抵押+保证,关注类,15,否",
        "2024-06-30,JJ002,002,青岛乙,F,500000,50,2024年1月5日,2025-01-05,信用,Pass,0,Y",
    ]), "ledger.csv")
    parsed = parse_ledger(raw, map_columns(list(raw.frame.columns)))
    f = parsed.frame
    assert f["balance"].tolist() == [800_000.0, 500_000.0]
    assert f["loan_amount"].tolist() == [1_000_000.0, 500_000.0]
    assert f["borrower_id"].tolist() == ["001", "002"]
    assert f["five_class"].tolist() == [2, 1]
    assert f["is_extended"].tolist() == [False, True]
    assert f["origination_date"].tolist() == [pd.Timestamp("2023-06-30"), pd.Timestamp("2024-01-05")]
    # "抵押+保证" is not a known label: an error naming the cell, not a silent guess.
    assert [(i.row, i.column, i.value, i.code) for i in parsed.issues] == [(2, "担保方式", "抵押+保证", "unknown_guarantee")]
    assert parsed.has_errors


def test_parse_ledger_collects_every_problem_with_excel_rows():
    raw = read_table(bank_csv([
        "2024-06-30,JJ001,001,青岛甲,C,100,1,2023/6/30,2025/6/30,信用,正常,0,否",
        "2024-06-30,JJ002,,青岛乙,F,abc,1,2023/13/01,2025/6/30,抵押,优秀,1.5,也许",
    ]), "bad.csv")
    parsed = parse_ledger(raw, map_columns(list(raw.frame.columns)))
    found = {(i.row, i.column, i.code) for i in parsed.issues}
    assert found == {
        (3, "客户号", "missing_value"), (3, "贷款金额", "bad_number"), (3, "发放日期", "bad_date"),
        (3, "五级分类", "unknown_class"), (3, "逾期天数", "bad_integer"), (3, "是否展期", "bad_flag"),
    }
    assert all(i.file == "bad.csv" and i.severity == "error" for i in parsed.issues)
    assert len(parsed.frame) == 2  # rows are kept so every problem is reported at once


def test_missing_required_column_is_a_file_level_error():
    raw = read_table("借据号,客户号\nJJ1,001\n".encode(), "thin.csv")
    parsed = parse_ledger(raw, map_columns(list(raw.frame.columns)))
    missing = {i.canonical for i in parsed.issues if i.code == "missing_column"}
    assert missing == set(REQUIRED) - {"loan_id", "borrower_id"}
    assert all(i.row is None for i in parsed.issues if i.code == "missing_column")


def test_bank_style_sample_round_trips_to_the_clean_book():
    raw = read_table(SAMPLE_CSV.read_bytes(), SAMPLE_CSV.name)
    parsed = parse_ledger(raw, map_columns(list(raw.frame.columns)))
    assert parsed.issues == ()
    loans = load_sample().loans
    clean = loans[(loans["branch_id"] == "QD01") & (loans["snapshot_date"] == "2024-12-31")].set_index("loan_id")
    got = parsed.frame.set_index("loan_id")
    assert set(got.index) == set(clean.index)
    clean = clean.reindex(got.index)
    np.testing.assert_allclose(got["balance"], clean["balance"], atol=0.005)
    np.testing.assert_allclose(got["interest_rate"], clean["interest_rate"], atol=1e-12)
    assert (got["five_class"].astype(int) == clean["five_class"]).all()
    assert (got["dpd"].astype(int) == clean["dpd"]).all()
    assert (got["guarantee_type"] == clean["guarantee_type"]).all()
    assert (got["maturity_date"] == clean["maturity_date"]).all()
    # The file's own 合计 row reconciles with the loaded rows.
    total = float(raw.totals["贷款余额"].str.replace(",", "").iloc[0])
    assert got["balance"].sum() == pytest.approx(total, abs=0.01 * len(got))
