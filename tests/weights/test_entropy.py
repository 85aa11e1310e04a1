import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from riskcore import entropy_weights
from riskcore.weights.entropy import MINMAX_SHIFT


def plogp_entropy(p: list[float]) -> float:
    return -sum(x * math.log(x) for x in p if x > 0) / math.log(len(p))


def test_minmax_hand_computed_with_cost_column():
    # benefit [1, 2, 4] -> z = [0, 1/3, 1] -> p = [0, 1/4, 3/4];
    # cost [10, 10, 11] -> z = [1, 1, 0] -> p = [1/2, 1/2, 0].
    r = entropy_weights([[1, 10], [2, 10], [4, 11]], ["benefit", "cost"])
    e1, e2 = plogp_entropy([0, 0.25, 0.75]), plogp_entropy([0.5, 0.5, 0])
    assert r.entropy.tolist() == pytest.approx([e1, e2], abs=1e-15)
    d = np.array([1 - e1, 1 - e2])
    assert r.weights.tolist() == pytest.approx((d / d.sum()).tolist(), abs=1e-15)
    assert r.weights.round(4).tolist() == [0.5695, 0.4305]
    assert r.method == "minmax" and r.n_rows == 3 and r.constant_columns == ()


def test_minmax_shift_hand_computed():
    # z = [0, 0.5, 1] + 1e-4
    q = np.array([0.0, 0.5, 1.0]) + MINMAX_SHIFT
    p = q / q.sum()
    expected = -(p * np.log(p)).sum() / math.log(3)
    r = entropy_weights(pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [5.0, 5.0, 6.0]}), "benefit", method="minmax_shift")
    assert r.entropy["a"] == pytest.approx(expected, abs=1e-15)
    assert r.method == "minmax_shift"


def test_constant_column_gets_zero_weight_and_is_named():
    df = pd.DataFrame({"lev": [0.2, 0.5, 0.9], "flat": [3.0, 3.0, 3.0], "roa": [0.1, 0.0, 0.05]})
    r = entropy_weights(df, ["cost", "benefit", "benefit"])
    assert r.constant_columns == ("flat",)
    assert r.weights["flat"] == 0.0 and r.entropy["flat"] == 1.0 and r.divergence["flat"] == 0.0
    assert r.weights.sum() == pytest.approx(1.0, abs=1e-15)


def test_zero_cells_follow_zero_log_zero_convention():
    # Each column has a zero after normalisation; 0 ln 0 = 0, not a NaN column.
    r = entropy_weights([[0.0, 1.0], [1.0, 0.0], [2.0, 0.5]], "benefit")
    assert np.isfinite(r.weights).all()
    assert r.entropy[0] == pytest.approx(plogp_entropy([0, 1 / 3, 2 / 3]), abs=1e-15)


def test_negative_values_are_fine_for_minmax():
    r = entropy_weights([[-3.0, 1.0], [-1.0, 2.0], [2.0, 0.0]], ["benefit", "cost"])
    r2 = entropy_weights([[0.0, 1.0], [2.0, 2.0], [5.0, 0.0]], ["benefit", "cost"])
    assert r.weights.tolist() == pytest.approx(r2.weights.tolist(), abs=1e-15)


def test_labels_are_kept_and_chinese_directions_accepted():
    df = pd.DataFrame({"资产负债率": [0.3, 0.6, 0.9], "流动比率": [2.0, 1.0, 1.5]}, index=["甲", "乙", "丙"])
    r = entropy_weights(df, ["成本型", "效益型"])
    assert list(r.weights.index) == ["资产负债率", "流动比率"]
    r2 = entropy_weights(df, {"流动比率": "+", "资产负债率": "-"})
    assert r.weights.equals(r2.weights)


