import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from riskcore import (
    RI_TABLES,
    SAATY_SCALE,
    ahp_hierarchy,
    ahp_matrix_from_pairs,
    ahp_panel,
    ahp_revision,
    ahp_weights,
    random_index,
)


def consistent(w):
    w = np.asarray(w, dtype=float)
    return np.outer(w, 1.0 / w)


def random_reciprocal(rng, n, spread=1.0):
    s = np.exp(rng.normal(scale=spread, size=(n, n)))
    a = np.triu(s, 1)
    a = a + np.triu(1.0 / s, 1).T
    a[np.diag_indices(n)] = 1.0
    return a


def reference_eigen(a):
    vals, vecs = np.linalg.eig(a)
    k = int(np.argmax(vals.real))
    w = np.abs(vecs[:, k].real)
    return w / w.sum(), vals[k].real


# ------------------------------------------------------------------ known answers


def test_three_by_three_by_hand():
    # a12 = 2, a13 = 4, a23 = 2 is consistent: w = (4, 2, 1) / 7, lambda = 3, CR = 0.
    a = [[1, 2, 4], [1 / 2, 1, 2], [1 / 4, 1 / 2, 1]]
    r = ahp_weights(a)
    assert r.weights.tolist() == pytest.approx([4 / 7, 2 / 7, 1 / 7], abs=1e-14)
    assert r.lambda_max == pytest.approx(3.0, abs=1e-12)
    assert r.cr == pytest.approx(0.0, abs=1e-12) and r.consistent
    assert r.ri == 0.58 and r.ri_table == "saaty1980"


def test_inconsistent_three_by_three_against_closed_form():
    # For a 3x3 reciprocal matrix lambda_max = 1 + c + 1/c with c = (a13 / (a12 a23))^(1/3).
    a12, a13, a23 = 3.0, 2.0, 5.0
    r = ahp_weights([[1, a12, a13], [1 / a12, 1, a23], [1 / a13, 1 / a23, 1]])
    c = (a13 / (a12 * a23)) ** (1 / 3)
    lam = 1 + c + 1 / c
    assert r.lambda_max == pytest.approx(lam, abs=1e-12)
    assert r.ci == pytest.approx((lam - 3) / 2, abs=1e-12)
    assert r.cr == pytest.approx((lam - 3) / 2 / 0.58, abs=1e-12)
    assert not r.consistent


def test_geometric_method_row_geometric_means():
    a = np.array([[1, 3, 5], [1 / 3, 1, 2], [1 / 5, 1 / 2, 1]])
    g = np.prod(a, axis=1) ** (1 / 3)
    r = ahp_weights(a, method="geometric")
    assert r.weights.tolist() == pytest.approx((g / g.sum()).tolist(), abs=1e-15)
    # lambda_max (and so CR) is the matrix's principal eigenvalue whatever the weighting.
    assert r.lambda_max == pytest.approx(reference_eigen(a)[1], abs=1e-12)
    assert r.method == "geometric"


def test_two_by_two_and_one_by_one_have_zero_cr():
    r = ahp_weights([[1, 9], [1 / 9, 1]])
    assert r.weights.tolist() == pytest.approx([0.9, 0.1], abs=1e-15)
    assert r.cr == 0.0 and r.ci == 0.0
    r1 = ahp_weights([[1.0]])
    assert r1.weights.tolist() == [1.0] and r1.cr == 0.0


@pytest.mark.parametrize(("table", "n", "ri"), [("saaty1980", 7, 1.32), ("saaty2005", 7, 1.35),
                                               ("cn_textbook", 7, 1.36), ("saaty1980", 15, 1.59),
                                               ("cn_textbook", 4, 0.89)])
def test_named_ri_tables(table, n, ri):
    assert random_index(n, table) == ri


def test_typed_approximate_reciprocals_are_accepted():
    r = ahp_weights([[1, 3, 0.5], [0.333, 1, 0.25], [2, 4, 1]])
    exact = ahp_weights([[1, 3, 0.5], [1 / 3, 1, 0.25], [2, 4, 1]])
    assert r.weights.tolist() == pytest.approx(exact.weights.tolist(), abs=1e-15)


