"""Subjective indicator weights by the Analytic Hierarchy Process (层次分析法)."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

import numpy as np
import pandas as pd

from riskcore._inputs import FloatArray

__all__ = [
    "AHPResult", "AHPBatchResult", "AHPHierarchyResult", "AHPPanelResult", "AHPRevision",
    "ahp_weights", "ahp_hierarchy", "ahp_panel", "ahp_revision", "ahp_matrix_from_pairs",
    "random_index", "RI_TABLES", "RI_SOURCES", "SAATY_SCALE", "CR_THRESHOLD", "MAX_N",
]

AHPMethod = Literal["eigen", "geometric"]
AHP_METHODS: Final[tuple[str, ...]] = ("eigen", "geometric")
#: Largest matrix accepted: beyond 15 elements judgments are unreliable and RI is not tabulated.
MAX_N: Final[int] = 15
#: Acceptable when CR <= 0.10 (Saaty).
CR_THRESHOLD: Final[float] = 0.10
#: The 1-9 scale and its reciprocals: 1/9, 1/8, ..., 1/2, 1, 2, ..., 9.
SAATY_SCALE: Final[tuple[float, ...]] = tuple([1.0 / k for k in range(9, 1, -1)] + [float(k) for k in range(1, 10)])
# Relative tolerance for a_ij * a_ji = 1 and a_ii = 1: accepts judgments typed as 0.333.
_RECIPROCAL_RTOL: Final[float] = 1e-3

#: Random consistency indices RI(n), n = 1, 2, ...; CR = CI / RI(n).
RI_TABLES: Final[Mapping[str, tuple[float, ...]]] = {
    "saaty1980": (0.0, 0.0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49, 1.51, 1.48, 1.56, 1.57, 1.59),
    "saaty2005": (0.0, 0.0, 0.52, 0.89, 1.11, 1.25, 1.35, 1.40, 1.45, 1.49),
    "cn_textbook": (0.0, 0.0, 0.52, 0.89, 1.12, 1.26, 1.36, 1.41, 1.46, 1.49),
}
RI_SOURCES: Final[Mapping[str, str]] = {
    "saaty1980": "Saaty (1980), The Analytic Hierarchy Process, McGraw-Hill; extended to n = 15",
    "saaty2005": "Saaty (2005), Theory and Applications of the Analytic Network Process, RWS",
    "cn_textbook": "table printed in Chinese operations-research courses (n = 3..10)",
}


def random_index(n: int, ri_table: str = "saaty1980") -> float:
    """RI(n) from a named table.

    Raises
    ------
    ValueError
        Unknown table, or n beyond the table (``"RI table 'saaty2005' covers n <= 10; got n = 12"``).
    """
    if ri_table not in RI_TABLES:
        raise ValueError(f"`ri_table` must be one of {set(RI_TABLES)}; got {ri_table!r}")
    table = RI_TABLES[ri_table]
    if not 1 <= n <= len(table):
        raise ValueError(f"RI table {ri_table!r} covers n <= {len(table)}; got n = {n}")
    return table[n - 1]


# ---------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class AHPResult:
    """Weights of one pairwise comparison matrix with its consistency figures.

    ``lambda_max`` is always the principal eigenvalue of the (completed) matrix, so CR
    describes the judgments whichever weighting method was chosen.
    ``filled`` lists the pairs that were missing and completed to minimise lambda_max.
    """

    weights: pd.Series
    lambda_max: float
    ci: float
    ri: float
    cr: float
    consistent: bool
    method: str
    ri_table: str
    matrix: pd.DataFrame
    filled: tuple[tuple[Hashable, Hashable], ...] = ()

    @property
    def n(self) -> int:
        """Number of compared elements."""
        return len(self.weights)


@dataclass(frozen=True, slots=True)
class AHPBatchResult:
    """Results for a stack of k matrices of the same size, as arrays (row = matrix)."""

    weights: FloatArray
    lambda_max: FloatArray
    ci: FloatArray
    ri: float
    cr: FloatArray
    consistent: np.ndarray
    method: str
    ri_table: str
    labels: pd.Index


@dataclass(frozen=True, slots=True)
class AHPRevision:
    """The judgment whose revision (within 1/9..9) most reduces CR, and all candidates.

    ``candidates`` has one row per original judgment i < j with columns row, column,
    current, best_value (continuous optimum in [1/9, 9]), cr_after, best_scale_value
    (the Saaty scale value with the lowest CR) and cr_after_scale, sorted by cr_after.
    """

    row: Hashable
    column: Hashable
    current: float
    suggested: float
    suggested_scale: float
    cr_before: float
    cr_after: float
    cr_after_scale: float
    candidates: pd.DataFrame


@dataclass(frozen=True, slots=True)
class AHPHierarchyResult:
    """Criteria -> indicators synthesis: global weight = criterion weight x local weight.

    ``table`` has columns criterion, indicator, criterion_weight, local_weight,
    global_weight.

    ``total_cr`` is Saaty's consistency ratio of the whole hierarchy,
    (CI_0 + sum_c w_c CI_c) / (RI_0 + sum_c w_c RI_c): the criteria matrix (CI_0, RI_0)
    plus the indicator matrices weighted by their criterion's weight w_c, so an
    inconsistent criteria level shows in it. ``indicator_cr`` is the indicator level's
    total-ranking ratio sum_c w_c CI_c / sum_c w_c RI_c (层次总排序一致性比率 of the
    textbooks), which leaves the criteria matrix out; 0 when no indicator matrix has
    RI > 0. ``consistent``: every matrix and ``total_cr`` have CR <= 0.10.
    """

    criteria: AHPResult
    children: Mapping[Hashable, AHPResult]
    global_weights: pd.Series
    table: pd.DataFrame
    total_cr: float
    consistent: bool
    indicator_cr: float = 0.0


@dataclass(frozen=True, slots=True)
class AHPPanelResult:
    """Expert panel: aggregate of individual judgments (AIJ) and each expert's result."""

    aggregate: AHPResult
    experts: Mapping[Hashable, AHPResult]
    expert_weights: pd.Series
    aggregate_matrix: pd.DataFrame


