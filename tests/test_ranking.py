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
