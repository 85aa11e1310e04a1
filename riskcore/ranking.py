"""Ranking a loan book: indicator matrix -> weights -> grey relational grades -> risk table."""

from __future__ import annotations

from collections.abc import Collection, Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

import numpy as np
import pandas as pd

from riskcore._inputs import as_directions
from riskcore.grey import GreyFactorResult, GreyResult, grey_factor_degrees, grey_relational
from riskcore.weights.entropy import EntropyResult, entropy_weights

__all__ = [
    "BookRanking", "rank_book", "rating_bands", "weakest_indicators", "RATING_BANDS",
    "KeyRiskFactors", "key_risk_factors", "filter_ranking",
    "BorrowerProfile", "borrower_profile",
    "BookRiskLevels", "book_risk_levels", "NplSeriesFactors", "npl_series_factors",
]

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


# ============================================================================ FILTERED VIEWS


def filter_ranking(
    table: pd.DataFrame,
    *,
    industries: Collection[str] | None = None,
    classes: Collection[int] | None = None,
) -> pd.DataFrame:
    """Rows of a ranking table (``BookRanking.table``) in some industries and classes.

    The grades, bands and ``risk_rank`` stay those of the whole ranked population: a
    filter only hides rows, so a filtered list reads ranks 3, 17, 40… and keeps the
    table's order (riskiest first).

    Parameters
    ----------
    table
        ``BookRanking.table`` (columns ``industry_code`` and ``worst_class`` are used).
    industries
        ``industry_code`` values to keep (a missing code matches ``""``); None = all.
    classes
        Worst five-level classes (1-5) to keep; None = all.

    An empty collection keeps no row (set semantics); pass None for "no filter".
    """
    keep = np.ones(len(table), dtype=bool)
    if industries is not None:
        codes = table["industry_code"].astype("string").fillna("")
        keep &= codes.isin([str(c) for c in industries]).to_numpy(dtype=bool)
    if classes is not None:
        worst = pd.to_numeric(table["worst_class"], errors="coerce")
        keep &= worst.isin([int(c) for c in classes]).to_numpy(dtype=bool)
    return table.loc[keep]


# ============================================================================ ONE BORROWER


@dataclass(frozen=True, slots=True)
class BorrowerProfile:
    """Why one borrower has its grade: every indicator against the ideal borrower.

    Attributes
    ----------
    borrower_id
        The borrower.
    grade
        r = Σ_j w_j ξ_j (= ``table["contribution"].sum()``; with weights summing to 1 it
        is the weighted mean of the coefficients).
    risk_rank, n_borrowers
        Rank in the ranked population (1 = riskiest, ties share the lowest rank) and its
        size.
    rho
        Distinguishing coefficient used.
    table
        One row per indicator (index = indicator key, in the matrix's column order):
        ``criterion`` (None when the matrix has no criteria), ``direction``
        (``"benefit"``/``"cost"``), ``unit`` (None when unknown), ``value`` (raw value,
        after winsorising and imputation, as ranked), ``ideal`` (the reference sequence
        in raw units: the best value in the population, the highest for a benefit and
        the lowest for a cost indicator), ``z`` (min-max normalised, 1 = ideal), ``xi``
        (grey relational coefficient), ``weight``, ``contribution`` (w ξ) and
        ``shortfall`` (w (1 − ξ), the grade lost against the ideal on that indicator),
        ``imputed`` (bool).
    attributes
        The borrower's row of ``matrix.borrowers`` (name, branch, industry, balance,
        worst class, …); empty when the matrix has none.
    """

    borrower_id: str
    grade: float
    risk_rank: int
    n_borrowers: int
    rho: float
    table: pd.DataFrame
    attributes: pd.Series