# ---------------------------------------------------------------------------- numerics


def _principal(a: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Principal (Perron) eigenvector, normalised to sum 1, and eigenvalue of each n x n matrix.

    Repeated squaring: A^(2^k) -> lambda^(2^k) w v^T for a positive matrix, so its row
    sums are proportional to w after a few squarings whatever the gap to the second
    eigenvalue; two power steps polish w. Each result is checked by its residual
    |A w - lambda w|, and the rare matrix that fails falls back to numpy.linalg.eig.
    """
    k, n, _ = a.shape
    m = a / a.sum(axis=(1, 2), keepdims=True)
    for _ in range(12):
        m = m @ m
        m /= m.sum(axis=(1, 2), keepdims=True)
    w = m.sum(axis=2)
    w /= w.sum(axis=1, keepdims=True)
    for _ in range(2):
        w = np.einsum("kij,kj->ki", a, w)
        w /= w.sum(axis=1, keepdims=True)
    aw = np.einsum("kij,kj->ki", a, w)
    lam = aw.sum(axis=1)  # sum_i (A w)_i = lambda sum_i w_i = lambda
    residual = np.abs(aw - lam[:, None] * w).max(axis=1) / lam
    for idx in np.nonzero(~(residual <= 1e-12))[0]:
        vals, vecs = np.linalg.eig(a[idx])
        top = int(np.argmax(vals.real))
        vec = np.abs(vecs[:, top].real)
        w[idx] = vec / vec.sum()
        lam[idx] = vals[top].real
    return w, lam


def _consistency(lam: FloatArray, n: int, ri_table: str) -> tuple[FloatArray, float, FloatArray]:
    ri = random_index(n, ri_table)
    if n <= 2:
        zeros = np.zeros_like(lam)
        return zeros, ri, zeros
    # lambda_max >= n holds exactly for positive reciprocal matrices; clip rounding.
    ci = np.maximum((lam - n) / (n - 1), 0.0)
    return ci, ri, ci / ri


def _weights_of(a: FloatArray, method: str) -> tuple[FloatArray, FloatArray]:
    w_eigen, lam = _principal(a)
    if method == "geometric":
        g = np.exp(np.log(a).mean(axis=2))
        return g / g.sum(axis=1, keepdims=True), lam
    return w_eigen, lam


def _check_method(method: str) -> None:
    if method not in AHP_METHODS:
        raise ValueError(f"`method` must be one of {set(AHP_METHODS)}; got {method!r}")


# ---------------------------------------------------------------------------- validation


def _as_labelled(matrix: Any) -> tuple[FloatArray, pd.Index]:
    if isinstance(matrix, pd.DataFrame):
        if not matrix.index.equals(matrix.columns):
            raise ValueError("`matrix` rows and columns must carry the same labels in the same order")
        if matrix.index.has_duplicates:
            raise ValueError("`matrix` has duplicate labels")
        return matrix.to_numpy(dtype=np.float64, na_value=np.nan), matrix.index
    a = np.asarray(matrix, dtype=np.float64)
    if a.ndim != 2:
        raise ValueError(f"`matrix` must be square (n x n) or a stack (k x n x n); got shape {a.shape}")
    return a, pd.RangeIndex(a.shape[0])


def _validate(a: FloatArray, labels: pd.Index, *, allow_missing: bool) -> FloatArray:
    """Check a pairwise matrix and return it with exact reciprocals below the diagonal.

    A pair is missing when both a_ij and a_ji are NaN; when only one is given, the other
    is its reciprocal.
    """
    if a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise ValueError(f"`matrix` must be square (n x n); got shape {a.shape}")
    n = a.shape[0]
    if n == 0:
        raise ValueError("`matrix` is empty")
    if n > MAX_N:
        raise ValueError(f"`matrix` has n = {n}; AHP judgments are limited to n <= {MAX_N}")
    if np.isinf(a).any():
        raise ValueError("`matrix` entries must be finite")
    given = ~np.isnan(a)
    if (a[given] <= 0).any():
        i, j = (int(v[0]) for v in np.nonzero(given & (np.nan_to_num(a, nan=1.0) <= 0)))
        raise ValueError(f"`matrix` entries must be positive; entry ({labels[i]!r}, {labels[j]!r}) is {a[i, j]:g}")
    diag = np.diagonal(a)
    if np.isnan(diag).any() or (np.abs(diag - 1.0) > _RECIPROCAL_RTOL).any():
        i = int(np.argmax(np.isnan(diag) | (np.abs(diag - 1.0) > _RECIPROCAL_RTOL)))
        raise ValueError(f"`matrix` diagonal must be 1; entry ({labels[i]!r}, {labels[i]!r}) is {diag[i]:g}")
    both = given & given.T
    product = np.where(both, a * a.T, 1.0)
    bad = np.abs(product - 1.0) > _RECIPROCAL_RTOL
    if bad.any():
        i, j = (int(v[0]) for v in np.nonzero(np.triu(bad, 1)))
        raise ValueError(
            f"`matrix` is not reciprocal: a[{labels[i]!r}, {labels[j]!r}] x a[{labels[j]!r}, {labels[i]!r}] "
            f"= {a[i, j]:g} x {a[j, i]:g} = {product[i, j]:g} (must be 1)"
        )
    upper = np.triu(np.ones((n, n), dtype=bool), 1)
    # Take each pair from above the diagonal when given there, else from below.
    top = np.where(upper & given, a, np.where(upper & given.T, 1.0 / a.T, np.nan))
    clean = np.where(upper, top, 0.0)
    clean = clean + np.where(upper, 1.0 / top, 0.0).T
    clean[np.diag_indices(n)] = 1.0
    clean[upper.T & np.isnan(top.T)] = np.nan
    if not allow_missing and np.isnan(clean).any():
        raise ValueError("`matrix` has missing judgments; batched matrices must be complete")
    return clean


def _check_connected(a: FloatArray, labels: pd.Index) -> None:
    n = a.shape[0]
    known = ~np.isnan(a)
    seen = {0}
    frontier = [0]
    while frontier:
        i = frontier.pop()
        for j in np.nonzero(known[i])[0]:
            if int(j) not in seen:
                seen.add(int(j))
                frontier.append(int(j))
    if len(seen) < n:
        lonely = [labels[i] for i in range(n) if i not in seen]
        raise ValueError(
            f"the judgments leave {lonely!r} unconnected to {labels[0]!r}; "
            "add at least one comparison linking them"
        )


def _complete(a: FloatArray, labels: pd.Index) -> tuple[FloatArray, list[tuple[int, int]]]:
    """Fill missing pairs with the values that minimise lambda_max.

    With a_ij = exp(x), lambda_max is a convex function of x (Bozoki, Fulop & Ronyai 2010),
    so the optimum is unique when the known judgments connect all elements. Its gradient is
    d lambda / d x = (a_ij v_i w_j - a_ji v_j w_i) / (v . w), v and w the left and right
    Perron vectors.
    """
    n = a.shape[0]
    missing = [(i, j) for i in range(n) for j in range(i + 1, n) if np.isnan(a[i, j])]
    if not missing:
        return a, []
    _check_connected(a, labels)
    rows = np.array([p[0] for p in missing])
    cols = np.array([p[1] for p in missing])

    def filled(x: FloatArray) -> FloatArray:
        b = a.copy()
        b[rows, cols] = np.exp(x)
        b[cols, rows] = np.exp(-x)
        return b

    def objective(x: FloatArray) -> tuple[float, FloatArray]:
        b = filled(x)
        vecs, lams = _principal(np.stack([b, b.T]))
        w, v = vecs
        grad = (b[rows, cols] * v[rows] * w[cols] - b[cols, rows] * v[cols] * w[rows]) / (v @ w)
        return float(lams[0]), grad

    from scipy.optimize import minimize  # imported here: ~0.3 s, needed only for missing pairs

    result = minimize(objective, np.zeros(len(missing)), jac=True, method="BFGS",
                      options={"gtol": 1e-13, "maxiter": 2000})
    return filled(_newton_polish(objective, result.x)), missing


def _newton_polish(objective: Any, x: FloatArray, *, steps: int = 6, h: float = 1e-5) -> FloatArray:
    # BFGS stops near |grad| ~ 1e-9 because lambda_max is flat to double precision at its
    # minimum; the analytic gradient stays accurate, so Newton on it (Hessian by central
    # differences) reaches |grad| ~ 1e-14 and the completed values to ~1e-12.
    g = objective(x)[1]
    for _ in range(steps):
        if np.abs(g).max() < 1e-14:
            break
        eye = np.eye(x.size) * h
        hess = np.array([(objective(x + e)[1] - objective(x - e)[1]) / (2 * h) for e in eye])
        try:
            step = np.linalg.solve((hess + hess.T) / 2, g)
        except np.linalg.LinAlgError:
            break
        g_new = objective(x - step)[1]
        if np.abs(g_new).max() >= np.abs(g).max():
            break
        x, g = x - step, g_new
    return x


# ---------------------------------------------------------------------------- public API


def ahp_weights(
    matrix: Any,
    *,
    method: AHPMethod = "eigen",
    ri_table: str = "saaty1980",
) -> AHPResult | AHPBatchResult:
    r"""Weights and consistency of a pairwise comparison matrix (or a stack of them).

    Parameters
    ----------
    matrix : DataFrame, array (n, n) or array (k, n, n)
        Saaty-scale judgments a_ij = importance of i over j, a_ji = 1/a_ij, a_ii = 1.
        A labelled DataFrame keeps its labels. NaN marks a missing judgment (give both
        a_ij and a_ji as NaN, or just one side and the other is its reciprocal); missing
        pairs are filled to minimise lambda_max. A 3-D stack is solved in one vectorised
        batch (it must be complete) and returns :class:`AHPBatchResult`.
    method : {"eigen", "geometric"}
        Principal right eigenvector (Saaty) or normalised row geometric means.
    ri_table : {"saaty1980", "saaty2005", "cn_textbook"}
        The random-index table used for CR; its name is kept in the result.

    Returns
    -------
    AHPResult or AHPBatchResult

    Raises
    ------
    ValueError
        Not square, n > 15 (or beyond the RI table), non-positive or infinite entries,
        diagonal not 1, a_ij * a_ji differing from 1 by more than 0.1 %, missing
        judgments that leave an element unconnected, unknown method or table.

    Notes
    -----
    lambda_max is the principal eigenvalue; CI = (lambda_max - n)/(n - 1);
    CR = CI / RI(n); CR = 0 for n <= 2; acceptable when CR <= 0.10.
    Entries below the diagonal are taken as exact reciprocals of those above once
    reciprocity has been checked, so 0.333 typed for 1/3 is accepted.

    References
    ----------
    .. [1] Saaty, T. L. (1980), The Analytic Hierarchy Process, McGraw-Hill.
    .. [2] Saaty, T. L. (2008), "Decision making with the analytic hierarchy process",
       Int. J. Services Sciences 1(1) (the drinks example in the tests).
    .. [3] Bozoki, Fulop & Ronyai (2010), "On optimal completion of incomplete pairwise
       comparison matrices", Math. Comput. Modelling 52.
    """
    _check_method(method)
    if ri_table not in RI_TABLES:
        raise ValueError(f"`ri_table` must be one of {set(RI_TABLES)}; got {ri_table!r}")
    if not isinstance(matrix, pd.DataFrame):
        stack = np.asarray(matrix, dtype=np.float64)
        if stack.ndim == 3:
            return _ahp_batch(stack, method=method, ri_table=ri_table)
    a, labels = _as_labelled(matrix)
    clean = _validate(a, labels, allow_missing=True)
    random_index(clean.shape[0], ri_table)
    completed, missing = _complete(clean, labels)
    w, lam = _weights_of(completed[None], method)
    ci, ri, cr = _consistency(lam, completed.shape[0], ri_table)
    return AHPResult(
        weights=pd.Series(w[0], index=labels, name="weight"),
        lambda_max=float(lam[0]),
        ci=float(ci[0]),
        ri=ri,
        cr=float(cr[0]),
        consistent=bool(cr[0] <= CR_THRESHOLD),
        method=method,
        ri_table=ri_table,
        matrix=pd.DataFrame(completed, index=labels, columns=labels),
        filled=tuple((labels[i], labels[j]) for i, j in missing),
    )


def _ahp_batch(stack: FloatArray, *, method: str, ri_table: str) -> AHPBatchResult:
    k, n, n2 = stack.shape
    if n != n2:
        raise ValueError(f"`matrix` must be square (n x n) or a stack (k x n x n); got shape {stack.shape}")
    if n > MAX_N:
        raise ValueError(f"`matrix` has n = {n}; AHP judgments are limited to n <= {MAX_N}")
    random_index(n, ri_table)
    if not np.isfinite(stack).all():
        raise ValueError("`matrix` has missing or infinite judgments; batched matrices must be complete")
    if (stack <= 0).any():
        raise ValueError("`matrix` entries must be positive")
    if (np.abs(np.diagonal(stack, axis1=1, axis2=2) - 1.0) > _RECIPROCAL_RTOL).any():
        raise ValueError("`matrix` diagonal must be 1")
    product = stack * np.swapaxes(stack, 1, 2)
    if (np.abs(product - 1.0) > _RECIPROCAL_RTOL).any():
        idx = int(np.argmax((np.abs(product - 1.0) > _RECIPROCAL_RTOL).any(axis=(1, 2))))
        raise ValueError(f"`matrix` is not reciprocal: matrix {idx} of the stack has a_ij x a_ji != 1")
    upper = np.triu(np.ones((n, n), dtype=bool), 1)
    clean = np.where(upper, stack, np.where(upper.T, 1.0 / np.swapaxes(stack, 1, 2), 1.0))
    w, lam = _weights_of(clean, method)
    ci, ri, cr = _consistency(lam, n, ri_table)
    return AHPBatchResult(
        weights=w, lambda_max=lam, ci=ci, ri=ri, cr=cr, consistent=cr <= CR_THRESHOLD,
        method=method, ri_table=ri_table, labels=pd.RangeIndex(n),
    )


def ahp_matrix_from_pairs(
    labels: Sequence[Hashable], pairs: Iterable[tuple[Hashable, Hashable, float]]
) -> pd.DataFrame:
    """Build a reciprocal matrix from judgments given one row per pair.

    ``pairs`` yields (i, j, a_ij): "i is a_ij times as important as j". Pairs not given
    are NaN (missing). A pair given twice, or a label not in ``labels``, is an error.
    """
    index = pd.Index(list(labels))
    if index.has_duplicates:
        raise ValueError("`labels` has duplicates")
    n = len(index)
    a = np.full((n, n), np.nan)
    a[np.diag_indices(n)] = 1.0
    for i_label, j_label, value in pairs:
        for lab in (i_label, j_label):
            if lab not in index:
                raise ValueError(f"judgment names {lab!r}, which is not one of the labels")
        i, j = index.get_loc(i_label), index.get_loc(j_label)
        if i == j:
            raise ValueError(f"judgment compares {i_label!r} with itself")
        if not np.isnan(a[i, j]):
            raise ValueError(f"the pair ({i_label!r}, {j_label!r}) is judged twice")
        v = float(value)
        if not (np.isfinite(v) and v > 0):
            raise ValueError(f"judgment ({i_label!r}, {j_label!r}) must be a positive number; got {value!r}")
        a[i, j], a[j, i] = v, 1.0 / v
    return pd.DataFrame(a, index=index, columns=index)


def ahp_revision(
    matrix: Any, *, method: AHPMethod = "eigen", ri_table: str = "saaty1980"
) -> AHPRevision:
    """Find the single judgment whose revision most reduces CR.

    For every original judgment a_ij (i < j) the value in [1/9, 9] that minimises
    lambda_max with all other judgments fixed is found (a convex one-dimensional problem
    in ln a_ij), as is the best value on the Saaty scale. The judgment with the lowest
    resulting CR is the one to revise first; ties go to the judgment that deviates most
    from the current weights, |ln(a_ij w_j / w_i)|. Filled (missing) pairs are never
    suggested.

    Raises
    ------
    ValueError
        As :func:`ahp_weights`, and for n < 3 (a 2 x 2 matrix is always consistent).
    """
    base = ahp_weights(matrix, method=method, ri_table=ri_table)
    assert isinstance(base, AHPResult)
    labels = base.matrix.index
    a = base.matrix.to_numpy()
    n = a.shape[0]
    if n < 3:
        raise ValueError("a matrix with n < 3 is always consistent; there is nothing to revise")
    filled = {(labels.get_loc(i), labels.get_loc(j)) for i, j in base.filled}
    ri = random_index(n, ri_table)
    w = base.weights.to_numpy()
    scale = np.array(SAATY_SCALE)
    from scipy.optimize import minimize_scalar
    records = []
    for i in range(n):
        for j in range(i + 1, n):
            if (i, j) in filled:
                continue

            def lam_at(x: float, i: int = i, j: int = j) -> float:
                b = a.copy()
                b[i, j], b[j, i] = np.exp(x), np.exp(-x)
                return float(np.max(np.linalg.eigvals(b).real))

            best = minimize_scalar(lam_at, bounds=(-np.log(9.0), np.log(9.0)), method="bounded",
                                   options={"xatol": 1e-10})
            stack = np.repeat(a[None], len(scale), axis=0)
            stack[:, i, j], stack[:, j, i] = scale, 1.0 / scale
            _, lams = _principal(stack)
            k = int(np.argmin(lams))
            records.append({
                "row": labels[i], "column": labels[j], "current": a[i, j],
                "best_value": float(np.exp(best.x)),
                "cr_after": max((float(best.fun) - n) / (n - 1), 0.0) / ri,
                "best_scale_value": float(scale[k]),
                "cr_after_scale": max((float(lams[k]) - n) / (n - 1), 0.0) / ri,
                "deviation": abs(np.log(a[i, j] * w[j] / w[i])),
            })
    if not records:
        raise ValueError("every judgment was filled in; there is no original judgment to revise")
    table = pd.DataFrame.from_records(records)
    table = table.sort_values(["cr_after", "deviation"], ascending=[True, False], kind="stable")
    table = table.reset_index(drop=True)
    top = table.iloc[0]
    return AHPRevision(
        row=top["row"], column=top["column"], current=float(top["current"]),
        suggested=float(top["best_value"]), suggested_scale=float(top["best_scale_value"]),
        cr_before=base.cr, cr_after=float(top["cr_after"]), cr_after_scale=float(top["cr_after_scale"]),
        candidates=table,
    )


def ahp_hierarchy(
    criteria: Any,
    children: Mapping[Hashable, Any],
    *,
    method: AHPMethod = "eigen",
    ri_table: str = "saaty1980",
) -> AHPHierarchyResult:
    """Synthesise criteria and per-criterion indicator matrices into global weights.

    Parameters
    ----------
    criteria : DataFrame (labelled) or array
        Pairwise matrix of the criteria.
    children : mapping criterion label -> labelled pairwise matrix of its indicators
        A criterion without an entry is itself a leaf (global weight = criterion weight).
        A 1 x 1 matrix is allowed.

    Raises
    ------
    ValueError
        A child key that is not a criterion, an indicator label used twice, or any error
        of :func:`ahp_weights` (the message names the criterion).
    """
    top = ahp_weights(criteria, method=method, ri_table=ri_table)
    if not isinstance(top, AHPResult):
        raise ValueError("`criteria` must be one n x n matrix, not a stack")
    unknown = [k for k in children if k not in set(top.weights.index)]
    if unknown:
        raise ValueError(f"`children` names {unknown!r}, which are not criteria")
    results: dict[Hashable, AHPResult] = {}
    rows = []
    for crit, cw in top.weights.items():
        if crit not in children:
            rows.append((crit, crit, cw, 1.0, cw))
            continue
        try:
            child = ahp_weights(children[crit], method=method, ri_table=ri_table)
        except ValueError as exc:
            raise ValueError(f"criterion {crit!r}: {exc}") from None
        if not isinstance(child, AHPResult):
            raise ValueError(f"criterion {crit!r}: expected one n x n matrix, not a stack")
        results[crit] = child
        rows.extend((crit, ind, cw, lw, cw * lw) for ind, lw in child.weights.items())
    table = pd.DataFrame(rows, columns=["criterion", "indicator", "criterion_weight", "local_weight", "global_weight"])
    if table["indicator"].duplicated().any():
        dupes = sorted(map(str, table.loc[table["indicator"].duplicated(), "indicator"]))
        raise ValueError(f"indicator labels appear under more than one criterion: {dupes}")
    num = sum(top.weights[c] * r.ci for c, r in results.items())
    den = sum(top.weights[c] * r.ri for c, r in results.items())
    indicator_cr = float(num / den) if den > 0 else 0.0
    # Saaty's hierarchy CR counts the criteria matrix too (weight 1: it is the only matrix
    # of its level); leaving it out hid an inconsistent criteria level.
    num, den = top.ci + num, top.ri + den
    total_cr = float(num / den) if den > 0 else 0.0
    return AHPHierarchyResult(
        criteria=top,
        children=results,
        global_weights=pd.Series(table["global_weight"].to_numpy(), index=pd.Index(table["indicator"]), name="weight"),
        table=table,
        total_cr=total_cr,
        consistent=bool(top.consistent and all(r.consistent for r in results.values()) and total_cr <= CR_THRESHOLD),
        indicator_cr=indicator_cr,
    )


def ahp_panel(
    matrices: Sequence[Any] | Mapping[Hashable, Any],
    expert_weights: Sequence[float] | Mapping[Hashable, float] | None = None,
    *,
    method: AHPMethod = "eigen",
    ri_table: str = "saaty1980",
) -> AHPPanelResult:
    """Aggregate several experts' judgments by the weighted element-wise geometric mean (AIJ).

    The geometric mean keeps the aggregate reciprocal. A judgment an expert left out
    (NaN) is averaged over the experts who gave it (their weights renormalised); a pair
    no expert judged stays missing and is completed. Each expert's own result (and CR)
    is kept.

    Raises
    ------
    ValueError
        No matrices, matrices of different sizes or labels, expert weights of the wrong
        length, negative, or not summing to a positive number, and any :func:`ahp_weights` error
        (the message names the expert).
    """
    named = dict(matrices) if isinstance(matrices, Mapping) else dict(enumerate(matrices))
    if not named:
        raise ValueError("`matrices` is empty")
    experts: dict[Hashable, AHPResult] = {}
    cleaned = []
    labels: pd.Index | None = None
    for name, mat in named.items():
        a, lab = _as_labelled(mat)
        if labels is None:
            labels = lab
        elif not lab.equals(labels) or a.shape != (len(labels), len(labels)):
            raise ValueError(f"expert {name!r}: matrix labels or size differ from the first expert's")
        try:
            cleaned.append(_validate(a, lab, allow_missing=True))
            res = ahp_weights(mat if isinstance(mat, pd.DataFrame) else pd.DataFrame(a, index=lab, columns=lab),
                              method=method, ri_table=ri_table)
        except ValueError as exc:
            raise ValueError(f"expert {name!r}: {exc}") from None
        assert isinstance(res, AHPResult)
        experts[name] = res
    assert labels is not None
    if expert_weights is None:
        ew = np.full(len(named), 1.0)
    elif isinstance(expert_weights, Mapping):
        if set(expert_weights) != set(named):
            raise ValueError("`expert_weights` keys must match the experts")
        ew = np.array([expert_weights[k] for k in named], dtype=np.float64)
    else:
        ew = np.asarray(expert_weights, dtype=np.float64)
        if ew.shape != (len(named),):
            raise ValueError(f"`expert_weights` has {ew.size} entries but there are {len(named)} experts")
    if not np.isfinite(ew).all() or (ew < 0).any() or ew.sum() <= 0:
        raise ValueError("`expert_weights` must be non-negative and sum to a positive number")
    ew = ew / ew.sum()
    logs = np.log(np.stack(cleaned))
    present = ~np.isnan(logs)
    wsum = np.einsum("e,eij->ij", ew, present)
    with np.errstate(invalid="ignore", divide="ignore"):
        agg = np.exp(np.einsum("e,eij->ij", ew, np.where(present, logs, 0.0)) / wsum)
    agg[wsum == 0] = np.nan
    aggregate_matrix = pd.DataFrame(agg, index=labels, columns=labels)
    aggregate = ahp_weights(aggregate_matrix, method=method, ri_table=ri_table)
    assert isinstance(aggregate, AHPResult)
    return AHPPanelResult(
        aggregate=aggregate,
        experts=experts,
        expert_weights=pd.Series(ew, index=pd.Index(list(named)), name="expert_weight"),
        aggregate_matrix=aggregate_matrix,
    )
