"""The bank-style sample ledgers load with the right figures, or report the planted errors."""

import numpy as np
import pandas as pd
import pytest

from riskcore.ingest.pipeline import check_ledger, infer_as_of
from riskcore.ingest.read import read_table
from riskcore.sample import DEFAULT_DIR, load_sample
from riskcore.sample_ledgers import ERRORS_NAME, PLANTED_ERRORS, XLSX_NAME, write_error_ledger


def test_xlsx_export_loads_with_the_right_figures():
    path = DEFAULT_DIR / XLSX_NAME
    report = check_ledger(path.read_bytes(), path.name)
    assert report.issues == ()
    assert (report.format, report.sheet, report.header_row) == ("xlsx", "贷款明细", 3)
    assert (report.as_of, report.as_of_source) == (pd.Timestamp("2024-11-30"), "title")
    assert [d.reason for d in report.dropped_rows] == ["total_row"]
    assert report.reconciliation and all(r.matches for r in report.reconciliation)
    loans = load_sample().loans
    clean = loans[(loans["branch_id"] == "QD02") & (loans["snapshot_date"] == "2024-11-30")].set_index("loan_id")
    got = report.frame.set_index("loan_id")
    assert set(got.index) == set(clean.index)
    clean = clean.reindex(got.index)
    # 万元 with two decimals: within 50 yuan per loan.
    assert np.abs(got["balance"] - clean["balance"]).max() <= 50.0 + 1e-6
    assert (got["five_class"].astype(int) == clean["five_class"]).all()
    assert (got["origination_date"] == clean["origination_date"]).all()
    assert (got["branch_name"] == clean["branch_name"]).all()  # the merged branch cell, spread
    assert (got["is_inclusive"] == clean["is_inclusive"]).all()


def test_error_ledger_reports_exactly_the_planted_problems():
    path = DEFAULT_DIR / ERRORS_NAME
    report = check_ledger(path.read_bytes(), path.name)
    assert report.encoding == "utf-8-sig"
    found = {(i.row, i.column, i.code) for i in report.issues}
    assert found == {(row, column, code) for row, (column, _, code) in PLANTED_ERRORS.items()}
    assert report.has_errors and report.rows == 200


def test_error_ledger_regenerates_byte_for_byte(tmp_path):
    write_error_ledger(tmp_path / ERRORS_NAME)
    assert (tmp_path / ERRORS_NAME).read_bytes() == (DEFAULT_DIR / ERRORS_NAME).read_bytes()


@pytest.mark.parametrize(
    ("name", "title", "expected", "source"),
    [("a.csv", "台账（2024年6月30日）", "2024-06-30", "title"), ("QD02_2024-11_台账.csv", None, "2024-11-30", "file_name"),
     ("ledger_202402.csv", "明细", "2024-02-29", "file_name"), ("ledger.csv", "明细", None, None)],
)
def test_as_of_inference(name, title, expected, source):
    text = (f"{title}\n" if title else "") + "借据号,客户号\nJJ1,001\n"
    raw = read_table(text.encode(), name)
    date, src = infer_as_of(raw)
    assert (None if date is None else date.date().isoformat(), src) == (expected, source)
    assert infer_as_of(raw, "2024-03-31") == (pd.Timestamp("2024-03-31"), "argument")
