import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from riskcore import entropy_weights, grey_factor_degrees, grey_relational


def test_hand_computed_grades():
    # benefit [1, 3, 2] -> z = [0, 1, .5]; cost [4, 2, 2] -> z = [0, 1, 1].
    # Delta_min = 0, Delta_max = 1, rho = .5: xi = .5 / (Delta + .5).
    r = grey_relational([[1, 4], [3, 2], [2, 2]], ["benefit", "cost"], [0.6, 0.4])
    xi = np.array([[0.5 / 1.5, 0.5 / 1.5], [1.0, 1.0], [0.5, 1.0]])
    np.testing.assert_allclose(r.coefficients.to_numpy(), xi, atol=1e-15)
    np.testing.assert_allclose(r.grades.to_numpy(), xi @ [0.6, 0.4], atol=1e-15)
    assert (r.delta_min, r.delta_max) == (0.0, 1.0)
    assert r.risk_rank().tolist() == [1, 3, 2]


def test_rho_changes_coefficients_as_the_formula_says():
    r = grey_relational([[0.0], [0.25], [1.0]], "benefit", rho=0.2)
    # Delta = [1, .75, 0]; xi = .2 / (Delta + .2)
    np.testing.assert_allclose(r.coefficients[0].to_numpy(), [0.2 / 1.2, 0.2 / 0.95, 1.0], atol=1e-15)


def test_constant_column_normalises_to_one_and_all_constant_gives_ones():
    r = grey_relational([[1.0, 5.0], [2.0, 5.0]], "benefit")
    assert r.normalised[1].tolist() == [1.0, 1.0]
    assert r.coefficients[1].tolist() == [1.0, 1.0]
    flat = grey_relational([[5.0, 1.0], [5.0, 1.0]], "cost")
    assert flat.delta_max == 0.0
    assert flat.grades.tolist() == [1.0, 1.0]


def test_equal_weights_by_default_and_labels_kept():
    df = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [3.0, 1.0, 2.0]}, index=["C001", "C002", "C003"])
    r = grey_relational(df, "benefit")
    assert r.weights.tolist() == [0.5, 0.5]
    assert list(r.grades.index) == ["C001", "C002", "C003"]
    assert list(r.coefficients.columns) == ["a", "b"]


def test_regrade_reuses_coefficients_and_matches_a_fresh_run():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 4))
    base = grey_relational(x, ["benefit", "cost", "benefit", "cost"])
    w = [0.1, 0.2, 0.3, 0.4]
    fresh = grey_relational(x, ["benefit", "cost", "benefit", "cost"], w)
    np.testing.assert_allclose(base.regrade(w).to_numpy(), fresh.grades.to_numpy(), atol=1e-15)
    with pytest.raises(ValueError, match=r"`weights` must sum to 1 \(got 1.5\); normalise them first"):
        base.regrade([0.5, 0.5, 0.25, 0.25])


def test_entropy_weights_in_the_same_pass():
    rng = np.random.default_rng(1)
    x = pd.DataFrame(rng.gamma(2.0, size=(200, 5)), columns=list("abcde"))
    dirs = ["benefit", "cost", "cost", "benefit", "benefit"]
    fused = grey_relational(x, dirs, "entropy")
    ew = entropy_weights(x, dirs)
    np.testing.assert_allclose(fused.weights.to_numpy(), ew.weights.to_numpy(), atol=1e-14)
    assert fused.entropy is not None
    np.testing.assert_allclose(fused.entropy.entropy.to_numpy(), ew.entropy.to_numpy(), atol=1e-14)
    separate = grey_relational(x, dirs, ew.weights)
    np.testing.assert_allclose(fused.grades.to_numpy(), separate.grades.to_numpy(), atol=1e-14)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"values": [[1.0, np.nan], [2.0, 3.0]]}, r"`values` contains NaN at row 0, column 1"),
        ({"values": [[1.0, 2.0], [3.0, 4.0]], "weights": [1.0]}, r"`weights` has 1 entries but there are 2 indicators"),
        ({"values": [[1.0, 2.0], [3.0, 4.0]], "weights": [0.7, 0.7]}, r"`weights` must sum to 1 \(got 1.4\)"),
        ({"values": [[1.0, 2.0], [3.0, 4.0]], "weights": [1.2, -0.2]}, r"`weights` must be non-negative; got -0.2"),
        ({"values": [[1.0, 2.0], [3.0, 4.0]], "rho": 0.0}, r"`rho` \(distinguishing coefficient\) must be in \(0, 1\]; got 0"),
        ({"values": [[1.0, 2.0], [3.0, 4.0]], "rho": 1.5}, r"must be in \(0, 1\]; got 1.5"),
        ({"values": [[1.0, 2.0], [3.0, 4.0]], "directions": ["cost"]}, r"`directions` has 1 entries but `values` has 2 columns"),
        ({"values": [[1.0, 2.0], [3.0, 4.0]], "weights": "ahp"}, r"`weights` must be numbers, None or 'entropy'; got 'ahp'"),
        ({"values": [[1.0, 2.0]], "weights": "entropy"}, r"entropy weights need at least 2 rows"),
    ],
)
def test_errors(kwargs, message):
    kwargs.setdefault("directions", "benefit")
    with pytest.raises(ValueError, match=message):
        grey_relational(**kwargs)


