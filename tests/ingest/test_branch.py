"""A ledger without a branch column: the branch comes from the upload form / --branch, or
from a branch code leading the file name; otherwise the check says so before any import."""

from pathlib import Path

import pytest

from riskcore.ingest.pipeline import check_ledger, import_ledger
from riskcore.store import LedgerStore

XLSX = Path(__file__).resolve().parents[2] / "sample_data" / "QD02_2024-11_贷款台账.xlsx"


@pytest.mark.parametrize(("name", "given", "branch", "source"), [
    ("QD02_2024-11_贷款台账.xlsx", None, "QD02", "file_name"),
    ("qd7-2024-11.xlsx", None, "QD7", "file_name"),
    ("QD02_2024-11_贷款台账.xlsx", "SD01", "SD01", "argument"),
    ("贷款台账_2024-11.xlsx", "SD01", "SD01", "argument"),
])
def test_branch_from_the_form_or_the_file_name(name, given, branch, source):
    report = check_ledger(XLSX.read_bytes(), name, branch=given)
    assert not report.has_errors and report.branch_source == source
    assert report.frame["branch_id"].unique().tolist() == [branch]


@pytest.mark.parametrize("name", ["贷款台账_2024-11.xlsx", "2024-11.xlsx", "ledger.xlsx"])
def test_no_branch_anywhere_is_an_error_at_check_time(name, tmp_path):
    report = check_ledger(XLSX.read_bytes(), name)
    assert [(i.code, i.row, i.canonical) for i in report.issues] == [("missing_branch", None, "branch_id")]
    store = LedgerStore(tmp_path / "s.duckdb")
    _, records = import_ledger(store, XLSX.read_bytes(), name)
    assert records == [] and store.counts()["snapshots"] == 0 and store.counts()["files"] == 1


def test_a_branch_column_wins_over_the_file_name():
    gbk = Path(__file__).resolve().parents[2] / "sample_data" / "QD01_2024-12_贷款台账.csv"
    report = check_ledger(gbk.read_bytes(), "SD09_2024-12.csv", branch=None)
    assert report.branch_source == "column" and report.frame["branch_id"].unique().tolist() == ["QD01"]


def test_detail_sheet_is_found_behind_a_summary_sheet():
    import io

    import openpyxl

    book = openpyxl.Workbook()
    summary = book.active
    summary.title = "汇总"
    summary.append(["机构", "户数", "余额合计"])
    summary.append(["QD02", 3276, 123.0])
    detail = book.create_sheet("明细")
    source = openpyxl.load_workbook(XLSX)
    for row in source.worksheets[0].iter_rows(values_only=True):
        detail.append(row)
    buf = io.BytesIO()
    book.save(buf)
    report = check_ledger(buf.getvalue(), "QD02_2024-11_贷款台账.xlsx")
    direct = check_ledger(XLSX.read_bytes(), "QD02_2024-11_贷款台账.xlsx")
    assert report.sheet == "明细" and report.sheets == ("汇总", "明细")
    assert not report.has_errors and report.rows == direct.rows and report.sums == direct.sums
    # A named sheet is read as asked, even when it is the wrong one.
    assert check_ledger(buf.getvalue(), "QD02_2024-11_贷款台账.xlsx", sheet="汇总").has_errors
