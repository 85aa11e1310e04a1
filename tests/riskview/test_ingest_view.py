"""The data page's tables, built from real checks of the bundled ledgers."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from riskcore.ingest.pipeline import check_ledger, import_ledger
from riskcore.ingest.schema import LOAN_FIELDS
from riskcore.sample_ledgers import PLANTED_ERRORS
from riskcore.store import LedgerStore
from riskview.catalogue import CATALOGUE
from riskview.ingest_view import (
    borrower_batches_table,
    dropped_table,
    field_option,
    field_options,
    file_status,
    files_table,
    issue_counts,
    issues_table,
    mapping_from_table,
    mapping_table,
    reconciliation_table,
    snapshots_table,
)

SAMPLES = Path(__file__).resolve().parents[2] / "sample_data"
ERRORS = "QD03_2024-12_loan_ledger_with_errors.csv"
GBK = "QD01_2024-12_贷款台账.csv"


@pytest.fixture(scope="module")
def bad():
    return check_ledger((SAMPLES / ERRORS).read_bytes(), ERRORS)


@pytest.fixture(scope="module")
def good():
    return check_ledger((SAMPLES / GBK).read_bytes(), GBK)


def test_every_issue_code_has_a_short_problem_name():
    codes = {k.split(".", 1)[1] for k in CATALOGUE if k.startswith("issue.") and not k.startswith("issue.where")}
    assert codes <= {k.split(".", 1)[1] for k in CATALOGUE if k.startswith("problem.")}


def test_issues_table_lists_every_planted_error_errors_first(bad):
    table = issues_table(bad.issues, "en")
    assert len(table) == len(bad.issues)
    assert table["severity"].tolist() == sorted(table["severity"].tolist(), key=["error", "warning"].index)
    planted = {(row, column) for row, (column, _, _) in PLANTED_ERRORS.items()}
    assert planted <= set(zip([int(r) for r in table["Row"]], table["Column"], strict=True))
    assert not table["Message"].str.contains("{", regex=False).any()  # every placeholder filled


def test_issue_counts_add_up_and_speak_chinese(bad):
    counts = issue_counts(bad.issues, "zh")
    assert list(counts.columns) == ["问题", "严重程度", "数量"]
    assert counts["数量"].sum() == len(bad.issues)
    assert counts["严重程度"].iloc[0] == "错误"
    assert issue_counts((), "en").empty


def test_file_status_and_files_table(bad, good, tmp_path):
    assert file_status(bad) == "errors" and file_status(good) == "ready"
    junk = check_ledger(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "x.xlsx")
    assert file_status(junk) == "unreadable"
    store = LedgerStore(tmp_path / "s.duckdb")
    report, records = import_ledger(store, (SAMPLES / GBK).read_bytes(), GBK)
    assert file_status(report, records) == "imported"
    _, again = import_ledger(store, (SAMPLES / GBK).read_bytes(), GBK)
    assert file_status(report, again) == "recognised"
    table = files_table([(good, None, "loans"), (bad, None, "loans"), (junk, None, "loans")], "en")
    assert table["Status"].tolist() == ["ready", "has errors", "unreadable"]
    assert table["Table"].tolist() == ["Loan ledger"] * 3
    assert table["Rows"].tolist()[:2] == [good.rows, bad.rows] and table["Encoding"].iloc[0] == "gb18030"


def test_mapping_table_round_trips_to_a_profile(good):
    table = mapping_table(good, "zh")
    assert table["原始列名"].tolist() == list(good.headers)
    assert set(table["映射到"]) <= set(field_options("zh"))
    profile = mapping_from_table(table, "zh")
    assert {h: f for h, f in profile.items() if f} == dict(good.mapping.columns)
    edited = table.copy()
    edited.loc[edited["原始列名"] == "借据号", "映射到"] = field_option("", "zh")
    assert mapping_from_table(edited, "zh")["借据号"] == ""
    assert len(field_options("en")) == len(LOAN_FIELDS) + 1


def test_dropped_and_reconciliation_tables(good):
    dropped = dropped_table(good, "en")
    assert "total or subtotal row" in dropped["Reason"].tolist()
    recon = reconciliation_table(good, "en")
    assert len(recon) == len(good.reconciliation) and (recon["Result"] == "matches").all()


def test_snapshots_table_newest_first(tmp_path):
    store = LedgerStore(tmp_path / "s.duckdb")
    import_ledger(store, (SAMPLES / GBK).read_bytes(), GBK)
    table = snapshots_table(store.snapshots(), "zh")
    assert table["状态"].unique().tolist() == ["有效"]
    assert table["数据日期"].iloc[0] == "2024-12-31"
    assert snapshots_table(pd.DataFrame(), "zh").empty


def test_borrower_table_mapping_and_batches(tmp_path):
    from riskcore.ingest.borrowers import BORROWER_FIELDS, import_borrowers

    name = "QD01_2024_借款人财务报表.xlsx"
    store = LedgerStore(tmp_path / "s.duckdb")
    report, batch = import_borrowers(store, (SAMPLES / name).read_bytes(), name)
    assert batch is not None and file_status(report, [batch]) == "imported"
    table = mapping_table(report, "zh")
    assert set(table["映射到"]) <= set(field_options("zh", BORROWER_FIELDS))
    profile = mapping_from_table(table, "zh", BORROWER_FIELDS)
    assert {h: f for h, f in profile.items() if f} == dict(report.mapping.columns)
    batches = borrower_batches_table(store.borrower_batches(), "en")
    assert batches["Rows"].tolist() == [report.rows] and batches["Current rows"].tolist() == [report.rows]