def borrower_profile(grey: GreyResult, matrix: Any, borrower_id: Hashable) -> BorrowerProfile:
    r"""Per-indicator breakdown of one borrower's grey relational grade.

    Parameters
    ----------
    grey
        The GRA result the borrower was ranked with (``BookRanking.grey``).
    matrix
        The indicator matrix ``grey`` was computed from (an
        :class:`riskcore.indicators.IndicatorMatrix` or anything with ``values`` and
        ``directions``; ``criteria``, ``imputed``, ``indicators`` and ``borrowers`` are
        used when present).
    borrower_id
        A row of ``matrix.values``.

    Returns
    -------
    BorrowerProfile

    Raises
    ------
    ValueError
        ``matrix`` does not have the rows and columns of ``grey`` (not the matrix it was
        computed from), or ``borrower_id`` is not in the ranked population.

    Notes
    -----
    With z the min-max normalised value (benefit :math:`(x - \min)/(\max - \min)`,
    cost :math:`(\max - x)/(\max - \min)`), the reference sequence is z = 1, i.e. the
    raw value :math:`\max_i x_{ij}` (benefit) or :math:`\min_i x_{ij}` (cost);
    :math:`\xi_j = (\Delta_{min} + \rho\Delta_{max}) / (|1 - z_j| + \rho\Delta_{max})`
    and the grade is :math:`\sum_j w_j \xi_j` (see :func:`riskcore.grey_relational`).
    """
    values: pd.DataFrame = matrix.values
    coefficients = grey.coefficients
    if not (values.index.equals(coefficients.index) and values.columns.equals(coefficients.columns)):
        raise ValueError("`matrix` does not have the borrowers and indicators of `grey`: pass the matrix it was computed from")
    if borrower_id not in coefficients.index:
        raise ValueError(f"borrower {borrower_id!r} is not in the ranked population")
    columns = values.columns
    benefit = as_directions(matrix.directions, columns)
    ideal = np.where(benefit, values.max().to_numpy(), values.min().to_numpy())
    xi = coefficients.loc[borrower_id].to_numpy(dtype=np.float64)
    w = grey.weights.reindex(columns).to_numpy(dtype=np.float64)
    criteria = getattr(matrix, "criteria", None)
    imputed = getattr(matrix, "imputed", None)
    units = {i.key: i.unit for i in getattr(matrix, "indicators", ())}
    table = pd.DataFrame(
        {
            "criterion": [None if pd.isna(c) else str(c) for c in criteria.reindex(columns)]
            if criteria is not None else [None] * len(columns),
            "direction": np.where(benefit, "benefit", "cost").astype(object),
            "unit": [units.get(str(k)) for k in columns],
            "value": values.loc[borrower_id].to_numpy(dtype=np.float64),
            "ideal": ideal.astype(np.float64),
            "z": grey.normalised.loc[borrower_id].to_numpy(dtype=np.float64),
            "xi": xi,
            "weight": w,
            "contribution": w * xi,
            "shortfall": w * (1.0 - xi),
            "imputed": (imputed.loc[borrower_id].reindex(columns).fillna(False).to_numpy(dtype=bool)
                        if imputed is not None else np.zeros(len(columns), dtype=bool)),
        },
        index=pd.Index(columns, name="indicator"),
    )
    borrowers = getattr(matrix, "borrowers", None)
    attributes = (borrowers.loc[borrower_id] if borrowers is not None and borrower_id in borrowers.index
                  else pd.Series(dtype=object))
    return BorrowerProfile(
        borrower_id=str(borrower_id),
        grade=float(grey.grades.loc[borrower_id]),
        risk_rank=int(grey.risk_rank().loc[borrower_id]),
        n_borrowers=len(coefficients),
        rho=grey.rho,
        table=table,
        attributes=attributes,
    )


# ============================================================================ NPL SERIES


@dataclass(frozen=True, slots=True)
class BookRiskLevels:
    """Book-level risk of each indicator at each snapshot, comparable across snapshots.

    Attributes
    ----------
    levels
        Snapshot (ascending) × indicator: the weighted mean over the snapshot's
        borrowers of the risk score 1 − z, z min-max normalised with bounds pooled over
        *all* snapshots; in [0, 1], 0 = every borrower at the best value seen in any
        snapshot, higher = riskier, whatever the indicator's direction.
    means
        Snapshot × indicator: the weighted mean raw value.
    low, high
        Pooled minimum and maximum raw value of each indicator over all snapshots.
    borrowers
        Number of borrowers at each snapshot.
    weighting
        ``"balance"`` (each borrower weighted by its balance) or ``"count"``.
    """

    levels: pd.DataFrame
    means: pd.DataFrame
    low: pd.Series
    high: pd.Series
    borrowers: pd.Series
    weighting: str


