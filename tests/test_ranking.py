from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from riskcore import entropy_weights, grey_relational
from riskcore.ranking import rank_book, rating_bands, weakest_indicators


@dataclass(frozen=True)
class TinyMatrix:
    values: pd.DataFrame
    directions: pd.Series
    borrowers: pd.DataFrame


def tiny() -> TinyMatrix:
    ids = pd.Index(["C001", "C002", "C003", "C004", "C005"], name="borrower_id")
    values = pd.DataFrame(
        {
            "asset_liability_ratio": [0.35, 0.92, 0.60, 0.48, 0.75],
            "current_ratio": [2.1, 0.7, 1.2, 1.6, 0.9],
            "max_dpd_12m": [0.0, 120.0, 15.0, 0.0, 45.0],
        },
        index=ids,
    )
    directions = pd.Series({"asset_liability_ratio": "cost", "current_ratio": "benefit", "max_dpd_12m": "cost"})
    borrowers = pd.DataFrame(
        {"borrower_name": ["甲", "乙", "丙", "丁", "戊"], "branch_id": ["QD01"] * 5, "balance": [1e6, 2e6, 5e5, 8e5, 3e6]},
        index=ids,
    )
    return TinyMatrix(values, directions, borrowers)


def test_rank_book_orders_riskiest_first_with_entropy_weights():
    m = tiny()
    r = rank_book(m)
    ew = entropy_weights(m.values, m.directions)
    gr = grey_relational(m.values, m.directions, ew.weights)
    assert r.entropy.weights.equals(ew.weights)
    assert r.table["borrower_id"].tolist() == gr.grades.sort_values().index.tolist()
    # C002 is worst on every indicator; C001 best on every one.
    assert r.table["borrower_id"].iloc[0] == "C002" and r.table["risk_rank"].iloc[0] == 1
    assert r.table["borrower_id"].iloc[-1] == "C001"
    assert r.table["grade"].iloc[0] == pytest.approx(ew.weights.to_numpy() @ [1 / 3, 1 / 3, 1 / 3])
    assert r.table["grade"].iloc[-1] == pytest.approx(1.0)
    assert r.table["grade"].is_monotonic_increasing
    assert list(r.table.columns[:2]) == ["risk_rank", "borrower_id"]
    assert {"borrower_name", "balance", "rating_band", "drag_1", "drag_2", "drag_3"} <= set(r.table.columns)


def test_rating_bands_equal_counts_best_is_a():
    grades = pd.Series(np.linspace(0.4, 0.9, 10), index=[f"b{i}" for i in range(10)])
    bands = rating_bands(grades)
    assert bands.tolist() == ["E", "E", "D", "D", "C", "C", "B", "B", "A", "A"]


def test_weakest_indicators_are_largest_weighted_shortfalls():
    m = tiny()
    gr = grey_relational(m.values, m.directions, [0.5, 0.3, 0.2])
    drags = weakest_indicators(gr)
    shortfall = (1 - gr.coefficients) * [0.5, 0.3, 0.2]
    for bid in m.values.index:
        expected = shortfall.loc[bid].sort_values(ascending=False, kind="stable").index[:3].tolist()
        assert drags.loc[bid].tolist() == expected


def test_rank_book_with_given_weights_grades_by_them():
    m = tiny()
    given = pd.Series({"asset_liability_ratio": 0.0, "current_ratio": 0.0, "max_dpd_12m": 1.0})
    r = rank_book(m, weights=given)
    gr = grey_relational(m.values, m.directions, given)
    assert r.grey.weights.equals(given.reindex(m.values.columns))
    pd.testing.assert_series_equal(r.table.set_index("borrower_id")["grade"].sort_index(),
                                   gr.grades.sort_index(), check_names=False)
    assert r.entropy.weights.equals(entropy_weights(m.values, m.directions).weights)  # still shown
    with pytest.raises(ValueError, match="name every indicator"):
        rank_book(m, weights=given.drop("current_ratio"))


