"""Grey relational analysis (Deng): borrower grades against the ideal borrower, and
risk-factor degrees against a risk series."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import numpy as np
import pandas as pd
from scipy.special import xlogy

from riskcore import _kernels
from riskcore._inputs import FloatArray, as_directions, as_matrix, as_weight_vector, check_finite
from riskcore.weights.entropy import EntropyResult, entropy_from_sums, minmax_normalise

__all__ = ["GreyResult", "GreyFactorResult", "grey_relational", "grey_factor_degrees", "GREY_PREPROCESS"]

GREY_PREPROCESS: Final[tuple[str, ...]] = ("mean", "initial")


def _check_rho(rho: float) -> float:
    rho = float(rho)
    if not (0.0 < rho <= 1.0):
        raise ValueError(f"`rho` (distinguishing coefficient) must be in (0, 1]; got {rho:g}")
    return rho


@dataclass(frozen=True, slots=True)
class GreyResult:
    """Grey relational coefficients and grades of borrowers against the ideal borrower.

    **Higher grade = closer to the ideal borrower = lower risk.** A risk ranking sorts
    grades ascending (see :meth:`risk_rank`).

    Attributes
    ----------
    normalised : DataFrame (property)
        Min-max normalised values z in [0, 1], 1 = best (a constant column is 1).
    coefficients : DataFrame
        xi_ij; they do not depend on the weights, so :meth:`regrade` reuses them.
    grades : Series
        r_i = sum_j w_j xi_ij.
    weights : Series
        The weights used (equal weights when none were given).
    rho, delta_min, delta_max : float
        Distinguishing coefficient and the global extremes of Delta.
    entropy : EntropyResult or None
        Set when ``weights="entropy"`` computed the weights in the same pass.
    """

    coefficients: pd.DataFrame
    grades: pd.Series
    weights: pd.Series
    rho: float
    delta_min: float
    delta_max: float
    entropy: EntropyResult | None = field(default=None)
    _normaliser: tuple[FloatArray, FloatArray, FloatArray, np.ndarray] | None = field(default=None, repr=False)
    _normalised: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def normalised(self) -> pd.DataFrame:
        """Min-max normalised values z in [0, 1], 1 = best; a constant column is 1.

        On big books it is recomputed on demand from the input rather than kept twice.
        """
        if self._normalised is not None:
            return self._normalised
        assert self._normaliser is not None
        x, offset, scale, constant = self._normaliser
        z = np.where(constant, 1.0, (x - offset) / np.where(constant, 1.0, scale))
        return pd.DataFrame(z, index=self.coefficients.index, columns=self.coefficients.columns, copy=False)

    def regrade(self, weights: Any) -> pd.Series:
        """Grades for new weights (sequence or Series keyed by indicator, summing to 1).

        Only the matrix-vector product xi @ w is redone: this is the what-if path.
        """
        w = as_weight_vector(weights, self.coefficients.columns)
        grades = self.coefficients.to_numpy(copy=False) @ w
        return pd.Series(grades, index=self.coefficients.index, name="grade")

    def risk_rank(self, grades: pd.Series | None = None) -> pd.Series:
        """Rank 1 = riskiest borrower (lowest grade); ties share the lowest rank."""
        g = self.grades if grades is None else grades
        return g.rank(method="min", ascending=True).astype(np.int64).rename("risk_rank")


def grey_relational(
    values: Any,
    directions: Any = "benefit",
    weights: Any = None,
    *,
    rho: float = 0.5,
) -> GreyResult:
    r"""Grey relational grades of borrowers against the ideal borrower (Deng's GRA).

    Parameters
    ----------
    values : DataFrame or array of shape (n, m)
        Borrowers in rows, indicators in columns; finite numbers only.
    directions : str, sequence, mapping or Series
        ``"benefit"``/``"cost"`` (or Chinese labels) per column, or one for all.
    weights : sequence, Series, ``"entropy"`` or None
        Indicator weights summing to 1; ``None`` gives equal weights; ``"entropy"``
        computes min-max entropy weights in the same pass (kept in ``result.entropy``).
    rho : float, default 0.5
        Distinguishing coefficient in (0, 1].

    Returns
    -------
    GreyResult

    Raises
    ------
    ValueError
        NaN/inf (naming the first cell), wrong direction count, weights of the wrong
        length or not summing to 1, rho outside (0, 1].

    Notes
    -----
    z = min-max normalised values (benefit (x - min)/(max - min), cost (max - x)/(max - min);
    a constant column gives z = 1 for everyone). The reference sequence is the ideal
    borrower, z_0j = 1. With Delta_ij = |1 - z_ij| and Delta_min, Delta_max taken over
    the whole matrix,

    .. math:: \xi_{ij} = \frac{\Delta_{min} + \rho\Delta_{max}}{\Delta_{ij} + \rho\Delta_{max}},
              \qquad r_i = \sum_j w_j \xi_{ij}.

    If Delta_max = 0 (every column constant) every xi is 1.

    References
    ----------
    .. [1] Deng, J. (1982), "Control problems of grey systems", Systems & Control Letters 1(5).
    .. [2] Yildirim & Onder (eds., 2015), Cok Kriterli Karar Verme Yontemleri, 2nd ed.
       (the worked example in the tests).
    """
    rho = _check_rho(rho)
    m = as_matrix(values, allow_nan=True)  # minmax_normalise checks, with the min/max pass
    benefit = as_directions(directions, m.columns)
    x = m.data
    if x.shape[0] < 1:
        raise ValueError("`values` has no rows")
    entropy_result: EntropyResult | None = None
    want_entropy = isinstance(weights, str) and weights == "entropy"
    if isinstance(weights, str) and not want_entropy:
        raise ValueError(f"`weights` must be numbers, None or 'entropy'; got {weights!r}")

    offset, scale, constant = minmax_normalise(m, benefit)
    safe_scale = np.where(constant, 1.0, scale)
    z: FloatArray | None = None
    if _kernels.use_kernels(x):
        # Delta_min = 0 and Delta_max = 1 exactly: a non-constant column has z = 0 and
        # z = 1 at its extremes (x - min over max - min divides equal numbers), constant
        # columns have Delta = 0.
        delta_min, delta_max = 0.0, (0.0 if constant.all() else 1.0)
        if want_entropy and delta_max > 0.0:
            sums, xi = _kernels.entropy_grey(x, offset, scale, constant, rho)
            entropy_result = entropy_from_sums(sums, constant, x.shape[0], m.columns)
        elif want_entropy:
            raise ValueError("every column of `values` is constant; entropy weights are undefined")
        else:
            xi = np.ones_like(x) if delta_max == 0.0 else _kernels.grey_coefficients(x, offset, scale, constant, rho)
    else:
        z = (x - offset) / safe_scale
        z[:, constant] = 1.0
        delta = 1.0 - z
        delta_min, delta_max = float(delta.min()), float(delta.max())
        if delta_max == 0.0:
            xi = np.ones_like(z)
        else:
            xi = (delta_min + rho * delta_max) / (delta + rho * delta_max)
        if want_entropy:
            # Constant columns are 1 here, but their entropy is forced to 1 anyway.
            sums = (z.sum(axis=0), xlogy(z, z).sum(axis=0))
            entropy_result = entropy_from_sums(sums, constant, x.shape[0], m.columns)

    if want_entropy:
        assert entropy_result is not None
        w = entropy_result.weights.to_numpy()
    elif weights is None:
        w = np.full(x.shape[1], 1.0 / x.shape[1])
    else:
        w = as_weight_vector(weights, m.columns)
    grades = xi @ w
    return GreyResult(
        coefficients=pd.DataFrame(xi, index=m.rows, columns=m.columns, copy=False),
        grades=pd.Series(grades, index=m.rows, name="grade"),
        weights=pd.Series(w, index=m.columns, name="weight"),
        rho=rho,
        delta_min=delta_min,
        delta_max=delta_max,
        entropy=entropy_result,
        _normaliser=None if z is not None else (x, offset, scale, constant),
        _normalised=None if z is None else pd.DataFrame(z, index=m.rows, columns=m.columns, copy=False),
    )


@dataclass(frozen=True, slots=True)
class GreyFactorResult:
    """Grey relational degrees of risk factors against a risk reference series.

    Attributes
    ----------
    degrees : Series
        Mean coefficient per factor, sorted descending (rank 1 = most related).
    coefficients : DataFrame
        xi_j(t), rows = observations (months or borrowers), columns = factors.
    preprocess : str
        ``"mean"`` or ``"initial"``.
    rho : float
    """

    degrees: pd.Series
    coefficients: pd.DataFrame
    preprocess: str
    rho: float

    @property
    def ranks(self) -> pd.Series:
        """1 = the factor most related to the risk series."""
        return pd.Series(np.arange(1, len(self.degrees) + 1), index=self.degrees.index, name="rank")


def grey_factor_degrees(
    reference: Any,
    factors: Any,
    *,
    rho: float = 0.5,
    preprocess: Literal["mean", "initial"] = "mean",
) -> GreyFactorResult:
    r"""Rank risk factors by their grey relational degree to a risk series.

    Parameters
    ----------
    reference : 1-D array or Series of length T
        The risk series x_0, e.g. the monthly NPL ratio or a default flag across borrowers.
    factors : DataFrame or array of shape (T, k)
        Comparison series x_j, one column per factor, aligned with ``reference``.
    rho : float, default 0.5
    preprocess : {"mean", "initial"}
        Divide each series by its mean (均值化) or by its first value (初值化).

    Returns
    -------
    GreyFactorResult

    Raises
    ------
    ValueError
        Lengths differ, fewer than 2 observations, NaN/inf, or a series whose mean (or
        first value) is 0, which cannot be scaled.

    Notes
    -----
    After scaling, Delta_j(t) = |x_0(t) - x_j(t)|; Delta_min and Delta_max over all t and j;
    xi_j(t) = (Delta_min + rho Delta_max) / (Delta_j(t) + rho Delta_max) (all 1 if
    Delta_max = 0); degree_j = mean_t xi_j(t).
    """
    rho = _check_rho(rho)
    if preprocess not in GREY_PREPROCESS:
        raise ValueError(f"`preprocess` must be one of {set(GREY_PREPROCESS)}; got {preprocess!r}")
    fm = as_matrix(factors, name="factors")
    ref = np.asarray(reference.to_numpy() if isinstance(reference, pd.Series) else reference, dtype=np.float64)
    if ref.ndim != 1:
        raise ValueError(f"`reference` must be 1-D; got {ref.ndim}-D")
    t = fm.data.shape[0]
    if ref.shape[0] != t:
        raise ValueError(f"`reference` has {ref.shape[0]} observations but `factors` has {t} rows")
    if t < 2:
        raise ValueError(f"grey factor degrees need at least 2 observations; got {t}")
    check_finite(ref[:, None], fm.rows, pd.Index(["reference"]), name="reference")

    series = np.column_stack([ref, fm.data])
    names: list[Hashable] = ["reference", *fm.columns]
    base = series.mean(axis=0) if preprocess == "mean" else series[0]
    zero = base == 0
    if zero.any():
        which = names[int(np.argmax(zero))]
        what = "mean" if preprocess == "mean" else "first value"
        raise ValueError(f"series {which!r} has {what} 0 and cannot be scaled by preprocess={preprocess!r}")
    scaled = series / base
    delta = np.abs(scaled[:, 1:] - scaled[:, :1])
    d_min, d_max = float(delta.min()), float(delta.max())
    xi = np.ones_like(delta) if d_max == 0.0 else (d_min + rho * d_max) / (delta + rho * d_max)
    degrees = pd.Series(xi.mean(axis=0), index=fm.columns, name="degree")
    order = np.argsort(-degrees.to_numpy(), kind="stable")
    return GreyFactorResult(
        degrees=degrees.iloc[order],
        coefficients=pd.DataFrame(xi, index=fm.rows, columns=fm.columns),
        preprocess=preprocess,
        rho=rho,
    )
