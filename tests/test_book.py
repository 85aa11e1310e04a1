"""riskcore.book: a book assembled from checked ledgers is what the analysis pages rank."""

from pathlib import Path

import pandas as pd
import pytest

from riskcore.book import LedgerPart, assemble_book, book_choices, book_outline
from riskcore.indicators import build_indicator_matrix
from riskcore.ingest.borrowers import check_borrowers
from riskcore.ingest.pipeline import check_ledger

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data"
GBK_CSV = "QD01_2024-12_贷款台账.csv"
XLSX = "QD02_2024-11_贷款台账.xlsx"
FINANCIALS = "QD01_2024_借款人财务报表.xlsx"


def _part(name: str, branch: str | None = None) -> LedgerPart:
    report = check_ledger((SAMPLE / name).read_bytes(), name)
    assert report.frame is not None and not report.has_errors
    return LedgerPart(report.frame, f"sha-{name}", name, branch)


def _ledger(branch: str | None, when: str, balances: list[float], ids: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame({
        "snapshot_date": pd.Timestamp(when), "loan_id": [f"L{i}" for i in ids], "borrower_id": ids,
        "balance": balances, "dpd": 0,
    })
    if branch is not None:
        frame["branch_id"] = branch
    return frame


def test_bundled_bank_ledgers_make_a_two_snapshot_book_that_ranks() -> None:
    report = check_borrowers((SAMPLE / FINANCIALS).read_bytes(), FINANCIALS)
    borrowers = LedgerPart(report.frame, "sha-fin", FINANCIALS)
    book = assemble_book([_part(GBK_CSV), _part(XLSX)], [borrowers])
    dates, branches = book_choices(book.loans)
    assert dates == ["2024-12-31", "2024-11-30"]
    assert set(branches) == {"QD01", "QD02"}
    outline = book_outline(book)
    assert (outline.snapshots, outline.branches, outline.files) == (2, 2, 3)
    assert outline.loans == 2898  # QD01's December ledger
    assert outline.borrowers == report.frame["borrower_id"].nunique()
    matrix = build_indicator_matrix(book.loans, book.borrowers, "2024-12-31")
    assert len(matrix.values) == book.loans.loc[book.loans["snapshot_date"] == "2024-12-31", "borrower_id"].nunique()
    assert matrix.values.notna().all().all()


def test_later_ledger_for_the_same_branch_and_date_replaces_the_earlier() -> None:
    first = LedgerPart(_ledger("B1", "2024-06-30", [100.0, 50.0], ["a", "b"]), "s1", "june.csv")
    corrected = LedgerPart(_ledger("B1", "2024-06-30", [90.0], ["a"]), "s2", "june_fixed.csv")
    other = LedgerPart(_ledger("B2", "2024-06-30", [10.0], ["c"]), "s3", "b2.csv")
    book = assemble_book([first, other, corrected])
    assert sorted(book.loans["borrower_id"]) == ["a", "c"]
    assert book.loans.loc[book.loans["borrower_id"] == "a", "balance"].tolist() == [90.0]
    assert book.replaced == (("B1", pd.Timestamp("2024-06-30"), "june.csv"),)
    assert list(book.borrowers.columns) == ["borrower_id", "report_period"] and book.borrowers.empty


def test_key_is_the_content_not_the_order() -> None:
    a = LedgerPart(_ledger("B1", "2024-06-30", [1.0], ["a"]), "s1", "a.csv")
    b = LedgerPart(_ledger("B1", "2024-07-31", [1.0], ["a"]), "s2", "b.csv")
    assert assemble_book([a, b]).key == assemble_book([b, a]).key
    assert assemble_book([a]).key != assemble_book([a, b]).key


def test_branch_from_the_page_and_its_absence() -> None:
    frame = _ledger(None, "2024-06-30", [1.0], ["a"])
    book = assemble_book([LedgerPart(frame, "s1", "x.csv", "QD09")])
    assert book.loans["branch_id"].tolist() == ["QD09"] and book.loans["branch_name"].tolist() == ["QD09"]
    with pytest.raises(ValueError, match=r"x\.csv: no branch"):
        assemble_book([LedgerPart(frame, "s1", "x.csv")])
    with pytest.raises(ValueError, match="no loan ledger"):
        assemble_book([])
    with pytest.raises(ValueError, match=r"y\.csv: the ledger has no balance column"):
        assemble_book([LedgerPart(frame.drop(columns="balance"), "s2", "y.csv", "QD09")])