def test_key_risk_factors_rank_the_factor_that_tracks_defaults_first():
    from riskcore.ranking import key_risk_factors

    ids = [f"B{i}" for i in range(6)]
    default = pd.Series([1, 1, 0, 0, 0, 0], index=ids)
    values = pd.DataFrame({
        # cost indicator, high for exactly the defaulters: its risk score equals the flag
        "max_dpd_12m": [90.0, 90.0, 0.0, 0.0, 0.0, 0.0],
        # benefit indicator unrelated to default
        "current_ratio": [1.0, 2.0, 1.0, 2.0, 1.0, 2.0],
        # everyone best: excluded
        "litigation_count": [0.0] * 6,
    }, index=ids)
    directions = pd.Series({"max_dpd_12m": "cost", "current_ratio": "benefit", "litigation_count": "cost"})
    grey = grey_relational(values, directions)
    k = key_risk_factors(grey, default)
    assert list(k.result.degrees.index) == ["max_dpd_12m", "current_ratio"]
    assert k.result.degrees["max_dpd_12m"] == pytest.approx(1.0)  # identical shape after mean scaling
    assert k.excluded == ("litigation_count",)
    with pytest.raises(ValueError, match="nothing defaulted"):
        key_risk_factors(grey, default * 0)
    with pytest.raises(ValueError, match="missing"):
        key_risk_factors(grey, default.drop("B0"))


# ------------------------------------------------------------------ filters and drill-down

@dataclass(frozen=True)
class HandMatrix:
    values: pd.DataFrame
    directions: pd.Series
    criteria: pd.Series
    imputed: pd.DataFrame
    borrowers: pd.DataFrame


def hand() -> HandMatrix:
    """3 borrowers × 2 indicators, small enough to compute by hand.

    x1 (benefit) 10, 20, 30 -> z = 0, 0.5, 1; x2 (cost) 0.2, 0.6, 0.4 -> z = (0.6 - x) / 0.4 = 1, 0, 0.5.
    Delta = 1 - z; Delta_min = 0, Delta_max = 1, so with rho = 0.5 xi = 0.5 / (Delta + 0.5):
    Delta 1 -> 1/3, 0.5 -> 1/2, 0 -> 1.
    """
    ids = pd.Index(["B1", "B2", "B3"], name="borrower_id")
    values = pd.DataFrame({"x1": [10.0, 20.0, 30.0], "x2": [0.2, 0.6, 0.4]}, index=ids)
    return HandMatrix(
        values=values,
        directions=pd.Series({"x1": "benefit", "x2": "cost"}),
        criteria=pd.Series({"x1": "financial", "x2": "credit"}),
        imputed=pd.DataFrame({"x1": [False, True, False], "x2": [False, False, False]}, index=ids),
        borrowers=pd.DataFrame({"borrower_name": ["甲", "乙", "丙"], "balance": [1.0, 2.0, 3.0]}, index=ids),
    )


def test_borrower_profile_hand_checked_3x2():
    from riskcore.ranking import borrower_profile

    m = hand()
    weights = pd.Series({"x1": 0.6, "x2": 0.4})
    ranking = rank_book(m, weights=weights)
    # grades: B1 = 0.6/3 + 0.4 = 0.6; B2 = 0.6/2 + 0.4/3 = 0.4333; B3 = 0.6 + 0.4/2 = 0.8
    p = borrower_profile(ranking.grey, m, "B1")
    assert (p.borrower_id, p.risk_rank, p.n_borrowers, p.rho) == ("B1", 2, 3, 0.5)
    assert p.grade == pytest.approx(0.6)
    tab = p.table
    assert tab.index.tolist() == ["x1", "x2"]
    assert tab["value"].tolist() == [10.0, 0.2]
    assert tab["ideal"].tolist() == [30.0, 0.2]  # best value in raw units: max of a benefit, min of a cost
    assert tab["z"].tolist() == pytest.approx([0.0, 1.0])
    assert tab["xi"].tolist() == pytest.approx([1 / 3, 1.0])
    assert tab["weight"].tolist() == pytest.approx([0.6, 0.4])
    assert tab["contribution"].tolist() == pytest.approx([0.2, 0.4])
    assert tab["shortfall"].tolist() == pytest.approx([0.4, 0.0])
    assert tab["contribution"].sum() == pytest.approx(p.grade)
    assert tab["criterion"].tolist() == ["financial", "credit"]
    assert tab["direction"].tolist() == ["benefit", "cost"]
    assert tab["imputed"].tolist() == [False, False]
    assert p.attributes["borrower_name"] == "甲"

    b2 = borrower_profile(ranking.grey, m, "B2")
    assert b2.risk_rank == 1 and b2.grade == pytest.approx(0.3 + 0.4 / 3)
    assert b2.table["z"].tolist() == pytest.approx([0.5, 0.0])
    assert b2.table["xi"].tolist() == pytest.approx([0.5, 1 / 3])
    assert b2.table["imputed"].tolist() == [True, False]
    b3 = borrower_profile(ranking.grey, m, "B3")
    assert b3.risk_rank == 3 and b3.grade == pytest.approx(0.8)
    assert b3.table["xi"].tolist() == pytest.approx([1.0, 0.5])