@pytest.mark.parametrize(
    ("values", "directions", "kwargs", "message"),
    [
        ([[1.0, np.nan], [2.0, 3.0]], "benefit", {}, r"`values` contains NaN at row 0, column 1 \(1 non-finite cells in all\)"),
        ([[1.0, np.inf], [2.0, 3.0]], "benefit", {}, r"`values` contains an infinite value at row 0, column 1"),
        ([[1.0, 2.0]], "benefit", {}, r"entropy weights need at least 2 rows \(borrowers\); got 1"),
        ([[1.0, 2.0], [1.0, 2.0]], "benefit", {}, r"every column of `values` is constant; entropy weights are undefined"),
        ([1.0, 2.0, 3.0], "benefit", {}, r"`values` must be 2-D \(rows = borrowers, columns = indicators\); got 1-D"),
        ([[1.0, 2.0], [3.0, 4.0]], ["benefit"], {}, r"`directions` has 1 entries but `values` has 2 columns"),
        ([[1.0, 2.0], [3.0, 4.0]], ["benefit", "up"], {}, r"unknown direction 'up'; use 'benefit' or 'cost' \(效益型/成本型\)"),
        ([[1.0, -2.0], [3.0, 4.0]], "benefit", {"method": "proportion"}, r"`method='proportion'` needs non-negative values; column 1 has -2 at row 0"),
        ([[1.0, 2.0], [3.0, 4.0]], "benefit", {"method": "topsis"}, r"`method` must be one of"),
        (np.empty((3, 0)), "benefit", {}, r"`values` has no columns"),
    ],
)
def test_errors_name_the_problem(values, directions, kwargs, message):
    with pytest.raises(ValueError, match=message):
        entropy_weights(values, directions, **kwargs)


def test_nan_message_names_dataframe_labels():
    df = pd.DataFrame({"roa": [0.1, 0.2], "lev": [0.5, None]}, index=["C001", "C002"])
    with pytest.raises(ValueError, match=r"`values` contains NaN at row 'C002', column 'lev'"):
        entropy_weights(df, "benefit")


def test_non_numeric_column_is_refused():
    df = pd.DataFrame({"roa": [0.1, 0.2], "name": ["a", "b"]})
    with pytest.raises(ValueError, match=r"`values` must be numeric; column 'name'"):
        entropy_weights(df, "benefit")


matrices = arrays(
    np.float64, st.tuples(st.integers(2, 12), st.integers(1, 6)),
    elements=st.floats(-1e3, 1e3, allow_nan=False, allow_subnormal=False),
).filter(lambda a: (np.ptp(a, axis=0) > 1e-6).any())


@settings(max_examples=150, deadline=None)
@given(matrices, st.sampled_from(["minmax", "minmax_shift"]), st.randoms(use_true_random=False))
def test_weights_nonnegative_sum_to_one_and_row_order_invariant(x, method, rnd):
    directions = ["benefit" if rnd.random() < 0.5 else "cost" for _ in range(x.shape[1])]
    r = entropy_weights(x, directions, method=method)
    assert (r.weights >= 0).all()
    assert r.weights.sum() == pytest.approx(1.0, abs=1e-12)
    perm = np.array(rnd.sample(range(x.shape[0]), x.shape[0]))
    r2 = entropy_weights(x[perm], directions, method=method)
    np.testing.assert_allclose(r2.weights.to_numpy(), r.weights.to_numpy(), atol=1e-12)


@settings(max_examples=150, deadline=None)
@given(matrices)
def test_cost_column_equals_reversed_benefit_column(x):
    cost = entropy_weights(x, "cost")
    benefit = entropy_weights(-x, "benefit")
    np.testing.assert_allclose(cost.weights.to_numpy(), benefit.weights.to_numpy(), atol=1e-12)


@settings(max_examples=100, deadline=None)
@given(matrices, st.floats(0.01, 1e4))
def test_minmax_weights_are_scale_and_shift_invariant(x, factor):
    spread = np.ptp(x, axis=0)
    # Adding 7 rounds away spreads below ~1e-15 * 7; keep columns that survive it.
    assume(((spread == 0) | (spread > 1e-3)).all())
    r = entropy_weights(x, "benefit")
    r2 = entropy_weights(x * factor + 7.0, "benefit")
    np.testing.assert_allclose(r2.weights.to_numpy(), r.weights.to_numpy(), atol=1e-9)
