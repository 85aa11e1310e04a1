"""riskcore.trends: per-snapshot aggregates in DuckDB and the trend queries on them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from riskcore.portfolio import final_class, npl_ratio_series
from riskcore.sample import SampleBook, load_sample
from riskcore.trends import (
    AGGREGATE_COLUMNS,
    BY_CHOICES,
    DIMENSIONS,
    aggregate_book,
    borrower_drill,
    npl_trend,
    roll_forward_rates,
    roll_rates,
    vintage_curves,
    yoy_growth,
)


@pytest.fixture(scope="module")
def sample() -> SampleBook:
    return load_sample()


@pytest.fixture(scope="module")
def agg(sample):
    return aggregate_book(sample.loans)


def loans(rows, columns=("snapshot_date", "loan_id", "branch_id", "balance", "five_class", "dpd")):
    frame = pd.DataFrame(rows, columns=list(columns))
    frame["snapshot_date"] = pd.to_datetime(frame["snapshot_date"])
    return frame


# ------------------------------------------------------------------ aggregates

def test_book_trend_equals_the_pandas_npl_ratio_of_the_sample(sample, agg):
    trend = npl_trend(agg)
    expected = npl_ratio_series(sample.loans)
    assert trend["as_of"].tolist() == expected.index.tolist()
    assert trend["npl_ratio"].astype("float64").to_numpy() == pytest.approx(expected.to_numpy(), rel=1e-12)
    assert (trend["group"] == "all").all()
    book = sample.loans.groupby("snapshot_date")
    assert trend["balance"].to_numpy() == pytest.approx(book["balance"].sum().to_numpy())
    assert trend["n_loans"].tolist() == book.size().tolist()


def test_branch_and_industry_trends_equal_a_pandas_groupby(sample, agg):
    frame = sample.loans
    fin = final_class(frame["five_class"], frame["dpd"])
    for by, key in (("branch_id", frame["branch_id"]), ("industry", frame["industry_code"].str[0])):
        grouped = pd.DataFrame({"as_of": frame["snapshot_date"], "group": key, "balance": frame["balance"],
                                "npl": frame["balance"].where(fin >= 3, 0.0)}).groupby(["as_of", "group"]).sum()
        trend = npl_trend(agg, by).set_index(["as_of", "group"])
        assert trend.index.tolist() == grouped.index.tolist()
        assert trend["npl_balance"].to_numpy() == pytest.approx(grouped["npl"].to_numpy())
        ratio = (grouped["npl"] / grouped["balance"]).to_numpy()
        assert trend["npl_ratio"].astype("float64").to_numpy() == pytest.approx(ratio)
    one = npl_trend(agg, None, branches=["QD02"])
    assert one["npl_ratio"].astype("float64").to_numpy() == pytest.approx(
        npl_ratio_series(frame, branches=["QD02"]).to_numpy())


def test_every_dimension_adds_up_to_the_book(agg):
    frame = agg.frame
    assert list(frame.columns) == list(AGGREGATE_COLUMNS)
    assert set(frame["dimension"]) == set(DIMENSIONS)
    measures = [c for c in AGGREGATE_COLUMNS[5:]]
    totals = frame.groupby(["dimension", "as_of"])[measures].sum()
    book = totals.xs("book", level="dimension")
    for dimension in DIMENSIONS:
        assert totals.xs(dimension, level="dimension").to_numpy() == pytest.approx(book.to_numpy())
    # the DPD buckets partition the loans
    buckets_n = frame[[c for c in measures if c.startswith("n_dpd_")]].sum(axis=1)
    assert (buckets_n == frame["n_loans"]).all()
    buckets_b = frame[[c for c in measures if c.startswith("balance_dpd_")]].sum(axis=1)
    assert buckets_b.to_numpy() == pytest.approx(frame["balance"].to_numpy())
    for by in BY_CHOICES:
        assert npl_trend(agg, by)["balance"].sum() == pytest.approx(npl_trend(agg)["balance"].sum())


def test_dpd_buckets_final_class_and_missing_values():
    book = loans([
        ("2024-06-30", "a", "B1", 10.0, 1, 0), ("2024-06-30", "b", "B1", 20.0, 1, 1),
        ("2024-06-30", "c", "B1", 30.0, 1, 30), ("2024-06-30", "d", "B1", 40.0, 2, 31),
        ("2024-06-30", "e", "B1", 50.0, 1, 90), ("2024-06-30", "f", "B1", 60.0, 1, 91),
        ("2024-06-30", "g", "B1", 70.0, np.nan, np.nan), ("2024-06-30", "h", "B1", np.nan, 4, 0),
    ])
    agg = aggregate_book(book)
    row = agg.frame.loc[agg.frame["dimension"] == "book"].set_index("final_class")
    # d has DPD 31 -> floor 2; f has DPD 91 -> floor 3; h reported 4; g missing class and DPD -> 1
    assert row["n_loans"].to_dict() == {1: 2, 2: 4, 3: 1, 4: 1}
    book_row = agg.frame.loc[agg.frame["dimension"] == "book"].sum(numeric_only=True)
    assert [int(book_row[f"n_dpd_{k}"]) for k in ("0", "1_30", "31_60", "61_90", "91p")] == [3, 2, 1, 1, 1]
    assert book_row["balance_dpd_61_90"] == 50.0 and book_row["balance"] == 280.0  # NaN balance counts as 0
    # optional columns the frame lacks form the group "" (not given)
    assert set(agg.frame.loc[agg.frame["dimension"] == "product", "value"]) == {""}


def test_industry_section_from_letters_and_division_numbers():
    codes = ["C", "c3311", "3311", "01", "97", "98", None, "U1", " F ", "5"]
    book = pd.DataFrame({"snapshot_date": pd.Timestamp("2024-06-30"), "loan_id": [f"L{i}" for i in range(len(codes))],
                         "branch_id": "B1", "industry_code": codes, "balance": 1.0, "five_class": 1, "dpd": 0})
    agg = aggregate_book(book)
    trend = npl_trend(agg, "industry").set_index("group")["n_loans"]
    assert trend.to_dict() == {"": 4, "A": 1, "C": 3, "F": 1, "T": 1}


def test_zero_balance_ratio_is_na_with_a_reason_never_nan():
    book = loans([("2024-06-30", "a", "B1", 0.0, 3, 100), ("2024-06-30", "b", "B2", 50.0, 1, 0)])
    trend = npl_trend(aggregate_book(book), "branch_id").set_index("group")
    assert str(trend["npl_ratio"].dtype) == "Float64"
    assert trend.loc["B1", "npl_ratio"] is pd.NA and trend.loc["B1", "undefined_reason"] == "zero_balance"
    assert trend.loc["B2", "npl_ratio"] == 0.0 and trend.loc["B2", "undefined_reason"] is None
    assert not np.isnan(trend["npl_ratio"].to_numpy(dtype="float64", na_value=0.0)).any()


def test_bad_by_is_refused(agg):
    with pytest.raises(ValueError, match=r"`by` must be None or one of \['branch_id', 'industry'"):
        npl_trend(agg, "colour")


# ------------------------------------------------------------------ year on year

def test_yoy_growth_on_a_hand_built_book():
    rows = [
        ("2023-06-30", "a1", "A", 100.0, 1, 0), ("2023-06-30", "a2", "A", 10.0, 3, 100),
        ("2023-06-30", "c1", "C", 40.0, 1, 0),
        ("2024-05-31", "a1", "A", 120.0, 1, 0),
        ("2024-06-30", "a1", "A", 146.58, 1, 0), ("2024-06-30", "a3", "A", 13.07, 5, 400),
        ("2024-06-30", "b1", "B", 25.0, 3, 95),
    ]
    agg = aggregate_book(loans(rows))
    by_branch = yoy_growth(agg, "branch_id").set_index("group")
    assert by_branch["as_of"].unique().tolist() == [pd.Timestamp("2024-06-30")]  # May 2024 has no year-ago month
    a = by_branch.loc["A"]
    assert a["prior_as_of"] == pd.Timestamp("2023-06-30")
    assert a["loan_growth"] == pytest.approx((146.58 + 13.07) / 110.0 - 1)
    assert a["npl_growth"] == pytest.approx(13.07 / 10.0 - 1)  # NPL +30.7 %
    b = by_branch.loc["B"]  # new branch: nothing a year ago -> undefined, with the reason
    assert b["loan_growth"] is pd.NA and b["loan_growth_reason"] == "zero_prior" and b["npl_growth_reason"] == "zero_prior"
    c = by_branch.loc["C"]  # gone: -100 %, NPL undefined (no NPL a year ago)
    assert c["loan_growth"] == -1.0 and c["balance"] == 0.0 and c["npl_growth"] is pd.NA
    book = yoy_growth(agg).iloc[0]
    assert book["loan_growth"] == pytest.approx((146.58 + 13.07 + 25.0) / 150.0 - 1)
    assert str(by_branch["loan_growth"].dtype) == "Float64"


def test_yoy_growth_on_the_sample_equals_the_trend_a_year_apart(agg):
    yoy = yoy_growth(agg)
    trend = npl_trend(agg).set_index("as_of")
    assert len(yoy) == 12
    for _, row in yoy.iterrows():
        assert row["balance"] == pytest.approx(trend.loc[row["as_of"], "balance"])
        assert row["prior_balance"] == pytest.approx(trend.loc[row["prior_as_of"], "balance"])
        assert row["npl_growth"] == pytest.approx(trend.loc[row["as_of"], "npl_balance"]
                                                  / trend.loc[row["prior_as_of"], "npl_balance"] - 1)


def test_no_year_ago_snapshot_gives_an_empty_frame():
    out = yoy_growth(aggregate_book(loans([("2024-06-30", "a", "B1", 1.0, 1, 0)])))
    assert out.empty and "loan_growth" in out.columns


# ------------------------------------------------------------------ roll rates and vintages

def test_roll_rates_join_consecutive_month_ends_on_loan_id():
    rows = [
        ("2024-01-31", "a", "B1", 100.0, 1, 0), ("2024-01-31", "b", "B1", 50.0, 2, 20),
        ("2024-01-31", "c", "B1", 30.0, 2, 45), ("2024-01-31", "d", "B1", 20.0, 1, 0),
        ("2024-02-29", "a", "B1", 95.0, 1, 0), ("2024-02-29", "b", "B1", 50.0, 2, 49),
        ("2024-02-29", "c", "B1", 30.0, 1, 0), ("2024-02-29", "e", "B1", 70.0, 1, 0),
        # April: March is missing, so Feb -> Apr is not a one-month pair
        ("2024-04-30", "a", "B1", 90.0, 1, 0),
    ]
    rolls = roll_rates(loans(rows))
    assert rolls["start"].unique().tolist() == [pd.Timestamp("2024-01-31")]
    cells = rolls.set_index(["from_bucket", "to_bucket"])
    assert cells["n_loans"].to_dict() == {("0", "0"): 1, ("0", "left"): 1, ("1-30", "31-60"): 1, ("31-60", "0"): 1}
    assert cells.loc[("0", "left"), "balance"] == 20.0  # the balance at the start month
    assert cells.loc[("0", "0"), "share"] == 0.5 and cells.loc[("0", "0"), "balance_share"] == pytest.approx(100 / 120)
    forward = roll_forward_rates(rolls).set_index("from_bucket")
    assert forward.loc["1-30", "rate"] == 1.0 and forward.loc["31-60", "rate"] == 0.0 and forward.loc["0", "rate"] == 0.0
    by_count = roll_forward_rates(rolls, weight="count").set_index("from_bucket")
    assert by_count.loc["0", "base"] == 2
    with pytest.raises(ValueError, match="`weight` must be 'balance' or 'count'"):
        roll_forward_rates(rolls, weight="amount")


def test_vintage_curve_denominator_and_censoring():
    cols = ("snapshot_date", "loan_id", "branch_id", "origination_date", "loan_amount", "five_class", "dpd")
    months = pd.date_range("2024-01-31", periods=6, freq="ME")
    rows = []
    for d in months:
        rows.append((d, "old", "B1", "2023-11-05", 10.0, 3, 120))  # 2023Q4: before the first snapshot, left out
        rows.append((d, "L1", "B1", "2024-01-10", 100.0, 3 if d >= months[2] else 1, 0))  # NPL from MOB 2
        rows.append((d, "L2", "B1", "2024-01-20", 100.0, 1, 0))  # never defaults
        if months[1] <= d <= months[2]:
            rows.append((d, "L3", "B1", "2024-02-03", 200.0, 1, 0))  # repaid after March: stays in the denominator
        if d >= months[4]:
            rows.append((d, "L4", "B1", "2024-05-15", 50.0, 1, 95))  # 2024Q2, NPL by DPD at MOB 0
    book = pd.DataFrame(rows, columns=list(cols))
    for c in ("snapshot_date", "origination_date"):
        book[c] = pd.to_datetime(book[c])
    v = vintage_curves(book)
    q1 = v.loc[v["cohort"] == "2024Q1"]
    assert q1["mob"].tolist() == [0, 1, 2, 3]  # March loans reach MOB 3 at the June snapshot
    assert (q1["n_loans"] == 3).all()
    assert q1["defaults"].tolist() == [0, 0, 1, 1]
    assert q1["default_rate"].tolist() == pytest.approx([0, 0, 1 / 3, 1 / 3])
    assert q1["amount_rate"].astype("float64").tolist() == pytest.approx([0, 0, 0.25, 0.25])
    q2 = v.loc[v["cohort"] == "2024Q2"]
    assert q2["mob"].tolist() == [0] and q2["default_rate"].tolist() == [1.0]
    assert set(v["cohort"]) == {"2024Q1", "2024Q2"}


def test_vintage_and_rolls_on_the_sample_are_well_formed(sample):
    v = vintage_curves(sample.loans)
    assert not v.empty and v["default_rate"].between(0, 1).all()
    assert (v.groupby("cohort")["defaults"].apply(lambda s: s.is_monotonic_increasing)).all()
    rolls = roll_rates(sample.loans)
    starts = rolls.groupby("start")["n_loans"].sum()
    sizes = sample.loans.groupby("snapshot_date").size()
    assert starts.tolist() == sizes.iloc[:-1].tolist()  # every loan of a month-end goes somewhere


def test_borrower_drill_adds_up_to_the_industry_line(sample, agg):
    latest = pd.to_datetime(sample.loans["snapshot_date"]).max()
    drill = borrower_drill(sample.loans, latest, branches=["QD01"], industry="C")
    line = npl_trend(agg, "industry", branches=["QD01"])
    at = line.loc[(line["as_of"] == latest) & (line["group"] == "C")].iloc[0]
    assert drill["balance"].sum() == pytest.approx(at["balance"])
    assert drill["npl_balance"].sum() == pytest.approx(at["npl_balance"])
    assert drill["balance"].is_monotonic_decreasing
    assert drill["final_class"].between(1, 5).all() and (drill["dpd"] >= 0).all()
    with pytest.raises(ValueError, match="no snapshot dated 2020-01-31"):
        borrower_drill(sample.loans, "2020-01-31")