def test_borrower_profile_without_optional_matrix_parts_and_errors():
    from riskcore.ranking import borrower_profile

    m = tiny()  # no criteria, no imputed
    ranking = rank_book(m)
    p = borrower_profile(ranking.grey, m, "C002")
    assert p.table["criterion"].tolist() == [None] * 3
    assert not p.table["imputed"].any()
    assert p.table["unit"].tolist() == [None] * 3
    assert p.grade == pytest.approx(float(ranking.table.loc[ranking.table["borrower_id"] == "C002", "grade"].iloc[0]))
    with pytest.raises(ValueError, match="not in the ranked population"):
        borrower_profile(ranking.grey, m, "C999")
    with pytest.raises(ValueError, match="pass the matrix it was computed from"):
        borrower_profile(ranking.grey, hand(), "B1")


def test_filter_ranking_keeps_population_ranks_and_order():
    from riskcore.ranking import filter_ranking

    table = pd.DataFrame({
        "risk_rank": [1, 2, 3, 4, 5],
        "borrower_id": ["a", "b", "c", "d", "e"],
        "industry_code": ["F", "C", "F", None, "C"],
        "worst_class": [3, 1, 2, 3, 5],
    })
    assert filter_ranking(table)["risk_rank"].tolist() == [1, 2, 3, 4, 5]
    assert filter_ranking(table, industries=["F"])["risk_rank"].tolist() == [1, 3]
    assert filter_ranking(table, classes=[3, 5])["risk_rank"].tolist() == [1, 4, 5]
    assert filter_ranking(table, industries=["C", "F"], classes=[3, 5])["borrower_id"].tolist() == ["a", "e"]
    assert filter_ranking(table, industries=[""])["borrower_id"].tolist() == ["d"]  # a missing code is ""
    assert filter_ranking(table, industries=["A"]).empty
    assert filter_ranking(table, classes=[]).empty  # an empty choice keeps nothing; None keeps all


# ------------------------------------------------------------------ key risk factors against the NPL series

@dataclass(frozen=True)
class Snap:
    as_of: pd.Timestamp
    values: pd.DataFrame
    directions: pd.Series
    borrowers: pd.DataFrame


def snaps() -> list[Snap]:
    dirs = pd.Series({"x": "benefit", "y": "cost"})
    s1 = Snap(pd.Timestamp("2024-01-31"),
              pd.DataFrame({"x": [0.0, 4.0], "y": [10.0, 20.0]}, index=["b1", "b2"]), dirs,
              pd.DataFrame({"balance": [1.0, 3.0]}, index=["b1", "b2"]))
    s2 = Snap(pd.Timestamp("2024-02-29"),
              pd.DataFrame({"x": [2.0, 8.0], "y": [30.0, 10.0]}, index=["b1", "b3"]), dirs,
              pd.DataFrame({"balance": [2.0, 2.0]}, index=["b1", "b3"]))
    return [s1, s2]


def test_book_risk_levels_hand_checked():
    from riskcore.ranking import book_risk_levels

    s1, s2 = snaps()
    lv = book_risk_levels(iter([s2, s1]))  # sorted by snapshot whatever the input order
    assert lv.levels.index.tolist() == [s1.as_of, s2.as_of]
    # pooled bounds: x in [0, 8], y in [10, 30]
    assert lv.low.tolist() == [0.0, 10.0] and lv.high.tolist() == [8.0, 30.0]
    # balance-weighted means: x 3 and 5; y 17.5 and 20
    assert lv.means["x"].tolist() == pytest.approx([3.0, 5.0])
    assert lv.means["y"].tolist() == pytest.approx([17.5, 20.0])
    # benefit (8 - 3) / 8, (8 - 5) / 8; cost (17.5 - 10) / 20, (20 - 10) / 20
    assert lv.levels["x"].tolist() == pytest.approx([0.625, 0.375])
    assert lv.levels["y"].tolist() == pytest.approx([0.375, 0.5])
    # the same as the balance-weighted mean of each borrower's 1 - z with the pooled bounds:
    # snapshot 1, x: b1 (8 - 0) / 8 = 1, b2 (8 - 4) / 8 = 0.5 -> (1 * 1 + 0.5 * 3) / 4 = 0.625
    assert lv.borrowers.tolist() == [2, 2] and lv.weighting == "balance"

    plain = book_risk_levels({s1.as_of: s1, s2.as_of: s2}, weighting="count")
    assert plain.levels["x"].tolist() == pytest.approx([0.75, 0.375])  # means 2 and 5
    assert plain.levels["y"].tolist() == pytest.approx([0.25, 0.5])  # means 15 and 20


