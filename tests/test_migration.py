"""riskcore.migration: migration matrices in DuckDB, the average one-month matrix and the projection."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from riskcore.migration import (
    CLASS_STATES,
    FROM_STATES,
    STATES,
    TO_STATES,
    average_one_month_matrix,
    class_distribution,
    migration_matrix,
    npl_share,
    project,
    stress_matrix,
)
from riskcore.portfolio import final_class
from riskcore.sample import SampleBook, load_sample


@pytest.fixture(scope="module")
def sample() -> SampleBook:
    return load_sample()


def book(rows):
    frame = pd.DataFrame(rows, columns=["snapshot_date", "loan_id", "branch_id", "balance", "five_class", "dpd"])
    frame["snapshot_date"] = pd.to_datetime(frame["snapshot_date"])
    return frame


TWO_SNAPSHOTS = [
    # start 2024-01-31
    ("2024-01-31", "a", "B1", 100.0, 1, 0), ("2024-01-31", "b", "B1", 200.0, 1, 0),
    ("2024-01-31", "c", "B1", 50.0, 2, 40), ("2024-01-31", "d", "B2", 80.0, 3, 100),
    ("2024-01-31", "e", "B2", 30.0, 1, 0),  # repaid
    # end 2024-02-29
    ("2024-02-29", "a", "B1", 90.0, 1, 0), ("2024-02-29", "b", "B1", 195.0, 2, 10),
    ("2024-02-29", "c", "B1", 50.0, 1, 95),  # DPD floor 3 beats the reported 1
    ("2024-02-29", "d", "B2", 80.0, 3, 130), ("2024-02-29", "f", "B2", 60.0, 1, 0),  # new
]


def test_hand_built_two_snapshot_book_gives_the_known_matrix():
    m = migration_matrix(book(TWO_SNAPSHOTS), "2024-01-31", "2024-02-29")
    expected = pd.DataFrame(0, index=list(FROM_STATES), columns=list(TO_STATES))
    expected.loc["1", "1"] = 1  # a
    expected.loc["1", "2"] = 1  # b
    expected.loc["1", "left"] = 1  # e
    expected.loc["2", "3"] = 1  # c
    expected.loc["3", "3"] = 1  # d
    expected.loc["new", "1"] = 1  # f
    assert m.counts.to_numpy().tolist() == expected.to_numpy().tolist()
    assert m.counts.index.tolist() == list(FROM_STATES) and m.counts.columns.tolist() == list(TO_STATES)
    # by balance: the start balance (b moved 200, not 195); the new row holds the end balance
    assert m.balances.loc["1", "2"] == 200.0 and m.balances.loc["1", "left"] == 30.0
    assert m.balances.loc["2", "3"] == 50.0 and m.balances.loc["new", "1"] == 60.0
    assert m.population("balance").loc[list(CLASS_STATES)].tolist() == [330.0, 50.0, 80.0, 0.0, 0.0]
    rates = m.rates()
    assert rates.loc["1", "2"] == pytest.approx(1 / 3)
    assert rates.loc["4"].isna().all() and str(rates["1"].dtype) == "Float64"  # nobody in class 4: undefined row


def test_branches_restrict_both_snapshots():
    m = migration_matrix(book(TWO_SNAPSHOTS), "2024-01-31", "2024-02-29", branches=["B2"])
    assert m.population().to_dict() == {"1": 1, "2": 0, "3": 1, "4": 0, "5": 0, "new": 1}
    assert m.counts.loc["1", "left"] == 1 and m.counts.loc["3", "3"] == 1 and m.counts.loc["new", "1"] == 1


@pytest.mark.parametrize("start_index, end_index", [(0, 1), (11, 23), (0, 23)])
def test_rows_sum_to_the_starting_population_on_the_sample(sample, start_index, end_index):
    loans = sample.loans
    dates = sorted(loans["snapshot_date"].unique())
    start, end = pd.Timestamp(dates[start_index]), pd.Timestamp(dates[end_index])
    m = migration_matrix(loans, start, end)
    at_start = loans.loc[loans["snapshot_date"] == start]
    at_end = loans.loc[loans["snapshot_date"] == end]
    fin = final_class(at_start["five_class"], at_start["dpd"]).astype(str)
    counts = fin.value_counts().reindex(list(CLASS_STATES), fill_value=0)
    balances = at_start["balance"].groupby(fin.to_numpy()).sum().reindex(list(CLASS_STATES), fill_value=0.0)
    assert m.counts.sum(axis=1).loc[list(CLASS_STATES)].tolist() == counts.tolist()
    assert m.balances.sum(axis=1).loc[list(CLASS_STATES)].to_numpy() == pytest.approx(balances.to_numpy())
    new = ~at_end["loan_id"].isin(at_start["loan_id"])
    left = ~at_start["loan_id"].isin(at_end["loan_id"])
    assert m.counts.loc["new"].sum() == new.sum() and m.counts["left"].sum() == left.sum()
    assert m.balances.loc["new"].sum() == pytest.approx(at_end.loc[new, "balance"].sum())
    assert m.counts.loc["new", "left"] == 0
    # the end population by class is the column sums (classes 1-5)
    fin_end = final_class(at_end["five_class"], at_end["dpd"]).astype(str).value_counts()
    assert m.counts[list(CLASS_STATES)].sum().tolist() == fin_end.reindex(list(CLASS_STATES), fill_value=0).tolist()


def test_errors():
    loans = book(TWO_SNAPSHOTS)
    with pytest.raises(ValueError, match=r"`start` \(2024-02-29\) must be before `end` \(2024-01-31\)"):
        migration_matrix(loans, "2024-02-29", "2024-01-31")
    with pytest.raises(ValueError, match="no snapshot dated 2024-03-31"):
        migration_matrix(loans, "2024-01-31", "2024-03-31")
    twice = pd.concat([loans, loans.iloc[[0]]], ignore_index=True)
    with pytest.raises(ValueError, match="1 repeated loan_id"):
        migration_matrix(twice, "2024-01-31", "2024-02-29")
    no_id = loans.copy()
    no_id.loc[6, "loan_id"] = None
    with pytest.raises(ValueError, match="1 loan\\(s\\) without a loan_id in the snapshot of 2024-02-29"):
        migration_matrix(no_id, "2024-01-31", "2024-02-29")


def test_class_distribution(sample):
    latest = sample.loans["snapshot_date"].max()
    mix = class_distribution(sample.loans, latest)
    at = sample.loans.loc[sample.loans["snapshot_date"] == latest]
    assert mix["n_loans"].sum() == len(at) and mix["balance"].sum() == pytest.approx(at["balance"].sum())
    assert mix.index.tolist() == list(CLASS_STATES)


# ------------------------------------------------------------------ one-month matrix, stress, projection

def test_average_one_month_matrix_is_count_weighted():
    rows = [
        ("2024-01-31", "a", "B1", 1.0, 1, 0), ("2024-01-31", "b", "B1", 1.0, 1, 0),
        ("2024-02-29", "a", "B1", 1.0, 1, 0), ("2024-02-29", "b", "B1", 1.0, 2, 5),
        ("2024-02-29", "c", "B1", 1.0, 1, 0), ("2024-02-29", "d", "B1", 1.0, 1, 0),
        ("2024-02-29", "e", "B1", 1.0, 1, 0),
        ("2024-03-31", "a", "B1", 1.0, 1, 0), ("2024-03-31", "b", "B1", 1.0, 3, 95),
        ("2024-03-31", "c", "B1", 1.0, 1, 0), ("2024-03-31", "d", "B1", 1.0, 1, 0),
    ]
    tm = average_one_month_matrix(book(rows), "2024-01-31", "2024-03-31")
    p = tm.probabilities
    # class 1: Jan 2 loans (1 stays, 1 -> 2); Feb 4 loans (3 stay, 1 leaves): pooled 4/6 stay
    assert p.loc["1", "1"] == pytest.approx(4 / 6) and p.loc["1", "2"] == pytest.approx(1 / 6)
    assert p.loc["1", "left"] == pytest.approx(1 / 6)
    # the average of the two monthly rows (1/2 and 3/4) weighted by their loans (2 and 4)
    assert p.loc["1", "1"] == pytest.approx((2 * 0.5 + 4 * 0.75) / 6)
    assert p.loc["2", "3"] == 1.0
    assert tm.unobserved == ("3", "4", "5") and p.loc["4", "4"] == 1.0 and p.loc["left", "left"] == 1.0
    assert np.allclose(p.sum(axis=1), 1.0)
    assert len(tm.pairs) == 2 and tm.counts.loc["1"].sum() == 6
    with pytest.raises(ValueError, match="no two snapshots one month apart"):
        gap = book(rows)
        average_one_month_matrix(gap.loc[gap["snapshot_date"] != "2024-02-29"], "2024-01-31", "2024-03-31")


def test_stress_matrix_moves_mass_from_staying_to_downgrades():
    p = pd.DataFrame(0.0, index=list(STATES), columns=list(STATES))
    p.loc["1", ["1", "2", "3", "left"]] = [0.90, 0.04, 0.01, 0.05]
    p.loc["2", ["1", "2", "3", "left"]] = [0.10, 0.50, 0.30, 0.10]
    p.loc["3", ["3", "5"]] = [0.8, 0.2]
    p.loc["4", "4"] = p.loc["5", "5"] = p.loc["left", "left"] = 1.0
    assert stress_matrix(p, 1.0).equals(p)
    s = stress_matrix(p, 2.0)
    assert s.loc["1", ["2", "3"]].tolist() == pytest.approx([0.08, 0.02])
    assert s.loc["1", "1"] == pytest.approx(0.85) and s.loc["1", "left"] == 0.05  # leaving unchanged
    # row 2: stay 0.5 cannot absorb 0.3 more? it can (0.2 left); at x3 it cannot: capped
    s3 = stress_matrix(p, 3.0)
    assert s3.loc["2", "2"] == 0.0 and s3.loc["2", "3"] == pytest.approx(0.80) and s3.loc["2", "1"] == 0.10
    assert np.allclose(s3.sum(axis=1), 1.0) and (s3.to_numpy() >= 0).all()
    relief = stress_matrix(p, 0.5)
    assert relief.loc["3", "5"] == pytest.approx(0.1) and relief.loc["3", "3"] == pytest.approx(0.9)
    with pytest.raises(ValueError, match="`factor` must be a finite number >= 0"):
        stress_matrix(p, -1.0)


def test_projection_conserves_the_book_and_follows_the_matrix():
    p = pd.DataFrame(0.0, index=list(STATES), columns=list(STATES))
    p.loc["1", ["1", "3", "left"]] = [0.8, 0.1, 0.1]
    for s in ("2", "3", "4", "5", "left"):
        p.loc[s, s] = 1.0
    out = project({1: 100.0, 2: 10.0}, p, 2)
    assert out.index.tolist() == [0, 1, 2]
    assert out.loc[0, ["1", "2", "3", "left"]].tolist() == [100.0, 10.0, 0.0, 0.0]
    assert out.loc[1, ["1", "3", "left"]].tolist() == pytest.approx([80.0, 10.0, 10.0])
    assert out.loc[2, ["1", "3", "left"]].tolist() == pytest.approx([64.0, 18.0, 18.0])
    assert np.allclose(out.sum(axis=1), 110.0)
    share = npl_share(out)
    assert share.loc[2] == pytest.approx(18.0 / (64 + 10 + 18))
    stressed = project({"1": 100.0}, p, 1, stress=2.0)
    assert stressed.loc[1, ["1", "3"]].tolist() == pytest.approx([70.0, 20.0])
    gone = pd.DataFrame({s: [0.0] for s in STATES}).assign(left=[5.0])
    assert npl_share(gone).isna().all()
    with pytest.raises(ValueError, match="`months` must be >= 0"):
        project({1: 1.0}, p, -1)
    with pytest.raises(ValueError, match="states outside"):
        project({"x": 1.0}, p, 1)


def test_projection_from_the_sample_average_matrix(sample):
    dates = sorted(sample.loans["snapshot_date"].unique())
    tm = average_one_month_matrix(sample.loans, dates[0], dates[-1])
    assert len(tm.pairs) == len(dates) - 1 and tm.unobserved == ()
    assert np.allclose(tm.probabilities.sum(axis=1), 1.0)
    mix = class_distribution(sample.loans, dates[-1])["n_loans"]
    out = project(mix, tm, 12, stress=1.5)
    assert out.sum(axis=1).to_numpy() == pytest.approx(float(mix.sum()))
    assert npl_share(out).iloc[-1] > npl_share(project(mix, tm, 12)).iloc[-1]  # stress raises the NPL share
