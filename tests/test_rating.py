"""Rating scales: fixed cut-offs, quantile shares, ties, distributions, default rates."""

import numpy as np
import pandas as pd
import pytest

from riskcore.ranking import rating_bands
from riskcore.rating import (
    SCALE_AAA_C,
    SCALE_AE,
    RatingScale,
    assign_ratings,
    default_rate_by_rating,
    quantile_cutoffs,
    rating_distribution,
)

ABC_FIXED = RatingScale("abc", ("A", "B", "C"), method="fixed", cutoffs=(0.8, 0.5))


def test_fixed_cutoffs_boundary_goes_to_better_rating() -> None:
    grades = pd.Series([0.9, 0.8, 0.79, 0.5, 0.49, 1.0, 0.0], index=list("abcdefg"))
    r = assign_ratings(grades, ABC_FIXED)
    assert r.astype(str).tolist() == ["A", "A", "B", "B", "C", "A", "C"]
    assert r.index.equals(grades.index) and r.name == "rating"
    assert r.cat.ordered and list(r.cat.categories) == ["A", "B", "C"]
    assert r.loc["a"] < r.loc["c"]  # ordered best -> worst: the better rating compares lower


def test_fixed_equal_cutoffs_leave_a_rating_empty() -> None:
    scale = RatingScale("s", ("A", "B", "C"), method="fixed", cutoffs=(0.5, 0.5))
    r = assign_ratings(pd.Series([0.5, 0.49]), scale)
    assert r.astype(str).tolist() == ["A", "C"]


def test_quantile_shares() -> None:
    scale = RatingScale("s", ("A", "B", "C"), shares=(0.2, 0.3, 0.5))
    grades = pd.Series(np.linspace(1.0, 0.1, 10))  # best first
    r = assign_ratings(grades, scale)
    assert r.astype(str).tolist() == ["A"] * 2 + ["B"] * 3 + ["C"] * 5


def test_aaa_c_has_nine_equal_grades() -> None:
    assert len(SCALE_AAA_C.labels) == 9 and SCALE_AAA_C.labels[0] == "AAA" and SCALE_AAA_C.labels[-1] == "C"
    r = assign_ratings(pd.Series(np.arange(18.0)), SCALE_AAA_C)
    assert (r.value_counts() == 2).all()
    assert r.iloc[-1] == "AAA" and r.iloc[0] == "C"


@pytest.mark.parametrize("n", list(range(1, 31)) + [97, 250])
def test_scale_ae_matches_rating_bands_without_ties(n: int) -> None:
    rng = np.random.default_rng(n)
    grades = pd.Series(rng.permutation(n) / max(n, 1) + 0.001, index=[f"b{i}" for i in range(n)])
    ours = assign_ratings(grades, SCALE_AE).astype(str)
    pd.testing.assert_series_equal(ours, rating_bands(grades).astype(str), check_names=False)


def test_quantile_keeps_ties_together_in_the_better_rating() -> None:
    # 5 borrowers, quintiles: positions 0..4 -> A..E; a tie at positions 1-3 all get B.
    grades = pd.Series([0.9, 0.7, 0.7, 0.7, 0.2])
    assert assign_ratings(grades, SCALE_AE).astype(str).tolist() == ["A", "B", "B", "B", "E"]


@pytest.mark.parametrize("seed", range(5))
def test_quantile_cutoffs_reproduce_quantile_ratings(seed: int) -> None:
    rng = np.random.default_rng(seed)
    grades = pd.Series(rng.integers(0, 8, size=23) / 8.0)  # many ties
    frozen = SCALE_AE.with_cutoffs(quantile_cutoffs(grades, SCALE_AE))
    assert frozen.method == "fixed" and frozen.labels == SCALE_AE.labels
    pd.testing.assert_series_equal(assign_ratings(grades, frozen), assign_ratings(grades, SCALE_AE))


def test_quantile_cutoffs_are_the_lowest_grade_of_the_better_side() -> None:
    grades = pd.Series([0.9, 0.8, 0.6, 0.4, 0.1])
    assert quantile_cutoffs(grades, SCALE_AE) == (0.9, 0.8, 0.6, 0.4)
    assert quantile_cutoffs(grades, ABC_FIXED) == (0.8, 0.5)


