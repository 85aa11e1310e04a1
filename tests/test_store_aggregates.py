"""The store's per-snapshot aggregates (written with each snapshot) and its migration matrix."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

import riskcore.store
from riskcore.migration import migration_matrix
from riskcore.sample import load_sample
from riskcore.store import LedgerStore
from riskcore.trends import aggregate_book, npl_trend


def ledger(balance=(100.0, 50.0, 30.0), when="2024-06-30", branch="QD01"):
    n = len(balance)
    return pd.DataFrame({
        "snapshot_date": pd.to_datetime([when] * n), "branch_id": [branch] * n,
        "loan_id": [f"JJ{branch}{i}" for i in range(n)], "borrower_id": [f"C{i}" for i in range(n)],
        "industry_code": ["C3311", "F", "C"][:n], "guarantee_type": ["credit", "mortgage", "credit"][:n],
        "balance": list(balance), "five_class": pd.array([1, 3, 1][:n], dtype="Int64"), "dpd": [0, 120, 5][:n],
    })


@pytest.fixture
def store(tmp_path):
    return LedgerStore(tmp_path / "store.duckdb")


def aggregate_rows(store: LedgerStore) -> int:
    con = duckdb.connect(str(store.path))
    try:
        return int(con.execute("SELECT count(*) FROM snapshot_aggregates").fetchall()[0][0])
    finally:
        con.close()


def test_add_snapshot_writes_the_aggregates_of_the_book(store):
    f = store.put_file(b"v1", "QD01_2024-06.csv")
    store.add_snapshot(f.sha256, "QD01", "2024-06-30", ledger())
    g = store.put_file(b"v2", "QD02_2024-06.csv")
    store.add_snapshot(g.sha256, "QD02", "2024-06-30", ledger((10.0, 20.0), branch="QD02"))
    stored = store.aggregates()
    expected = aggregate_book(pd.concat([ledger(), ledger((10.0, 20.0), branch="QD02")], ignore_index=True))
    for by in (None, "branch_id", "industry", "guarantee_type", "product"):
        pd.testing.assert_frame_equal(npl_trend(stored, by), npl_trend(expected, by))
    industry = npl_trend(stored, "industry").set_index("group")
    assert industry.loc["C", "balance"] == 140.0 and industry.loc["F", "npl_balance"] == 70.0


def test_superseded_snapshots_are_excluded(store):
    v1 = store.put_file(b"ledger v1", "a.csv")
    store.add_snapshot(v1.sha256, "QD01", "2024-06-30", ledger())
    v2 = store.put_file(b"ledger v2 corrected", "a_fixed.csv")
    store.add_snapshot(v2.sha256, "QD01", "2024-06-30", ledger((100.0, 40.0, 30.0)))
    trend = npl_trend(store.aggregates())
    assert trend["balance"].tolist() == [170.0] and trend["npl_balance"].tolist() == [40.0]
    both = npl_trend(store.aggregates(include_superseded=True))
    assert both["balance"].tolist() == [350.0]
    before = aggregate_rows(store)
    store.add_snapshot(v2.sha256, "QD01", "2024-06-30", ledger((100.0, 40.0, 30.0)))  # recognised: nothing new
    assert aggregate_rows(store) == before


def test_a_failed_add_leaves_no_aggregate_rows(store, monkeypatch):
    v1 = store.put_file(b"ledger v1", "a.csv")
    store.add_snapshot(v1.sha256, "QD01", "2024-06-30", ledger())
    before, rows = store.counts(), aggregate_rows(store)
    v2 = store.put_file(b"ledger v2", "b.csv")
    bad = ledger().astype({"balance": "object"})
    bad.loc[1, "balance"] = "not a number"  # fails the loan insert
    with pytest.raises(duckdb.Error):
        store.add_snapshot(v2.sha256, "QD01", "2024-06-30", bad)
    assert aggregate_rows(store) == rows

    def broken(con, source, params=None):  # fails after the loans were inserted
        raise RuntimeError("aggregate step failed")

    monkeypatch.setattr(riskcore.store, "build_aggregates", broken)
    with pytest.raises(RuntimeError, match="aggregate step failed"):
        store.add_snapshot(v2.sha256, "QD01", "2024-06-30", ledger((1.0, 2.0, 3.0)))
    after = store.counts()
    assert {k: after[k] for k in ("snapshots", "loans")} == {k: before[k] for k in ("snapshots", "loans")}
    assert aggregate_rows(store) == rows
    assert npl_trend(store.aggregates())["balance"].tolist() == [180.0]


def test_loans_without_a_branch_take_the_snapshot_branch(store):
    f = store.put_file(b"x", "x.csv")
    store.add_snapshot(f.sha256, "QD07", "2024-06-30", ledger().drop(columns="branch_id"))
    assert npl_trend(store.aggregates(), "branch_id")["group"].tolist() == ["QD07"]


def test_a_store_written_before_the_aggregate_table_is_backfilled(tmp_path):
    path = tmp_path / "old.duckdb"
    store = LedgerStore(path)
    f = store.put_file(b"x", "x.csv")
    store.add_snapshot(f.sha256, "QD01", "2024-06-30", ledger())
    con = duckdb.connect(str(path))
    con.execute("DROP TABLE snapshot_aggregates")
    con.close()
    reopened = LedgerStore(path)
    assert npl_trend(reopened.aggregates())["balance"].tolist() == [180.0]
    rows = aggregate_rows(reopened)
    LedgerStore(path)  # nothing to backfill the second time
    assert aggregate_rows(reopened) == rows


def test_store_trends_and_migration_equal_the_frame_ones(store):
    loans = load_sample().loans
    dates = sorted(loans["snapshot_date"].unique())[-3:]
    part = loans.loc[loans["snapshot_date"].isin(dates)]
    for (branch, when), rows in part.groupby(["branch_id", "snapshot_date"]):
        f = store.put_file(f"{branch}{when}".encode(), f"{branch}.csv")
        store.add_snapshot(f.sha256, branch, when, rows.drop(columns=[]).reset_index(drop=True))
    stored, in_memory = store.aggregates(), aggregate_book(part)
    for by in (None, "branch_id", "industry", "account_manager", "region_code"):
        pd.testing.assert_frame_equal(npl_trend(stored, by), npl_trend(in_memory, by))
    a, b = store.migration(dates[0], dates[-1]), migration_matrix(loans, dates[0], dates[-1])
    pd.testing.assert_frame_equal(a.counts, b.counts)
    pd.testing.assert_frame_equal(a.balances, b.balances)
    one = store.migration(dates[0], dates[-1], branches=["QD01"])
    pd.testing.assert_frame_equal(one.counts, migration_matrix(loans, dates[0], dates[-1], branches=["QD01"]).counts)
