"""Rating scales on the grey relational grade: quantile or fixed cut-offs, distributions and
default rates per rating.

The grade (:func:`riskcore.grey_relational`) is a continuous score, higher = safer. A
credit committee works with letters. A :class:`RatingScale` turns grades into an ordered
categorical rating, best first, either

* ``"quantile"``: each rating gets a share of the borrowers (equal shares by default, so
  :data:`SCALE_AE` gives the quintile bands of :func:`riskcore.ranking.rating_bands`), or
* ``"fixed"``: descending grade cut-offs, so ratings are comparable across snapshots and
  scenarios (a shocked book is rated on the base book's cut-offs, see
  :mod:`riskcore.stress`).

Pure Python (numpy/pandas), no UI imports.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import pairwise
from typing import Final, Literal

import numpy as np
import pandas as pd

__all__ = [
    "SCALE_AAA_C",
    "SCALE_AE",
    "RatingDefaultRates",
    "RatingScale",
    "assign_ratings",
    "default_rate_by_rating",
    "quantile_cutoffs",
    "rating_distribution",
]

RatingMethod = Literal["quantile", "fixed"]

# Shares are floats: n * cumulative share can land a hair above an integer (0.6 * 10 =
# 6.000000000000001); the boundary position is rounded up after removing this slack.
_SHARE_SLACK: Final[float] = 1e-9


@dataclass(frozen=True)
class RatingScale:
    """A rating scale: labels best → worst and how grades map onto them.

    Attributes
    ----------
    name
        Display name, e.g. ``"A-E quintiles"``.
    labels
        Rating labels, best (highest grade, safest) first, at least 2, unique.
    method
        ``"quantile"``: ratings by rank, ``shares`` of the borrowers each;
        ``"fixed"``: ratings by grade, ``cutoffs``.
    shares
        Quantile mode only: share of the borrowers per label (best first), each > 0,
        summing to 1; None = equal shares. Stored as a tuple of floats.
    cutoffs
        Fixed mode only: ``len(labels) - 1`` grade cut-offs, non-increasing. A grade
        ``g`` gets ``labels[k]`` with ``k`` = number of cut-offs strictly above ``g``:
        **a grade equal to a cut-off goes to the better rating** (``g >= cutoffs[0]``
        is ``labels[0]``). Equal neighbouring cut-offs leave a rating empty; ``+inf``
        is allowed (nobody reaches the rating).

    Raises
    ------
    ValueError
        Bad labels, unknown method, shares/cut-offs of the wrong length, a share <= 0
        or shares not summing to 1, cut-offs that are NaN or increase, or options of
        the other method given.
    """

    name: str
    labels: tuple[str, ...]
    method: RatingMethod = "quantile"
    shares: tuple[float, ...] | None = None
    cutoffs: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        labels = tuple(str(x) for x in self.labels)
        if len(labels) < 2:
            raise ValueError(f"a rating scale needs at least 2 labels; got {len(labels)}")
        if len(set(labels)) != len(labels) or any(not x for x in labels):
            raise ValueError(f"rating labels must be unique and non-empty; got {labels}")
        object.__setattr__(self, "labels", labels)
        k = len(labels)
        if self.method == "quantile":
            if self.cutoffs is not None:
                raise ValueError("`cutoffs` are for method='fixed'; a quantile scale takes `shares`")
            if self.shares is not None:
                shares = tuple(float(s) for s in self.shares)
                if len(shares) != k:
                    raise ValueError(f"`shares` has {len(shares)} entries but the scale has {k} labels")
                if not all(np.isfinite(s) and s > 0 for s in shares):
                    raise ValueError(f"every share must be a finite number > 0; got {shares}")
                if not np.isclose(sum(shares), 1.0, rtol=0.0, atol=1e-9):
                    raise ValueError(f"`shares` must sum to 1; got {sum(shares):g}")
                object.__setattr__(self, "shares", shares)
        elif self.method == "fixed":
            if self.shares is not None:
                raise ValueError("`shares` are for method='quantile'; a fixed scale takes `cutoffs`")
            if self.cutoffs is None:
                raise ValueError("a fixed scale needs `cutoffs`")
            cuts = tuple(float(c) for c in self.cutoffs)
            if len(cuts) != k - 1:
                raise ValueError(f"a fixed scale with {k} labels needs {k - 1} cut-offs; got {len(cuts)}")
            if any(np.isnan(c) for c in cuts):
                raise ValueError("cut-offs must not be NaN")
            if any(b > a for a, b in pairwise(cuts)):
                raise ValueError(f"cut-offs must be descending (best rating first); got {cuts}")
            object.__setattr__(self, "cutoffs", cuts)
        else:
            raise ValueError(f"`method` must be 'quantile' or 'fixed'; got {self.method!r}")

    @property
    def dtype(self) -> pd.CategoricalDtype:
        """Ordered categorical dtype of the ratings: categories best → worst (code 0 = best)."""
        return pd.CategoricalDtype(list(self.labels), ordered=True)

    @property
    def share_vector(self) -> tuple[float, ...]:
        """Quantile shares per label (equal shares when none were given)."""
        k = len(self.labels)
        return self.shares if self.shares is not None else tuple([1.0 / k] * k)

    def with_cutoffs(self, cutoffs: Sequence[float], *, name: str | None = None) -> RatingScale:
        """The same labels as a fixed scale with ``cutoffs`` (e.g. from :func:`quantile_cutoffs`).

        Why: quantile ratings re-rank every population, so a shocked book would always
        have 20 % in E; freezing the base book's cut-offs makes downgrades visible.
        """
        return replace(self, name=self.name if name is None else name, method="fixed", shares=None,
                       cutoffs=tuple(float(c) for c in cutoffs))


#: Quintiles A (best) … E; for untied grades identical to :func:`riskcore.ranking.rating_bands`.
SCALE_AE: Final[RatingScale] = RatingScale("A-E quintiles", ("A", "B", "C", "D", "E"))

#: Nine agency-style grades, equal shares (a starting point; set ``shares`` or cut-offs
#: from the bank's own calibration).
SCALE_AAA_C: Final[RatingScale] = RatingScale(
    "AAA-C", ("AAA", "AA", "A", "BBB", "BB", "B", "CCC", "CC", "C"))


def _grades(grades: pd.Series) -> pd.Series:
    if not isinstance(grades, pd.Series):
        raise TypeError(f"`grades` must be a pandas Series; got {type(grades).__name__}")
    g = grades.astype("float64")
    if g.isna().any():
        raise ValueError(f"`grades` has {int(g.isna().sum())} missing values")
    return g


def _quantile_codes(g: pd.Series, scale: RatingScale) -> np.ndarray:
    """Label index per borrower in quantile mode (0 = best).

    Position = number of borrowers with a strictly higher grade (``rank(method="min")``
    descending, minus 1), so a tie group takes the position of its best member. The
    boundary of label j is the first position at or beyond ``n * cumulative_share_j``.
    For equal shares and untied grades this is ``position * k // n``, the rule of
    :func:`riskcore.ranking.rating_bands`.
    """
    n = len(g)
    position = g.rank(method="min", ascending=False).to_numpy(dtype=np.float64) - 1.0
    cumulative = np.cumsum(np.asarray(scale.share_vector, dtype=np.float64))[:-1]
    bounds = np.ceil(n * cumulative - _SHARE_SLACK * max(n, 1))
    codes: np.ndarray = np.searchsorted(bounds, position, side="right").astype(np.int64)
    return codes


def _fixed_codes(g: pd.Series, cutoffs: tuple[float, ...]) -> np.ndarray:
    """Label index = number of cut-offs strictly above the grade (ties → better rating)."""
    # cutoffs descending; count c > g  <=>  searchsorted on the ascending negated cut-offs.
    neg = -np.asarray(cutoffs, dtype=np.float64)
    codes: np.ndarray = np.searchsorted(neg, -g.to_numpy(dtype=np.float64), side="left").astype(np.int64)
    return codes


def assign_ratings(grades: pd.Series, scale: RatingScale = SCALE_AE) -> pd.Series:
    """Rate borrowers by grey relational grade (higher grade = better rating).

    Parameters
    ----------
    grades
        Grade per borrower (index = borrower), e.g. ``GreyResult.grades``; no NaN.
    scale
        The rating scale.

    Returns
    -------
    Series
        Same index, name ``"rating"``, ordered categorical with categories
        ``scale.labels`` (best → worst; every label is a category even if empty).

    Raises
    ------
    ValueError
        Missing grades.

    Notes
    -----
    Quantile mode keeps **ties together**: borrowers with equal grades always get the
    same rating, that of the best position of their group (the number of borrowers with
    a strictly higher grade decides). Why: two borrowers the model cannot tell apart must
    not be rated differently by their row order; the price is that a large tie group makes
    its rating bigger than its share and the next ones smaller. (``rating_bands`` breaks
    ties by position instead, to keep equal counts; without ties both agree.)

    Fixed mode: a grade equal to a cut-off gets the better rating.
    """
    g = _grades(grades)
    if scale.method == "fixed":
        assert scale.cutoffs is not None
        codes = _fixed_codes(g, scale.cutoffs)
    else:
        codes = _quantile_codes(g, scale)
    cat = pd.Categorical.from_codes(codes, dtype=scale.dtype)
    return pd.Series(cat, index=grades.index, name="rating")


def quantile_cutoffs(grades: pd.Series, scale: RatingScale = SCALE_AE) -> tuple[float, ...]:
    """Cut-offs that rate ``grades`` exactly as the quantile scale does, to freeze them.

    Cut-off j = the lowest grade among the borrowers rated ``labels[0..j]`` (``+inf``
    when those ratings are empty). With the "equal goes to the better rating" rule of
    fixed scales, ``assign_ratings(grades, scale.with_cutoffs(quantile_cutoffs(grades,
    scale)))`` equals ``assign_ratings(grades, scale)``: ties are kept together, so every
    borrower of a worse rating has a strictly lower grade. A fixed ``scale`` returns its
    own cut-offs.

    Why the lowest member rather than a midpoint: a base borrower keeps its rating
    under a zero shock, and any fall below the weakest member of the better rating is a
    downgrade (conservative for a stress test).
    """
    if scale.method == "fixed":
        assert scale.cutoffs is not None
        return scale.cutoffs
    g = _grades(grades)
    codes = _quantile_codes(g, scale)
    values = g.to_numpy(dtype=np.float64)
    cuts: list[float] = []
    for j in range(len(scale.labels) - 1):
        better = values[codes <= j]
        cuts.append(float(better.min()) if better.size else float("inf"))
    return tuple(cuts)


def _as_ratings(ratings: pd.Series) -> pd.Series:
    if not isinstance(ratings, pd.Series):
        raise TypeError(f"`ratings` must be a pandas Series; got {type(ratings).__name__}")
    if ratings.isna().any():
        raise ValueError(f"`ratings` has {int(ratings.isna().sum())} missing values")
    if isinstance(ratings.dtype, pd.CategoricalDtype):
        return ratings
    # Plain labels: sorted, which is best → worst for A-E style labels only.
    return ratings.astype(pd.CategoricalDtype(sorted(ratings.astype(str).unique()), ordered=True))


def rating_distribution(ratings: pd.Series, balance: pd.Series | None = None) -> pd.DataFrame:
    """Borrowers (and balance) per rating, best first: the rating histogram of a book.

    Parameters
    ----------
    ratings
        From :func:`assign_ratings` (categorical: every label is a row, empty ones 0);
        plain labels are sorted.
    balance
        Exposure per borrower, aligned on the index (e.g. ``matrix.borrowers["balance"]``).

    Returns
    -------
    DataFrame
        Index ``rating``; ``count`` (int64), ``share`` (of borrowers; 0 for an empty
        book) and, with ``balance``, ``balance`` and ``balance_share``.

    Raises
    ------
    ValueError
        Missing ratings, or a borrower without a finite balance.
    """
    r = _as_ratings(ratings)
    counts = r.value_counts(sort=False).reindex(r.cat.categories, fill_value=0).astype(np.int64)
    total = int(counts.sum())
    out = pd.DataFrame({"count": counts,
                        "share": counts / total if total else counts.astype(np.float64) * 0.0})
    if balance is not None:
        b = balance.reindex(r.index).astype("float64")
        if not np.isfinite(b.to_numpy()).all():
            raise ValueError("`balance` is missing or not finite for some rated borrowers")
        sums = b.groupby(r, observed=False).sum().reindex(r.cat.categories, fill_value=0.0)
        btotal = float(sums.sum())
        out["balance"] = sums.to_numpy(dtype=np.float64)
        out["balance_share"] = out["balance"] / btotal if btotal else 0.0
    out.index = pd.CategoricalIndex(r.cat.categories, dtype=r.dtype, name="rating")
    return out


@dataclass(frozen=True, slots=True)
class RatingDefaultRates:
    """Observed default rate per rating.

    Attributes
    ----------
    table
        Index ``rating`` (best first): ``count``, ``defaults`` (int64), ``rate``
        (NaN for an empty rating).
    monotone
        True when the rate never falls from a better to a worse rating (empty ratings
        skipped): the scale orders risk as it should.
    """

    table: pd.DataFrame
    monotone: bool


def default_rate_by_rating(ratings: pd.Series, default: pd.Series) -> RatingDefaultRates:
    """Back-test a rating scale: count, defaults and default rate per rating.

    Parameters
    ----------
    ratings
        Rating per borrower (see :func:`rating_distribution`).
    default
        0/1 (or bool) outcome aligned on the index, e.g.
        ``matrix.borrowers["default_flag"]``.

    Raises
    ------
    ValueError
        Missing ratings, or an outcome missing or not 0/1 for a rated borrower.

    Notes
    -----
    ``monotone`` is the first check of a rating scale: worse ratings must not default
    less. With few borrowers a small reversal is noise; see
    :func:`riskcore.validation.band_default_rates` for intervals and PD tests.
    """
    r = _as_ratings(ratings)
    y = pd.to_numeric(default.reindex(r.index), errors="coerce").astype("float64")
    if y.isna().any() or not y.isin([0.0, 1.0]).all():
        raise ValueError("`default` must be 0 or 1 for every rated borrower")
    grouped = y.groupby(r, observed=False).agg(["size", "sum"]).reindex(r.cat.categories, fill_value=0)
    count = grouped["size"].to_numpy(dtype=np.int64)
    defaults = grouped["sum"].to_numpy(dtype=np.float64).round().astype(np.int64)
    rate = np.divide(defaults, count, out=np.full(len(count), np.nan), where=count > 0)
    table = pd.DataFrame({"count": count, "defaults": defaults, "rate": rate},
                         index=pd.CategoricalIndex(r.cat.categories, dtype=r.dtype, name="rating"))
    seen = rate[count > 0]
    monotone = bool(np.all(np.diff(seen) >= 0))
    return RatingDefaultRates(table=table, monotone=monotone)

