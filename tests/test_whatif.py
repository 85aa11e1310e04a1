"""What-if tuning: scenario weights, fixed band cut-offs, ranking comparisons (hand-checked)."""

import numpy as np
import pandas as pd
import pytest

from riskcore.ranking import rating_bands
from riskcore.whatif import assign_bands, band_cutoffs, compare_rankings, criterion_totals, scenario_weights

CRITERIA = pd.Series({"i1": "A", "i2": "A", "i3": "B"})


def test_scenario_weights_keep_proportions_within_a_criterion():
    base = pd.Series({"i1": 0.1, "i2": 0.3, "i3": 0.6})
    w = scenario_weights(base, CRITERIA, {"A": 50, "B": 50})
    assert w.to_dict() == pytest.approx({"i1": 0.125, "i2": 0.375, "i3": 0.5}, abs=1e-15)
    assert criterion_totals(w, CRITERIA).to_dict() == pytest.approx({"A": 0.5, "B": 0.5})
    # Base criterion totals reproduce the base weights exactly.
    same = scenario_weights(base, CRITERIA, criterion_totals(base, CRITERIA).to_dict())
    np.testing.assert_allclose(same.to_numpy(), base.to_numpy(), atol=1e-15)


def test_a_criterion_of_constant_indicators_shares_its_weight_equally():
    base = pd.Series({"i1": 0.5, "i2": 0.5, "i3": 0.0, "i4": 0.0})
    crit = pd.Series({"i1": "A", "i2": "A", "i3": "B", "i4": "B"})
    w = scenario_weights(base, crit, {"A": 3, "B": 1})
    assert w.tolist() == pytest.approx([0.375, 0.375, 0.125, 0.125])


@pytest.mark.parametrize(("weights", "message"), [
    ({"A": 0, "B": 0}, "at least one"), ({"A": -1, "B": 1}, "non-negative"),
    ({"A": float("nan"), "B": 1}, "finite"), ({"C": 1}, "unknown criteria"),
])
def test_bad_criterion_weights_are_refused(weights, message):
    with pytest.raises(ValueError, match=message):
        scenario_weights(pd.Series({"i1": 0.2, "i2": 0.3, "i3": 0.5}), CRITERIA, weights)


def test_fixed_cutoffs_reproduce_equal_count_bands_on_the_baseline_and_move_a_scenario():
    grades = pd.Series(np.linspace(0.1, 1.0, 10), index=[f"b{i}" for i in range(10)])
    cut = band_cutoffs(grades)
    base_bands = assign_bands(grades, cut)
    assert base_bands.value_counts().to_dict() == {"A": 2, "B": 2, "C": 2, "D": 2, "E": 2}
    assert base_bands.equals(rating_bands(grades))
    better = assign_bands(grades + 0.1, cut)
    assert better.value_counts().sort_index().to_dict() == {"A": 3, "B": 2, "C": 2, "D": 2, "E": 1}


def test_compare_rankings_hand_checked_swap():
    ids = ["w", "x", "y", "z"]
    base = pd.Series([0.1, 0.2, 0.3, 0.4], index=ids)
    new = pd.Series([0.2, 0.1, 0.3, 0.4], index=ids)
    c = compare_rankings(base, new, top_n=1)
    assert c.spearman == pytest.approx(0.8) and c.kendall == pytest.approx(4 / 6)
    assert list(c.entered) == ["x"] and list(c.left) == ["w"] and c.kept == 0
    assert c.movers.to_dict("index") == {"w": {"base_rank": 1, "new_rank": 2, "change": -1},
                                         "x": {"base_rank": 2, "new_rank": 1, "change": 1}}


def test_compare_rankings_identity_reversal_and_undefined():
    g = pd.Series(np.random.default_rng(1).random(500))
    same = compare_rankings(g, g.copy(), top_n=50)
    assert same.spearman == pytest.approx(1.0) and same.kendall == pytest.approx(1.0)
    assert same.entered.empty and same.left.empty and same.movers.empty and same.kept == 50
    flipped = compare_rankings(g, -g, top_n=50)
    assert flipped.spearman == pytest.approx(-1.0) and flipped.kendall == pytest.approx(-1.0)
    flat = compare_rankings(g, pd.Series(0.5, index=g.index))
    assert flat.spearman is None and flat.kendall is None


def test_compare_rankings_is_invariant_to_row_order():
    rng = np.random.default_rng(7)
    idx = pd.Index([f"b{i}" for i in range(300)])
    base, new = pd.Series(rng.random(300), index=idx), pd.Series(rng.random(300), index=idx)
    a = compare_rankings(base, new, top_n=30)
    perm = rng.permutation(300)
    b = compare_rankings(base.iloc[perm], new.iloc[perm], top_n=30)
    assert set(a.entered) == set(b.entered) and set(a.left) == set(b.left)
    assert a.spearman == pytest.approx(b.spearman) and a.kendall == pytest.approx(b.kendall)
