"""The fused numba kernels must give the numpy path's numbers."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy.special import xlogy

from riskcore import _kernels, entropy_weights, grey_relational

pytestmark = pytest.mark.skipif(not _kernels.available(), reason="numba not installed")


@pytest.fixture
def force_kernels(monkeypatch):
    monkeypatch.setattr(_kernels, "KERNEL_MIN_CELLS", 0)


def book(n=5000, m=7, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.lognormal(size=(n, m))
    x[:, 3] = 2.5  # a constant column
    x[rng.integers(0, n, 50), 1] = 0.0  # zeros: 0 ln 0
    return pd.DataFrame(x, columns=[f"i{j}" for j in range(m)])


DIRS = ["benefit", "cost", "benefit", "cost", "benefit", "cost", "benefit"]


@pytest.mark.parametrize("method", ["minmax", "minmax_shift", "proportion"])
def test_entropy_kernel_equals_numpy(method, monkeypatch):
    x = book()
    expected = entropy_weights(x, DIRS, method=method)
    monkeypatch.setattr(_kernels, "KERNEL_MIN_CELLS", 0)
    assert _kernels.use_kernels(x.to_numpy())
    got = entropy_weights(x, DIRS, method=method)
    np.testing.assert_allclose(got.weights.to_numpy(), expected.weights.to_numpy(), atol=1e-13)
    np.testing.assert_allclose(got.entropy.to_numpy(), expected.entropy.to_numpy(), atol=1e-13)
    assert got.constant_columns == expected.constant_columns == ("i3",)


def test_grey_kernel_equals_numpy(monkeypatch):
    x = book()
    expected = grey_relational(x, DIRS, "entropy", rho=0.4)
    monkeypatch.setattr(_kernels, "KERNEL_MIN_CELLS", 0)
    got = grey_relational(x, DIRS, "entropy", rho=0.4)
    # Same arithmetic in the same order: coefficients agree to the bit.
    np.testing.assert_array_equal(got.coefficients.to_numpy(), expected.coefficients.to_numpy())
    np.testing.assert_array_equal(got.normalised.to_numpy(), expected.normalised.to_numpy())
    np.testing.assert_allclose(got.grades.to_numpy(), expected.grades.to_numpy(), atol=1e-13)
    assert (got.delta_min, got.delta_max) == (expected.delta_min, expected.delta_max)


def test_kernel_path_reports_nan_like_numpy(force_kernels):
    x = book(n=100)
    x.iloc[40, 2] = np.nan
    with pytest.raises(ValueError, match=r"`values` contains NaN at row 40, column 'i2'"):
        grey_relational(x, DIRS)


# --- the vectorised log and the kernels on both layouts ---------------------------------


def kernel_log(z):
    """ln z as the kernels compute it (riskcore._numba_kernels, imported only with numba)."""
    out = np.empty_like(z)
    _kernels._module().log(z, out)
    return out


def ulps(got, want):
    """|got - want| in units of the last place of ``want``."""
    return np.abs(got - want) / np.spacing(np.abs(want))


def log_inputs():
    rng = np.random.default_rng(7)
    tiny = np.finfo(float).tiny
    specials = [
        5e-324, 1e-320, tiny, np.nextafter(tiny, 0), np.nextafter(tiny, 1), 1.0, np.nextafter(1.0, 0),
        np.nextafter(1.0, 2), np.sqrt(0.5), np.nextafter(np.sqrt(0.5), 0), np.nextafter(np.sqrt(0.5), 1),
        np.sqrt(2.0), np.nextafter(np.sqrt(2.0), 0), np.nextafter(np.sqrt(2.0), 3), 2.0, 0.5, np.e,
        np.finfo(float).max, 1e-4, 0.1, 0.9, 1.1,
    ]
    return np.concatenate([
        specials,
        rng.random(300_000),  # z in [0, 1), what min-max scaling gives
        np.exp(rng.uniform(-744.0, 709.7, 300_000)),  # every octave, subnormals to max
        1.0 + rng.uniform(-1e-6, 1e-6, 100_000),  # ln near 0: relative precision matters
        1.0 + rng.uniform(-0.35, 0.45, 100_000),  # around the sqrt(1/2) / sqrt(2) boundaries
        np.ldexp(1.0, np.arange(-1074, 1024)),  # every power of two (subnormal ones too)
        np.ldexp(1.0 + rng.random(20_000), rng.integers(-1074, 1023, 20_000)),
        rng.uniform(0.0, tiny, 50_000),  # subnormals
    ])


def test_log_matches_numpy_to_one_ulp():
    z = log_inputs()
    z = z[z > 0]
    got = kernel_log(z)
    want = np.log(z)
    exact = want == 0.0  # ln 1
    assert np.array_equal(got[exact], want[exact])
    d = ulps(got[~exact], want[~exact])
    assert d.max() <= 1.0, (z[~exact][np.argmax(d)], d.max())
    assert np.mean(d > 0) < 0.1  # and mostly to the bit


def test_log_of_powers_of_two_and_subnormals():
    k = np.arange(-1074, 1024)  # 2**-1074 (the smallest subnormal) to 2**1023
    got = kernel_log(np.ldexp(1.0, k))
    assert got[k == 0][0] == 0.0
    assert ulps(got[k != 0], np.log(np.ldexp(1.0, k[k != 0]))).max() <= 1.0
    sub = np.array([5e-324, 1e-322, 3.3e-310, np.nextafter(np.finfo(float).tiny, 0)])
    assert ulps(kernel_log(sub), np.log(sub)).max() <= 1.0


def sums_reference(q):
    """Column sums of q and q ln q (0 ln 0 = 0) added exactly (math.fsum)."""
    t = xlogy(q, q)
    return (np.array([math.fsum(c) for c in q.T]), np.array([math.fsum(c) for c in t.T]))


def numpy_and_kernels(fn, monkeypatch):
    """fn() on the numpy path, then on the kernels."""
    monkeypatch.setattr(_kernels, "KERNEL_MIN_CELLS", 1 << 62)
    expected = fn()
    monkeypatch.setattr(_kernels, "KERNEL_MIN_CELLS", 0)
    return expected, fn()


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("shape", [(7, 3), (1000, 1), (3001, 7), (20_011, 20), (40, 600)])
def test_entropy_grey_kernel_both_layouts(order, shape, monkeypatch):
    n, m = shape  # 600 columns: a block of a C array is one row, longer than _BLOCK
    rng = np.random.default_rng(n + m)
    x = rng.lognormal(size=shape)
    if m > 3:
        x[:, 2] = -1.5  # constant
        x[rng.integers(0, n, max(1, n // 50)), 1] = 0.0
        tiny = rng.random(n) < 0.3  # z down to ~1e-310: subnormal
        x[:, 3] = np.where(tiny, rng.random(n) * 1e-300, rng.random(n) * 1e10)
        x[0, 3], x[-1, 3] = 0.0, 1e10
    x = np.asarray(x, order=order)
    dirs = ["cost" if j % 3 == 1 else "benefit" for j in range(m)]
    expected, got = numpy_and_kernels(lambda: grey_relational(x, dirs, "entropy", rho=0.4), monkeypatch)
    np.testing.assert_array_equal(got.coefficients.to_numpy(), expected.coefficients.to_numpy())
    np.testing.assert_array_equal(got.normalised.to_numpy(), expected.normalised.to_numpy())
    e_got, e_expected = got.entropy.entropy.to_numpy(), expected.entropy.entropy.to_numpy()
    np.testing.assert_allclose(e_got, e_expected, rtol=0, atol=1e-13)
    np.testing.assert_allclose(got.weights.to_numpy(), expected.weights.to_numpy(), rtol=0, atol=1e-13)
    np.testing.assert_allclose(got.grades.to_numpy(), expected.grades.to_numpy(), rtol=0, atol=1e-13)
    assert (got.delta_min, got.delta_max) == (expected.delta_min, expected.delta_max)


@pytest.mark.parametrize("order", ["C", "F"])
def test_kernel_sums_are_accurate(order):
    rng = np.random.default_rng(3)
    x = np.asarray(rng.lognormal(size=(50_003, 9)), order=order)
    x[rng.integers(0, 50_003, 500), 4] = x[:, 4].min()  # many z = 0
    lo, hi = x.min(axis=0), x.max(axis=0)
    constant = np.zeros(9, dtype=bool)
    (s, sl), xi = _kernels.entropy_grey(x, lo, hi - lo, constant, 0.5)
    assert xi.flags.c_contiguous == (order == "C")
    want_s, want_sl = sums_reference((x - lo) / (hi - lo))
    np.testing.assert_allclose(s, want_s, rtol=1e-14)
    np.testing.assert_allclose(sl, want_sl, rtol=1e-14)
    for shift in (0.0, 1e-4):
        s, sl = _kernels.entropy_sums(x, lo, hi - lo, constant, shift=shift)
        want_s, want_sl = sums_reference((x - lo) / (hi - lo) + shift)
        np.testing.assert_allclose(s, want_s, rtol=1e-14)
        np.testing.assert_allclose(sl, want_sl, rtol=1e-14)
    # "proportion" feeds raw values, here up to 1e300, to the log
    big = x * 1e298
    s, sl = _kernels.entropy_sums(big, np.zeros(9), np.ones(9), constant)
    want_s, want_sl = sums_reference(big)
    np.testing.assert_allclose(s, want_s, rtol=1e-14)
    np.testing.assert_allclose(sl, want_sl, rtol=1e-14)


@pytest.mark.parametrize("order", ["C", "F"])
def test_column_range_both_layouts(order):
    rng = np.random.default_rng(5)
    x = np.asarray(rng.normal(size=(10_007, 30)), order=order)
    lo, hi, bad = _kernels.column_range(x)
    np.testing.assert_array_equal(lo, x.min(axis=0))
    np.testing.assert_array_equal(hi, x.max(axis=0))
    assert not bad.any()
    x[9_000, 3], x[17, 11], x[10_006, 29] = np.nan, np.inf, -np.inf
    assert np.flatnonzero(_kernels.column_range(x)[2]).tolist() == [3, 11, 29]


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("method", ["minmax", "minmax_shift", "proportion"])
def test_entropy_kernel_both_layouts(order, method, monkeypatch):
    rng = np.random.default_rng(13)
    x = np.asarray(rng.lognormal(size=(4001, 6)), order=order)
    x[:, 5] = 3.0
    # Mixed directions keep sum(d) away from 0: w = d / sum(d) magnifies entropy's last
    # bit by 1 / sum(d). With every column "cost" sum(d) is 2e-4 here, and the numpy path's
    # own entropy (row-by-row sums of a C array) is 1 ulp from the exact value, which alone
    # moves its weights by 2e-13 (the kernels get the exact entropy there).
    dirs = ["benefit", "cost", "benefit", "benefit", "benefit", "cost"]
    expected, got = numpy_and_kernels(lambda: entropy_weights(x, dirs, method=method), monkeypatch)
    np.testing.assert_allclose(got.entropy.to_numpy(), expected.entropy.to_numpy(), rtol=0, atol=1e-13)
    np.testing.assert_allclose(got.weights.to_numpy(), expected.weights.to_numpy(), rtol=0, atol=1e-13)


@pytest.mark.parametrize("order", ["C", "F"])
def test_grey_coefficients_kernel_both_layouts(order, monkeypatch):
    rng = np.random.default_rng(11)
    x = np.asarray(rng.lognormal(size=(4001, 6)), order=order)
    x[:, 5] = 3.0
    w = np.full(6, 1 / 6)
    expected, got = numpy_and_kernels(lambda: grey_relational(x, "cost", w), monkeypatch)
    np.testing.assert_array_equal(got.coefficients.to_numpy(), expected.coefficients.to_numpy())
    np.testing.assert_array_equal(got.grades.to_numpy(), expected.grades.to_numpy())
