import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from riskcore import ahp_weights, combine_weights, entropy_weights


def test_linear_and_multiplicative_by_hand():
    s = pd.Series([0.2, 0.8], index=["lev", "roa"])
    o = pd.Series([0.5, 0.5], index=["roa", "lev"])  # other order: aligned by label
    lin = combine_weights(s, o, alpha=0.3)
    assert lin.tolist() == pytest.approx([0.3 * 0.2 + 0.7 * 0.5, 0.3 * 0.8 + 0.7 * 0.5])
    assert list(lin.index) == ["lev", "roa"]
    mult = combine_weights([0.2, 0.3, 0.5], [0.5, 0.25, 0.25], method="multiplicative")
    p = np.array([0.1, 0.075, 0.125])
    assert mult.tolist() == pytest.approx((p / p.sum()).tolist())


def test_alpha_extremes_return_each_input():
    s, o = [0.1, 0.9], [0.6, 0.4]
    assert combine_weights(s, o, alpha=1.0).tolist() == pytest.approx(s)
    assert combine_weights(s, o, alpha=0.0).tolist() == pytest.approx(o)


def test_accepts_results_directly():
    ahp = ahp_weights(pd.DataFrame([[1, 3], [1 / 3, 1]], index=["a", "b"], columns=["a", "b"]))
    ent = entropy_weights(pd.DataFrame({"a": [1.0, 2.0, 4.0], "b": [3.0, 1.0, 2.0]}), "benefit")
    w = combine_weights(ahp, ent, alpha=0.5)
    assert w.tolist() == pytest.approx((0.5 * ahp.weights + 0.5 * ent.weights).tolist())


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (([0.5, 0.5], [1.0]), {}, r"`subjective` has 2 weights but `objective` has 1"),
        (([0.5, 0.5], [0.5, 0.5]), {"alpha": 1.5}, r"`alpha` must be in \[0, 1\]; got 1.5"),
        (([0.5, 0.6], [0.5, 0.5]), {}, r"`subjective` must sum to 1 \(got 1.1\)"),
        (([1.0, 0.0], [0.0, 1.0]), {"method": "multiplicative"}, r"no indicator has both weights positive"),
        (([0.5, 0.5], [0.5, 0.5]), {"method": "game"}, r"`method` must be one of"),
        ((pd.Series([0.5, 0.5], index=["a", "b"]), pd.Series([0.5, 0.5], index=["a", "c"])), {},
         r"`subjective` and `objective` weigh different indicators: \['b', 'c'\]"),
    ],
)
def test_errors(args, kwargs, message):
    with pytest.raises(ValueError, match=message):
        combine_weights(*args, **kwargs)


simplex = arrays(np.float64, 5, elements=st.floats(0.01, 1.0)).map(lambda w: w / w.sum())


@settings(max_examples=100, deadline=None)
@given(simplex, simplex, st.floats(0.0, 1.0), st.sampled_from(["linear", "multiplicative"]))
def test_combined_weights_are_a_distribution(s, o, alpha, method):
    w = combine_weights(s, o, alpha=alpha, method=method)
    assert (w >= 0).all()
    assert w.sum() == pytest.approx(1.0, abs=1e-12)
