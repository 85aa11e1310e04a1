"""Validation of a score or rating against what really happened (DOMAIN.md §5, issue #6).

Discrimination (AUC with DeLong or bootstrap CI, Gini / accuracy ratio, KS, ROC and CAP
points), calibration (default rate per band, monotonicity, binomial and Jeffreys tests per
band, Hosmer–Lemeshow, Brier score), stability (PSI), and the outcome itself
(:func:`default_within`: became non-performing within 12 months).

Score direction
---------------
Every function that orders borrowers takes ``higher_is_riskier`` explicitly and has no
default: a grey relational grade is higher = *safer* (``higher_is_riskier=False``), a PD or
a DPD count is higher = riskier. Guessing the direction from the range of the values (as a
popular scorecard library does) silently flips the sign of a score; here a wrong direction
shows as AUC < 0.5 instead.

Ties
----
Graded scores (rating bands, GRA grades of identical borrowers, count indicators) have many
ties. AUC counts a tied default/non-default pair as ½ (Mann–Whitney); KS, ROC and CAP are
evaluated only at distinct score values, so a group of tied borrowers is one step of the
curve and never split in an order that depends on the row order.

Pure numpy / scipy / pandas; never imports streamlit.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

from riskcore.portfolio import final_class

__all__ = [
    "BANDS",
    "PSI_EPSILON",
    "PSI_THRESHOLDS",
    "AucInterval",
    "HosmerLemeshowResult",
    "KsResult",
    "PsiResult",
    "ValidationReport",
    "accuracy_ratio_from_cap",
    "auc",
    "auc_ci",
    "band_default_rates",
    "bootstrap_auc",
    "brier_score",
    "cap_curve",
    "check_outcome",
    "check_score",
    "default_within",
    "delong_variance",
    "gini",
    "hosmer_lemeshow",
    "ks",
    "monotonicity_violations",
    "psi",
    "psi_from_counts",
    "psi_reading",
    "quantile_bands",
    "roc_curve",
    "validate_score",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
CiMethod = Literal["delong", "bootstrap"]

#: Quintile bands, A = safest, E = riskiest (same letters as riskcore.ranking.RATING_BANDS).
BANDS: Final[tuple[str, ...]] = ("A", "B", "C", "D", "E")
#: Floor for a bin share in PSI: an empty bin would make ln(a/e) infinite. 1e-4 = 0.01 %
#: of the sample; the floored shares are not renormalised (the effect is < 1e-3 on the PSI
#: for up to 10 empty bins, far below the 0.1 reading threshold).
PSI_EPSILON: Final[float] = 1e-4
#: PSI reading (folklore, Lewis 1992): < 0.10 stable, 0.10–0.25 some shift, > 0.25 shift.
PSI_THRESHOLDS: Final[tuple[float, float]] = (0.10, 0.25)


# ============================================================================ INPUT CHECKS


def _name(values: Any, default: str) -> str:
    name = getattr(values, "name", None)
    return str(name) if name is not None else default


def check_score(score: Any, *, name: str | None = None) -> FloatArray:
    """A 1-D finite float array of scores, refusing class labels.

    Why: a rating band "A".."E", a category or a bool prediction is not an ordering the
    metrics can use without a mapping the caller must state (which band is riskier, and by
    how much for PSI bins); silently ranking strings alphabetically would be wrong.

    Raises
    ------
    ValueError
        Not 1-D, empty, strings / categories / booleans / objects ("class labels"),
        NaN or infinite values (naming the first position).
    """
    label = name or _name(score, "score")
    if isinstance(score, (pd.Series, pd.Index)):
        dtype = score.dtype
        if isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(dtype) or not (
            pd.api.types.is_numeric_dtype(dtype)
        ):
            raise ValueError(
                f"`{label}` holds class labels ({dtype}), not numeric scores; map the classes to numbers "
                "(e.g. band A=1 … E=5) and state the direction with higher_is_riskier"
            )
        arr = score.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        raw = np.asarray(score)
        if raw.dtype.kind not in "iuf":
            raise ValueError(
                f"`{label}` holds class labels ({raw.dtype}), not numeric scores; map the classes to numbers "
                "(e.g. band A=1 … E=5) and state the direction with higher_is_riskier"
            )
        arr = raw.astype(np.float64)
    if arr.ndim != 1:
        raise ValueError(f"`{label}` must be 1-D (one score per borrower); got {arr.ndim}-D")
    if arr.size == 0:
        raise ValueError(f"`{label}` is empty")
    bad = ~np.isfinite(arr)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise ValueError(f"`{label}` has {int(bad.sum())} missing or infinite values (first at position {first})")
    out: FloatArray = arr
    return out


def check_outcome(default: Any, *, n: int | None = None, name: str | None = None,
                  need_both: bool = True) -> npt.NDArray[np.bool_]:
    """A boolean default flag from 0/1 (or bool) values.

    Why: "1 = default" must be unambiguous; a flag coded 1/2, Y/N or with gaps is refused
    rather than guessed. Discrimination needs at least one default and one non-default.

    Raises
    ------
    ValueError
        Wrong length, missing values, values other than 0/1, or (``need_both``) no
        defaults / no non-defaults.
    """
    label = name or _name(default, "default")
    if isinstance(default, pd.Series):
        if not (pd.api.types.is_numeric_dtype(default.dtype) or pd.api.types.is_bool_dtype(default.dtype)):
            raise ValueError(f"`{label}` must be 0/1; got {default.dtype} values")
        y = default.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        raw = np.asarray(default)
        if raw.dtype.kind not in "biuf":
            raise ValueError(f"`{label}` must be 0/1; got {raw.dtype} values")
        y = raw.astype(np.float64)
    if y.ndim != 1:
        raise ValueError(f"`{label}` must be 1-D; got {y.ndim}-D")
    if n is not None and y.size != n:
        raise ValueError(f"`{label}` has {y.size} values but the score has {n}")
    if np.isnan(y).any():
        raise ValueError(f"`{label}` has {int(np.isnan(y).sum())} missing values")
    odd = ~np.isin(y, (0.0, 1.0))
    if odd.any():
        values = sorted({float(v) for v in y[odd]})[:5]
        raise ValueError(f"`{label}` must be 0 (no default) or 1 (default); found {values}")
    flag: npt.NDArray[np.bool_] = y == 1.0
    if need_both:
        if not flag.any():
            raise ValueError(f"`{label}` has no defaults: discrimination is undefined")
        if flag.all():
            raise ValueError(f"`{label}` has no non-defaults: discrimination is undefined")
    return flag


def _risk(score: Any, default: Any, higher_is_riskier: bool) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    """Checked (risk, flag): risk = score oriented so that higher = riskier."""
    if not isinstance(higher_is_riskier, (bool, np.bool_)):
        raise TypeError("`higher_is_riskier` must be True or False (state the score direction)")
    s = check_score(score)
    y = check_outcome(default, n=s.size)
    return (s if higher_is_riskier else -s), y


def _groups(risk: FloatArray, y: npt.NDArray[np.bool_]) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Distinct risk values ascending, defaults and non-defaults per value."""
    values, inverse = np.unique(risk, return_inverse=True)
    d: FloatArray = np.bincount(inverse, weights=y.astype(np.float64), minlength=values.size).astype(np.float64)
    total: FloatArray = np.bincount(inverse, minlength=values.size).astype(np.float64)
    return values, d, total - d