def book_risk_levels(
    matrices: Iterable[Any] | Mapping[Hashable, Any],
    *,
    weighting: Literal["balance", "count"] = "balance",
) -> BookRiskLevels:
    r"""Book-level risk level of each indicator at every snapshot of a book.

    Parameters
    ----------
    matrices
        One indicator matrix per snapshot (``values``, ``directions`` and, for
        ``weighting="balance"``, ``borrowers["balance"]``): an iterable (label = each
        matrix's ``as_of``; consumed one matrix at a time, so a generator keeps one in
        memory) or a mapping snapshot label → matrix.
    weighting
        ``"balance"`` (default): each borrower weighted by its loan balance, the basis of
        the NPL ratio, so both series measure the same exposure; ``"count"``: plain mean.

    Returns
    -------
    BookRiskLevels

    Raises
    ------
    ValueError
        No snapshot, a snapshot twice, snapshots with different indicators or
        directions, an unknown ``weighting``, or a snapshot whose balances sum to 0.

    Notes
    -----
    Why not the mean of each snapshot's own z (as in the ranking)? That z is relative
    to the snapshot's own best and worst borrowers: if the whole book deteriorates, the
    bounds move with it and the mean barely changes. With bounds pooled over all
    snapshots (:math:`L_j = \min_{t,i} x_{tij}`, :math:`H_j = \max_{t,i} x_{tij}`)
    the level is comparable over time; as the score is linear in x, the weighted mean
    needs only the weighted mean raw value :math:`\bar x_{tj}`:

    .. math:: \ell_{tj} = \frac{H_j - \bar x_{tj}}{H_j - L_j} \ \text{(benefit)}, \qquad
              \ell_{tj} = \frac{\bar x_{tj} - L_j}{H_j - L_j} \ \text{(cost)},

    and 0 when :math:`H_j = L_j`. Unlike the mean raw value, the level has the same
    direction for every indicator (higher = riskier) and is never negative, so it can
    be mean-scaled (均值化) for grey relational analysis.
    """
    if weighting not in ("balance", "count"):
        raise ValueError(f"`weighting` must be one of {{'balance', 'count'}}; got {weighting!r}")
    items: Iterable[tuple[Hashable, Any]]
    if isinstance(matrices, Mapping):
        items = matrices.items()
    else:
        given: Iterable[Any] = matrices
        items = ((m.as_of, m) for m in given)
    means: dict[Hashable, np.ndarray] = {}
    lows: list[np.ndarray] = []
    highs: list[np.ndarray] = []
    counts: dict[Hashable, int] = {}
    columns: pd.Index | None = None
    benefit: np.ndarray | None = None
    for label, matrix in items:
        if label in means:
            raise ValueError(f"snapshot {label!r} appears twice")
        values: pd.DataFrame = matrix.values
        if columns is None or benefit is None:
            columns = values.columns
            benefit = as_directions(matrix.directions, columns)
        elif not values.columns.equals(columns):
            raise ValueError(f"snapshot {label!r} has other indicators than the first snapshot")
        elif not np.array_equal(as_directions(matrix.directions, columns), benefit):
            raise ValueError(f"snapshot {label!r} has other indicator directions than the first snapshot")
        x = values.to_numpy(dtype=np.float64)
        if weighting == "balance":
            bal = matrix.borrowers["balance"].reindex(values.index).to_numpy(dtype=np.float64)
            total = float(np.nansum(bal))
            if not total > 0:
                raise ValueError(f"snapshot {label!r}: the borrowers' balances sum to 0")
            means[label] = np.nan_to_num(bal) @ x / total
        else:
            means[label] = x.mean(axis=0)
        lows.append(x.min(axis=0))
        highs.append(x.max(axis=0))
        counts[label] = x.shape[0]
    if columns is None or benefit is None:
        raise ValueError("no snapshot given")
    order = list(means)
    try:
        order = sorted(order)  # type: ignore[type-var]
    except TypeError:
        pass  # labels that do not compare keep the input order
    index = pd.Index(order, name="snapshot")
    mean_frame = pd.DataFrame([means[k] for k in order], index=index, columns=columns)
    low = pd.Series(np.min(lows, axis=0), index=columns, name="low")
    high = pd.Series(np.max(highs, axis=0), index=columns, name="high")
    span = (high - low).to_numpy()
    safe = np.where(span > 0, span, 1.0)
    m = mean_frame.to_numpy()
    level = np.where(benefit, high.to_numpy() - m, m - low.to_numpy()) / safe
    level = np.where(span > 0, np.clip(level, 0.0, 1.0), 0.0)
    return BookRiskLevels(
        levels=pd.DataFrame(level, index=index, columns=columns),
        means=mean_frame,
        low=low,
        high=high,
        borrowers=pd.Series([counts[k] for k in order], index=index, name="borrowers", dtype=np.int64),
        weighting=weighting,
    )