def test_matrix_from_pairs_builds_reciprocals_and_missing():
    m = ahp_matrix_from_pairs(["财务", "信用", "担保"], [("财务", "信用", 3), ("担保", "财务", 1 / 2)])
    assert m.loc["信用", "财务"] == pytest.approx(1 / 3)
    assert m.loc["财务", "担保"] == pytest.approx(2.0)
    assert np.isnan(m.loc["信用", "担保"]) and np.isnan(m.loc["担保", "信用"])
    with pytest.raises(ValueError, match=r"the pair \('财务', '信用'\) is judged twice"):
        ahp_matrix_from_pairs(["财务", "信用"], [("财务", "信用", 3), ("财务", "信用", 2)])


# ------------------------------------------------------------------ incomplete judgments


def test_missing_pair_of_consistent_matrix_is_completed_consistently():
    w = np.array([0.4, 0.3, 0.2, 0.1])
    a = consistent(w)
    a[0, 3] = a[3, 0] = np.nan
    a[1, 2] = np.nan  # one side only: the other is its reciprocal
    r = ahp_weights(a)
    assert r.filled == ((0, 3),)
    assert r.matrix.iloc[0, 3] == pytest.approx(4.0, abs=1e-9)
    assert r.weights.tolist() == pytest.approx(w.tolist(), abs=1e-12)
    assert r.cr == pytest.approx(0.0, abs=1e-12)


def test_completion_minimises_lambda_max():
    rng = np.random.default_rng(7)
    a = random_reciprocal(rng, 6, spread=1.0)
    a[0, 4] = a[4, 0] = a[1, 5] = a[5, 1] = np.nan
    r = ahp_weights(a)
    best = r.lambda_max
    filled = r.matrix.to_numpy()
    for i, j in [(0, 4), (1, 5)]:
        for factor in (0.99, 1.01):
            b = filled.copy()
            b[i, j] *= factor
            b[j, i] = 1 / b[i, j]
            assert reference_eigen(b)[1] > best
    # Stationarity: d lambda / d ln a_ij = 0 at the completed values.
    w, lam = reference_eigen(filled)
    v, _ = reference_eigen(filled.T)
    for i, j in [(0, 4), (1, 5)]:
        grad = (filled[i, j] * v[i] * w[j] - filled[j, i] * v[j] * w[i]) / (v @ w)
        assert abs(grad) < 1e-12


def test_disconnected_judgments_are_refused():
    a = np.full((4, 4), np.nan)
    a[np.diag_indices(4)] = 1
    a[0, 1], a[1, 0] = 2, 0.5
    a[2, 3], a[3, 2] = 3, 1 / 3
    with pytest.raises(ValueError, match=r"the judgments leave \[2, 3\] unconnected to 0"):
        ahp_weights(a)


# ------------------------------------------------------------------ revision hint


def test_revision_finds_the_corrupted_judgment():
    w = np.array([0.35, 0.25, 0.2, 0.12, 0.08])
    a = consistent(w)
    a[1, 3], a[3, 1] = 1 / 5, 5.0  # should be 0.25 / 0.12 ~ 2.08
    rev = ahp_revision(pd.DataFrame(a, index=list("ABCDE"), columns=list("ABCDE")))
    assert (rev.row, rev.column) == ("B", "D")
    assert rev.current == pytest.approx(0.2)
    assert rev.suggested == pytest.approx(0.25 / 0.12, rel=1e-6)
    assert rev.cr_after == pytest.approx(0.0, abs=1e-9)
    assert rev.suggested_scale == 2.0
    assert rev.cr_before > 0.05 and rev.cr_after_scale < rev.cr_before
    assert len(rev.candidates) == 10
    assert rev.candidates["cr_after"].is_monotonic_increasing


def test_revision_refuses_small_matrix():
    with pytest.raises(ValueError, match="n < 3 is always consistent"):
        ahp_revision([[1, 2], [0.5, 1]])


# ------------------------------------------------------------------ batch


def test_batch_equals_one_by_one_and_numpy_eig():
    rng = np.random.default_rng(3)
    stack = np.stack([random_reciprocal(rng, 9, spread=s) for s in np.linspace(0.1, 2.5, 40)])
    batch = ahp_weights(stack)
    for k in range(len(stack)):
        one = ahp_weights(stack[k])
        w_ref, lam_ref = reference_eigen(stack[k])
        np.testing.assert_allclose(batch.weights[k], one.weights.to_numpy(), atol=1e-15)
        np.testing.assert_allclose(batch.weights[k], w_ref, atol=1e-12)
        assert batch.lambda_max[k] == pytest.approx(lam_ref, abs=1e-10)
        assert batch.cr[k] == pytest.approx(one.cr, abs=1e-15)
    assert batch.consistent.dtype == bool
    geo = ahp_weights(stack, method="geometric")
    g = np.exp(np.log(stack).mean(axis=2))
    np.testing.assert_allclose(geo.weights, g / g.sum(axis=1, keepdims=True), atol=1e-15)


