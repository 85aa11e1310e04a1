"""Ranking a loan book: indicator matrix -> weights -> grey relational grades -> risk table."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Literal

import numpy as np
import pandas as pd

from riskcore.grey import GreyResult, grey_relational
from riskcore.weights.entropy import EntropyResult, entropy_weights

__all__ = ["BookRanking", "rank_book", "rating_bands", "weakest_indicators", "RATING_BANDS"]

#: Quintile bands of the grade, A = closest to the ideal borrower, E = riskiest.
RATING_BANDS: Final[tuple[str, ...]] = ("A", "B", "C", "D", "E")


@dataclass(frozen=True, slots=True)
class BookRanking:
    """A ranked book: the weights, the GRA result and one row per borrower, riskiest first."""

    entropy: EntropyResult
    grey: GreyResult
    table: pd.DataFrame


def rating_bands(grades: pd.Series, bands: tuple[str, ...] = RATING_BANDS) -> pd.Series:
    """Equal-count bands by grade: the highest grades get ``bands[0]``, the lowest ``bands[-1]``.

    Ties are broken by position so that the bands hold equal counts (±1); use a
    configured rating scale for production cut-offs.
    """
    k = len(bands)
    order = grades.rank(method="first", ascending=False).to_numpy() - 1  # 0 = best
    idx = np.minimum((order * k // max(len(grades), 1)).astype(np.int64), k - 1)
    return pd.Series(np.asarray(bands, dtype=object)[idx], index=grades.index, name="rating_band")


def weakest_indicators(grey: GreyResult, weights: pd.Series | None = None, *, top: int = 3) -> pd.DataFrame:
    """For each borrower, the indicators that pull its grade down most.

    The shortfall of indicator j is w_j (1 - xi_ij): the grade a borrower would gain if it
    were ideal on j. Returns columns ``drag_1..drag_top`` (indicator labels, most first).
    """
    w = (grey.weights if weights is None else weights).to_numpy()
    shortfall = (1.0 - grey.coefficients.to_numpy()) * w
    top = min(top, shortfall.shape[1])
    # argsort on the negated shortfall; stable so equal shortfalls keep column order.
    order = np.argsort(-shortfall, axis=1, kind="stable")[:, :top]
    labels = np.asarray(grey.coefficients.columns, dtype=object)[order]
    return pd.DataFrame(labels, index=grey.coefficients.index, columns=[f"drag_{k + 1}" for k in range(top)])


def rank_book(
    matrix: Any,
    *,
    rho: float = 0.5,
    weighting: Literal["entropy"] = "entropy",
    weights: pd.Series | None = None,
) -> BookRanking:
    """Rank the borrowers of an :class:`riskcore.indicators.IndicatorMatrix`.

    Entropy weights (min-max) on the indicator values, Deng grey relational grades with
    those weights (or with ``weights``, e.g. AHP or combined weights keyed by indicator,
    when given; the entropy result is still returned for display), and a table sorted by
    risk (grade ascending, rank 1 = riskiest) with the borrower attributes, rating band
    and the three weakest indicators.
    """
    if weighting != "entropy":
        raise ValueError(f"`weighting` must be 'entropy'; got {weighting!r}")
    values, directions = matrix.values, matrix.directions
    entropy = entropy_weights(values, directions)
    used = entropy.weights if weights is None else weights.reindex(values.columns)
    if weights is not None and (used.isna().any() or not np.isclose(float(used.sum()), 1.0)):
        raise ValueError("`weights` must name every indicator of the matrix and sum to 1")
    grey = grey_relational(values, directions, used, rho=rho)
    table = matrix.borrowers.copy()
    table["grade"] = grey.grades
    table["rating_band"] = rating_bands(grey.grades)
    table = table.join(weakest_indicators(grey))
    table["risk_rank"] = grey.risk_rank()
    table = table.sort_values(["grade", "risk_rank"], kind="stable")
    table.index.name = "borrower_id"
    table = table.reset_index()
    first = ["risk_rank", "borrower_id"]
    table = table[first + [c for c in table.columns if c not in first]]
    return BookRanking(entropy=entropy, grey=grey, table=table)
