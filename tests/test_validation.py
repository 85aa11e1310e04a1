"""riskcore.validation: hand-computed figures on small sets with ties, a published example,
properties (hypothesis), DeLong against brute force and bootstrap, refusals, and the outcome
derived from later snapshots."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from riskcore.ranking import rating_bands
from riskcore.validation import (
    PSI_EPSILON,
    accuracy_ratio_from_cap,
    auc,
    auc_ci,
    band_default_rates,
    bootstrap_auc,
    brier_score,
    cap_curve,
    default_within,
    delong_variance,
    gini,
    hosmer_lemeshow,
    ks,
    monotonicity_violations,
    psi,
    psi_from_counts,
    psi_reading,
    quantile_bands,
    roc_curve,
    validate_score,
)

S4, Y4 = [1, 2, 2, 3], [0, 0, 1, 1]


def brute_auc(score, y):
    """P(s_D > s_ND) + ½ P(tie) over all pairs."""
    s, y = np.asarray(score, float), np.asarray(y, bool)
    d, nd = s[y][:, None], s[~y][None, :]
    return float(((d > nd) + 0.5 * (d == nd)).mean())


def brute_delong(score, y):
    """DeLong (1988) structural components from the pair matrix, O(m n)."""
    s, y = np.asarray(score, float), np.asarray(y, bool)
    psi_ = (s[y][:, None] > s[~y][None, :]) + 0.5 * (s[y][:, None] == s[~y][None, :])
    v10, v01 = psi_.mean(axis=1), psi_.mean(axis=0)
    s10 = v10.var(ddof=1) if v10.size > 1 else 0.0  # one observation: that component is 0
    s01 = v01.var(ddof=1) if v01.size > 1 else 0.0
    return psi_.mean(), s10 / v10.size + s01 / v01.size


# ============================================================================ HAND-COMPUTED


def test_auc_with_ties_by_hand():
    # pairs (D, ND): (2,1) 1, (2,2) ½, (3,1) 1, (3,2) 1 -> 3.5 / 4
    assert auc(S4, Y4, higher_is_riskier=True) == 0.875
    assert auc(S4, Y4, higher_is_riskier=False) == 0.125
    assert gini(S4, Y4, higher_is_riskier=True) == 0.75


def test_delong_variance_by_hand():
    # V10 (defaults 2, 3) = 0.75, 1; V01 (non-defaults 1, 2) = 1, 0.75; S10 = S01 = 0.03125
    a, var = delong_variance(S4, Y4, higher_is_riskier=True)
    assert a == 0.875
    assert var == pytest.approx(0.03125 / 2 + 0.03125 / 2)


def test_ks_by_hand_groups_ties():
    # distinct values 1, 2, 3: F_D = 0, 1/2, 1; F_ND = 1/2, 1, 1 -> max |diff| = 1/2 at 1 (first)
    r = ks(S4, Y4, higher_is_riskier=True)
    assert r.statistic == 0.5 and r.threshold == 1.0
    # row by row after sorting, the tie at 2 could be split D-first or ND-first; grouped it is
    # the same whichever order the rows come in
    assert ks([2, 1, 3, 2], [1, 0, 1, 0], higher_is_riskier=True).statistic == 0.5
    # all tied: no separation at all
    assert ks([5, 5, 5, 5], Y4, higher_is_riskier=True).statistic == 0.0


def test_ks_threshold_on_original_scale_for_a_grade():
    grade = [0.9, 0.8, 0.4, 0.3]  # higher = safer; the two lowest defaulted
    r = ks(grade, [0, 0, 1, 1], higher_is_riskier=False)
    assert r.statistic == 1.0 and r.threshold == 0.8


def test_roc_and_cap_points_by_hand():
    roc = roc_curve(S4, Y4, higher_is_riskier=True)
    assert roc["fpr"].tolist() == [0.0, 0.0, 0.5, 1.0]
    assert roc["tpr"].tolist() == [0.0, 0.5, 1.0, 1.0]
    assert roc["threshold"].tolist()[1:] == [3.0, 2.0, 1.0]
    assert np.trapezoid(roc["tpr"], roc["fpr"]) == 0.875
    cap = cap_curve(S4, Y4, higher_is_riskier=True)
    assert cap["share_obligors"].tolist() == [0.0, 0.25, 0.75, 1.0]
    assert cap["share_defaults"].tolist() == [0.0, 0.5, 1.0, 1.0]
    assert accuracy_ratio_from_cap(cap, 0.5) == pytest.approx(0.75)


def test_published_hanley_mcneil_1982_ct_ratings():
    """Hanley & McNeil (1982), Radiology 143: 109 CT images on a 5-point scale
    (normal 33/6/6/11/2, abnormal 3/2/2/11/33): AUC 0.893, SE (their formula) 0.032."""
    ratings = np.arange(1, 6)
    s = np.r_[np.repeat(ratings, [33, 6, 6, 11, 2]), np.repeat(ratings, [3, 2, 2, 11, 33])]
    y = np.r_[np.zeros(58, int), np.ones(51, int)]
    a, var = delong_variance(s, y, higher_is_riskier=True)
    assert round(a, 3) == 0.893
    m, n = 51, 58
    q1, q2 = a / (2 - a), 2 * a * a / (1 + a)
    hm = math.sqrt((a * (1 - a) + (m - 1) * (q1 - a * a) + (n - 1) * (q2 - a * a)) / (m * n))
    assert round(hm, 3) == 0.032
    # DeLong's SE is a different estimator; same order, checked exactly against brute force
    assert math.sqrt(var) == pytest.approx(math.sqrt(brute_delong(s, y)[1]), rel=1e-12)
    assert 0.025 < math.sqrt(var) < 0.035


def test_psi_by_hand_on_two_histograms():
    # shares e = (.5, .3, .2), a = (.4, .3, .3):
    # (.4-.5) ln(.8) + 0 + (.3-.2) ln(1.5) = .1 (ln 1.5 - ln .8)
    r = psi_from_counts([50, 30, 20], [40, 30, 30])
    assert r.value == pytest.approx(0.1 * (math.log(1.5) - math.log(0.8)))
    assert r.value == pytest.approx(0.0628609, abs=1e-7)
    assert r.reading == "stable"
    assert psi_from_counts([1, 1], [1, 1]).value == 0.0


def test_psi_empty_bin_gets_the_epsilon_floor():
    r = psi_from_counts([50, 50], [100, 0])
    e = PSI_EPSILON
    expected = (1 - 0.5) * math.log(1 / 0.5) + (e - 0.5) * math.log(e / 0.5)
    assert r.value == pytest.approx(expected)
    assert r.reading == "shift"


def test_psi_bins_from_the_expected_deciles():
    base = np.arange(1, 11, dtype=float)  # deciles: one value per bin
    assert psi(base, base).value == 0.0
    r = psi(base, np.array([1.0, 1.0, 1.0, 1.0, 1.0, 10.0, 10.0, 10.0, 10.0, 10.0]))
    counts = r.table["actual"].tolist()
    assert len(counts) == 10 and counts[0] == 5 and counts[-1] == 5 and sum(counts) == 10
    # values beyond the base range land in the open outer bins
    assert psi(base, np.array([-100.0, 100.0])).table["actual"].tolist()[::9] == [1, 1]


def test_psi_reading_thresholds():
    assert [psi_reading(v) for v in (0.0, 0.0999, 0.1, 0.25, 0.2501)] == [
        "stable", "stable", "some shift", "some shift", "shift"]


def test_band_default_rates_and_monotonicity():
    band = ["A"] * 4 + ["B"] * 4 + ["C"] * 4
    y = [0, 0, 0, 0] + [1, 1, 0, 0] + [1, 0, 0, 0]
    t = band_default_rates(band, y)
    assert t["n"].tolist() == [4, 4, 4]
    assert t["defaults"].tolist() == [0, 2, 1]
    assert t["default_rate"].tolist() == [0.0, 0.5, 0.25]
    assert monotonicity_violations(t) == [("B", "C", 0.5, 0.25)]
    # Jeffreys interval = Beta(k+½, n−k+½) quantiles; lower bound 0 when k = 0
    from scipy import stats
    assert t.loc["A", "jeffreys_low"] == 0.0
    assert t.loc["B", "jeffreys_high"] == pytest.approx(stats.beta.ppf(0.975, 2.5, 2.5))


def test_band_tests_against_a_pd():
    t = band_default_rates(["A"] * 10 + ["B"] * 10, [0] * 10 + [1] * 3 + [0] * 7,
                           pd_by_band={"A": 0.01, "B": 0.05})
    # B: P(X >= 3 | n=10, p=.05) = 1 - P(X <= 2)
    p = 1 - sum(math.comb(10, k) * 0.05**k * 0.95 ** (10 - k) for k in range(3))
    assert t.loc["B", "binomial_p"] == pytest.approx(p)
    assert t.loc["A", "binomial_p"] == 1.0
    from scipy import stats
    assert t.loc["B", "jeffreys_p"] == pytest.approx(stats.beta.cdf(0.05, 3.5, 7.5))
    with pytest.raises(ValueError, match="no PD for the bands"):
        band_default_rates(["A", "B"], [0, 1], pd_by_band={"A": 0.1})


def test_empty_bands_are_skipped_in_monotonicity():
    t = band_default_rates(["A", "A", "C", "C"], [0, 1, 1, 1], order=["A", "B", "C"])
    assert t.loc["B", "n"] == 0 and np.isnan(t.loc["B", "default_rate"])
    assert monotonicity_violations(t) == []


def test_quantile_bands_match_rating_bands_without_ties_and_keep_ties_together():
    g = pd.Series(np.random.default_rng(0).uniform(size=23))
    assert quantile_bands(g, higher_is_riskier=False).tolist() == rating_bands(g).tolist()
    tied = quantile_bands([0, 0, 0, 0, 0, 0, 1, 2, 3, 4], higher_is_riskier=True)
    assert len(set(tied[:6])) == 1


def test_hosmer_lemeshow_by_hand():
    # 3 groups of 10 with PD .1 / .2 / .3 and 2 / 2 / 3 defaults
    p = np.repeat([0.1, 0.2, 0.3], 10)
    y = np.r_[[1, 1] + [0] * 8, [1, 1] + [0] * 8, [1, 1, 1] + [0] * 7]
    r = hosmer_lemeshow(p, y)
    hl = (2 - 1) ** 2 / (10 * .1 * .9) + (2 - 2) ** 2 / (10 * .2 * .8) + (3 - 3) ** 2 / (10 * .3 * .7)
    assert r.dof == 1 and r.statistic == pytest.approx(hl)
    from scipy import stats
    assert r.p_value == pytest.approx(stats.chi2.sf(hl, 1))
    with pytest.raises(ValueError, match="at least 3"):
        hosmer_lemeshow([0.1, 0.1, 0.2, 0.2], [0, 1, 0, 1])


def test_brier_by_hand():
    assert brier_score([0.1, 0.9, 0.5], [0, 1, 1]) == pytest.approx((0.01 + 0.01 + 0.25) / 3)


# ============================================================================ PROPERTIES


scores_and_defaults = st.integers(min_value=2, max_value=40).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(-5, 5), min_size=n, max_size=n),  # small range: many ties
        st.lists(st.integers(0, 1), min_size=n, max_size=n).filter(lambda y: 0 < sum(y) < len(y)),
    )
)


@settings(max_examples=150, deadline=None)
@given(scores_and_defaults)
def test_auc_properties(data):
    s, y = np.asarray(data[0], float), data[1]
    a = auc(s, y, higher_is_riskier=True)
    assert 0.0 <= a <= 1.0
    assert a == pytest.approx(brute_auc(s, y))
    assert auc(-s, y, higher_is_riskier=True) == pytest.approx(1 - a)
    assert auc(s, y, higher_is_riskier=False) == pytest.approx(1 - a)
    roc = roc_curve(s, y, higher_is_riskier=True)
    assert np.trapezoid(roc["tpr"], roc["fpr"]) == pytest.approx(a)
    cap = cap_curve(s, y, higher_is_riskier=True)
    assert accuracy_ratio_from_cap(cap, sum(y) / len(y)) == pytest.approx(2 * a - 1)
    assert len(roc) == len(np.unique(s)) + 1


@settings(max_examples=150, deadline=None)
@given(scores_and_defaults)
def test_monotone_transforms_leave_auc_and_ks_unchanged(data):
    s, y = np.asarray(data[0], float), data[1]
    a, k = auc(s, y, higher_is_riskier=True), ks(s, y, higher_is_riskier=True).statistic
    for t in (np.exp(s), 3 * s + 7, s**3, np.arctan(s)):
        assert auc(t, y, higher_is_riskier=True) == pytest.approx(a)
        assert ks(t, y, higher_is_riskier=True).statistic == pytest.approx(k)
    # a decreasing transform with the direction flipped is the same ordering
    assert auc(-2 * s, y, higher_is_riskier=False) == pytest.approx(a)


@settings(max_examples=100, deadline=None)
@given(scores_and_defaults)
def test_delong_matches_the_pair_matrix(data):
    s, y = data
    a, var = delong_variance(s, y, higher_is_riskier=True)
    ba, bvar = brute_delong(s, y)
    assert a == pytest.approx(ba)
    assert var == pytest.approx(bvar, abs=1e-12)


def test_bootstrap_auc_matches_a_naive_bootstrap_in_distribution():
    rng = np.random.default_rng(7)
    y = (rng.uniform(size=400) < 0.2).astype(int)
    s = np.round(rng.normal(size=400) + 0.8 * y, 1)  # rounded: ties
    risk, flag = s.astype(float), y.astype(bool)
    fast = bootstrap_auc(risk, flag, resamples=2000, seed=1)
    d, nd = np.flatnonzero(flag), np.flatnonzero(~flag)
    naive = []
    for _ in range(400):
        idx = np.r_[rng.choice(d, d.size), rng.choice(nd, nd.size)]
        naive.append(brute_auc(s[idx], y[idx]))
    assert fast.mean() == pytest.approx(np.mean(naive), abs=0.01)
    assert fast.std() == pytest.approx(np.std(naive), rel=0.15)


def test_delong_variance_against_bootstrap():
    rng = np.random.default_rng(11)
    y = (rng.uniform(size=1000) < 0.15).astype(int)
    s = rng.normal(size=1000) + 1.0 * y
    a, var = delong_variance(s, y, higher_is_riskier=True)
    boot = bootstrap_auc(s, y.astype(bool), resamples=3000, seed=3)
    assert math.sqrt(var) == pytest.approx(boot.std(ddof=1), rel=0.15)
    ci_d = auc_ci(s, y, higher_is_riskier=True)
    ci_b = auc_ci(s, y, higher_is_riskier=True, method="bootstrap", resamples=3000, seed=3)
    assert ci_d.low < a < ci_d.high and ci_b.low < a < ci_b.high
    assert ci_d.low == pytest.approx(ci_b.low, abs=0.02) and ci_d.high == pytest.approx(ci_b.high, abs=0.02)
    assert ci_d.high - ci_d.low == pytest.approx(2 * 1.959964 * math.sqrt(var), rel=1e-5)


def test_bootstrap_is_reproducible_with_a_seed():
    s, y = np.arange(30.0), np.r_[np.zeros(20, int), np.ones(10, int)]
    y = y[np.random.default_rng(0).permutation(30)]
    a = auc_ci(s, y, higher_is_riskier=True, method="bootstrap", resamples=200, seed=5)
    b = auc_ci(s, y, higher_is_riskier=True, method="bootstrap", resamples=200, seed=5)
    assert (a.low, a.high) == (b.low, b.high) and a.resamples == 200


# ============================================================================ REFUSALS


@pytest.mark.parametrize("score, match", [
    (["A", "B", "C", "D"], "class labels"),
    (pd.Series(["A", "B", "C", "D"], dtype="category"), "class labels"),
    (pd.Series([1, 2, 3, 4]).astype("category"), "class labels"),
    ([True, False, True, False], "class labels"),
    ([1.0, np.nan, 2.0, 3.0], "missing or infinite values .first at position 1"),
    ([[1, 2], [3, 4]], "1-D"),
])
def test_refuses_bad_scores(score, match):
    with pytest.raises(ValueError, match=match):
        auc(score, Y4, higher_is_riskier=True)


@pytest.mark.parametrize("default, match", [
    ([0, 0, 0, 0], "no defaults"),
    ([1, 1, 1, 1], "no non-defaults"),
    ([0, 1, 2, 1], r"must be 0 .* or 1 .*; found \[2.0\]"),
    (["Y", "N", "Y", "N"], "must be 0/1"),
    ([0, 1, np.nan, 1], "missing"),
    ([0, 1, 1], "has 3 values but the score has 4"),
])
def test_refuses_bad_outcomes(default, match):
    with pytest.raises(ValueError, match=match):
        auc(S4, default, higher_is_riskier=True)


def test_direction_must_be_stated():
    with pytest.raises(TypeError):
        auc(S4, Y4)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="higher_is_riskier"):
        auc(S4, Y4, higher_is_riskier="yes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="method"):
        auc_ci(S4, Y4, higher_is_riskier=True, method="exact")  # type: ignore[arg-type]


# ============================================================================ REPORT


def test_validate_score_bundles_the_figures():
    rng = np.random.default_rng(2)
    y = (rng.uniform(size=300) < 0.2).astype(int)
    grade = 0.7 - 0.1 * y + rng.normal(scale=0.1, size=300)  # higher = safer
    pdv = np.clip(0.2 + 0.3 * (0.7 - grade), 0.01, 0.99)
    r = validate_score(grade, y, higher_is_riskier=False, pd_values=pdv)
    assert r.auc == pytest.approx(brute_auc(-grade, y))
    assert r.gini == pytest.approx(2 * r.auc - 1)
    assert r.auc_ci.method == "delong" and r.auc_ci.low < r.auc < r.auc_ci.high
    assert r.bands.index.tolist() == ["A", "B", "C", "D", "E"] and r.bands["n"].sum() == 300
    assert r.bands["defaults"].sum() == y.sum() == r.defaults
    assert r.hosmer_lemeshow is not None and r.hosmer_lemeshow.dof == 8
    assert r.brier == pytest.approx(np.mean((pdv - y) ** 2))
    summary = r.summary()
    assert summary["auc"] == r.auc and summary["ks"] == r.ks.statistic
    assert summary["monotonic"] == (not r.violations)


# ============================================================================ OUTCOME


def _loans(rows):
    return pd.DataFrame(rows, columns=["snapshot_date", "borrower_id", "balance", "five_class", "dpd"])


def test_default_within_population_and_window():
    rows = [
        # as_of 2024-01-31
        ("2024-01-31", "P1", 100, 1, 0),    # stays performing
        ("2024-01-31", "P2", 100, 1, 0),    # goes NPL by DPD floor (91+ days) in the window
        ("2024-01-31", "P3", 100, 2, 30),   # goes NPL by reported class, but only after 12 months
        ("2024-01-31", "N1", 100, 3, 0),    # already NPL: excluded
        ("2024-01-31", "Z1", 0, 1, 0),      # no live loan: excluded
        ("2024-01-31", "P4", 100, 1, 0),    # repays and leaves: 0
        ("2024-06-30", "P1", 90, 1, 0),
        ("2024-06-30", "P2", 90, 1, 95),
        ("2024-06-30", "P3", 90, 2, 60),
        ("2024-06-30", "Z1", 50, 4, 200),   # not in the population anyway
        ("2025-01-31", "P1", 80, 1, 0),
        ("2025-01-31", "P3", 80, 2, 60),
        ("2025-03-31", "P3", 80, 3, 60),
    ]
    out = default_within(_loans(rows), "2024-01-31")
    assert out.to_dict() == {"P1": 0, "P2": 1, "P3": 0, "P4": 0}
    assert out.name == "default_12m"
    assert out.attrs["excluded_npl"] == 1
    assert out.attrs["observed_until"] == pd.Timestamp("2025-01-31")
    assert default_within(_loans(rows), "2024-01-31", months=14)["P3"] == 1


def test_default_within_refusals():
    rows = [("2024-01-31", "P1", 100, 1, 0)]
    with pytest.raises(ValueError, match="no snapshot dated"):
        default_within(_loans(rows), "2024-02-29")
    with pytest.raises(ValueError, match="cannot be observed"):
        default_within(_loans(rows), "2024-01-31")
    with pytest.raises(ValueError, match="lacks the columns"):
        default_within(_loans(rows).drop(columns="dpd"), "2024-01-31")