def test_extreme_cyclic_judgments_still_match_eig():
    # Intransitive 9s everywhere above the diagonal: far from consistent.
    n = 8
    a = np.ones((n, n))
    a[np.triu_indices(n, 1)] = 9.0
    a[np.tril_indices(n, -1)] = 1 / 9
    a[0, n - 1], a[n - 1, 0] = 1 / 9, 9.0
    r = ahp_weights(a)
    w_ref, lam_ref = reference_eigen(a)
    np.testing.assert_allclose(r.weights.to_numpy(), w_ref, atol=1e-12)
    assert r.lambda_max == pytest.approx(lam_ref, abs=1e-10)


# ------------------------------------------------------------------ properties


weights_strategy = arrays(np.float64, st.integers(1, 15), elements=st.floats(0.01, 1.0)).map(lambda w: w / w.sum())


@settings(max_examples=200, deadline=None)
@given(weights_strategy, st.sampled_from(["eigen", "geometric"]))
def test_consistent_matrix_returns_its_weights_and_zero_cr(w, method):
    r = ahp_weights(consistent(w), method=method)
    np.testing.assert_allclose(r.weights.to_numpy(), w, atol=1e-12)
    assert r.cr == pytest.approx(0.0, abs=1e-10)
    assert r.consistent


@settings(max_examples=100, deadline=None)
@given(st.integers(3, 12), st.integers(0, 10_000))
def test_weights_positive_sum_to_one_and_lambda_at_least_n(n, seed):
    a = random_reciprocal(np.random.default_rng(seed), n, spread=1.5)
    r = ahp_weights(a)
    assert (r.weights > 0).all()
    assert r.weights.sum() == pytest.approx(1.0, abs=1e-12)
    assert r.lambda_max >= n - 1e-9
    perm = np.random.default_rng(seed + 1).permutation(n)
    r2 = ahp_weights(a[np.ix_(perm, perm)])
    np.testing.assert_allclose(r2.weights.to_numpy(), r.weights.to_numpy()[perm], atol=1e-12)
    assert r2.cr == pytest.approx(r.cr, abs=1e-12)


# ------------------------------------------------------------------ hierarchy and panel


def test_hierarchy_global_weights_and_total_cr():
    crit = pd.DataFrame([[1, 3], [1 / 3, 1]], index=["财务风险", "信用风险"], columns=["财务风险", "信用风险"])
    fin_labels = ["资产负债率", "流动比率", "总资产收益率"]
    fin = pd.DataFrame([[1, 2, 3], [1 / 2, 1, 2], [1 / 3, 1 / 2, 1]], index=fin_labels, columns=fin_labels)
    h = ahp_hierarchy(crit, {"财务风险": fin})
    fin_result = ahp_weights(fin)
    assert h.criteria.weights.tolist() == pytest.approx([0.75, 0.25], abs=1e-14)
    expected = (0.75 * fin_result.weights).tolist() + [0.25]
    assert h.global_weights.tolist() == pytest.approx(expected, abs=1e-14)
    assert list(h.global_weights.index) == fin_labels + ["信用风险"]
    assert h.global_weights.sum() == pytest.approx(1.0, abs=1e-14)
    # Only one criterion has a matrix: total CR = (w CI) / (w RI) = that matrix's CR.
    assert h.total_cr == pytest.approx(fin_result.cr, abs=1e-14)
    assert h.children["财务风险"].cr == pytest.approx(fin_result.cr)


def test_hierarchy_errors_name_the_criterion():
    crit = pd.DataFrame([[1, 2], [0.5, 1]], index=["a", "b"], columns=["a", "b"])
    bad = pd.DataFrame([[1, -2], [0.5, 1]], index=["x", "y"], columns=["x", "y"])
    with pytest.raises(ValueError, match=r"criterion 'a': `matrix` entries must be positive"):
        ahp_hierarchy(crit, {"a": bad})
    with pytest.raises(ValueError, match=r"`children` names \['zzz'\], which are not criteria"):
        ahp_hierarchy(crit, {"zzz": bad})