# ============================================================================ DISCRIMINATION


def auc(score: Any, default: Any, *, higher_is_riskier: bool) -> float:
    """Area under the ROC curve: P(s_D riskier than s_ND) + ½ P(tie) (Mann–Whitney).

    Computed from midranks over the pooled sample, O(n log n); a tied default/non-default
    pair counts ½, so a constant score has AUC 0.5 exactly.

    Parameters
    ----------
    score
        One numeric score per borrower.
    default
        0/1 outcome per borrower (1 = defaulted), with both classes present.
    higher_is_riskier
        True for a PD-like score, False for a grade where higher = safer (GRA grade).
    """
    risk, y = _risk(score, default, higher_is_riskier)
    return _auc_mw(risk, y)


def _auc_mw(risk: FloatArray, y: npt.NDArray[np.bool_]) -> float:
    m = int(y.sum())
    n = y.size - m
    ranks = stats.rankdata(risk)  # average ranks for ties
    return float((ranks[y].sum() - m * (m + 1) / 2.0) / (m * n))


def delong_variance(score: Any, default: Any, *, higher_is_riskier: bool) -> tuple[float, float]:
    """AUC and its DeLong variance by the fast midrank algorithm (Sun & Xu 2014).

    Why DeLong: it is the non-parametric standard for the AUC's sampling variance, exact in
    the U-statistic sense and cheap: three midrank passes, O(n log n), instead of the
    O(m·n) pair matrix of the original formulation.

    Structural components: V10_i = (Tz_i − Tx_i)/n for each default i and
    V01_j = 1 − (Tz_j − Ty_j)/m for each non-default j, with Tz, Tx, Ty the midranks in
    the pooled, defaults-only and non-defaults-only samples; Var = S10/m + S01/n with
    S the sample variances (ddof 1).

    References
    ----------
    DeLong, DeLong & Clarke-Pearson (1988), Biometrics 44(3), 837–845.
    Sun & Xu (2014), IEEE Signal Processing Letters 21(11), 1389–1393.
    """
    risk, y = _risk(score, default, higher_is_riskier)
    return _delong(risk, y)


