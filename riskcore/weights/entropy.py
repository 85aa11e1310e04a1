"""Objective indicator weights by the entropy weight method (熵权法)."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any, Final, Literal

import numpy as np
import pandas as pd
from scipy.special import xlogy

from riskcore import _kernels
from riskcore._inputs import BoolArray, FloatArray, LabelledMatrix, as_directions, as_matrix, check_finite

__all__ = ["EntropyResult", "entropy_weights", "minmax_normalise", "ENTROPY_METHODS", "MINMAX_SHIFT"]

EntropyMethod = Literal["minmax", "minmax_shift", "proportion"]
ENTROPY_METHODS: Final[tuple[str, ...]] = ("minmax", "minmax_shift", "proportion")
#: The shift added after min-max scaling by ``method="minmax_shift"`` (common in theses).
MINMAX_SHIFT: Final[float] = 1e-4


@dataclass(frozen=True, slots=True)
class EntropyResult:
    """Entropy weights with the intermediate values a committee may ask to see.

    Attributes
    ----------
    weights, entropy, divergence : pd.Series
        w_j, e_j and d_j = 1 - e_j per indicator (index = the indicator labels).
    constant_columns : tuple
        Labels of indicators with max = min: they carry no information, get e = 1,
        d = 0 and weight 0.
    method : str
        ``"minmax"``, ``"minmax_shift"`` or ``"proportion"``.
    n_rows : int
        Number of borrowers the weights were computed on (weights depend on the sample).
    """

    weights: pd.Series
    entropy: pd.Series
    divergence: pd.Series
    constant_columns: tuple[Hashable, ...]
    method: str
    n_rows: int


def minmax_normalise(
    m: LabelledMatrix, benefit: BoolArray
) -> tuple[FloatArray, FloatArray, BoolArray]:
    """Check ``m`` is finite; return offsets and scales with z = (x - offset) / scale, and
    the constant-column mask.

    Benefit: z = (x - min) / (max - min); cost: z = (max - x) / (max - min), written as
    (x - max) / (min - max), which IEEE arithmetic evaluates to the same bits.
    On big books the finiteness check comes free with the min/max pass.
    """
    x = m.data
    if _kernels.use_kernels(x):
        lo, hi, non_finite = _kernels.column_range(x)
        if non_finite.any():
            check_finite(x, m.rows, m.columns)
    else:
        check_finite(x, m.rows, m.columns)
        lo, hi = x.min(axis=0), x.max(axis=0)
    constant = hi == lo
    offset = np.where(benefit, lo, hi)
    scale = np.where(benefit, hi - lo, lo - hi)
    return offset, scale, constant


def entropy_weights(
    values: Any,
    directions: Any = "benefit",
    *,
    method: EntropyMethod = "minmax",
) -> EntropyResult:
    r"""Objective weights of m indicators over n borrowers by the entropy weight method.

    Parameters
    ----------
    values : DataFrame or array of shape (n, m)
        Borrowers in rows, indicators in columns. Finite numbers only.
    directions : str, sequence, mapping or Series
        ``"benefit"``/``"cost"`` (or 效益型/成本型, ``+``/``-``) per column, or one label
        for all. Ignored by ``method="proportion"``, as in the papers that use it.
    method : {"minmax", "minmax_shift", "proportion"}
        How the proportions p_ij are formed (see Notes).

    Returns
    -------
    EntropyResult

    Raises
    ------
    ValueError
        NaN or infinite values (the message names the first cell), fewer than 2 rows,
        every column constant, negative values with ``"proportion"``, wrong direction
        count or labels, or an unknown method.

    Notes
    -----
    ``minmax`` (default): benefit z = (x - min)/(max - min), cost z = (max - x)/(max - min).
    ``minmax_shift``: the same z plus 0.0001 (the shift many theses add to avoid ln 0;
    it changes the weights). ``proportion``: z = x on raw non-negative data.
    Then

    .. math:: p_{ij} = z_{ij} / \sum_i z_{ij}, \quad
              e_j = -\frac{1}{\ln n}\sum_i p_{ij}\ln p_{ij}, \quad
              d_j = 1 - e_j, \quad w_j = d_j / \sum_k d_k,

    with the convention 0 ln 0 = 0 (as ``scipy.stats.entropy``; pymcdm instead zeroes the
    whole column's entropy when any cell is 0). A constant column has e = 1, d = 0,
    w = 0 by definition (its z are all 0 under min-max scaling, so p is otherwise 0/0).

    References
    ----------
    .. [1] Zou, Yun & Sun (2006), "Entropy method for determination of weight of
       evaluating indicators in fuzzy synthetic evaluation for water quality assessment",
       J. Environmental Sciences 18(5).
    .. [2] Elsayed, Dawood & Karthikeyan (2017), IJETT 46(2) (the ``proportion`` example).

    Examples
    --------
    >>> r = entropy_weights([[1, 10], [2, 10], [4, 11]], ["benefit", "cost"])
    >>> [round(w, 4) for w in r.weights]
    [0.5695, 0.4305]
    """
    if method not in ENTROPY_METHODS:
        raise ValueError(f"`method` must be one of {set(ENTROPY_METHODS)}; got {method!r}")
    m = as_matrix(values, allow_nan=True)  # checked below, in the same pass as min/max
    benefit = as_directions(directions, m.columns)
    x = m.data
    n = x.shape[0]
    if n < 2:
        raise ValueError(f"entropy weights need at least 2 rows (borrowers); got {n}")

    if method == "proportion":
        check_finite(x, m.rows, m.columns)
        negative = x < 0
        if negative.any():
            r, c = (int(v[0]) for v in np.nonzero(negative))
            raise ValueError(
                f"`method='proportion'` needs non-negative values; column {m.columns[c]!r} "
                f"has {x[r, c]:g} at row {m.rows[r]!r}"
            )
        lo, hi = x.min(axis=0), x.max(axis=0)
        constant = hi == lo
        offset, scale, shift = np.zeros(x.shape[1]), np.ones(x.shape[1]), 0.0
    else:
        offset, scale, constant = minmax_normalise(m, benefit)
        shift = MINMAX_SHIFT if method == "minmax_shift" else 0.0
    if constant.all():
        raise ValueError(
            "every column of `values` is constant; entropy weights are undefined"
        )

    if _kernels.use_kernels(x):
        sums = _kernels.entropy_sums(x, offset, scale, constant, shift=shift)
    else:
        q = (x - offset) / np.where(constant, 1.0, scale) + shift
        sums = (q.sum(axis=0), xlogy(q, q).sum(axis=0))
    return entropy_from_sums(sums, constant, n, m.columns, method=method)


def entropy_from_sums(
    sums: tuple[FloatArray, FloatArray], constant: BoolArray, n: int, columns: pd.Index,
    *, method: str = "minmax",
) -> EntropyResult:
    """Entropy weights from the column sums S = sum q and L = sum q ln q.

    With p = q / S, sum p ln p = L / S - ln S, so one pass over the data suffices.
    Constant columns get e = 1 (d = 0, w = 0) whatever their sums.

    Raises
    ------
    ValueError
        Fewer than 2 rows, or every column constant.
    """
    if n < 2:
        raise ValueError(f"entropy weights need at least 2 rows (borrowers); got {n}")
    if constant.all():
        raise ValueError("every column of `values` is constant; entropy weights are undefined")
    s, sl = sums
    with np.errstate(divide="ignore", invalid="ignore"):
        entropy = -(sl / s - np.log(s)) / np.log(n)
    entropy = np.where(constant, 1.0, entropy)
    divergence = 1.0 - entropy
    weights = divergence / divergence.sum()
    return EntropyResult(
        weights=pd.Series(weights, index=columns, name="weight"),
        entropy=pd.Series(entropy, index=columns, name="entropy"),
        divergence=pd.Series(divergence, index=columns, name="divergence"),
        constant_columns=tuple(columns[constant]),
        method=method,
        n_rows=n,
    )
