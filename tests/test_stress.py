"""Stress tests: shocks, re-grading against the base book, frozen cut-offs, NPL path."""

import numpy as np
import pandas as pd
import pytest

from riskcore.indicators import DEFAULT_INDICATORS, IndicatorMatrix
from riskcore.migration import STATES, project
from riskcore.rating import RatingScale
from riskcore.stress import Shock, StressScenario, apply_shocks, stress_test

KEYS = ("revenue_growth", "asset_liability_ratio")
HML = RatingScale("hml", ("H", "M", "L"))
W = pd.Series({"revenue_growth": 0.5, "asset_liability_ratio": 0.5})


def matrix() -> IndicatorMatrix:
    ids = pd.Index(["b1", "b2", "b3"], name="borrower_id")
    values = pd.DataFrame({"revenue_growth": [0.3, 0.1, -0.1], "asset_liability_ratio": [0.4, 0.5, 0.7]},
                          index=ids)
    specs = {i.key: i for i in DEFAULT_INDICATORS}
    flags = pd.DataFrame(False, index=ids, columns=list(KEYS))
    return IndicatorMatrix(
        values=values,
        directions=pd.Series({k: specs[k].direction for k in KEYS}),
        criteria=pd.Series({k: specs[k].criterion for k in KEYS}),
        borrowers=pd.DataFrame({"industry_code": ["F4710", "C1310", "A0111"]}, index=ids),
        missing=flags.sum().astype("int64"),
        imputed=flags,
        policy="industry_median",
        as_of=pd.Timestamp("2024-06-30"),
        indicators=tuple(specs[k] for k in KEYS),
    )


def test_revenue_growth_shock_lowers_only_the_manufacturer() -> None:
    # b2 (industry C) loses 0.2 of growth: -0.1, the base minimum -> z = 0, xi = 0.5/1.5.
    # Its asset-liability ratio 0.5 has z = (0.7-0.5)/0.3 = 2/3 -> xi = 0.5/(1/3+0.5) = 0.6.
    s = StressScenario("manufacturing slump", (Shock("revenue_growth", -0.2, "absolute", ("C",)),))
    res = stress_test(matrix(), s, weights=W, scale=HML)
    np.testing.assert_allclose(res.base_grades, [1.0, 0.5 * 0.5 + 0.5 * 0.6, 1 / 3])
    np.testing.assert_allclose(res.base_grades, res.base.grades)
    np.testing.assert_allclose(res.stressed_grades, [1.0, 0.5 / 3 + 0.3, 1 / 3])
    assert res.base_ratings.astype(str).tolist() == ["H", "M", "L"]
    assert res.stressed_ratings.astype(str).tolist() == ["H", "L", "L"]
    assert res.scale.method == "fixed" and res.scale.cutoffs == pytest.approx((1.0, 0.55))
    down = res.downgrades
    assert down["borrower_id"].tolist() == ["b2"]
    assert down.loc[0, ["base_rating", "stressed_rating", "notches"]].tolist() == ["M", "L", 1]
    assert res.counts.to_dict() == {"downgraded": 1, "unchanged": 2, "upgraded": 0}


def test_zero_shock_leaves_grades_identical() -> None:
    s = StressScenario("nothing", (Shock("revenue_growth", 0.0), Shock("asset_liability_ratio", 0.0, "absolute")))
    res = stress_test(matrix(), s, weights=W, scale=HML)
    pd.testing.assert_series_equal(res.stressed_grades, res.base_grades)
    pd.testing.assert_frame_equal(res.shocked_values, matrix().values)
    assert (res.table["notches"] == 0).all() and res.downgrades.empty
    pd.testing.assert_series_equal(res.stressed_ratings, res.base_ratings)
    assert res.stress_factor == 1.0