def test_panel_geometric_mean_weighted_and_each_expert_cr():
    e1 = [[1, 2], [1 / 2, 1]]
    e2 = [[1, 8], [1 / 8, 1]]
    p = ahp_panel({"张": e1, "李": e2})
    assert p.aggregate_matrix.iloc[0, 1] == pytest.approx(4.0)
    assert p.aggregate.weights.tolist() == pytest.approx([0.8, 0.2])
    assert set(p.experts) == {"张", "李"}
    pw = ahp_panel([e1, e2], expert_weights=[3, 1])
    assert pw.aggregate_matrix.iloc[0, 1] == pytest.approx(2 ** 0.75 * 8 ** 0.25)
    assert pw.expert_weights.tolist() == [0.75, 0.25]


def test_panel_keeps_reciprocity_and_handles_missing_judgments():
    rng = np.random.default_rng(11)
    mats = [random_reciprocal(rng, 5) for _ in range(3)]
    mats[1][0, 2] = mats[1][2, 0] = np.nan
    p = ahp_panel(mats)
    agg = p.aggregate_matrix.to_numpy()
    np.testing.assert_allclose(agg * agg.T, 1.0, atol=1e-12)
    expected = np.sqrt(mats[0][0, 2] * mats[2][0, 2])  # only experts 0 and 2 judged (0, 2)
    assert agg[0, 2] == pytest.approx(expected)
    assert p.experts[1].filled == ((0, 2),)
    for k, m in enumerate(mats):
        if k != 1:
            assert p.experts[k].cr == pytest.approx(ahp_weights(m).cr)


# ------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    ("matrix", "kwargs", "message"),
    [
        ([[1, 2, 3], [0.5, 1, 2]], {}, r"`matrix` must be square \(n x n\); got shape \(2, 3\)"),
        ([[1, -2], [-0.5, 1]], {}, r"`matrix` entries must be positive; entry \(0, 1\) is -2"),
        ([[1, 0], [0, 1]], {}, r"`matrix` entries must be positive; entry \(0, 1\) is 0"),
        ([[1, 2], [2, 1]], {}, r"`matrix` is not reciprocal: a\[0, 1\] x a\[1, 0\] = 2 x 2 = 4 \(must be 1\)"),
        ([[2, 1], [1, 1]], {}, r"`matrix` diagonal must be 1; entry \(0, 0\) is 2"),
        (np.ones((16, 16)), {}, r"`matrix` has n = 16; AHP judgments are limited to n <= 15"),
        (np.ones((11, 11)), {"ri_table": "saaty2005"}, r"RI table 'saaty2005' covers n <= 10; got n = 11"),
        (np.ones((3, 3)), {"ri_table": "tummala"}, r"`ri_table` must be one of"),
        (np.ones((3, 3)), {"method": "lls"}, r"`method` must be one of"),
        ([[1, np.inf], [0, 1]], {}, r"`matrix` entries must be finite"),
        (np.ones(4), {}, r"`matrix` must be square \(n x n\) or a stack \(k x n x n\); got shape \(4,\)"),
    ],
)
def test_errors(matrix, kwargs, message):
    with pytest.raises(ValueError, match=message):
        ahp_weights(matrix, **kwargs)


def test_batch_errors():
    stack = np.ones((3, 4, 4))
    stack[1, 0, 1] = np.nan
    with pytest.raises(ValueError, match="batched matrices must be complete"):
        ahp_weights(stack)
    stack = np.ones((3, 4, 4))
    stack[2, 0, 1] = 3.0
    with pytest.raises(ValueError, match=r"matrix 2 of the stack has a_ij x a_ji != 1"):
        ahp_weights(stack)


def test_saaty_scale_and_tables_are_what_the_docs_say():
    assert SAATY_SCALE[0] == pytest.approx(1 / 9) and SAATY_SCALE[-1] == 9 and len(SAATY_SCALE) == 17
    assert RI_TABLES["saaty1980"][:10] == (0.0, 0.0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49)
    assert RI_TABLES["saaty2005"][2:] == (0.52, 0.89, 1.11, 1.25, 1.35, 1.40, 1.45, 1.49)
    assert RI_TABLES["cn_textbook"][2:] == (0.52, 0.89, 1.12, 1.26, 1.36, 1.41, 1.46, 1.49)
