"""How much the risk ranking depends on the indicator weights (issue #6, item 3).

Three questions a credit committee asks of a weighted ranking:

* **Weight uncertainty** (:func:`weight_monte_carlo`, :func:`rank_sensitivity`): if the
  weights were somewhat different, which borrowers would still be among the riskiest N?
  Weights are drawn from a Dirichlet distribution around the chosen weights (or given,
  e.g. from :func:`ahp_judgment_monte_carlo`), each draw re-grades the book
  (grades = xi @ w, the coefficients do not depend on the weights) and we count, per
  borrower, how often it is among the riskiest N and where it ranks.
* **Judgment uncertainty** (:func:`ahp_judgment_monte_carlo`): if each AHP pairwise
  judgment were off by a random factor, how would the global weights move?
* **One weight at a time** (:func:`tornado`): which indicator's weight matters most?

Speed (the bar: 1,000 draws on a 100,000 x 20 book in under 1 s on 2 cores,
``benchmarks/bench_sensitivity.py``). A full sort per draw (100,000 log 100,000, ~8 ms)
would take ~8 s, and even ``np.argpartition`` over every borrower costs ~1.3 ms a draw
(plus an 800 MB grade matrix, or blocks of it). What we need per draw is only the
riskiest ``rank_depth`` borrowers (R, default max(5 N, 100)). So:

1. a threshold per draw, ``tau_d`` = the R-th lowest grade among the K = 4 R borrowers
   riskiest at the base weights (a K x draws product, cheap). As these K borrowers are a
   subset of the book, the book has at least R grades <= tau_d, and when the draws stay
   near the base weights hardly more (~R + a few);
2. one streaming pass over the book computes each borrower's grade in every draw and
   keeps only the (draw, borrower, grade) triples with grade <= tau_d. On big books this
   pass is a two-thread numba kernel (no draws x borrowers matrix is ever stored; ~20
   multiply-adds and a compare per borrower and draw, vectorised over draws); on small
   books (or without numba) the same arithmetic runs in numpy on blocks of 64 draws;
3. the kept triples are sorted per draw: every kept borrower's rank is exact (all
   borrowers with a lower grade have grade < tau_d, so they are kept too).

Ranks are therefore exact down to at least R in every draw; a borrower ranked deeper in
some draw is "beyond the depth" there. Rank intervals are reported for the borrowers
that matter (the base top N and every borrower that enters the top N in some draw);
a quantile that falls beyond the depth is NaN. If a draw keeps far more than expected
(weights far from the base ranking), its threshold is replaced by the exact R-th lowest
grade (``np.partition`` over the book for that draw only), so memory stays bounded by
about ``draws x 8 R`` triples.

Grades here are summed indicator by indicator (``g = sum_j xi_ij w_j`` in column order)
in every code path, so the kernel, the numpy path and the base ranking agree to the last
bit: with all draws equal to the base weights the base top N has probability exactly 1.

Ties: ranks are "min" ranks as in :meth:`riskcore.grey.GreyResult.risk_rank` (rank 1 =
riskiest = lowest grade; tied borrowers share the lowest rank), and "among the riskiest
N" means rank <= N, so a tie straddling place N puts all tied borrowers in the top N
(the top N may then hold more than N borrowers; it never holds fewer).

The rank-stability summary uses Spearman's rho between the base grades and each draw's
grades over a fixed random sample of ``spearman_sample`` borrowers (all of them on books
no bigger than that): the full-book Spearman needs a full sort per draw. For rho near 1
the sampling error is about (1 - rho^2) / sqrt(sample), e.g. < 0.003 for rho = 0.95 and
1,000 borrowers.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Hashable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

from riskcore._inputs import FloatArray, as_weight_vector
from riskcore.grey import GreyResult
from riskcore.weights.ahp import AHPBatchResult, AHPResult, ahp_hierarchy, ahp_weights, random_index

__all__ = [
    "WeightSensitivity",
    "AHPJudgmentSensitivity",
    "dirichlet_weight_draws",
    "weight_monte_carlo",
    "rank_sensitivity",
    "perturb_judgments",
    "ahp_judgment_monte_carlo",
    "tornado",
    "dirichlet_sd",
]

IntArray = npt.NDArray[np.int64]

#: Borrowers x draws from which the numba kernel is used (below it numpy is quicker
#: than numba's start-up).
KERNEL_MIN_WORK: Final[int] = 20_000_000
#: Draws per numpy block: 64 x 100,000 float64 grades = 51 MB at a time.
_BLOCK_DRAWS: Final[int] = 64
#: A draw keeping more than this many times ``rank_depth`` borrowers gets an exact threshold.
_EXCESS: Final[int] = 8


def dirichlet_sd(weights: Any, concentration: float) -> pd.Series:
    r"""Standard deviation of each weight under :func:`dirichlet_weight_draws`.

    With :math:`\alpha = c\,w` and :math:`\sum w = 1`, each weight is Beta distributed
    with mean :math:`w_j` and standard deviation :math:`\sqrt{w_j (1 - w_j) / (c + 1)}`:
    c = 200 moves a weight of 0.05 by about ±0.015 (one sd), c = 2,000 by ±0.005.
    Use it to translate "weights are uncertain by about x" into a concentration.
    """
    w = _weight_series(weights)
    c = float(concentration)
    if np.isinf(c):
        return pd.Series(0.0, index=w.index, name="sd")
    return pd.Series(np.sqrt(w.to_numpy() * (1.0 - w.to_numpy()) / (c + 1.0)), index=w.index, name="sd")


def _weight_series(weights: Any, columns: pd.Index | None = None) -> pd.Series:
    if columns is None:
        if isinstance(weights, pd.Series):
            columns = weights.index
        else:
            columns = pd.RangeIndex(len(np.atleast_1d(np.asarray(weights))))
    return pd.Series(as_weight_vector(weights, columns), index=columns, name="weight")


def dirichlet_weight_draws(
    weights: Any, *, draws: int = 1000, concentration: float = 200.0, seed: int | np.random.Generator | None = 0
) -> pd.DataFrame:
    r"""Random weight vectors around ``weights``: Dirichlet(``concentration`` x w).

    Parameters
    ----------
    weights : Series or sequence
        The chosen weights (non-negative, summing to 1).
    draws : int
        Number of weight vectors.
    concentration : float
        c > 0; the larger, the closer the draws stay to ``weights``: each weight has mean
        :math:`w_j` and standard deviation :math:`\sqrt{w_j (1 - w_j) / (c + 1)}` (see
        :func:`dirichlet_sd`). ``np.inf`` gives ``draws`` exact copies of ``weights``.
    seed : int, Generator or None

    Returns
    -------
    DataFrame
        draws x indicators, each row summing to 1 (index ``draw`` 0..draws-1).

    Notes
    -----
    A weight of 0 stays 0 in every draw: a Dirichlet parameter must be positive, and an
    indicator the analyst switched off should not come back through the noise. The
    draws are taken over the positive weights only.
    """
    w = _weight_series(weights)
    draws = _check_draws(draws)
    c = float(concentration)
    if not c > 0:
        raise ValueError(f"`concentration` must be positive; got {concentration!r}")
    out = np.zeros((draws, len(w)))
    positive = w.to_numpy() > 0
    if np.isinf(c) or positive.sum() == 1:
        out[:] = w.to_numpy()
    else:
        rng = np.random.default_rng(seed)
        sample = rng.dirichlet(c * w.to_numpy()[positive], size=draws)
        out[:, positive] = sample / sample.sum(axis=1, keepdims=True)
    return pd.DataFrame(out, index=pd.RangeIndex(draws, name="draw"), columns=w.index)


def _check_draws(draws: int) -> int:
    d = int(draws)
    if d < 1:
        raise ValueError(f"`draws` must be at least 1; got {draws!r}")
    return d


# ============================================================================ ranking


@dataclass(frozen=True, slots=True)
class WeightSensitivity:
    """How the riskiest-N set and the ranks move when the weights are redrawn.

    Attributes
    ----------
    top_probability : Series
        Every borrower (book order): share of draws in which its rank is <= ``top_n``
        (rank 1 = riskiest, "min" ranks: see the module notes on ties).
    table : DataFrame
        The borrowers that matter: the base top N and every borrower that enters the top
        N in some draw. Columns ``grade`` and ``base_rank`` (at the base weights),
        ``top_probability``, ``rank_q05``, ``rank_median``, ``rank_q95`` (quantiles of
        its rank over the draws, lower/"inverted CDF" quantiles so they are ranks that
        occurred; NaN where the quantile lies beyond ``rank_depth``). Sorted by
        ``top_probability`` descending, then ``base_rank``.
    spearman : Series
        Per draw, Spearman's rho between the base grades and the draw's grades (over
        ``spearman_sample`` borrowers; NaN if either is constant there).
    mean_spearman : float
        Mean of ``spearman`` (NaN draws left out).
    top_retention : float
        Average share of the base top N still in the top N of a draw.
    weight_draws : DataFrame
        The weights used, draws x indicators.
    base_weights : Series
    top_n, rank_depth, spearman_sample : int
        N; the depth to which every draw's ranks are exact; borrowers in the Spearman sample.
    concentration : float or None
        The Dirichlet concentration, None for given draws.
    """

    top_probability: pd.Series
    table: pd.DataFrame
    spearman: pd.Series
    mean_spearman: float
    top_retention: float
    weight_draws: pd.DataFrame
    base_weights: pd.Series
    top_n: int
    rank_depth: int
    spearman_sample: int
    concentration: float | None = None

    @property
    def draws(self) -> int:
        """Number of weight draws."""
        return len(self.weight_draws)


def _grades(xi: FloatArray, wt: FloatArray) -> FloatArray:
    """Grades of each row of ``xi`` (n x m) for each column of ``wt`` (m x d), n x d.

    Summed indicator by indicator, the order of the numba kernel, so both agree to the
    last bit (BLAS would sum in another order).
    """
    g = np.zeros((xi.shape[0], wt.shape[1]))
    for j in range(xi.shape[1]):
        g += xi[:, j:j + 1] * wt[j]
    return g


@lru_cache(maxsize=1)
def _kernel() -> Callable[..., int] | None:
    """The numba kernel of step 2, compiled on first use (None without numba)."""
    try:
        import numba
    except ImportError:  # pragma: no cover - numba is pinned in requirements.txt
        return None

    @numba.njit(nogil=True, cache=True, boundscheck=False, error_model="numpy")
    def below(xi: Any, wt: Any, tau: Any, lo: int, hi: int,
              out_draw: Any, out_row: Any, out_grade: Any, counts: Any) -> int:  # pragma: no cover
        m = xi.shape[1]
        d = wt.shape[1]
        g = np.empty(d)
        cap = out_row.shape[0]
        k = 0
        for i in range(lo, hi):
            for t in range(d):
                g[t] = 0.0
            for j in range(m):
                a = xi[i, j]
                for t in range(d):
                    g[t] += a * wt[j, t]
            slack = np.inf
            for t in range(d):  # vectorised: is the borrower below any threshold?
                slack = min(slack, g[t] - tau[t])
            if slack <= 0.0:
                for t in range(d):
                    if g[t] <= tau[t]:
                        if k < cap:
                            out_draw[k] = t
                            out_row[k] = i
                            out_grade[k] = g[t]
                        k += 1
                        counts[t] += 1
        return k

    return below


@lru_cache(maxsize=1)
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1)), thread_name_prefix="riskcore-sens")


def _below_kernel(xi: FloatArray, wt: FloatArray, tau: FloatArray,
                  capacity: int) -> tuple[IntArray, IntArray, FloatArray, IntArray] | IntArray:
    """(draw, row, grade) of every grade <= tau[draw], or the per-draw counts on overflow."""
    kernel = _kernel()
    assert kernel is not None
    n, d = xi.shape[0], wt.shape[1]
    workers = _pool()._max_workers  # noqa: SLF001 - the pool is ours
    step = max(1, -(-n // workers))
    blocks = [(lo, min(n, lo + step)) for lo in range(0, n, step)]
    bufs = [(np.empty(capacity, np.int64), np.empty(capacity, np.int64), np.empty(capacity), np.zeros(d, np.int64))
            for _ in blocks]

    def run(b: int) -> int:
        lo, hi = blocks[b]
        return int(kernel(xi, wt, tau, lo, hi, *bufs[b]))

    found = list(_pool().map(run, range(len(blocks))))
    counts: IntArray = np.sum([buf[3] for buf in bufs], axis=0).astype(np.int64)
    if max(found) > capacity:
        return counts
    draw = np.concatenate([buf[0][:k] for buf, k in zip(bufs, found)])
    row = np.concatenate([buf[1][:k] for buf, k in zip(bufs, found)])
    grade = np.concatenate([buf[2][:k] for buf, k in zip(bufs, found)])
    return draw, row, grade, counts


def _below_numpy(xi: FloatArray, wt: FloatArray, tau: FloatArray) -> tuple[IntArray, IntArray, FloatArray, IntArray]:
    """The same triples as :func:`_below_kernel`, in numpy, 64 draws at a time."""
    parts: list[tuple[IntArray, IntArray, FloatArray]] = []
    for lo in range(0, wt.shape[1], _BLOCK_DRAWS):
        hi = min(wt.shape[1], lo + _BLOCK_DRAWS)
        g = _grades(xi, wt[:, lo:hi])  # n x b
        rows, cols = np.nonzero(g <= tau[lo:hi])
        parts.append((cols.astype(np.int64) + lo, rows.astype(np.int64), g[rows, cols]))
    draw = np.concatenate([p[0] for p in parts])
    counts = np.bincount(draw, minlength=wt.shape[1]).astype(np.int64)
    return draw, np.concatenate([p[1] for p in parts]), np.concatenate([p[2] for p in parts]), counts


def _exact_thresholds(xi: FloatArray, wt: FloatArray, depth: int) -> FloatArray:
    """The depth-th lowest grade of each draw over the whole book (np.partition per block)."""
    out = np.empty(wt.shape[1])
    for lo in range(0, wt.shape[1], _BLOCK_DRAWS):
        hi = min(wt.shape[1], lo + _BLOCK_DRAWS)
        out[lo:hi] = np.partition(_grades(xi, wt[:, lo:hi]), depth - 1, axis=0)[depth - 1]
    return out


def _kept_triples(xi: FloatArray, wt: FloatArray, base: FloatArray, depth: int,
                  use_kernel: bool | None) -> tuple[IntArray, IntArray, FloatArray]:
    """Steps 1 and 2 of the module notes: every (draw, row, grade) with grade <= tau_draw."""
    n, d = xi.shape[0], wt.shape[1]
    k = min(n, 4 * depth)
    proxy = np.argpartition(base, k - 1)[:k] if k < n else np.arange(n)
    tau = np.partition(_grades(xi[proxy], wt), depth - 1, axis=0)[depth - 1]
    if use_kernel is None:
        use_kernel = n * d >= KERNEL_MIN_WORK and _kernel() is not None
    budget = _EXCESS * depth * d + 1024
    for _ in range(2):
        if use_kernel:
            got = _below_kernel(xi, wt, tau, budget)
        else:
            got = _below_numpy(xi, wt, tau)
        if isinstance(got, tuple) and got[0].size <= budget:
            return got[0], got[1], got[2]
        counts = got[3] if isinstance(got, tuple) else got
        heavy = np.nonzero(counts > _EXCESS * depth)[0]
        tau[heavy] = _exact_thresholds(xi, wt[:, heavy], depth)
        budget = max(budget, int(np.minimum(counts, _EXCESS * depth).sum()) + 1024)
    # Only ties at the exact threshold can still exceed the budget: keep them all.
    got = _below_numpy(xi, wt, tau)
    return got[0], got[1], got[2]


def _min_ranks(draw: IntArray, grade: FloatArray) -> tuple[IntArray, IntArray]:
    """Sort the triples by (draw, grade); the "min" rank of each within its draw.

    Two stable argsorts (grade, then the integer draw: a radix sort) instead of a
    lexsort, which is several times slower on 250,000 triples.
    """
    by_grade = np.argsort(grade, kind="stable")
    order = by_grade[np.argsort(draw[by_grade], kind="stable")]
    d, g = draw[order], grade[order]
    pos = np.arange(len(order))
    start = np.ones(len(order), dtype=bool)
    start[1:] = d[1:] != d[:-1]
    run = start.copy()
    run[1:] |= g[1:] != g[:-1]
    draw_start = np.maximum.accumulate(np.where(start, pos, 0))
    run_start = np.maximum.accumulate(np.where(run, pos, 0))
    return order, (run_start - draw_start + 1).astype(np.int64)


def _check_grey(grey: GreyResult) -> FloatArray:
    xi = np.ascontiguousarray(grey.coefficients.to_numpy(dtype=np.float64))
    if xi.shape[0] < 1:
        raise ValueError("the book has no borrowers")
    return xi


def _as_draw_matrix(weight_draws: Any, columns: pd.Index) -> pd.DataFrame:
    if isinstance(weight_draws, pd.DataFrame):
        missing = [c for c in columns if c not in weight_draws.columns]
        extra = [c for c in weight_draws.columns if c not in set(columns)]
        if missing or extra:
            raise ValueError(f"`weight_draws` columns must be the indicators; missing {missing}, unknown {extra}")
        frame = weight_draws.reindex(columns=columns).astype(np.float64)
    else:
        arr = np.asarray(weight_draws, dtype=np.float64)
        if arr.ndim != 2 or arr.shape[1] != len(columns):
            raise ValueError(f"`weight_draws` must be draws x {len(columns)} indicators; got shape {arr.shape}")
        frame = pd.DataFrame(arr, columns=columns)
    w = frame.to_numpy()
    if w.shape[0] < 1:
        raise ValueError("`weight_draws` has no draws")
    if not np.isfinite(w).all() or (w < 0).any():
        raise ValueError("`weight_draws` must be finite and non-negative")
    sums = w.sum(axis=1)
    if (np.abs(sums - 1.0) > 1e-6).any():
        bad = int(np.argmax(np.abs(sums - 1.0) > 1e-6))
        raise ValueError(f"each draw of `weight_draws` must sum to 1; draw {bad} sums to {sums[bad]:.6g}")
    return frame


def rank_sensitivity(
    grey: GreyResult,
    weight_draws: Any,
    *,
    top_n: int = 50,
    base_weights: Any = None,
    rank_depth: int | None = None,
    spearman_sample: int = 1000,
    seed: int | np.random.Generator | None = 0,
    use_kernel: bool | None = None,
) -> WeightSensitivity:
    """Top-N membership probabilities and rank intervals over given weight draws.

    Parameters
    ----------
    grey : GreyResult
        The graded book; only its coefficients xi are used (they do not depend on the weights).
    weight_draws : DataFrame (draws x indicators) or 2-D array
        One weight vector per row, each non-negative and summing to 1 (e.g.
        :func:`dirichlet_weight_draws` or ``ahp_judgment_monte_carlo(...).weight_draws``).
    top_n : int, default 50
        N of "the riskiest N"; clipped to the number of borrowers.
    base_weights : Series, sequence or None
        The reference ranking's weights (default ``grey.weights``).
    rank_depth : int or None
        R, the depth to which ranks are kept exactly (default max(5 N, 100), clipped to
        the book size). Larger R gives rank intervals for borrowers that move further,
        at little cost while R << n.
    spearman_sample : int, default 1000
        Borrowers (a fixed random sample) over which the per-draw Spearman is computed.
    seed : int, Generator or None
        For the Spearman sample only.
    use_kernel : bool or None
        Force the numba kernel (True) or numpy (False); None chooses by size.

    Returns
    -------
    WeightSensitivity

    Raises
    ------
    ValueError
        Draws of the wrong shape or indicators, negative, non-finite or not summing to
        1; ``top_n`` < 1.

    Notes
    -----
    See the module docstring for the algorithm, the tie rule and why ranks are exact
    to depth R but not beyond.
    """
    xi = _check_grey(grey)
    n = xi.shape[0]
    columns = grey.coefficients.columns
    frame = _as_draw_matrix(weight_draws, columns)
    bw = as_weight_vector(grey.weights if base_weights is None else base_weights, columns, name="base_weights")
    if int(top_n) < 1:
        raise ValueError(f"`top_n` must be at least 1; got {top_n!r}")
    top = min(int(top_n), n)
    depth = min(n, max(top, int(rank_depth) if rank_depth is not None else max(5 * top, 100)))
    wt = np.ascontiguousarray(frame.to_numpy().T)  # m x draws
    d = wt.shape[1]
    base = _grades(xi, bw[:, None])[:, 0]
    base_rank = stats.rankdata(base, method="min").astype(np.int64)

    draw, row, grade = _kept_triples(xi, wt, base, depth, use_kernel)
    order, ranks = _min_ranks(draw, grade)
    draw, row = draw[order], row[order]
    in_top = ranks <= top
    hits = np.bincount(row[in_top], minlength=n)
    prob = hits / d
    index = grey.coefficients.index
    top_probability = pd.Series(prob, index=index, name="top_probability")

    base_top = base_rank <= top
    retention = float(prob[base_top].mean())
    who = np.nonzero(base_top | (hits > 0))[0]
    slot = np.full(n, -1, dtype=np.int64)
    slot[who] = np.arange(len(who))
    rank_matrix = np.full((len(who), d), np.inf)
    # Ranks beyond R are known in some draws only (the kept set varies): drop them all,
    # so that a quantile <= R is exact and one beyond R is NaN, never biased.
    mine = (slot[row] >= 0) & (ranks <= depth)
    rank_matrix[slot[row[mine]], draw[mine]] = ranks[mine]
    q = np.quantile(rank_matrix, [0.05, 0.5, 0.95], axis=1, method="inverted_cdf")
    q[~np.isfinite(q)] = np.nan
    table = pd.DataFrame(
        {"grade": base[who], "base_rank": base_rank[who], "top_probability": prob[who],
         "rank_q05": q[0], "rank_median": q[1], "rank_q95": q[2]},
        index=index[who],
    )
    table = table.iloc[np.lexsort((table["base_rank"].to_numpy(), -table["top_probability"].to_numpy()))]

    rho = _sample_spearman(xi, wt, base, spearman_sample, seed)
    finite = rho[np.isfinite(rho)]
    return WeightSensitivity(
        top_probability=top_probability,
        table=table,
        spearman=pd.Series(rho, index=frame.index, name="spearman"),
        mean_spearman=float(finite.mean()) if finite.size else float("nan"),
        top_retention=retention,
        weight_draws=frame,
        base_weights=pd.Series(bw, index=columns, name="weight"),
        top_n=top,
        rank_depth=depth,
        spearman_sample=min(n, int(spearman_sample)),
    )


def _ranks_by_row(g: FloatArray) -> FloatArray:
    """Average ranks along each row (one argsort per row; rankdata only if a row has ties)."""
    order = np.argsort(g, axis=1)
    ranks = np.empty_like(g)
    np.put_along_axis(ranks, order, np.arange(1.0, g.shape[1] + 1.0)[None, :].repeat(g.shape[0], 0), axis=1)
    ordered = np.take_along_axis(g, order, axis=1)
    tied = (ordered[:, 1:] == ordered[:, :-1]).any(axis=1)
    if tied.any():
        ranks[tied] = stats.rankdata(g[tied], axis=1)
    return ranks


def _sample_spearman(xi: FloatArray, wt: FloatArray, base: FloatArray, sample: int,
                     seed: int | np.random.Generator | None) -> FloatArray:
    """Spearman's rho of base vs. each draw over a fixed random sample of borrowers."""
    n = xi.shape[0]
    k = max(1, min(n, int(sample)))
    pick = np.arange(n) if k == n else np.sort(np.random.default_rng(seed).choice(n, k, replace=False))
    g = np.ascontiguousarray(_grades(xi[pick], wt).T)  # draws x k
    rb = stats.rankdata(base[pick])
    rg = _ranks_by_row(g)
    rb_c = rb - rb.mean()
    rg_c = rg - rg.mean(axis=1, keepdims=True)
    den = np.sqrt((rb_c ** 2).sum() * (rg_c ** 2).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        rho: FloatArray = np.where(den > 0, (rg_c @ rb_c) / np.where(den > 0, den, 1.0), np.nan)
    return rho


def weight_monte_carlo(
    grey: GreyResult,
    weights: Any,
    *,
    draws: int = 1000,
    concentration: float = 200.0,
    top_n: int = 50,
    seed: int = 0,
    rank_depth: int | None = None,
    spearman_sample: int = 1000,
    use_kernel: bool | None = None,
) -> WeightSensitivity:
    """Dirichlet weight draws around ``weights`` and the ranking's response to them.

    Parameters
    ----------
    grey : GreyResult
    weights : Series or sequence
        The chosen weights (keyed by indicator), summing to 1; they are also the base ranking.
    draws : int, default 1000
    concentration : float, default 200
        Dirichlet concentration c (alpha = c w): per-weight sd ≈ sqrt(w (1 - w) / (c + 1)),
        see :func:`dirichlet_sd`; ``np.inf`` repeats the base weights. Weights of 0 stay 0.
    top_n : int, default 50
    seed : int
        Seeds the draws (and the Spearman sample): the same seed gives the same result.
    rank_depth, spearman_sample, use_kernel
        As in :func:`rank_sensitivity`.

    Returns
    -------
    WeightSensitivity
        ``concentration`` set; ``weight_draws`` holds the draws.
    """
    w = _weight_series(weights, grey.coefficients.columns)
    frame = dirichlet_weight_draws(w, draws=draws, concentration=concentration, seed=seed)
    result = rank_sensitivity(grey, frame, top_n=top_n, base_weights=w, rank_depth=rank_depth,
                              spearman_sample=spearman_sample, seed=seed, use_kernel=use_kernel)
    return WeightSensitivity(
        top_probability=result.top_probability, table=result.table, spearman=result.spearman,
        mean_spearman=result.mean_spearman, top_retention=result.top_retention,
        weight_draws=result.weight_draws, base_weights=result.base_weights, top_n=result.top_n,
        rank_depth=result.rank_depth, spearman_sample=result.spearman_sample,
        concentration=float(concentration),
    )


# ============================================================================ AHP judgments


@dataclass(frozen=True, slots=True)
class AHPJudgmentSensitivity:
    """Distribution of the AHP global weights when every pairwise judgment is perturbed.

    Attributes
    ----------
    weight_draws : DataFrame
        draws x indicators (global weights, rows sum to 1); feed to :func:`rank_sensitivity`.
    summary : DataFrame
        Per indicator: ``base`` (the unperturbed weight), ``mean``, ``sd``, ``q05``,
        ``median``, ``q95``.
    total_cr : Series
        Per draw, the hierarchy's consistency ratio (Saaty's total CR, as in
        :func:`riskcore.weights.ahp.ahp_hierarchy`; the matrix's CR for a single matrix).
    consistent_share : float
        Share of draws in which every matrix and the total have CR <= 0.10.
    spread : float
        Standard deviation of the log-judgment noise.
    """

    weight_draws: pd.DataFrame
    summary: pd.DataFrame
    total_cr: pd.Series
    consistent_share: float
    spread: float


def perturb_judgments(
    matrix: Any, *, draws: int = 1000, spread: float = 0.1,
    seed: int | np.random.Generator | None = 0, keep: Any = None,
) -> FloatArray:
    """Stack of ``draws`` copies of a complete reciprocal matrix with noisy judgments.

    Each judgment above the diagonal becomes a_ij exp(e), e ~ N(0, spread^2) (so
    log a_ij + e, noise of the same relative size for 2 as for 1/2 or 9); below the
    diagonal a_ji = 1 / a_ij, so every draw stays reciprocal with a unit diagonal.
    ``keep`` (bool n x n, optional) marks pairs left unperturbed (e.g. completed
    missing judgments). With ``spread == 0`` every draw equals the matrix exactly.

    Returns
    -------
    ndarray, draws x n x n
    """
    a = np.asarray(matrix.to_numpy(dtype=np.float64) if isinstance(matrix, pd.DataFrame) else matrix,
                   dtype=np.float64)
    if a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise ValueError(f"`matrix` must be square; got shape {a.shape}")
    if not np.isfinite(a).all() or (a <= 0).any():
        raise ValueError("`matrix` must be complete with positive judgments")
    s = float(spread)
    if not (np.isfinite(s) and s >= 0):
        raise ValueError(f"`spread` must be a non-negative number; got {spread!r}")
    draws = _check_draws(draws)
    n = a.shape[0]
    upper = np.triu(np.ones((n, n), dtype=bool), 1)
    if keep is not None:
        upper &= ~np.asarray(keep, dtype=bool)
    rng = np.random.default_rng(seed)
    noise = np.ones((draws, n, n))
    iu = np.nonzero(upper)
    if s > 0 and iu[0].size:
        noise[:, iu[0], iu[1]] = np.exp(rng.normal(0.0, s, size=(draws, iu[0].size)))
    stack = a[None] * noise  # multiplying by exactly 1 leaves a judgment unchanged
    iu_all = np.nonzero(np.triu(np.ones((n, n), dtype=bool), 1))
    stack[:, iu_all[1], iu_all[0]] = 1.0 / stack[:, iu_all[0], iu_all[1]]
    stack[:, np.arange(n), np.arange(n)] = 1.0
    return stack


def _perturbed_weights(res: AHPResult, draws: int, spread: float, rng: np.random.Generator,
                       method: str, ri_table: str) -> tuple[FloatArray, FloatArray, FloatArray, float]:
    """(weights draws x n, CI, CR per draw, RI) for perturbed copies of one matrix."""
    n = res.n
    if n == 1:
        z = np.zeros(draws)
        return np.ones((draws, 1)), z, z, random_index(1, ri_table)
    labels = res.matrix.index
    keep = np.zeros((n, n), dtype=bool)
    for i, j in res.filled:  # completed pairs derive from the judgments: not judged, not perturbed
        a, b = labels.get_loc(i), labels.get_loc(j)
        keep[a, b] = keep[b, a] = True
    stack = perturb_judgments(res.matrix, draws=draws, spread=spread, seed=rng, keep=keep)
    batch = ahp_weights(stack, method=method, ri_table=ri_table)  # type: ignore[arg-type]
    assert isinstance(batch, AHPBatchResult)
    return batch.weights, batch.ci, batch.cr, batch.ri


def ahp_judgment_monte_carlo(
    criteria: Any,
    children: Mapping[Hashable, Any] | None = None,
    *,
    draws: int = 1000,
    spread: float = 0.1,
    seed: int = 0,
    method: str = "eigen",
    ri_table: str = "saaty1980",
) -> AHPJudgmentSensitivity:
    """Monte Carlo over AHP judgments: the spread of the global weights.

    Parameters
    ----------
    criteria : DataFrame or array
        The criteria pairwise matrix, or the only matrix when ``children`` is None
        (then the "global" weights are that matrix's weights).
    children : mapping criterion -> pairwise matrix, optional
        As in :func:`riskcore.weights.ahp.ahp_hierarchy`.
    draws : int, default 1000
    spread : float, default 0.1
        Standard deviation of the noise on log a_ij: 0.1 is about ±10 % per judgment,
        0.35 about "one step" on the 1-9 scale around 3. 0 reproduces the base weights.
    seed : int
    method, ri_table
        As in :func:`riskcore.weights.ahp.ahp_weights`.

    Returns
    -------
    AHPJudgmentSensitivity

    Notes
    -----
    Each matrix is first validated and completed as :func:`ahp_hierarchy` does; the
    original judgments (above the diagonal) are perturbed independently in every draw,
    reciprocity kept (:func:`perturb_judgments`); pairs that were missing keep their
    completed value (re-completing 1,000 times would cost seconds and they carry no
    judgment of their own). The weights of every draw come from one batched eigen
    computation per matrix, and global weight = criterion weight x local weight.
    """
    draws = _check_draws(draws)
    rng = np.random.default_rng(seed)
    if children is None:
        single = ahp_weights(criteria, method=method, ri_table=ri_table)  # type: ignore[arg-type]
        if not isinstance(single, AHPResult):
            raise ValueError("`criteria` must be one n x n matrix, not a stack")
        w, _, cr, _ = _perturbed_weights(single, draws, spread, rng, method, ri_table)
        base = single.weights.rename("weight")
        frame = pd.DataFrame(w, index=pd.RangeIndex(draws, name="draw"), columns=base.index)
        total_cr, ok = cr, cr <= 0.10
    else:
        hier = ahp_hierarchy(criteria, children, method=method, ri_table=ri_table)  # type: ignore[arg-type]
        cw, ci0, cr0, ri0 = _perturbed_weights(hier.criteria, draws, spread, rng, method, ri_table)
        ok = cr0 <= 0.10
        num, den = ci0.copy(), np.full(draws, ri0)
        cols: list[FloatArray] = []
        for c, crit in enumerate(hier.criteria.weights.index):
            if crit not in hier.children:
                cols.append(cw[:, c:c + 1])
                continue
            lw, ci, cr, ri = _perturbed_weights(hier.children[crit], draws, spread, rng, method, ri_table)
            cols.append(cw[:, c:c + 1] * lw)
            num += cw[:, c] * ci
            den += cw[:, c] * ri
            ok &= cr <= 0.10
        base = hier.global_weights.rename("weight")
        frame = pd.DataFrame(np.hstack(cols), index=pd.RangeIndex(draws, name="draw"), columns=base.index)
        with np.errstate(invalid="ignore", divide="ignore"):
            total_cr = np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)
        ok &= total_cr <= 0.10
    values = frame.to_numpy()
    q = np.quantile(values, [0.05, 0.5, 0.95], axis=0)
    summary = pd.DataFrame({"base": base.to_numpy(), "mean": values.mean(axis=0), "sd": values.std(axis=0, ddof=1)
                            if draws > 1 else np.zeros(values.shape[1]),
                            "q05": q[0], "median": q[1], "q95": q[2]}, index=base.index)
    return AHPJudgmentSensitivity(
        weight_draws=frame, summary=summary,
        total_cr=pd.Series(total_cr, index=frame.index, name="total_cr"),
        consistent_share=float(np.mean(ok)), spread=float(spread),
    )