def _delong(risk: FloatArray, y: npt.NDArray[np.bool_]) -> tuple[float, float]:
    x, z = risk[y], risk[~y]
    m, n = x.size, z.size
    tz = stats.rankdata(np.concatenate([x, z]))
    tx, ty = stats.rankdata(x), stats.rankdata(z)
    a = float((tz[:m].sum() - m * (m + 1) / 2.0) / (m * n))
    v10 = (tz[:m] - tx) / n
    v01 = 1.0 - (tz[m:] - ty) / m
    s10 = float(np.var(v10, ddof=1)) if m > 1 else 0.0
    s01 = float(np.var(v01, ddof=1)) if n > 1 else 0.0
    return a, s10 / m + s01 / n


@dataclass(frozen=True, slots=True)
class AucInterval:
    """AUC with a two-sided confidence interval.

    Attributes
    ----------
    auc, low, high
        Point estimate and interval bounds (clipped to [0, 1]).
    level
        Confidence level, e.g. 0.95.
    method
        ``"delong"`` (normal approximation with the DeLong standard error) or
        ``"bootstrap"`` (percentile interval of stratified resamples).
    std_error
        DeLong standard error, or the standard deviation of the bootstrap AUCs.
    resamples
        Number of bootstrap resamples (0 for DeLong).
    """

    auc: float
    low: float
    high: float
    level: float
    method: str
    std_error: float
    resamples: int = 0


def _check_level(level: float) -> float:
    level = float(level)
    if not 0.0 < level < 1.0:
        raise ValueError(f"`level` must be in (0, 1); got {level:g}")
    return level


