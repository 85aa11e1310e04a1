"""Weight sensitivity of the risk ranking (riskcore.sensitivity, issue #6 item 3)."""

import numpy as np
import pandas as pd
import pytest

from riskcore import grey_relational
from riskcore.sensitivity import (
    ahp_judgment_monte_carlo,
    dirichlet_sd,
    dirichlet_weight_draws,
    perturb_judgments,
    rank_sensitivity,
    tornado,
    weight_monte_carlo,
)
from riskcore.weights.ahp import ahp_hierarchy, ahp_weights


def _book(n=400, m=5, seed=1):
    rng = np.random.default_rng(seed)
    values = pd.DataFrame(rng.lognormal(0, 0.5, (n, m)), columns=[f"x{j}" for j in range(m)],
                          index=pd.Index([f"B{i:04d}" for i in range(n)], name="borrower_id"))
    return grey_relational(values, "benefit")


def _base_top(grey, weights, top_n):
    g = grey.regrade(weights)
    return set(g.index[g.rank(method="min") <= top_n])


def test_dirichlet_mean_equals_base_weights_and_sd_formula():
    w = pd.Series([0.5, 0.3, 0.15, 0.05], index=list("abcd"))
    draws = dirichlet_weight_draws(w, draws=20_000, concentration=50.0, seed=7)
    assert draws.shape == (20_000, 4)
    np.testing.assert_allclose(draws.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    np.testing.assert_allclose(draws.mean(), w, atol=3e-3)
    np.testing.assert_allclose(draws.std(), dirichlet_sd(w, 50.0), rtol=0.05)


def test_zero_weights_stay_zero():
    w = pd.Series([0.6, 0.0, 0.4, 0.0], index=list("abcd"))
    draws = dirichlet_weight_draws(w, draws=500, concentration=5.0, seed=1)
    assert (draws[["b", "d"]] == 0.0).all().all()
    assert (draws[["a", "c"]] > 0).all().all()


def test_infinite_concentration_repeats_base_and_gives_certain_top():
    grey = _book()
    w = pd.Series([0.4, 0.3, 0.1, 0.1, 0.1], index=grey.coefficients.columns)
    res = weight_monte_carlo(grey, w, draws=50, concentration=np.inf, top_n=20)
    top = _base_top(grey, w, 20)
    prob = res.top_probability
    assert set(prob.index[prob == 1.0]) == top
    assert (prob.drop(list(top)) == 0.0).all()
    assert res.top_retention == 1.0
    assert res.mean_spearman == pytest.approx(1.0)
    assert (res.table["rank_q05"] == res.table["base_rank"]).all()
    assert (res.table["rank_q95"] == res.table["base_rank"]).all()


def test_large_concentration_converges_to_base():
    grey = _book()
    w = pd.Series([0.4, 0.3, 0.1, 0.1, 0.1], index=grey.coefficients.columns)
    top = _base_top(grey, w, 20)
    loose = weight_monte_carlo(grey, w, draws=300, concentration=20.0, top_n=20, seed=3)
    tight = weight_monte_carlo(grey, w, draws=300, concentration=1e9, top_n=20, seed=3)
    assert loose.top_retention < tight.top_retention
    assert tight.top_probability[list(top)].min() > 0.99
    assert tight.top_probability.drop(list(top)).max() < 0.01
    assert tight.mean_spearman > loose.mean_spearman


def test_three_borrowers_one_always_riskiest():
    xi_values = pd.DataFrame({"a": [1.0, 5.0, 6.0], "b": [2.0, 7.0, 3.0], "c": [0.5, 4.0, 9.0]},
                             index=["worst", "p", "q"])
    grey = grey_relational(xi_values, "benefit")  # "worst" is lowest on every indicator
    res = weight_monte_carlo(grey, [0.2, 0.3, 0.5], draws=400, concentration=2.0, top_n=1, seed=5)
    assert res.top_probability["worst"] == 1.0
    assert res.top_probability[["p", "q"]].sum() == 0.0
    assert res.table.loc["worst", "rank_q95"] == 1.0
    assert 0.0 < res.top_retention <= 1.0
    assert res.table.index[0] == "worst"


def test_determinism_with_seed():
    grey = _book()
    w = grey.weights
    a = weight_monte_carlo(grey, w, draws=120, concentration=30.0, top_n=15, seed=11)
    b = weight_monte_carlo(grey, w, draws=120, concentration=30.0, top_n=15, seed=11)
    c = weight_monte_carlo(grey, w, draws=120, concentration=30.0, top_n=15, seed=12)
    pd.testing.assert_series_equal(a.top_probability, b.top_probability)
    pd.testing.assert_frame_equal(a.table, b.table)
    pd.testing.assert_series_equal(a.spearman, b.spearman)
    assert not a.weight_draws.equals(c.weight_draws)


def test_kernel_and_numpy_paths_agree_and_match_brute_force():
    pytest.importorskip("numba")
    grey = _book(n=3000, m=6, seed=4)
    w = grey.weights
    draws = dirichlet_weight_draws(w, draws=80, concentration=15.0, seed=2)
    fast = rank_sensitivity(grey, draws, top_n=25, rank_depth=60, use_kernel=True)
    slow = rank_sensitivity(grey, draws, top_n=25, rank_depth=60, use_kernel=False)
    pd.testing.assert_series_equal(fast.top_probability, slow.top_probability)
    pd.testing.assert_frame_equal(fast.table, slow.table)
    # brute force: full min ranks per draw
    g = grey.coefficients.to_numpy() @ draws.to_numpy().T
    ranks = pd.DataFrame(g).rank(method="min").to_numpy()
    np.testing.assert_allclose(fast.top_probability.to_numpy(), (ranks <= 25).mean(axis=1))
    who = [grey.coefficients.index.get_loc(b) for b in fast.table.index]
    med = np.quantile(ranks[who], 0.5, axis=1, method="inverted_cdf")
    known = fast.table["rank_median"].notna().to_numpy()
    np.testing.assert_array_equal(fast.table["rank_median"].to_numpy()[known], med[known])
    assert (med[~known] > 60).all()


def test_ties_share_the_lowest_rank():
    values = pd.DataFrame({"a": [1.0, 1.0, 3.0, 4.0], "b": [1.0, 1.0, 2.0, 5.0]}, index=list("pqrs"))
    grey = grey_relational(values, "benefit")
    res = weight_monte_carlo(grey, [0.5, 0.5], draws=100, concentration=10.0, top_n=1, seed=0)
    assert res.top_probability["p"] == res.top_probability["q"] == 1.0  # identical rows tie at rank 1


def test_rank_sensitivity_validates_draws():
    grey = _book(n=50)
    cols = grey.coefficients.columns
    with pytest.raises(ValueError, match="sum to 1"):
        rank_sensitivity(grey, pd.DataFrame([[0.5] * 5], columns=cols))
    with pytest.raises(ValueError, match="columns"):
        rank_sensitivity(grey, pd.DataFrame([[0.5, 0.5]], columns=["x0", "zz"]))
    with pytest.raises(ValueError, match="top_n"):
        rank_sensitivity(grey, pd.DataFrame([[0.2] * 5], columns=cols), top_n=0)


def test_top_n_larger_than_book():
    grey = _book(n=10)
    res = weight_monte_carlo(grey, grey.weights, draws=20, top_n=50)
    assert (res.top_probability == 1.0).all()
    assert res.top_n == 10


# ---------------------------------------------------------------------------- tornado


def test_tornado_zero_weight_gives_no_change_and_shape():
    grey = _book(n=300, m=4)
    w = pd.Series([0.5, 0.3, 0.2, 0.0], index=grey.coefficients.columns)
    t = tornado(grey, w, change=0.10, top_n=20)
    assert list(t.columns) == ["weight", "weight_down", "weight_up",
                               "spearman_down", "entered_down", "left_down", "max_move_down",
                               "spearman_up", "entered_up", "left_up", "max_move_up", "impact"]
    assert set(t.index) == set(w.index)
    zero = t.loc["x3"]
    assert zero["spearman_down"] == zero["spearman_up"] == 1.0
    assert zero[["entered_down", "entered_up", "left_down", "left_up", "max_move_down", "max_move_up"]].sum() == 0
    assert zero["impact"] == 0.0
    assert t.index[-1] == "x3"  # least influential last
    assert t.loc["x0", "weight_up"] == pytest.approx(0.55)
    assert t.loc["x0", "weight_down"] == pytest.approx(0.45)
    assert (t["impact"].diff().dropna() <= 0).all()
    assert (t[["spearman_down", "spearman_up"]] <= 1.0 + 1e-12).all().all()


def test_tornado_moving_weight_to_an_indicator_ranks_by_it():
    # x0 ranks p < q, x1 ranks q < p: raising x0's weight must keep or move rankings, and
    # a large change on a two-indicator book reorders the two middle borrowers.
    values = pd.DataFrame({"x0": [1.0, 2.0, 3.0, 4.0], "x1": [4.0, 2.6, 2.4, 1.0]}, index=list("abcd"))
    grey = grey_relational(values, "benefit")
    t = tornado(grey, [0.5, 0.5], change=0.5, top_n=2)
    assert t["spearman_up"].min() < 1.0
    assert (t["impact"] > 0).all()


# ---------------------------------------------------------------------------- AHP judgments

CRITERIA = pd.DataFrame([[1, 3, 5], [1 / 3, 1, 2], [1 / 5, 1 / 2, 1]],
                        index=["fin", "ops", "mgmt"], columns=["fin", "ops", "mgmt"])
FIN = pd.DataFrame([[1, 2, 4], [1 / 2, 1, 3], [1 / 4, 1 / 3, 1]],
                   index=["roa", "dar", "cr"], columns=["roa", "dar", "cr"])
OPS = pd.DataFrame([[1, 1 / 2], [2, 1]], index=["turn", "days"], columns=["turn", "days"])


def test_perturbed_judgments_stay_reciprocal():
    stack = perturb_judgments(CRITERIA, draws=200, spread=0.3, seed=1)
    assert stack.shape == (200, 3, 3)
    np.testing.assert_allclose(stack * np.swapaxes(stack, 1, 2), 1.0, rtol=1e-14)
    np.testing.assert_array_equal(np.diagonal(stack, axis1=1, axis2=2), 1.0)
    logs = np.log(stack[:, 0, 1] / 3.0)
    assert abs(logs.std() - 0.3) < 0.05 and abs(logs.mean()) < 0.06


def test_ahp_mc_spread_zero_returns_base_weights_exactly():
    hier = ahp_hierarchy(CRITERIA, {"fin": FIN, "ops": OPS})
    res = ahp_judgment_monte_carlo(CRITERIA, {"fin": FIN, "ops": OPS}, draws=5, spread=0.0)
    assert list(res.weight_draws.columns) == list(hier.global_weights.index)
    for _, row in res.weight_draws.iterrows():
        np.testing.assert_array_equal(row.to_numpy(), hier.global_weights.to_numpy())
    np.testing.assert_array_equal(res.summary["base"], hier.global_weights.to_numpy())
    assert (res.summary["sd"] < 1e-15).all()
    single = ahp_judgment_monte_carlo(FIN, draws=3, spread=0.0)
    base = ahp_weights(FIN)
    np.testing.assert_array_equal(single.weight_draws.iloc[0].to_numpy(), base.weights.to_numpy())


def test_ahp_mc_distribution_and_feeding_the_ranking():
    res = ahp_judgment_monte_carlo(CRITERIA, {"fin": FIN, "ops": OPS}, draws=400, spread=0.2, seed=3)
    np.testing.assert_allclose(res.weight_draws.sum(axis=1), 1.0, atol=1e-12)
    s = res.summary
    assert ((s["q05"] <= s["median"]) & (s["median"] <= s["q95"])).all()
    assert ((s["q05"] < s["base"]) & (s["base"] < s["q95"])).all()
    np.testing.assert_allclose(s["mean"], s["base"], atol=0.03)
    assert 0.0 <= res.consistent_share <= 1.0
    again = ahp_judgment_monte_carlo(CRITERIA, {"fin": FIN, "ops": OPS}, draws=400, spread=0.2, seed=3)
    pd.testing.assert_frame_equal(res.weight_draws, again.weight_draws)
    # feed the draws into the ranking sensitivity
    rng = np.random.default_rng(0)
    values = pd.DataFrame(rng.lognormal(0, 0.5, (200, 6)), columns=list(res.weight_draws.columns))
    grey = grey_relational(values, "benefit", res.summary["base"])
    sens = rank_sensitivity(grey, res.weight_draws, top_n=10)
    assert sens.draws == 400
    assert 0.0 < sens.top_retention <= 1.0
    assert sens.top_probability.sum() == pytest.approx(10.0)
