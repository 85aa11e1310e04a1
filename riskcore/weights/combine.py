"""Combining subjective (AHP) and objective (entropy) weights."""

from __future__ import annotations

from typing import Any, Final, Literal

import numpy as np
import pandas as pd

from riskcore._inputs import as_weight_vector

__all__ = ["combine_weights", "COMBINE_METHODS"]

COMBINE_METHODS: Final[tuple[str, ...]] = ("linear", "multiplicative")


def _as_series(weights: Any, name: str) -> pd.Series:
    if isinstance(weights, pd.Series):
        return weights
    if hasattr(weights, "weights") and isinstance(weights.weights, pd.Series):
        return weights.weights  # an EntropyResult or AHPResult
    arr = np.asarray(weights, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"`{name}` must be 1-D; got {arr.ndim}-D")
    return pd.Series(arr)


def combine_weights(
    subjective: Any,
    objective: Any,
    *,
    alpha: float = 0.5,
    method: Literal["linear", "multiplicative"] = "linear",
) -> pd.Series:
    r"""Combine subjective and objective weights of the same indicators.

    Parameters
    ----------
    subjective, objective : Series, sequence, or a result with ``.weights``
        Each non-negative and summing to 1. Series are aligned by label (the labels must
        be the same set); plain sequences by position.
    alpha : float in [0, 1]
        Share of the subjective weights in the linear combination.
    method : {"linear", "multiplicative"}
        ``linear``: w = alpha w_AHP + (1 - alpha) w_entropy.
        ``multiplicative``: w_j proportional to w_AHP,j * w_entropy,j (alpha unused).

    Returns
    -------
    Series
        Combined weights summing to 1, in the order of ``subjective``.

    Raises
    ------
    ValueError
        Different indicators, weights not summing to 1, alpha outside [0, 1], unknown
        method, or (multiplicative) no indicator with both weights positive.
    """
    if method not in COMBINE_METHODS:
        raise ValueError(f"`method` must be one of {set(COMBINE_METHODS)}; got {method!r}")
    alpha = float(alpha)
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"`alpha` must be in [0, 1]; got {alpha:g}")
    s = _as_series(subjective, "subjective")
    o = _as_series(objective, "objective")
    if len(s) != len(o):
        raise ValueError(f"`subjective` has {len(s)} weights but `objective` has {len(o)}")
    index = s.index
    if isinstance(subjective, (pd.Series,)) or hasattr(subjective, "weights"):
        if set(index) != set(o.index):
            raise ValueError(
                "`subjective` and `objective` weigh different indicators: "
                f"{sorted(map(str, set(index) ^ set(o.index)))}"
            )
        o = o.reindex(index)
    ws = as_weight_vector(s.to_numpy(), index, name="subjective")
    wo = as_weight_vector(o.to_numpy(), index, name="objective")
    if method == "linear":
        w = alpha * ws + (1.0 - alpha) * wo
    else:
        product = ws * wo
        if product.sum() <= 0:
            raise ValueError("multiplicative combination is undefined: no indicator has both weights positive")
        w = product / product.sum()
    return pd.Series(w, index=index, name="weight")