@dataclass(frozen=True, slots=True)
class NplSeriesFactors:
    """Indicators ranked by grey relational degree to the book's NPL ratio over time.

    Attributes
    ----------
    result
        ``result.degrees``: degree per indicator, highest first (rank 1 = the indicator
        whose book-level risk moved most like the NPL ratio); ``result.coefficients``:
        ξ per snapshot and indicator.
    excluded
        Indicators left out because their level is 0 at every snapshot (every borrower
        at the best value throughout): such a series cannot be mean-scaled.
    npl_ratio
        The reference series (snapshot → NPL ratio).
    levels
        The compared series (snapshot × used indicator), e.g. ``BookRiskLevels.levels``.
    derived
        Indicators left out because they are computed from the loan classes themselves
        (:data:`NPL_DERIVED_INDICATORS`): they follow the NPL ratio by construction.
    """

    result: GreyFactorResult
    excluded: tuple[str, ...]
    npl_ratio: pd.Series
    levels: pd.DataFrame
    derived: tuple[str, ...] = ()

    @property
    def scaled_npl(self) -> pd.Series:
        """The NPL ratio divided by its mean (1 = its average), as the degrees compare it."""
        return self.npl_ratio / float(self.npl_ratio.mean())

    @property
    def scaled_levels(self) -> pd.DataFrame:
        """Each indicator's level divided by its mean, as the degrees compare them."""
        return self.levels / self.levels.mean()


NPL_DERIVED_INDICATORS: Final[tuple[str, ...]] = ("industry_npl_ratio",)
"""Indicators that are themselves NPL ratios: against the book's NPL ratio they score ~1
by construction, which says nothing about a risk factor."""


def npl_series_factors(levels: pd.DataFrame, npl_ratio: pd.Series, *, rho: float = 0.5) -> NplSeriesFactors:
    """Rank indicators by the grey relational degree of their book-level series to the NPL ratio.

    Parameters
    ----------
    levels
        Snapshot × indicator book-level risk, higher = riskier (e.g.
        :attr:`BookRiskLevels.levels`).
    npl_ratio
        Snapshot → NPL ratio of the same book (e.g.
        :func:`riskcore.portfolio.npl_ratio_series`), indexed like ``levels``.
    rho
        Distinguishing coefficient in (0, 1].

    Indicators that are themselves NPL ratios (:data:`NPL_DERIVED_INDICATORS`) are left
    out and listed in ``derived``. Both series are mean-scaled (均值化) and compared with Deng's coefficients
    (:func:`riskcore.grey_factor_degrees`); Δmin and Δmax are taken over all snapshots
    and all used indicators.

    Raises
    ------
    ValueError
        The snapshots of the two differ, fewer than 2 snapshots, a missing or non-finite
        NPL ratio, or an NPL ratio of 0 at every snapshot (nothing to relate to).
    """
    if not levels.index.equals(npl_ratio.index):
        raise ValueError("`levels` and `npl_ratio` must have the same snapshots, in the same order")
    ref = npl_ratio.astype("float64")
    if not np.isfinite(ref.to_numpy()).all():
        raise ValueError("the NPL ratio is missing or not finite at some snapshot")
    if len(ref) < 2:
        raise ValueError(f"the NPL series needs at least 2 snapshots; got {len(ref)}")
    if float(ref.sum()) == 0.0:
        raise ValueError("the NPL ratio is 0 at every snapshot: the factors cannot be ranked against it")
    derived = tuple(str(c) for c in levels.columns if c in NPL_DERIVED_INDICATORS)
    levels = levels.drop(columns=list(derived))
    usable = levels.columns[(levels.mean() > 0).to_numpy()]
    excluded = tuple(str(c) for c in levels.columns if c not in set(usable))
    result = grey_factor_degrees(ref, levels[usable], rho=rho, preprocess="mean")
    return NplSeriesFactors(result=result, excluded=excluded, npl_ratio=ref, levels=levels[usable], derived=derived)
