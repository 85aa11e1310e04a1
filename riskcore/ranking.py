"""Ranking a loan book: indicator matrix -> weights -> grey relational grades -> risk table."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Literal

import numpy as np
import pandas as pd

from riskcore.grey import GreyFactorResult, GreyResult, grey_factor_degrees, grey_relational
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


@dataclass(frozen=True, slots=True)
class KeyRiskFactors:
    """Indicators ranked by grey relational degree to what really defaulted.

    ``result.degrees``: degree per indicator, highest first (rank 1 = the factor whose
    risk profile across borrowers follows the default flag most closely). ``excluded``:
    indicators left out because every borrower scores best on them (their risk series is
    all 0 and cannot be mean-scaled).
    """

    result: GreyFactorResult
    excluded: tuple[str, ...]


def key_risk_factors(grey: GreyResult, outcome: pd.Series, *, rho: float = 0.5) -> KeyRiskFactors:
    r"""Rank the indicators as risk factors against a 0/1 outcome across borrowers.

    Each indicator is turned into a risk score :math:`1 - z_{ij}` (z = the min-max
    normalised value, 1 = best, so the score is 0 for the best borrower and 1 for the
    worst, whatever the indicator's direction); Deng's degree of each score series to
    the outcome series (e.g. ``IndicatorMatrix.borrowers["default_flag"]``) is then taken
    after mean scaling (:func:`riskcore.grey_factor_degrees`).

    Raises
    ------
    ValueError
        The outcome is missing for a borrower, is not 0/1, or no borrower has outcome 1
        (nothing defaulted: there is nothing to relate the factors to).
    """
    risk = 1.0 - grey.normalised
    reference = outcome.reindex(risk.index)
    if reference.isna().any():
        raise ValueError("the outcome is missing for some borrowers")
    ref = reference.astype("float64")
    if not ref.isin([0.0, 1.0]).all():
        raise ValueError("the outcome must be 0 or 1 for every borrower")
    if ref.sum() == 0:
        raise ValueError("no borrower has the outcome (e.g. nothing defaulted): the factors cannot be ranked")
    usable = risk.columns[(risk.mean() > 0).to_numpy()]
    excluded = tuple(str(c) for c in risk.columns if c not in set(usable))
    result = grey_factor_degrees(ref, risk[usable], rho=rho, preprocess="mean")
    return KeyRiskFactors(result=result, excluded=excluded)