def test_validation_errors() -> None:
    with pytest.raises(ValueError, match="descending"):
        RatingScale("s", ("A", "B", "C"), method="fixed", cutoffs=(0.5, 0.8))
    with pytest.raises(ValueError, match="needs 2 cut-offs"):
        RatingScale("s", ("A", "B", "C"), method="fixed", cutoffs=(0.5,))
    with pytest.raises(ValueError, match="needs `cutoffs`"):
        RatingScale("s", ("A", "B"), method="fixed")
    with pytest.raises(ValueError, match="NaN"):
        RatingScale("s", ("A", "B"), method="fixed", cutoffs=(float("nan"),))
    with pytest.raises(ValueError, match="sum to 1"):
        RatingScale("s", ("A", "B"), shares=(0.5, 0.6))
    with pytest.raises(ValueError, match="2 labels"):
        RatingScale("s", ("A", "B"), shares=(0.2, 0.3, 0.5))
    with pytest.raises(ValueError, match="> 0"):
        RatingScale("s", ("A", "B"), shares=(1.0, 0.0))
    with pytest.raises(ValueError, match="method='fixed'"):
        RatingScale("s", ("A", "B"), cutoffs=(0.5,))
    with pytest.raises(ValueError, match="unique"):
        RatingScale("s", ("A", "A"))
    with pytest.raises(ValueError, match="at least 2"):
        RatingScale("s", ("A",))
    with pytest.raises(ValueError, match="method"):
        RatingScale("s", ("A", "B"), method="bogus")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="missing"):
        assign_ratings(pd.Series([0.5, np.nan]), SCALE_AE)


def test_rating_distribution_with_balance_and_empty_rating() -> None:
    ratings = assign_ratings(pd.Series([0.9, 0.85, 0.3], index=["x", "y", "z"]), ABC_FIXED)
    balance = pd.Series({"z": 50.0, "x": 100.0, "y": 50.0})
    d = rating_distribution(ratings, balance)
    assert list(d.index) == ["A", "B", "C"] and d.index.name == "rating"
    assert d["count"].tolist() == [2, 0, 1]
    np.testing.assert_allclose(d["share"], [2 / 3, 0.0, 1 / 3])
    np.testing.assert_allclose(d["balance"], [150.0, 0.0, 50.0])
    np.testing.assert_allclose(d["balance_share"], [0.75, 0.0, 0.25])
    with pytest.raises(ValueError, match="balance"):
        rating_distribution(ratings, balance.drop("z"))
    assert list(rating_distribution(ratings).columns) == ["count", "share"]


def test_default_rate_by_rating() -> None:
    ratings = assign_ratings(pd.Series([0.9, 0.85, 0.6, 0.55, 0.3, 0.2]), ABC_FIXED)  # A A B B C C
    res = default_rate_by_rating(ratings, pd.Series([0, 0, 0, 1, 1, 1]))
    assert res.table["count"].tolist() == [2, 2, 2]
    assert res.table["defaults"].tolist() == [0, 1, 2]
    np.testing.assert_allclose(res.table["rate"], [0.0, 0.5, 1.0])
    assert res.monotone
    reversed_ = default_rate_by_rating(ratings, pd.Series([1, 0, 0, 0, 0, 1]))
    assert not reversed_.monotone
    with pytest.raises(ValueError, match="0 or 1"):
        default_rate_by_rating(ratings, pd.Series([0, 0, 2, 0, 0, 1]))
    with pytest.raises(ValueError, match="0 or 1"):
        default_rate_by_rating(ratings, pd.Series([0, 0, 1]))


def test_default_rate_skips_empty_ratings_for_monotonicity() -> None:
    ratings = assign_ratings(pd.Series([0.9, 0.2]), ABC_FIXED)  # A, C; B empty
    res = default_rate_by_rating(ratings, pd.Series([0, 1]))
    assert res.table.loc["B", "count"] == 0 and np.isnan(res.table.loc["B", "rate"])
    assert res.monotone