def test_industry_filter_only_touches_that_industry() -> None:
    m = matrix()
    s = StressScenario("construction", (Shock("asset_liability_ratio", 0.10, "absolute", ("F",)),
                                        Shock("revenue_growth", -0.5, "relative", ("F", "Z"))))
    shocked = apply_shocks(m, s)
    assert shocked.loc["b1"].tolist() == pytest.approx([0.15, 0.5])
    pd.testing.assert_frame_equal(shocked.loc[["b2", "b3"]], m.values.loc[["b2", "b3"]])


def test_clipping_at_bounds_and_at_the_base_range() -> None:
    m = matrix()
    s = StressScenario("extreme", (Shock("asset_liability_ratio", 10.0, "absolute"),
                                   Shock("revenue_growth", -5.0, "absolute", ("F",))))
    shocked = apply_shocks(m, s)
    assert (shocked["asset_liability_ratio"] == 5.0).all()  # INDICATOR_BOUNDS cap
    assert shocked.loc["b1", "revenue_growth"] == -1.0  # INDICATOR_BOUNDS floor
    res = stress_test(m, s, weights=W, scale=HML)
    # Beyond the base range -> z = 0 (base worst), so everybody ends at the base worst grade 1/3
    # except b2/b3 growth: b2 keeps z = 0.5 on growth.
    np.testing.assert_allclose(res.stressed_grades, [1 / 3, 0.5 * 0.5 + 0.5 / 3, 1 / 3])
    assert (res.stressed_grades >= 1 / 3 - 1e-12).all()


def test_downgrade_notches_and_npl_path() -> None:
    s = StressScenario("b1 collapses", (Shock("revenue_growth", -0.5, "absolute", ("F",)),
                                        Shock("asset_liability_ratio", 0.5, "absolute", ("F",))))
    res = stress_test(matrix(), s, weights=W, scale=HML)
    assert res.table["notches"].tolist() == [2, 0, 0]
    assert res.downgrades.loc[0, ["borrower_id", "base_rating", "stressed_rating", "notches"]].tolist() == \
        ["b1", "H", "L", 2]
    assert res.notch_counts.to_dict() == {0: 2, 2: 1}
    dist = res.distribution()
    assert dist["base_count"].tolist() == [1, 1, 1] and dist["stressed_count"].tolist() == [0, 1, 2]
    # Worst rating L: 1/3 of borrowers -> 2/3: factor 2.
    assert res.stress_factor == pytest.approx(2.0)
    probs = pd.DataFrame(np.eye(len(STATES)), index=list(STATES), columns=list(STATES))
    probs.loc["1"] = [0.9, 0.05, 0.02, 0.0, 0.0, 0.03]
    probs.loc["2"] = [0.1, 0.7, 0.1, 0.05, 0.0, 0.05]
    start = {1: 800.0, 2: 150.0, 3: 50.0}
    path = res.npl_path(probs, start, 6)
    assert path.factor == pytest.approx(2.0)
    pd.testing.assert_frame_equal(path.stressed, project(start, probs, 6, stress=2.0))
    pd.testing.assert_frame_equal(path.baseline, project(start, probs, 6))
    assert (path.npl_share["stressed"].iloc[1:] > path.npl_share["baseline"].iloc[1:]).all()
    assert res.npl_path(probs, start, 2, stress_factor=1.0).factor == 1.0


def test_errors() -> None:
    m = matrix()
    with pytest.raises(ValueError, match="no indicator 'roa'"):
        apply_shocks(m, StressScenario("x", (Shock("roa", -0.1),)))
    with pytest.raises(ValueError, match="kind"):
        Shock("roa", 0.1, "multiplicative")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="finite"):
        Shock("roa", float("inf"))
    with pytest.raises(ValueError, match="non-empty"):
        Shock("roa", 0.1, industry_codes=())
    fixed = RatingScale("f", ("H", "M", "L"), method="fixed", cutoffs=(0.9, 0.2))
    res = stress_test(m, StressScenario("none", ()), weights=W, scale=fixed)
    assert res.scale is fixed
    with pytest.raises(ValueError, match="worst rating"):
        _ = res.stress_factor
