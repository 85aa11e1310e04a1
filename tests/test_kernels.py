"""The fused numba kernels must give the numpy path's numbers."""

import numpy as np
import pandas as pd
import pytest

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
