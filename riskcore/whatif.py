"""What-if weight tuning: scenario weights from criterion weights, fixed rating cut-offs, and
what a scenario changes against the baseline ranking.

Only the matrix-vector product ``xi @ w`` is redone per slider move
(:meth:`riskcore.grey.GreyResult.regrade`); everything here is O(n log n) at most, so a
100,000-borrower book re-ranks in well under the 300 ms a live slider needs
(``benchmarks/bench_whatif.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd
from scipy import stats

from riskcore.ranking import RATING_BANDS

__all__ = [
    "RankComparison",
    "band_cutoffs",
    "assign_bands",
    "criterion_totals",
    "scenario_weights",
    "compare_rankings",
    "RankBaseline",
]

_MOVERS: Final = 10


def criterion_totals(weights: pd.Series, criteria: pd.Series) -> pd.Series:
    """Sum of the indicator weights per criterion (criterion order of first appearance)."""
    grouped = weights.groupby(criteria.reindex(weights.index), sort=False).sum()
    return grouped.astype("float64")


def scenario_weights(
    base: pd.Series, criteria: pd.Series, criterion_weights: Mapping[str, float]
) -> pd.Series:
    r"""Indicator weights whose criterion totals are the given criterion weights.

    Within a criterion the base proportions are kept:
    :math:`w'_j = W_c \, w_j / \sum_{k \in c} w_k` with :math:`W_c` the criterion weight
    normalised to sum to 1 over the criteria. A criterion whose indicators all have base
    weight 0 (constant indicators) shares :math:`W_c` equally among them.

    Parameters
    ----------
    base : Series
        Indicator weights (non-negative, indexed by indicator key).
    criteria : Series
        Indicator key → criterion key.
    criterion_weights : mapping
        Criterion key → non-negative weight (any scale, e.g. slider points); criteria not
        named get 0.

    Raises
    ------
    ValueError
        A weight is negative or not finite, a criterion is unknown, or all are 0.
    """
    crit = criteria.reindex(base.index)
    if crit.isna().any():
        raise ValueError(f"indicators without a criterion: {list(crit.index[crit.isna()])}")
    known = set(crit)
    unknown = sorted(set(criterion_weights) - known)
    if unknown:
        raise ValueError(f"unknown criteria: {unknown}")
    raw = pd.Series({c: float(criterion_weights.get(c, 0.0)) for c in dict.fromkeys(crit)}, dtype="float64")
    if not np.isfinite(raw.to_numpy()).all() or (raw < 0).any():
        raise ValueError("criterion weights must be finite and non-negative")
    if raw.sum() <= 0:
        raise ValueError("at least one criterion weight must be positive")
    target = raw / raw.sum()
    totals = base.groupby(crit, sort=False).transform("sum").to_numpy()
    sizes = crit.map(crit.value_counts()).to_numpy(dtype="float64")
    share = np.where(totals > 0, base.to_numpy(dtype="float64") / np.where(totals > 0, totals, 1.0), 1.0 / sizes)
    weights = share * crit.map(target).to_numpy(dtype="float64")
    return pd.Series(weights / weights.sum(), index=base.index, name="weight")


def band_cutoffs(grades: pd.Series, bands: tuple[str, ...] = RATING_BANDS) -> np.ndarray:
    """Grade thresholds that split the *baseline* into equal-count bands (best band first).

    Returns the ``len(bands) - 1`` inner quantiles, descending: a grade at or above
    ``cutoffs[0]`` is ``bands[0]``, below ``cutoffs[-1]`` is ``bands[-1]``. Keeping these
    fixed is what lets a scenario move borrowers between bands.
    """
    k = len(bands)
    qs = [1.0 - i / k for i in range(1, k)]
    cutoffs: np.ndarray = np.quantile(grades.to_numpy(dtype="float64"), qs)
    return cutoffs


def assign_bands(grades: pd.Series, cutoffs: np.ndarray, bands: tuple[str, ...] = RATING_BANDS) -> pd.Series:
    """Bands by fixed descending ``cutoffs`` (see :func:`band_cutoffs`)."""
    # searchsorted on the ascending thresholds: number of cut-offs at or below the grade.
    above = np.searchsorted(cutoffs[::-1], grades.to_numpy(dtype="float64"), side="right")
    idx = len(bands) - 1 - above
    return pd.Series(np.asarray(bands, dtype=object)[idx], index=grades.index, name="rating_band")


@dataclass(frozen=True, slots=True)
class RankComparison:
    """A scenario's ranking against the baseline's.

    ``spearman`` and ``kendall`` (tau-b) compare the two risk rankings; they are None when
    undefined (fewer than 2 borrowers or a constant grade vector). ``entered`` / ``left``:
    borrowers that join / drop out of the ``top_n`` riskiest. ``movers``: the borrowers
    whose risk rank changed most (``base_rank``, ``new_rank``, ``change`` = base − new,
    positive = riskier now), largest first. ``base_rank`` / ``new_rank``: rank 1 = riskiest.
    """

    spearman: float | None
    kendall: float | None
    top_n: int
    entered: pd.Index
    left: pd.Index
    movers: pd.DataFrame
    base_rank: pd.Series
    new_rank: pd.Series

    @property
    def kept(self) -> int:
        """Borrowers in the top N in both rankings."""
        return self.top_n - len(self.entered)


def _ordinal_ranks(values: np.ndarray) -> tuple[np.ndarray, bool]:
    """(rank 1..n by ascending value, ties broken by position; whether any value repeats)."""
    order = np.argsort(values, kind="stable")
    ranks = np.empty(len(values), dtype=np.int64)
    ranks[order] = np.arange(1, len(values) + 1)
    sorted_values = values[order]
    return ranks, bool(len(values) > 1 and (sorted_values[1:] == sorted_values[:-1]).any())


class RankBaseline:
    """The baseline ranking, sorted once, so that each what-if move sorts only the new
    grades: rank 1 = riskiest (lowest grade), ties broken by position."""

    def __init__(self, grades: pd.Series) -> None:
        self.grades = grades
        self._values = grades.to_numpy(dtype="float64")
        self._ranks, ties = _ordinal_ranks(self._values)
        # Spearman needs average ranks when values repeat; without ties they are the same.
        self._spearman_ranks = stats.rankdata(self._values) if ties else self._ranks.astype("float64")
        self.rank = pd.Series(self._ranks, index=grades.index, name="risk_rank")
        self._constant = len(self._values) < 2 or float(np.ptp(self._values)) == 0.0

    def compare(self, new: pd.Series, *, top_n: int = 50, movers: int = _MOVERS) -> RankComparison:
        """How the ranking by ``new`` grades (same borrowers, same order) differs."""
        if not self.grades.index.equals(new.index):
            raise ValueError("`base` and `new` must have the same borrowers in the same order")
        n = len(self._values)
        top_n = max(0, min(int(top_n), n))
        g = new.to_numpy(dtype="float64")
        new_ranks, ties = _ordinal_ranks(g)
        spearman = kendall = None
        if not self._constant and float(np.ptp(g)) > 0:
            rg = stats.rankdata(g) if ties else new_ranks.astype("float64")
            spearman = float(np.corrcoef(self._spearman_ranks, rg)[0, 1])
            kendall = float(stats.kendalltau(self._values, g).statistic)
        index = new.index
        base_top = index[self._ranks <= top_n]
        new_top = index[new_ranks <= top_n]
        change = self._ranks - new_ranks
        k = min(movers, n)
        if k:
            size = np.abs(change)
            pick = np.argpartition(-size, k - 1)[:k] if k < n else np.arange(n)
            pick = pick[np.lexsort((pick, -size[pick]))]  # largest first, then by position
        else:
            pick = np.arange(0)
        moved = pd.DataFrame({"base_rank": self._ranks[pick], "new_rank": new_ranks[pick], "change": change[pick]},
                             index=index[pick])
        moved = moved[moved["change"] != 0]
        return RankComparison(
            spearman=spearman, kendall=kendall, top_n=top_n,
            entered=new_top.difference(base_top, sort=False), left=base_top.difference(new_top, sort=False),
            movers=moved, base_rank=self.rank, new_rank=pd.Series(new_ranks, index=index, name="risk_rank"),
        )


def compare_rankings(
    base: pd.Series, new: pd.Series, *, top_n: int = 50, movers: int = _MOVERS
) -> RankComparison:
    """How the riskiest-first ranking by ``new`` grades differs from the one by ``base``.

    Both Series are grades indexed by borrower (the same index). Rank correlations use
    the grades themselves (Spearman's rho; Kendall's tau-b, which handles ties). For
    repeated comparisons against one baseline build a :class:`RankBaseline` once.
    """
    return RankBaseline(base).compare(new, top_n=top_n, movers=movers)