def test_book_risk_levels_errors_and_constant_indicator():
    from riskcore.ranking import book_risk_levels

    s1, s2 = snaps()
    flat = [Snap(s.as_of, s.values.assign(y=5.0), s.directions, s.borrowers) for s in (s1, s2)]
    assert book_risk_levels(flat).levels["y"].tolist() == [0.0, 0.0]  # no spread: level 0, not NaN
    with pytest.raises(ValueError, match="no snapshot"):
        book_risk_levels([])
    with pytest.raises(ValueError, match="appears twice"):
        book_risk_levels([s1, s1])
    with pytest.raises(ValueError, match="other indicators"):
        book_risk_levels([s1, Snap(s2.as_of, s2.values[["x"]], s2.directions[["x"]], s2.borrowers)])
    with pytest.raises(ValueError, match="other indicator directions"):
        book_risk_levels([s1, Snap(s2.as_of, s2.values, pd.Series({"x": "cost", "y": "cost"}), s2.borrowers)])
    with pytest.raises(ValueError, match="sum to 0"):
        book_risk_levels([Snap(s1.as_of, s1.values, s1.directions, s1.borrowers * 0)])
    with pytest.raises(ValueError, match="`weighting`"):
        book_risk_levels([s1], weighting="median")  # type: ignore[arg-type]


def test_npl_series_factors_hand_checked():
    """NPL 1 %, 2 %, 3 % (mean 2 %) -> scaled 0.5, 1, 1.5.

    A = 0.3, 0.2, 0.4 (mean 0.3) -> 1, 2/3, 4/3, Delta = 0.5, 1/3, 1/6;
    B = 0.2 constant -> 1, 1, 1, Delta = 0.5, 0, 0.5; Delta_min = 0, Delta_max = 0.5, rho Delta_max = 0.25.
    xi_A = 0.25/0.75, 0.25/(7/12), 0.25/(5/12) = 1/3, 3/7, 3/5 -> degree 143/315;
    xi_B = 1/3, 1, 1/3 -> degree 5/9. C is 0 throughout (every borrower best): excluded.
    """
    from riskcore.ranking import npl_series_factors

    dates = pd.to_datetime(["2024-01-31", "2024-02-29", "2024-03-31"])
    npl = pd.Series([0.01, 0.02, 0.03], index=dates)
    levels = pd.DataFrame({"A": [0.3, 0.2, 0.4], "B": [0.2, 0.2, 0.2], "C": [0.0, 0.0, 0.0]}, index=dates)
    f = npl_series_factors(levels, npl, rho=0.5)
    assert list(f.result.degrees.index) == ["B", "A"]
    assert f.result.degrees["B"] == pytest.approx(5 / 9)
    assert f.result.degrees["A"] == pytest.approx(143 / 315)
    assert f.result.coefficients["A"].tolist() == pytest.approx([1 / 3, 3 / 7, 3 / 5])
    assert f.excluded == ("C",)
    assert f.scaled_npl.tolist() == pytest.approx([0.5, 1.0, 1.5])
    assert f.scaled_levels["A"].tolist() == pytest.approx([1.0, 2 / 3, 4 / 3])
    assert list(f.levels.columns) == ["A", "B"]

    same = npl_series_factors(levels.assign(A=[0.1, 0.2, 0.3]), npl)
    assert same.result.degrees.index[0] == "A" and same.result.degrees["A"] == pytest.approx(1.0)

    # An indicator that is itself an NPL ratio is left out, the others' degrees unchanged.
    with_npl = npl_series_factors(levels.assign(industry_npl_ratio=[0.01, 0.02, 0.03]), npl, rho=0.5)
    assert with_npl.derived == ("industry_npl_ratio",)
    assert with_npl.result.degrees.to_dict() == pytest.approx(f.result.degrees.to_dict())


def test_npl_series_factors_errors():
    from riskcore.ranking import npl_series_factors

    dates = pd.to_datetime(["2024-01-31", "2024-02-29"])
    levels = pd.DataFrame({"A": [0.3, 0.2]}, index=dates)
    with pytest.raises(ValueError, match="same snapshots"):
        npl_series_factors(levels, pd.Series([0.01, 0.02], index=dates[::-1]))
    with pytest.raises(ValueError, match="0 at every snapshot"):
        npl_series_factors(levels, pd.Series([0.0, 0.0], index=dates))
    with pytest.raises(ValueError, match="not finite"):
        npl_series_factors(levels, pd.Series([0.01, np.nan], index=dates))
    with pytest.raises(ValueError, match="at least 2 snapshots"):
        npl_series_factors(levels.iloc[:1], pd.Series([0.01], index=dates[:1]))