# ============================================================================ tornado


def _shifted(w: FloatArray, j: int, factor: float) -> FloatArray:
    """w with w_j scaled by ``factor`` (capped at 1) and the others rescaled to keep sum 1."""
    new = w.copy()
    target = min(1.0, w[j] * factor)
    rest = 1.0 - w[j]
    if w[j] == 0.0 or rest <= 0.0:
        return new  # nothing to scale (weight 0), or nothing to take from (the only weight)
    new *= (1.0 - target) / rest
    new[j] = target
    return new


def tornado(grey: GreyResult, weights: Any, *, change: float = 0.10, top_n: int = 50) -> pd.DataFrame:
    """One weight at a time: raise and lower each indicator's weight by ``change``.

    Parameters
    ----------
    grey : GreyResult
    weights : Series or sequence
        Base weights, summing to 1.
    change : float, default 0.10
        Relative change: w_j -> w_j (1 ± change) (capped at 1); the other weights are
        rescaled proportionally so the sum stays 1. A weight of 0 stays 0 (a relative
        change of nothing), so such an indicator shows no effect.
    top_n : int, default 50

    Returns
    -------
    DataFrame
        One row per indicator, the most influential first: ``weight``, ``weight_down``,
        ``weight_up``, and for each of ``_down`` / ``_up``: ``spearman`` (with the base
        ranking, over the whole book, average ranks for ties; NaN if a ranking is
        constant), ``entered`` / ``left`` (borrowers joining / dropping out of the top N,
        "min" ranks), ``max_move`` (largest |rank change|); then ``impact`` =
        1 - min(spearman_down, spearman_up), the sort key (ties by the larger top-N
        turnover, then indicator order).

    Notes
    -----
    Exact (a full ranking per scenario, 2 m of them): about 4 m sorts of the book, ~2 s
    for 100,000 x 20 on the 2-core machine (``benchmarks/bench_sensitivity.py``); it is
    meant to be run once per weight set, not per slider move.
    """
    xi = _check_grey(grey)
    columns = grey.coefficients.columns
    w = as_weight_vector(weights, columns)
    c = float(change)
    if not (np.isfinite(c) and 0 <= c < 1):
        raise ValueError(f"`change` must be in [0, 1); got {change!r}")
    if int(top_n) < 1:
        raise ValueError(f"`top_n` must be at least 1; got {top_n!r}")
    n, m = xi.shape
    top = min(int(top_n), n)
    scen = np.array([_shifted(w, j, f) for j in range(m) for f in (1.0 - c, 1.0 + c)])  # 2m x m
    base = _grades(xi, w[:, None])[:, 0]
    grades = _grades(xi, np.ascontiguousarray(scen.T))  # n x 2m
    base_avg = stats.rankdata(base)
    base_min = stats.rankdata(base, method="min")
    in_base = base_min <= top
    rows = []
    for s in range(2 * m):
        g = grades[:, s]
        avg = stats.rankdata(g)
        mins = stats.rankdata(g, method="min")
        if np.ptp(base) > 0 and np.ptp(g) > 0:
            rho = float(np.corrcoef(base_avg, avg)[0, 1])
        else:
            rho = float("nan")
        in_new = mins <= top
        rows.append((rho, int((in_new & ~in_base).sum()), int((in_base & ~in_new).sum()),
                     int(np.abs(base_min - mins).max())))
    out = pd.DataFrame(index=pd.Index(columns, name="indicator"))
    out["weight"] = w
    out["weight_down"] = scen[0::2, :][np.arange(m), np.arange(m)]
    out["weight_up"] = scen[1::2, :][np.arange(m), np.arange(m)]
    for k, side in ((0, "down"), (1, "up")):
        part = rows[k::2]
        out[f"spearman_{side}"] = [r[0] for r in part]
        out[f"entered_{side}"] = [r[1] for r in part]
        out[f"left_{side}"] = [r[2] for r in part]
        out[f"max_move_{side}"] = [r[3] for r in part]
    lowest = np.fmin(out["spearman_down"].to_numpy(), out["spearman_up"].to_numpy())
    out["impact"] = 1.0 - lowest
    turnover = np.maximum(out["entered_down"].to_numpy(), out["entered_up"].to_numpy())
    impact = np.nan_to_num(out["impact"].to_numpy(), nan=-1.0)
    order = np.lexsort((np.arange(m), -turnover, -impact))
    return out.iloc[order]