def bootstrap_auc(risk: FloatArray, y: npt.NDArray[np.bool_], *, resamples: int = 1000,
                  seed: int | None = 0) -> FloatArray:
    """AUCs of stratified bootstrap resamples (defaults and non-defaults resampled apart).

    Why stratified: every resample keeps the observed numbers of defaults and
    non-defaults, so none lacks a class (where the AUC is undefined); this is the scheme
    of pROC's default bootstrap.

    Resampling with replacement only changes how many copies of each distinct score value
    are drawn, so no resample is re-sorted: the defaults are a multinomial draw over their
    distinct values, the non-defaults a multinomial draw over theirs (or, when nearly all
    are distinct, uniform indices counted with bincount, O(n) instead of the O(K)
    sequential binomials), and each AUC is Σ_k D_k (N_<v_k + ½ N_=v_k) / (m n) with the
    positions of the default values among the non-default values found once.
    ``risk`` must be oriented higher = riskier (as checked by the public functions).
    """
    if resamples < 1:
        raise ValueError(f"`resamples` must be at least 1; got {resamples}")
    d_values, d_counts = np.unique(risk[y], return_counts=True)
    nd_values, nd_inverse, nd_counts = np.unique(risk[~y], return_inverse=True, return_counts=True)
    m, n = int(d_counts.sum()), int(nd_counts.sum())
    lo = np.searchsorted(nd_values, d_values, side="left")
    hi = np.searchsorted(nd_values, d_values, side="right")
    p_d, p_nd = d_counts / m, nd_counts / n
    by_index = nd_values.size * 4 > n  # mostly distinct: bincount of uniform draws is cheaper
    rng = np.random.default_rng(seed)
    out = np.empty(resamples, dtype=np.float64)
    chunk = max(1, min(resamples, 2_000_000 // max(nd_values.size, 1)))
    for start in range(0, resamples, chunk):
        b = min(chunk, resamples - start)
        dd = rng.multinomial(m, p_d, size=b).astype(np.float64)
        if by_index:
            draws = nd_inverse[rng.integers(0, n, size=(b, n))] + (np.arange(b) * nd_values.size)[:, None]
            nn = np.bincount(draws.ravel(), minlength=b * nd_values.size).reshape(b, nd_values.size)
        else:
            nn = rng.multinomial(n, p_nd, size=b)
        cum = np.zeros((b, nd_values.size + 1), dtype=np.float64)
        np.cumsum(nn, axis=1, out=cum[:, 1:])
        less, upto = cum[:, lo], cum[:, hi]
        out[start:start + b] = (dd * (less + 0.5 * (upto - less))).sum(axis=1) / (m * n)
    return out


def auc_ci(score: Any, default: Any, *, higher_is_riskier: bool, level: float = 0.95,
           method: CiMethod = "delong", resamples: int = 1000, seed: int | None = 0) -> AucInterval:
    """AUC with a confidence interval by DeLong (default) or stratified bootstrap.

    DeLong: AUC ± z·SE, clipped to [0, 1] (the normal approximation can overshoot near 1
    on small samples; use the bootstrap there). Bootstrap: the percentile interval of
    ``resamples`` stratified resamples with a fixed ``seed`` so reports are reproducible.
    """
    level = _check_level(level)
    risk, y = _risk(score, default, higher_is_riskier)
    a, var = _delong(risk, y)
    if method == "delong":
        se = math.sqrt(max(var, 0.0))
        z = float(stats.norm.ppf(0.5 + level / 2.0))
        return AucInterval(a, max(0.0, a - z * se), min(1.0, a + z * se), level, "delong", se)
    if method == "bootstrap":
        boot = bootstrap_auc(risk, y, resamples=resamples, seed=seed)
        lo, hi = np.quantile(boot, [0.5 - level / 2.0, 0.5 + level / 2.0])
        return AucInterval(a, float(lo), float(hi), level, "bootstrap", float(np.std(boot, ddof=1)) if resamples > 1
                           else 0.0, resamples)
    raise ValueError(f"`method` must be 'delong' or 'bootstrap'; got {method!r}")


def gini(score: Any, default: Any, *, higher_is_riskier: bool) -> float:
    """Gini = accuracy ratio = Somers' D = 2·AUC − 1 (0 = random, 1 = perfect)."""
    return 2.0 * auc(score, default, higher_is_riskier=higher_is_riskier) - 1.0


@dataclass(frozen=True, slots=True)
class KsResult:
    """Kolmogorov–Smirnov separation of the default and non-default score distributions.

    Attributes
    ----------
    statistic
        max_t |F_D(t) − F_ND(t)|, over the distinct score values t.
    threshold
        The score value (original scale) where the maximum is reached (the first one, in
        the order safest → riskiest, if several tie).
    """

    statistic: float
    threshold: float


def ks(score: Any, default: Any, *, higher_is_riskier: bool) -> KsResult:
    """KS statistic with ties grouped: the CDFs are compared only at distinct values.

    Why grouped: comparing row by row after sorting splits a group of tied scores at an
    arbitrary point and overstates KS for graded scores. The statistic does not depend on
    the direction (an absolute difference); the threshold is reported on the original scale.
    """
    risk, y = _risk(score, default, higher_is_riskier)
    values, d, nd = _groups(risk, y)
    m, n = d.sum(), nd.sum()
    diff = np.abs(np.cumsum(d) * n - np.cumsum(nd) * m) / (m * n)  # one division: exact for small sets
    k = int(np.argmax(diff))
    t = float(values[k])
    return KsResult(float(diff[k]), t if higher_is_riskier else -t)


def _curve_counts(score: Any, default: Any, higher_is_riskier: bool) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Distinct values riskiest first (original scale), cumulative defaults and non-defaults."""
    risk, y = _risk(score, default, higher_is_riskier)
    values, d, nd = _groups(risk, y)
    values, d, nd = values[::-1], d[::-1], nd[::-1]
    return (values if higher_is_riskier else -values), np.cumsum(d), np.cumsum(nd)


def roc_curve(score: Any, default: Any, *, higher_is_riskier: bool) -> pd.DataFrame:
    """ROC points, one vertex per distinct score, from (0, 0) to (1, 1).

    Row k flags as risky every borrower at least as risky as ``threshold`` (``NaN`` in
    the first row: nobody flagged). ``fpr`` = share of non-defaults flagged, ``tpr`` =
    share of defaults flagged. Tied borrowers move the curve together (a diagonal step),
    so the trapezoid area equals the Mann–Whitney AUC exactly.
    """
    values, cd, cnd = _curve_counts(score, default, higher_is_riskier)
    return pd.DataFrame({
        "threshold": np.concatenate([[np.nan], values]),
        "fpr": np.concatenate([[0.0], cnd / cnd[-1]]),
        "tpr": np.concatenate([[0.0], cd / cd[-1]]),
    })


def cap_curve(score: Any, default: Any, *, higher_is_riskier: bool) -> pd.DataFrame:
    """CAP (cumulative accuracy profile) points, one vertex per distinct score.

    Borrowers sorted riskiest first: ``share_obligors`` = cumulative share of all
    borrowers, ``share_defaults`` = cumulative share of defaults captured; starts at (0, 0).
    """
    values, cd, cnd = _curve_counts(score, default, higher_is_riskier)
    total = cd + cnd
    return pd.DataFrame({
        "threshold": np.concatenate([[np.nan], values]),
        "share_obligors": np.concatenate([[0.0], total / total[-1]]),
        "share_defaults": np.concatenate([[0.0], cd / cd[-1]]),
    })


def accuracy_ratio_from_cap(cap: pd.DataFrame, default_share: float) -> float:
    """AR = (area between CAP and diagonal) / (area between perfect CAP and diagonal).

    Equals 2·AUC − 1 (Gini); kept as an independent path for the tests and the report.
    """
    x, yv = cap["share_obligors"].to_numpy(), cap["share_defaults"].to_numpy()
    area = float(np.sum((x[1:] - x[:-1]) * (yv[1:] + yv[:-1]) / 2.0))
    perfect = 1.0 - default_share / 2.0
    return (area - 0.5) / (perfect - 0.5)


# ============================================================================ CALIBRATION BY BAND


def quantile_bands(score: Any, *, higher_is_riskier: bool, bands: Sequence[str] = BANDS) -> pd.Series:
    """Equal-count bands of a score, ``bands[0]`` = safest, ties kept in one band.

    Band of a borrower = floor((midrank − 1)·k/n) in the safest-first order. Without ties
    this is exactly :func:`riskcore.ranking.rating_bands` (quintiles of the grade, A =
    highest grade); with ties, a group of tied borrowers shares its band (position-based
    tie-breaking would make the default rate per band depend on the row order).
    """
    s = check_score(score)
    k = len(bands)
    safety = -s if higher_is_riskier else s
    order = stats.rankdata(-safety) - 1.0  # 0 = safest; ties get their mean position
    idx = np.minimum(np.floor(order * k / s.size).astype(np.int64), k - 1)
    index = score.index if isinstance(score, pd.Series) else pd.RangeIndex(s.size)
    return pd.Series(np.asarray(bands, dtype=object)[idx], index=index, name="band")


def band_default_rates(band: Any, default: Any, *, order: Sequence[Hashable] | None = None,
                       pd_by_band: Mapping[Hashable, float] | None = None, level: float = 0.95) -> pd.DataFrame:
    """Counts and default rate per band, with Jeffreys interval and tests against a PD.

    Parameters
    ----------
    band
        Band label per borrower (e.g. from :func:`quantile_bands`).
    default
        0/1 outcome per borrower (a band set may hold no default at all).
    order
        Bands safest first; default: sorted labels (A … E). Bands in ``order`` with no
        borrower get n = 0 and NaN rates.
    pd_by_band
        Predicted PD per band; adds ``pd``, ``binomial_p`` (exact one-sided
        scipy.stats.binomtest, H1: true PD > predicted, i.e. PD underestimated) and
        ``jeffreys_p`` (posterior Beta(k+½, n−k+½) CDF at PD; small = PD too low, ECB
        practice). Both ignore default correlation, so they are too strict in bad years.
    level
        Level of the two-sided equal-tailed Jeffreys interval ``jeffreys_low/high``
        (bounded by 0 when k = 0 and by 1 when k = n, as in Brown, Cai & DasGupta 2001).

    Returns
    -------
    DataFrame
        Index = band (safest first); ``n``, ``defaults``, ``default_rate``,
        ``jeffreys_low``, ``jeffreys_high`` (+ the PD columns when given).
    """
    level = _check_level(level)
    labels = pd.Series(np.asarray(band, dtype=object)).reset_index(drop=True)
    y = check_outcome(default, n=len(labels), need_both=False)
    if labels.isna().any():
        raise ValueError(f"`band` has {int(labels.isna().sum())} missing labels")
    counts = pd.DataFrame({"band": labels, "d": y.astype(np.int64)}).groupby("band", sort=True)["d"].agg(
        ["size", "sum"])
    idx = list(counts.index) if order is None else list(order)
    unknown = [b for b in counts.index if b not in set(idx)]
    if unknown:
        raise ValueError(f"bands {unknown} are not in `order`")
    counts = counts.reindex(idx).fillna(0).astype(np.int64)
    n = counts["size"].to_numpy()
    k = counts["sum"].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(n > 0, k / np.maximum(n, 1), np.nan)
    alpha = 1.0 - level
    lo = np.where(k > 0, stats.beta.ppf(alpha / 2, k + 0.5, n - k + 0.5), 0.0)
    hi = np.where(k < n, stats.beta.ppf(1 - alpha / 2, k + 0.5, n - k + 0.5), 1.0)
    out = pd.DataFrame({"n": n, "defaults": k, "default_rate": rate,
                        "jeffreys_low": np.where(n > 0, lo, np.nan), "jeffreys_high": np.where(n > 0, hi, np.nan)},
                       index=pd.Index(idx, name="band"))
    if pd_by_band is not None:
        missing = [b for b in idx if b not in pd_by_band and out.at[b, "n"] > 0]
        if missing:
            raise ValueError(f"`pd_by_band` has no PD for the bands {missing}")
        pds = np.array([float(pd_by_band.get(b, np.nan)) for b in idx])
        if ((pds < 0) | (pds > 1)).any():
            raise ValueError("`pd_by_band` values must be probabilities in [0, 1]")
        binom = [float(stats.binomtest(int(ki), int(ni), float(p), alternative="greater").pvalue)
                 if ni > 0 and np.isfinite(p) else np.nan for ki, ni, p in zip(k, n, pds)]
        jeff = [float(stats.beta.cdf(p, ki + 0.5, ni - ki + 0.5)) if ni > 0 and np.isfinite(p) else np.nan
                for ki, ni, p in zip(k, n, pds)]
        out["pd"] = pds
        out["binomial_p"] = binom
        out["jeffreys_p"] = jeff
    return out


def monotonicity_violations(table: pd.DataFrame) -> list[tuple[Hashable, Hashable, float, float]]:
    """Adjacent band pairs (safer, riskier) where the riskier band has a *lower* default rate.

    ``table`` is :func:`band_default_rates` output (bands safest first). Empty bands are
    skipped (compared with the next non-empty one); equal rates are not a violation (a
    small book often has several bands with no default). Each violation is
    ``(safer band, riskier band, safer rate, riskier rate)``.
    """
    rates = table.loc[table["n"] > 0, "default_rate"]
    out: list[tuple[Hashable, Hashable, float, float]] = []
    for (b1, r1), (b2, r2) in zip(rates.items(), list(rates.items())[1:]):
        if r2 < r1:
            out.append((b1, b2, float(r1), float(r2)))
    return out


@dataclass(frozen=True, slots=True)
class HosmerLemeshowResult:
    """Hosmer–Lemeshow calibration test.

    Attributes
    ----------
    statistic
        Σ_g (k_g − n_g p̄_g)² / (n_g p̄_g (1 − p̄_g)).
    dof
        Groups − 2 (in-sample convention; use ``groups`` dof out of sample).
    p_value
        Upper tail of χ²(dof).
    table
        Per group: ``n``, ``defaults``, ``expected`` (n p̄), ``mean_pd``.
    """

    statistic: float
    dof: int
    p_value: float
    table: pd.DataFrame


def _check_pd(pd_values: Any, n: int) -> FloatArray:
    p = check_score(pd_values, name="pd")
    if p.size != n:
        raise ValueError(f"`pd` has {p.size} values but the outcome has {n}")
    if ((p < 0) | (p > 1)).any():
        raise ValueError("`pd` values must be probabilities in [0, 1]")
    return p


def hosmer_lemeshow(pd_values: Any, default: Any, *, groups: int = 10) -> HosmerLemeshowResult:
    """Hosmer–Lemeshow test with groups at the PD deciles (ties kept in one group).

    Group of a borrower = floor((midrank − 1)·G/n): equal-count groups by PD, with tied PDs
    (a PD per rating grade) kept in one group, so a rating with few PD values gives fewer
    groups (one per value at most); dof = groups formed − 2.

    Raises
    ------
    ValueError
        Fewer than 3 groups (dof < 1), or a group with mean PD 0 or 1 (its term is undefined).
    """
    y = check_outcome(default, need_both=False)
    p = _check_pd(pd_values, y.size)
    if groups < 3:
        raise ValueError(f"`groups` must be at least 3; got {groups}")
    # decile of the midrank: equal-count groups, a set of tied PDs always in one group
    codes = np.floor((stats.rankdata(p) - 1.0) * groups / p.size).astype(np.int64)
    frame = pd.DataFrame({"g": codes, "y": y.astype(np.float64), "p": p})
    t = frame.groupby("g", sort=True).agg(n=("y", "size"), defaults=("y", "sum"), mean_pd=("p", "mean"))
    g = len(t)
    if g < 3:
        raise ValueError(f"Hosmer–Lemeshow needs at least 3 PD groups; the PDs give {g}")
    pbar = t["mean_pd"].to_numpy()
    if ((pbar <= 0) | (pbar >= 1)).any():
        raise ValueError("a Hosmer–Lemeshow group has mean PD 0 or 1; its term is undefined")
    nn = t["n"].to_numpy(dtype=np.float64)
    expected = nn * pbar
    hl = float((((t["defaults"].to_numpy() - expected) ** 2) / (expected * (1 - pbar))).sum())
    t["expected"] = expected
    dof = g - 2
    return HosmerLemeshowResult(hl, dof, float(stats.chi2.sf(hl, dof)), t[["n", "defaults", "expected", "mean_pd"]])


def brier_score(pd_values: Any, default: Any) -> float:
    """Brier score: mean (PD_i − y_i)² (0 = perfect; a constant PD p scores p(1−p) at rate p)."""
    y = check_outcome(default, need_both=False)
    p = _check_pd(pd_values, y.size)
    return float(np.mean((p - y) ** 2))


# ============================================================================ STABILITY


def psi_reading(value: float) -> str:
    """"stable" (< 0.10), "some shift" (0.10–0.25) or "shift" (> 0.25); folklore thresholds."""
    if value < PSI_THRESHOLDS[0]:
        return "stable"
    return "some shift" if value <= PSI_THRESHOLDS[1] else "shift"


@dataclass(frozen=True, slots=True)
class PsiResult:
    """Population stability index and its bins.

    ``table``: per bin ``expected`` and ``actual`` counts and shares (after the
    :data:`PSI_EPSILON` floor) and the bin's term (a − e)·ln(a/e); ``edges``: the interior
    cut points (from the expected sample), bin i = (edge_{i−1}, edge_i].
    """

    value: float
    reading: str
    table: pd.DataFrame
    edges: tuple[float, ...] = field(default=())


def psi_from_counts(expected: Sequence[float] | Any, actual: Sequence[float] | Any, *,
                    epsilon: float = PSI_EPSILON) -> PsiResult:
    """PSI = Σ (a_i − e_i)·ln(a_i / e_i) from two histograms over the same bins.

    Shares below ``epsilon`` (an empty bin) are raised to ``epsilon`` and not renormalised.
    """
    e = np.asarray(expected, dtype=np.float64)
    a = np.asarray(actual, dtype=np.float64)
    if e.shape != a.shape or e.ndim != 1 or e.size == 0:
        raise ValueError("`expected` and `actual` must be 1-D counts over the same bins")
    if (e < 0).any() or (a < 0).any() or e.sum() <= 0 or a.sum() <= 0:
        raise ValueError("bin counts must be non-negative with a positive total")
    es = np.maximum(e / e.sum(), epsilon)
    as_ = np.maximum(a / a.sum(), epsilon)
    terms = (as_ - es) * np.log(as_ / es)
    value = float(terms.sum())
    table = pd.DataFrame({"expected": e, "actual": a, "expected_share": es, "actual_share": as_, "psi": terms})
    return PsiResult(value, psi_reading(value), table)


def psi(expected: Any, actual: Any, *, bins: int = 10, epsilon: float = PSI_EPSILON) -> PsiResult:
    """PSI between a base (expected) and a recent (actual) sample of a score or indicator.

    Bins are the deciles (``bins`` quantiles) of the expected sample, duplicate cut points
    dropped (a score with many ties gets fewer bins); the outer bins are open so actual
    values outside the base range still count. PSI depends on the bin count: compare
    figures computed with the same ``bins``. The same formula on one indicator is the CSI.
    """
    e = check_score(expected, name="expected")
    a = check_score(actual, name="actual")
    if bins < 2:
        raise ValueError(f"`bins` must be at least 2; got {bins}")
    edges = np.unique(np.quantile(e, np.linspace(0.0, 1.0, bins + 1))[1:-1])
    k = edges.size + 1
    ec = np.bincount(np.searchsorted(edges, e, side="left"), minlength=k)
    ac = np.bincount(np.searchsorted(edges, a, side="left"), minlength=k)
    res = psi_from_counts(ec, ac, epsilon=epsilon)
    return PsiResult(res.value, res.reading, res.table, tuple(float(x) for x in edges))


# ============================================================================ THE REPORT


@dataclass(frozen=True, slots=True)
class ValidationReport:
    """Everything :func:`validate_score` computed for one score against one outcome.

    Attributes
    ----------
    n, defaults
        Borrowers and defaults validated on.
    higher_is_riskier
        The stated direction.
    auc, auc_ci, gini, ks
        Discrimination (``gini`` = 2·AUC − 1 = accuracy ratio).
    roc, cap
        Curve points (one vertex per distinct score).
    bands
        :func:`band_default_rates` of the bands (quintiles of the score unless given).
    violations
        :func:`monotonicity_violations` of ``bands``.
    hosmer_lemeshow, brier
        Set when PDs per borrower were given (None otherwise, or HL None when the PDs
        form fewer than 3 groups).
    """

    n: int
    defaults: int
    higher_is_riskier: bool
    auc: float
    auc_ci: AucInterval
    gini: float
    ks: KsResult
    roc: pd.DataFrame
    cap: pd.DataFrame
    bands: pd.DataFrame
    violations: list[tuple[Hashable, Hashable, float, float]]
    hosmer_lemeshow: HosmerLemeshowResult | None = None
    brier: float | None = None

    def summary(self) -> dict[str, Any]:
        """JSON-friendly figures (no curves), as the CLI prints them."""
        return {
            "n": self.n, "defaults": self.defaults, "higher_is_riskier": self.higher_is_riskier,
            "auc": self.auc, "auc_ci": [self.auc_ci.low, self.auc_ci.high], "auc_ci_method": self.auc_ci.method,
            "auc_ci_level": self.auc_ci.level, "gini": self.gini, "ks": self.ks.statistic,
            "ks_threshold": self.ks.threshold,
            "bands": [
                {"band": str(b), "n": int(r["n"]), "defaults": int(r["defaults"]),
                 "default_rate": None if pd.isna(r["default_rate"]) else float(r["default_rate"])}
                for b, r in self.bands.iterrows()
            ],
            "monotonic": not self.violations,
            "violations": [{"safer": str(a), "riskier": str(b), "safer_rate": r1, "riskier_rate": r2}
                           for a, b, r1, r2 in self.violations],
            "hosmer_lemeshow": None if self.hosmer_lemeshow is None else {
                "statistic": self.hosmer_lemeshow.statistic, "dof": self.hosmer_lemeshow.dof,
                "p_value": self.hosmer_lemeshow.p_value},
            "brier": self.brier,
        }


def validate_score(score: Any, default: Any, *, higher_is_riskier: bool, band: Any = None,
                   band_order: Sequence[Hashable] | None = None, pd_values: Any = None,
                   pd_by_band: Mapping[Hashable, float] | None = None, ci: CiMethod = "delong",
                   level: float = 0.95, resamples: int = 1000, seed: int | None = 0) -> ValidationReport:
    """Validate one score against one 0/1 outcome: discrimination, bands, calibration.

    Parameters
    ----------
    score, default, higher_is_riskier
        As in :func:`auc`.
    band, band_order
        Rating band per borrower, safest first in ``band_order``; default: quintiles of
        the score (:func:`quantile_bands`, A = safest … E).
    pd_values
        PD per borrower: adds Hosmer–Lemeshow and the Brier score.
    pd_by_band
        PD per band: adds the binomial and Jeffreys tests to ``bands``.
    ci, level, resamples, seed
        AUC interval method (:func:`auc_ci`).
    """
    _, y = _risk(score, default, higher_is_riskier)
    interval = auc_ci(score, default, higher_is_riskier=higher_is_riskier, level=level, method=ci,
                      resamples=resamples, seed=seed)
    if band is None:
        band = quantile_bands(score, higher_is_riskier=higher_is_riskier)
        band_order = BANDS if band_order is None else band_order
    table = band_default_rates(band, y.astype(np.int64), order=band_order, pd_by_band=pd_by_band, level=level)
    hl: HosmerLemeshowResult | None = None
    brier: float | None = None
    if pd_values is not None:
        brier = brier_score(pd_values, y.astype(np.int64))
        try:
            hl = hosmer_lemeshow(pd_values, y.astype(np.int64))
        except ValueError as exc:
            if "at least 3" not in str(exc):
                raise
    return ValidationReport(
        n=int(y.size), defaults=int(y.sum()), higher_is_riskier=bool(higher_is_riskier), auc=interval.auc,
        auc_ci=interval, gini=2.0 * interval.auc - 1.0,
        ks=ks(score, default, higher_is_riskier=higher_is_riskier),
        roc=roc_curve(score, default, higher_is_riskier=higher_is_riskier),
        cap=cap_curve(score, default, higher_is_riskier=higher_is_riskier),
        bands=table, violations=monotonicity_violations(table), hosmer_lemeshow=hl, brier=brier,
    )


# ============================================================================ THE OUTCOME


def default_within(loans: pd.DataFrame, as_of: Any, months: int = 12) -> pd.Series:
    """Per borrower: became non-performing within ``months`` after ``as_of`` (1) or not (0).

    Population: borrowers with a live loan (balance > 0) at the ``as_of`` snapshot whose
    live loans are all performing then (final class 1–2, final class =
    :func:`riskcore.portfolio.final_class`, i.e. max(reported class, 2023 DPD floor)).
    Borrowers already NPL at ``as_of`` are left out: they cannot "become" NPL.

    Outcome: 1 if any live loan of the borrower has final class ≥ 3 at a snapshot in
    (as_of, as_of + months]; else 0, including borrowers who repaid and left the book.
    A loan written off between two snapshots without ever being reported NPL is missed:
    monthly snapshots keep that gap small.

    Returns
    -------
    Series
        Index ``borrower_id`` (str, sorted), int64 0/1, name ``"default_12m"`` (for
        months=12). ``attrs``: ``as_of``, ``window_end``, ``observed_until`` (last
        snapshot used; before ``window_end`` when the window is not fully observed, and
        the flags then undercount) and ``excluded_npl`` (borrowers NPL at as_of).

    Raises
    ------
    ValueError
        Missing columns, no snapshot at ``as_of``, or no snapshot after it within the window.
    """
    missing = [c for c in ("snapshot_date", "borrower_id", "balance", "five_class", "dpd") if c not in loans.columns]
    if missing:
        raise ValueError(f"the loan table lacks the columns {missing}")
    if int(months) < 1:
        raise ValueError(f"`months` must be at least 1; got {months}")
    when = pd.Timestamp(as_of)
    end = when + pd.DateOffset(months=int(months))
    dates = pd.to_datetime(loans["snapshot_date"])
    balance = pd.to_numeric(loans["balance"], errors="coerce").fillna(0.0)
    live = (balance > 0).to_numpy()
    fin = final_class(pd.to_numeric(loans["five_class"], errors="coerce"),
                      pd.to_numeric(loans["dpd"], errors="coerce").fillna(0.0)).to_numpy()
    frame = pd.DataFrame({"b": loans["borrower_id"].astype(str).to_numpy(), "npl": fin >= 3,
                          "d": dates.to_numpy()})
    at = (dates == when).to_numpy()
    if not at.any():
        raise ValueError(f"no snapshot dated {when.date()} in the loan table")
    later = ((dates > when) & (dates <= end)).to_numpy()
    if not later.any():
        raise ValueError(f"no snapshot in ({when.date()}, {end.date()}]: the outcome cannot be observed")
    start = frame.loc[at & live].groupby("b", sort=True)["npl"].any()
    population = start.index[~start.to_numpy()]
    went_bad = frame.loc[later & live & frame["npl"].to_numpy(), "b"].unique()
    out = pd.Series(np.isin(population.to_numpy(), went_bad).astype(np.int64),
                    index=pd.Index(population, name="borrower_id"), name=f"default_{int(months)}m")
    out.attrs.update(as_of=when, window_end=end, observed_until=pd.Timestamp(dates[later].max()),
                     excluded_npl=int(start.sum()))
    return out
