"""Scenario stress tests of a rated book: shock indicators, re-grade, count downgrades,
and project the NPL path under a matching migration stress.

A :class:`StressScenario` is a list of :class:`Shock` s to indicator values (e.g. revenue
growth −30 % relative, asset–liability ratio +0.10 absolute, optionally only for some
industry sections). :func:`stress_test` re-grades the shocked book **against the base
book** (same min/max normalisation, same reference and Δ extremes, same weights) and rates
it on the base book's frozen cut-offs, so a borrower that got weaker shows as a downgrade
instead of being re-ranked back into the same quintile.

Pure Python (numpy/pandas), no UI imports.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import numpy as np
import pandas as pd

from riskcore._inputs import as_directions, as_matrix
from riskcore.grey import GreyResult, grey_relational
from riskcore.indicators import INDICATOR_BOUNDS
from riskcore.migration import TransitionMatrix, npl_share, project
from riskcore.rating import (
    SCALE_AE,
    RatingScale,
    assign_ratings,
    quantile_cutoffs,
    rating_distribution,
)
from riskcore.weights.entropy import minmax_normalise

__all__ = [
    "SHOCK_KINDS",
    "NplPath",
    "Shock",
    "StressResult",
    "StressScenario",
    "apply_shocks",
    "stress_test",
]

ShockKind = Literal["relative", "absolute"]
SHOCK_KINDS: Final[tuple[str, ...]] = ("relative", "absolute")


@dataclass(frozen=True)
class Shock:
    """One shock to one indicator.

    Attributes
    ----------
    indicator
        Indicator key (a column of ``IndicatorMatrix.values``), e.g. ``"revenue_growth"``.
    size
        ``"relative"``: the value is multiplied by ``1 + size`` (−0.3 = 30 % lower);
        ``"absolute"``: ``size`` is added (``asset_liability_ratio`` +0.10).
    kind
        ``"relative"`` (default) or ``"absolute"``.
    industry_codes
        Only borrowers whose ``industry_code`` starts with one of these (e.g. GB/T 4754
        section letters ``("C", "F")``); None = every borrower. A borrower without an
        industry code is never touched by a filtered shock.

    Notes
    -----
    A relative shock scales the *magnitude*: on a negative value (revenue growth
    −0.20, ×0.7 → −0.14) it moves the value towards 0, i.e. it *improves* a benefit
    indicator. Use ``"absolute"`` for indicators that can be negative (growth,
    margins, ROA, interest coverage, cash-flow ratios).

    Raises
    ------
    ValueError
        Empty indicator, unknown kind, non-finite size, or an empty filter.
    """

    indicator: str
    size: float
    kind: ShockKind = "relative"
    industry_codes: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if not self.indicator:
            raise ValueError("a shock needs an indicator key")
        if self.kind not in SHOCK_KINDS:
            raise ValueError(f"`kind` must be one of {SHOCK_KINDS}; got {self.kind!r}")
        size = float(self.size)
        if not np.isfinite(size):
            raise ValueError(f"shock size must be finite; got {self.size!r}")
        object.__setattr__(self, "size", size)
        if self.industry_codes is not None:
            codes = (self.industry_codes,) if isinstance(self.industry_codes, str) else self.industry_codes
            codes = tuple(str(c).strip() for c in codes)
            if not codes or any(not c for c in codes):
                raise ValueError("`industry_codes` must hold non-empty codes (or be None for all borrowers)")
            object.__setattr__(self, "industry_codes", codes)

    def mask(self, borrowers: pd.DataFrame, index: pd.Index) -> np.ndarray:
        """Boolean array over ``index``: the borrowers this shock touches."""
        if self.industry_codes is None:
            return np.ones(len(index), dtype=bool)
        if "industry_code" not in borrowers.columns:
            raise ValueError("the matrix has no `industry_code` for its borrowers: an industry shock cannot apply")
        codes = borrowers["industry_code"].reindex(index).astype("string").fillna("")
        hit: np.ndarray = codes.str.startswith(self.industry_codes).to_numpy(dtype=bool, na_value=False)
        return hit


@dataclass(frozen=True)
class StressScenario:
    """A named set of shocks, applied in order (two shocks on one indicator compound)."""

    name: str
    shocks: tuple[Shock, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        object.__setattr__(self, "shocks", tuple(self.shocks))


def apply_shocks(matrix: Any, scenario: StressScenario) -> pd.DataFrame:
    """Indicator values after the scenario's shocks.

    Parameters
    ----------
    matrix
        An :class:`riskcore.indicators.IndicatorMatrix` (``values``; ``borrowers`` with
        ``industry_code`` for industry-filtered shocks).
    scenario
        The shocks.

    Returns
    -------
    DataFrame
        A copy of ``matrix.values`` with the shocks applied; shocked cells are clipped to
        :data:`riskcore.indicators.INDICATOR_BOUNDS` where the indicator has bounds
        (an asset–liability ratio cannot go below 0 nor beyond the winsorising cap).
        Untouched cells keep their exact values.

    Raises
    ------
    ValueError
        A shock names an indicator the matrix does not have, or filters by industry
        on a matrix without industry codes.
    """
    values: pd.DataFrame = matrix.values.astype("float64").copy()
    borrowers: pd.DataFrame = getattr(matrix, "borrowers", pd.DataFrame(index=values.index))
    for shock in scenario.shocks:
        if shock.indicator not in values.columns:
            raise ValueError(f"scenario {scenario.name!r}: the matrix has no indicator {shock.indicator!r}")
        hit = shock.mask(borrowers, values.index)
        if not hit.any():
            continue
        col = values[shock.indicator].to_numpy(dtype=np.float64, copy=True)
        col[hit] = col[hit] * (1.0 + shock.size) if shock.kind == "relative" else col[hit] + shock.size
        if shock.indicator in INDICATOR_BOUNDS:
            lo, hi = INDICATOR_BOUNDS[shock.indicator]
            col[hit] = np.clip(col[hit], lo, hi)
        values[shock.indicator] = col
    return values


@dataclass(frozen=True, slots=True)
class NplPath:
    """Baseline and stressed projection of a class distribution.

    Attributes
    ----------
    factor
        Downgrade multiplier used for the stressed path (:func:`riskcore.migration.stress_matrix`).
    baseline, stressed
        :func:`riskcore.migration.project` results (month × state).
    npl_share
        Month × ``baseline``/``stressed``: share of classes 3-5 in the live book.
    """

    factor: float
    baseline: pd.DataFrame
    stressed: pd.DataFrame
    npl_share: pd.DataFrame


@dataclass(frozen=True, slots=True)
class StressResult:
    """A scenario's effect on grades and ratings.

    Attributes
    ----------
    scenario
        The scenario.
    base
        GRA of the unshocked matrix (weights, reference, Δ extremes used for both).
    shocked_values
        :func:`apply_shocks` output.
    base_grades, stressed_grades
        Grade per borrower before and after (same normalisation, see :func:`stress_test`).
    scale
        The fixed scale both were rated on (the base quantile cut-offs, frozen).
    base_ratings, stressed_ratings
        Ordered categoricals, best first.
    table
        One row per borrower (index ``borrower_id``): ``base_grade``,
        ``stressed_grade``, ``grade_change``, ``base_rating``, ``stressed_rating``,
        ``notches`` (stressed − base rating position: > 0 = downgrade).
    """

    scenario: StressScenario
    base: GreyResult
    shocked_values: pd.DataFrame
    base_grades: pd.Series
    stressed_grades: pd.Series
    scale: RatingScale
    base_ratings: pd.Series
    stressed_ratings: pd.Series
    table: pd.DataFrame

    @property
    def downgrades(self) -> pd.DataFrame:
        """Downgraded borrowers (``notches`` > 0), most notches first, then largest grade fall:
        columns ``borrower_id``, ``base_rating``, ``stressed_rating``, ``notches``,
        ``base_grade``, ``stressed_grade``."""
        down = self.table.loc[self.table["notches"] > 0]
        down = down.sort_values(["notches", "grade_change"], ascending=[False, True], kind="stable")
        cols = ["base_rating", "stressed_rating", "notches", "base_grade", "stressed_grade"]
        return down[cols].reset_index()

    @property
    def counts(self) -> pd.Series:
        """Borrowers ``downgraded``, ``unchanged`` and ``upgraded`` (int64)."""
        n = self.table["notches"]
        return pd.Series({"downgraded": int((n > 0).sum()), "unchanged": int((n == 0).sum()),
                          "upgraded": int((n < 0).sum())}, dtype=np.int64, name="borrowers")

    @property
    def notch_counts(self) -> pd.Series:
        """Borrowers per notch change (index = notches, ascending)."""
        return self.table["notches"].value_counts().sort_index().rename("borrowers")

    def distribution(self, balance: pd.Series | None = None) -> pd.DataFrame:
        """Rating distribution before and after: ``base_count``, ``stressed_count``,
        ``base_share``, ``stressed_share`` (and balance columns with ``balance``)."""
        base = rating_distribution(self.base_ratings, balance).add_prefix("base_")
        stressed = rating_distribution(self.stressed_ratings, balance).add_prefix("stressed_")
        return base.join(stressed)

    @property
    def stress_factor(self) -> float:
        """Downgrade multiplier implied by the scenario: stressed / base share of the worst rating.

        Why this measure: the worst rating is where defaults come from, so its growth
        under the scenario is a direct, explainable multiplier of the one-month
        downgrade probabilities (e.g. E grows from 20 % to 30 % of the borrowers →
        factor 1.5). Borrower counts, not balances. A scenario that improves the book
        gives a factor < 1.

        Raises
        ------
        ValueError
            Nobody is in the worst rating in the base book (possible with a fixed scale):
            pass ``stress_factor`` to :meth:`npl_path` explicitly.
        """
        worst = self.scale.labels[-1]
        base = float((self.base_ratings == worst).mean()) if len(self.base_ratings) else 0.0
        if base == 0.0:
            raise ValueError(f"no borrower has the worst rating {worst!r} in the base book: "
                             "the stress factor is undefined, give one explicitly")
        return float((self.stressed_ratings == worst).mean()) / base

    def npl_path(
        self,
        transition: TransitionMatrix | pd.DataFrame,
        start_distribution: Mapping[Any, float] | pd.Series,
        months: int,
        stress_factor: float | None = None,
    ) -> NplPath:
        """Project a five-class distribution without and with the scenario's stress.

        Parameters
        ----------
        transition
            One-month transition matrix (:func:`riskcore.migration.average_one_month_matrix`).
        start_distribution
            Loans or balance per class 1-5 (e.g. ``class_distribution(...)["balance"]``).
        months
            Horizon (>= 0).
        stress_factor
            Downgrade multiplier; None = :attr:`stress_factor` (worst-rating share ratio).

        Returns
        -------
        NplPath
        """
        factor = self.stress_factor if stress_factor is None else float(stress_factor)
        baseline = project(start_distribution, transition, months)
        stressed = project(start_distribution, transition, months, stress=factor)
        share = pd.DataFrame({"baseline": npl_share(baseline), "stressed": npl_share(stressed)})
        return NplPath(factor=factor, baseline=baseline, stressed=stressed, npl_share=share)


def _grade_against_base(values: pd.DataFrame, base_values: pd.DataFrame, benefit: np.ndarray,
                        base: GreyResult) -> pd.Series:
    """Grades of ``values`` with the normalisation, Δ extremes and weights of ``base``."""
    base_m = as_matrix(base_values.loc[:, values.columns])
    offset, scale, constant = minmax_normalise(base_m, benefit)
    x = values.to_numpy(dtype=np.float64)
    z = np.clip((x - offset) / np.where(constant, 1.0, scale), 0.0, 1.0)
    z[:, constant] = 1.0
    rho, d_min, d_max = base.rho, base.delta_min, base.delta_max
    xi = np.ones_like(z) if d_max == 0.0 else (d_min + rho * d_max) / ((1.0 - z) + rho * d_max)
    w = base.weights.reindex(values.columns).to_numpy(dtype=np.float64)
    return pd.Series(xi @ w, index=values.index, name="grade")


def stress_test(
    matrix: Any,
    scenario: StressScenario,
    *,
    weights: Any,
    rho: float = 0.5,
    scale: RatingScale = SCALE_AE,
) -> StressResult:
    r"""Re-grade and re-rate a book under a scenario, against the base book.

    Parameters
    ----------
    matrix
        The base :class:`riskcore.indicators.IndicatorMatrix`.
    scenario
        Shocks (:func:`apply_shocks`).
    weights
        Indicator weights (Series keyed by indicator or sequence in column order,
        summing to 1; anything :func:`riskcore.grey_relational` accepts).
    rho
        Distinguishing coefficient.
    scale
        Rating scale. A quantile scale is fitted on the **base** grades and its
        cut-offs frozen (:func:`riskcore.rating.quantile_cutoffs`); a fixed scale is
        used as is.

    Returns
    -------
    StressResult

    Notes
    -----
    Why not just re-run the GRA on the shocked matrix: min-max normalisation and the
    ideal borrower are relative to the population, so a shock hitting everyone alike
    would leave every grade unchanged. Instead, with the base book's
    :math:`\min_j, \max_j`, reference (z = 1) and :math:`\Delta_{min}, \Delta_{max}`,

    .. math:: z'_{ij} = \mathrm{clip}\big(z(x'_{ij}), 0, 1\big), \qquad
              \xi'_{ij} = \frac{\Delta_{min} + \rho\Delta_{max}}{1 - z'_{ij} + \rho\Delta_{max}}.

    **Clipping**: a shocked value beyond the base range counts as the base worst
    (z = 0) or base best (z = 1); the grade cannot fall below what the base book's worst
    borrower on every indicator would get, so extreme shocks understate the fall of
    borrowers already at the bottom of the range. A column constant in the base book
    stays z = 1 (there is no range to measure a shock against). Unshocked values give
    the base grades exactly (the base grades are computed by the same code path and
    equal ``result.base.grades`` up to rounding).
    """
    base = grey_relational(matrix.values, matrix.directions, weights, rho=rho)
    base_values: pd.DataFrame = matrix.values.astype("float64")
    benefit = as_directions(matrix.directions, base_values.columns)
    shocked = apply_shocks(matrix, scenario)
    base_grades = _grade_against_base(base_values, base_values, benefit, base)
    stressed_grades = _grade_against_base(shocked, base_values, benefit, base)
    frozen = scale if scale.method == "fixed" else scale.with_cutoffs(
        quantile_cutoffs(base_grades, scale), name=f"{scale.name} (base cut-offs)")
    base_ratings = assign_ratings(base_grades, frozen)
    stressed_ratings = assign_ratings(stressed_grades, frozen)
    notches = (stressed_ratings.cat.codes.astype(np.int64) - base_ratings.cat.codes.astype(np.int64))
    table = pd.DataFrame({
        "base_grade": base_grades,
        "stressed_grade": stressed_grades,
        "grade_change": stressed_grades - base_grades,
        "base_rating": base_ratings,
        "stressed_rating": stressed_ratings,
        "notches": notches.astype(np.int64),
    })
    table.index.name = "borrower_id"
    return StressResult(scenario=scenario, base=base, shocked_values=shocked, base_grades=base_grades,
                        stressed_grades=stressed_grades, scale=frozen, base_ratings=base_ratings,
                        stressed_ratings=stressed_ratings, table=table)