matrices = arrays(
    np.float64, st.tuples(st.integers(2, 15), st.integers(1, 6)),
    elements=st.floats(-1e3, 1e3, allow_nan=False, allow_subnormal=False),
)


@settings(max_examples=150, deadline=None)
@given(matrices, st.floats(0.05, 1.0), st.randoms(use_true_random=False))
def test_row_order_permutes_grades_and_grades_are_bounded(x, rho, rnd):
    r = grey_relational(x, "benefit", rho=rho)
    perm = np.array(rnd.sample(range(x.shape[0]), x.shape[0]))
    r2 = grey_relational(x[perm], "benefit", rho=rho)
    np.testing.assert_allclose(r2.grades.to_numpy(), r.grades.to_numpy()[perm], atol=1e-14)
    # xi in [rho / (1 + rho), 1] when Delta spans [0, 1].
    assert (r.grades >= rho / (1 + rho) - 1e-12).all() and (r.grades <= 1 + 1e-12).all()


@settings(max_examples=150, deadline=None)
@given(matrices)
def test_cost_column_equals_reversed_benefit_column(x):
    np.testing.assert_allclose(
        grey_relational(x, "cost").grades.to_numpy(), grey_relational(-x, "benefit").grades.to_numpy(), atol=1e-14
    )


# ------------------------------------------------------------------ factor mode


def test_factor_degrees_hand_computed_mean():
    # mean-scaled: ref [.5, 1, 1.5]; a identical -> xi = 1; b [1.5, 1, .5] -> Delta [1, 0, 1].
    ref = pd.Series([1.0, 2.0, 3.0])
    factors = pd.DataFrame({"a": [2.0, 4.0, 6.0], "b": [3.0, 2.0, 1.0]})
    r = grey_factor_degrees(ref, factors)
    assert list(r.degrees.index) == ["a", "b"]
    assert r.degrees["a"] == pytest.approx(1.0)
    assert r.degrees["b"] == pytest.approx((1 / 3 + 1 + 1 / 3) / 3)
    assert r.ranks.tolist() == [1, 2]


def test_factor_degrees_initial_value_preprocessing():
    # initial-scaled: ref [1, 2, 4]; f [1, 1.5, 2] -> Delta [0, .5, 2]; g [1, 3, 2] -> Delta [0, 1, 2].
    # Delta_max = 2, rho = .5: xi = 1 / (Delta + 1).
    factors = pd.DataFrame({"f": [4.0, 6.0, 8.0], "g": [1.0, 3.0, 2.0]})
    r = grey_factor_degrees([2.0, 4.0, 8.0], factors, preprocess="initial")
    xi_f = [1.0, 1.0 / 1.5, 1.0 / 3.0]
    xi_g = [1.0, 1.0 / 2.0, 1.0 / 3.0]
    assert r.degrees["f"] == pytest.approx(np.mean(xi_f))
    assert r.degrees["g"] == pytest.approx(np.mean(xi_g))
    assert list(r.degrees.index) == ["f", "g"]


def test_factor_degrees_errors():
    with pytest.raises(ValueError, match=r"`reference` has 2 observations but `factors` has 3 rows"):
        grey_factor_degrees([1.0, 2.0], [[1.0], [2.0], [3.0]])
    with pytest.raises(ValueError, match=r"series 0 has first value 0 and cannot be scaled by preprocess='initial'"):
        grey_factor_degrees([1.0, 2.0], [[0.0], [2.0]], preprocess="initial")
    with pytest.raises(ValueError, match=r"series 'reference' has mean 0"):
        grey_factor_degrees([1.0, -1.0], [[1.0], [2.0]])
    with pytest.raises(ValueError, match=r"`preprocess` must be one of"):
        grey_factor_degrees([1.0, 2.0], [[1.0], [2.0]], preprocess="minmax")
    with pytest.raises(ValueError, match=r"`reference` contains NaN at row 1, column 'reference'"):
        grey_factor_degrees([1.0, np.nan], [[1.0], [2.0]])
