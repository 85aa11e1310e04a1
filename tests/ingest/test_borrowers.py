"""The borrower table (DOMAIN.md §2.2): mapping, parsing, validation, storing, the sample
workbook and the command line, on hand-made files with hand-checked values."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from riskcore.__main__ import main
from riskcore.ingest.borrowers import (
    BORROWER_FIELDS,
    check_borrowers,
    detect_file_kind,
    detect_table_kind,
    import_borrowers,
)
from riskcore.ingest.parse import parse_periods, parse_shares
from riskcore.ingest.schema import map_columns
from riskcore.sample import DEFAULT_DIR
from riskcore.sample_ledgers import BORROWERS_XLSX_NAME, sample_borrowers, wan
from riskcore.store import LedgerStore
from riskview.i18n import issue_message

SAMPLE_XLSX = DEFAULT_DIR / BORROWERS_XLSX_NAME
LOAN_CSV = DEFAULT_DIR / "QD01_2024-12_贷款台账.csv"

HEADER = ("客户编号,报表期,资产总额（万元）,负债总额（万元）,所有者权益（万元）,营业收入（万元）,净利润（万元）,"
          "纳税信用等级,从业人员,前五大客户占比")
GOOD = "001,2023年,416.6628,200,216.6628,1000,50,A,20,35%"


def table(rows: list[str], header: str = HEADER) -> bytes:
    """A GBK CSV with a title row above the header, so data rows start at Excel row 3."""
    return ("\n".join(["借款人财务报表（2023年度）", header, *rows]) + "\n").encode("gbk")


# --- mapping and detection ------------------------------------------------------------------

def test_chinese_headers_map_with_units_and_required_fields_named():
    m = map_columns(["客户编号", "报表年度", "资产总计（万元）", "负债合计(元)", "净资产（万元）", "主营业务收入（亿元）",
                     "财务费用", "前五大客户占比(%)", "纳税信用级别", "合作起始日", "序号"], fields=BORROWER_FIELDS)
    assert m.columns == {
        "客户编号": "borrower_id", "报表年度": "report_period", "资产总计（万元）": "total_assets",
        "负债合计(元)": "total_liabilities", "净资产（万元）": "equity", "主营业务收入（亿元）": "revenue",
        "财务费用": "interest_expense", "前五大客户占比(%)": "top_customer_share", "纳税信用级别": "tax_credit_rating",
        "合作起始日": "bank_relationship_start",
    }
    assert m.scales == {"资产总计（万元）": 1e4, "负债合计(元)": 1.0, "净资产（万元）": 1e4, "主营业务收入（亿元）": 1e8,
                        "前五大客户占比(%)": 0.01}
    assert m.missing_required == ("net_profit",) and m.unmapped == ("序号",)


def test_english_headers_map_and_a_profile_is_checked_against_the_borrower_schema():
    m = map_columns(["Customer ID", "Fiscal year", "Total assets (CNY 10k)", "Total liabilities", "Revenue",
                     "Net profit", "Tax credit rating", "Employees"], fields=BORROWER_FIELDS)
    assert set(m.columns.values()) == {"borrower_id", "report_period", "total_assets", "total_liabilities", "revenue",
                                       "net_profit", "tax_credit_rating", "employees"}
    assert m.missing_required == () and m.scales["Total assets (CNY 10k)"] == 1e4
    with pytest.raises(ValueError, match=r"unknown fields: \['loan_id'\]"):
        map_columns(["x"], {"x": "loan_id"}, fields=BORROWER_FIELDS)
    # The default is still the loan schema.
    assert map_columns(["借据号", "资产总额"]).columns == {"借据号": "loan_id"}


@pytest.mark.parametrize(("headers", "kind"), [
    (HEADER.split(","), "borrowers"),
    (["Customer ID", "Year", "Total assets", "Revenue", "Net profit"], "borrowers"),
    (["数据日期", "借据号", "客户号", "客户名称", "贷款金额", "贷款余额", "五级分类", "逾期天数"], "loans"),
    (["客户名称", "营业收入", "备注"], None),  # one hit each: not enough to decide
    (["序号", "备注"], None),
])
def test_detect_table_kind(headers, kind):
    assert detect_table_kind(headers) == kind


def test_detect_file_kind_reads_the_bundled_files():
    assert detect_file_kind(SAMPLE_XLSX.read_bytes(), SAMPLE_XLSX.name) == "borrowers"
    assert detect_file_kind(LOAN_CSV.read_bytes(), LOAN_CSV.name) == "loans"  # 740 KB: only the head is read
    assert detect_file_kind(b"", "empty.csv") is None


# --- parsing ----------------------------------------------------------------------------------

@pytest.mark.parametrize("cell", ["2023", "2023年", "2023年度", "2023年报", "FY2023", "2023-12-31", "2023/12/31",
                                  "2023年12月31日", "20231231", "2023-12", "202312", "2023Q4", "2023 q4",
                                  "2023年第四季度", "Q4 2023", "45291"])
def test_annual_period_forms(cell):
    years, bad, interim = parse_periods(pd.Series([cell]))
    assert (years.iloc[0], bad.iloc[0], interim.iloc[0]) == (2023, False, False)


@pytest.mark.parametrize(("cell", "is_bad", "is_interim"), [
    ("2023Q2", False, True), ("2023-06-30", False, True), ("2023H1", False, True), ("2023年半年报", False, True),
    ("2023年第三季度", False, True), ("2023-13", True, False), ("2023-02-30", True, False), ("去年", True, False),
    ("1850", True, False), ("", False, False), ("-", False, False),
])
def test_other_period_cells(cell, is_bad, is_interim):
    years, bad, interim = parse_periods(pd.Series([cell]))
    assert years.isna().iloc[0] and (bad.iloc[0], interim.iloc[0]) == (is_bad, is_interim)


def test_shares_decide_percent_per_column():
    fractions, bad = parse_shares(pd.Series(["0.35", "1", "", "18%"]))
    assert fractions.tolist()[:2] == [0.35, 1.0] and fractions.iloc[3] == 0.18 and not bad.any()
    percents, bad = parse_shares(pd.Series(["35", "100", "0.5"]))
    assert percents.tolist() == [0.35, 1.0, 0.005] and not bad.any()
    out, bad = parse_shares(pd.Series(["120", "x", "-5"]), 0.01)
    assert out.isna().all() and bad.tolist() == [True, True, True]


def test_wan_cells_become_yuan_exactly_and_labels_parse():
    report = check_borrowers(table([GOOD, "002,2024,0.01,0,0.01,12.3456,-0.5,a级,,18.5%"]), "fin.csv")
    assert report.issues == ()
    f = report.frame
    # 416.6628 万元 × 10^4 is 4166627.9999999995 in floating point; the cent is exact.
    assert f.at[3, "total_assets"] == 4_166_628.0 and f.at[3, "equity"] == 2_166_628.0
    assert f.at[4, "total_assets"] == 100.0 and f.at[4, "revenue"] == 123_456.0 and f.at[4, "net_profit"] == -5_000.0
    assert f["report_period"].tolist() == [2023, 2024]
    assert f["tax_credit_rating"].tolist() == ["A", "A"]
    assert f.at[3, "employees"] == 20 and pd.isna(f.at[4, "employees"])
    assert f["top_customer_share"].tolist() == [0.35, 0.185]
    assert f["borrower_id"].tolist() == ["001", "002"]  # leading zeros kept
    assert report.sums["total_assets"] == 4_166_728.0 and report.as_of is None


# --- validation -------------------------------------------------------------------------------

def test_every_rule_fires_on_its_planted_row_and_header():
    report = check_borrowers(table([
        GOOD,                                                    # 3
        "001,2023-12-31,416.6628,200,216.6628,1000,50,A,20,35%",  # 4 same borrower and year as row 3
        "002,2023,-10,5,-15,100,1,B,5,0.2",                       # 5 negative total assets
        "003,2023,100,50,45,100,1,B,5,",                          # 6 A - (L + E) = 5 = 5 % of A
        "004,2023,100,50,50,-3,1,M,5,",                           # 7 negative revenue
        "005,2023,100,50,50,10,1,E,5,",                           # 8 no such tax rating
        "006,2023,100,50,50,10,1,C,-3,",                          # 9 negative head count
        "007,2023Q2,100,50,50,10,1,D,5,",                         # 10 a quarter, not a year
        "008,2023,100,50,49.5,10,1,a级,5,",                       # 11 gap 0.5 % of A: within tolerance
    ]), "fin.csv")
    got = {(i.row, i.column, i.code, i.severity) for i in report.issues}
    assert got == {
        (4, "客户编号", "duplicate_borrower_period", "error"),
        (5, "资产总额（万元）", "negative_amount", "error"),
        (6, "资产总额（万元）", "balance_sheet_mismatch", "warning"),
        (7, "营业收入（万元）", "negative_amount", "error"),
        (8, "纳税信用等级", "unknown_tax_rating", "error"),
        (9, "从业人员", "negative_count", "error"),
        (10, "报表期", "interim_period", "error"),
    }
    assert all(i.file == "fin.csv" and i.sheet is None for i in report.issues)
    by_code = {i.code: i for i in report.issues}
    assert by_code["duplicate_borrower_period"].params == {"period": 2023, "first_row": 3}
    assert by_code["duplicate_borrower_period"].value == "001"
    by_row = {i.row: i for i in report.issues}
    assert (by_row[5].value, by_row[7].value, by_row[8].value, by_row[9].value) == ("-10", "-3", "E", "-3")
    assert by_code["balance_sheet_mismatch"].params == {"assets": "1,000,000.00", "sum": "950,000.00", "gap": "5.00%"}
    assert report.has_errors and report.rows == 9
    assert issue_message(by_code["interim_period"], "en").startswith("fin.csv, row 10, column '报表期': '2023Q2' is not an")
    assert issue_message(by_code["balance_sheet_mismatch"], "zh") == (
        "fin.csv 第 6 行「资产总额（万元）」：资产总额 1,000,000.00 元与负债总额 + 所有者权益 950,000.00 元相差 5.00%（超过 1%）")


def test_missing_required_column_names_the_field_in_chinese():
    report = check_borrowers(table(["001,2023,100,50"], header="客户编号,报表期,资产总额,负债总额"), "thin.csv")
    missing = [i for i in report.issues if i.code == "missing_column"]
    assert {i.canonical for i in missing} == {"revenue", "net_profit"}
    assert {issue_message(i, "zh") for i in missing} == {"thin.csv：缺少必填列：营业收入", "thin.csv：缺少必填列：净利润"}


def test_unreadable_file_is_a_report_not_a_crash():
    report = check_borrowers(b"\x89PNG\r\n\x1a\n" + bytes(300), "scan.xlsx")
    assert [i.code for i in report.issues] == ["binary_not_table"] and report.frame is None


# --- the bundled workbook ----------------------------------------------------------------------

def test_sample_workbook_loads_with_the_parquet_figures():
    report = check_borrowers(SAMPLE_XLSX.read_bytes(), SAMPLE_XLSX.name)
    assert report.issues == ()
    assert (report.format, report.sheet, report.header_row, report.rows) == ("xlsx", "借款人财务数据", 3, 300)
    assert set(report.mapping.unmapped) == {"序号", "客户名称"}
    got = report.frame.set_index("borrower_id")
    clean = sample_borrowers().set_index("borrower_id")
    assert list(got.index) == list(clean.index)
    assert (got["report_period"] == clean["report_period"]).all()
    for name in ("total_assets", "revenue", "net_profit", "inventory", "external_guarantees"):
        # 万元 with two decimals, read back to the exact yuan the cell stands for.
        expected = clean[name].map(lambda v: np.nan if pd.isna(v) else round(wan(v) * 1e4, 2))
        assert ((got[name] == expected) | (got[name].isna() & expected.isna())).all(), name
        assert np.nanmax(np.abs(got[name] - clean[name])) <= 50.0
    np.testing.assert_allclose(got["top_customer_share"], clean["top_customer_share"], atol=1e-12)
    for name in ("established_date", "bank_relationship_start", "tax_credit_rating"):
        assert ((got[name] == clean[name]) | clean[name].isna()).all(), name
    assert (got["employees"].astype("float64").fillna(-1) == clean["employees"].fillna(-1)).all()


# --- the store ------------------------------------------------------------------------------------

@pytest.fixture
def store(tmp_path):
    return LedgerStore(tmp_path / "store.duckdb")


def test_sample_workbook_round_trips_through_the_store(store):
    report, batch = import_borrowers(store, SAMPLE_XLSX.read_bytes(), SAMPLE_XLSX.name)
    assert batch is not None and (batch.rows, batch.recognised, batch.superseded) == (300, False, ())
    stored = store.borrowers()
    assert stored["batch_id"].eq(batch.id).all() and len(stored) == 300
    assert stored["report_period"].dtype == np.int64
    expected = report.frame.sort_values(["borrower_id", "report_period"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(stored.drop(columns="batch_id"), expected, check_dtype=False)
    again, same = import_borrowers(store, SAMPLE_XLSX.read_bytes(), "copy.xlsx")
    assert same is not None and same.recognised and same.id == batch.id
    assert store.borrower_counts() == {"borrower_batches": 1, "borrowers": 300}


def test_a_corrected_file_supersedes_only_its_rows_and_keeps_the_old_ones(store):
    _, v1 = import_borrowers(store, table([GOOD, "002,2023,100,50,50,10,1,B,5,"]), "v1.csv")
    _, v2 = import_borrowers(store, table(["002,2023,120,60,60,10,1,B,5,", "002,2024,130,60,70,12,2,A,6,"]), "v2.csv")
    assert v1 is not None and v2 is not None
    assert (v2.superseded, v2.superseded_rows) == ((v1.id,), 1)
    current = store.borrowers().set_index(["borrower_id", "report_period"])
    assert current["total_assets"].to_dict() == {("001", 2023): 4_166_628.0, ("002", 2023): 1_200_000.0,
                                                 ("002", 2024): 1_300_000.0}
    assert current.loc[("002", 2023), "batch_id"] == v2.id
    everything = store.borrowers(include_superseded=True)
    old = everything[(everything["borrower_id"] == "002") & (everything["batch_id"] == v1.id)]
    assert old["total_assets"].tolist() == [1_000_000.0] and old["superseded_by"].tolist() == [v2.id]
    batches = store.borrower_batches().set_index("id")
    assert batches.loc[v1.id, ["file", "rows", "current_rows"]].tolist() == ["v1.csv", 2, 1]


def test_a_failing_import_leaves_the_store_unchanged(store):
    _, v1 = import_borrowers(store, table([GOOD]), "ok.csv")
    before, rows_before = store.borrower_counts(), store.borrowers()
    files_before = store.counts()["files"]
    report, batch = import_borrowers(store, table([GOOD.replace(",A,", ",Z,")]), "bad.csv")
    assert batch is None and report.has_errors
    assert store.counts()["files"] == files_before + 1  # the bytes are kept all the same
    # A failure inside the transaction (a cell that does not cast, half-way through the insert).
    f = store.put_file(b"borrowers v2", "v2.csv")
    bad = report.frame.reset_index(drop=True).assign(borrower_id=["009"]).astype({"total_assets": "object"})
    bad = pd.concat([bad, bad.assign(borrower_id="010", total_assets="not a number")], ignore_index=True)
    with pytest.raises(Exception):
        store.add_borrower_snapshot(f.sha256, bad)
    assert store.borrower_counts() == before
    pd.testing.assert_frame_equal(store.borrowers(), rows_before)


def test_add_borrower_snapshot_refuses_bad_input(store):
    frame = pd.DataFrame({"borrower_id": ["001"], "report_period": [2023], "total_assets": [1.0]})
    with pytest.raises(KeyError, match="store the file before its borrower rows"):
        store.add_borrower_snapshot("0" * 64, frame)
    f = store.put_file(b"x", "x.csv")
    with pytest.raises(ValueError, match=r"outside the borrower schema: \['colour'\]"):
        store.add_borrower_snapshot(f.sha256, frame.assign(colour="red"))
    with pytest.raises(ValueError, match="repeats a"):
        store.add_borrower_snapshot(f.sha256, pd.concat([frame, frame]))
    with pytest.raises(ValueError, match="needs a borrower_id and a report_period"):
        store.add_borrower_snapshot(f.sha256, frame.assign(report_period=[None]))
    assert store.borrower_counts() == {"borrower_batches": 0, "borrowers": 0}


# --- the command line ----------------------------------------------------------------------------

def run_json(args: list[str], capsys) -> tuple[int, list[dict]]:
    code = main([*args, "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_cli_validates_and_imports_a_borrower_table(tmp_path, capsys):
    code, [d] = run_json(["validate", str(SAMPLE_XLSX)], capsys)
    assert code == 0 and (d["table"], d["rows"], d["periods"], d["issues"]) == ("borrowers", 300, [2024], [])
    assert d["units"]["资产总额（万元）"] == "万元"
    code, [d] = run_json(["validate", str(SAMPLE_XLSX), "--table", "loans"], capsys)
    assert code == 1 and d["table"] == "loans"
    assert sum(i["code"] == "missing_column" for i in d["issues"]) == 10  # 12 required loan fields but 客户编号, 客户名称
    store_path = tmp_path / "store.duckdb"
    code, [d] = run_json(["import", str(SAMPLE_XLSX), "--store", str(store_path)], capsys)
    assert code == 0 and d["batch"] == {"id": 1, "rows": 300, "recognised": False, "superseded": [],
                                        "superseded_rows": 0}
    assert len(LedgerStore(store_path).borrowers()) == 300
    path = tmp_path / "fin.csv"
    path.write_bytes(table([GOOD, GOOD]))
    code, [d] = run_json(["import", str(path), "--store", str(store_path)], capsys)
    assert code == 1 and d["batch"] is None and d["table"] == "borrowers"
    assert [(i["row"], i["code"]) for i in d["issues"]] == [(4, "duplicate_borrower_period")]
    code, [d] = run_json(["validate", str(LOAN_CSV)], capsys)
    assert d["table"] == "loans" and d["periods"] is None
