"""Objective indicator weights by the entropy weight method (熵权法)."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal, Protocol

import numpy as np
import pandas as pd
from scipy.special import xlogy

from riskcore import _kernels
from riskcore._inputs import BoolArray, FloatArray, LabelledMatrix, as_directions, as_matrix, check_finite

__all__ = [
    "EntropyResult", "EntropyOverTime", "SnapshotMatrix", "entropy_weights", "entropy_over_time",
    "minmax_normalise", "ENTROPY_METHODS", "MINMAX_SHIFT",
]

EntropyMethod = Literal["minmax", "minmax_shift", "proportion"]
ENTROPY_METHODS: Final[tuple[str, ...]] = ("minmax", "minmax_shift", "proportion")
#: The shift added after min-max scaling by ``method="minmax_shift"`` (common in theses).
MINMAX_SHIFT: Final[float] = 1e-4


@dataclass(frozen=True, slots=True)
class EntropyResult:
    """Entropy weights with the intermediate values a committee may ask to see.

    Attributes
    ----------
    weights, entropy, divergence : pd.Series
        w_j, e_j and d_j = 1 - e_j per indicator (index = the indicator labels).
    constant_columns : tuple
        Labels of indicators with max = min: they carry no information, get e = 1,
        d = 0 and weight 0.
    method : str
        ``"minmax"``, ``"minmax_shift"`` or ``"proportion"``.
    n_rows : int
        Number of borrowers the weights were computed on (weights depend on the sample).
    """

    weights: pd.Series
    entropy: pd.Series
    divergence: pd.Series
    constant_columns: tuple[Hashable, ...]
    method: str
    n_rows: int


def minmax_normalise(
    m: LabelledMatrix, benefit: BoolArray
) -> tuple[FloatArray, FloatArray, BoolArray]:
    """Check ``m`` is finite; return offsets and scales with z = (x - offset) / scale, and
    the constant-column mask.

    Benefit: z = (x - min) / (max - min); cost: z = (max - x) / (max - min), written as
    (x - max) / (min - max), which IEEE arithmetic evaluates to the same bits.
    On big books the finiteness check comes free with the min/max pass.
    """
    x = m.data
    if _kernels.use_kernels(x):
        lo, hi, non_finite = _kernels.column_range(x)
        if non_finite.any():
            check_finite(x, m.rows, m.columns)
    else:
        check_finite(x, m.rows, m.columns)
        lo, hi = x.min(axis=0), x.max(axis=0)
    constant = hi == lo
    offset = np.where(benefit, lo, hi)
    scale = np.where(benefit, hi - lo, lo - hi)
    return offset, scale, constant


def entropy_weights(
    values: Any,
    directions: Any = "benefit",
    *,
    method: EntropyMethod = "minmax",
) -> EntropyResult:
    r"""Objective weights of m indicators over n borrowers by the entropy weight method.

    Parameters
    ----------
    values : DataFrame or array of shape (n, m)
        Borrowers in rows, indicators in columns. Finite numbers only.
    directions : str, sequence, mapping or Series
        ``"benefit"``/``"cost"`` (or 效益型/成本型, ``+``/``-``) per column, or one label
        for all. Ignored by ``method="proportion"``, as in the papers that use it.
    method : {"minmax", "minmax_shift", "proportion"}
        How the proportions p_ij are formed (see Notes).

    Returns
    -------
    EntropyResult

    Raises
    ------
    ValueError
        NaN or infinite values (the message names the first cell), fewer than 2 rows,
        every column constant, negative values with ``"proportion"``, wrong direction
        count or labels, or an unknown method.

    Notes
    -----
    ``minmax`` (default): benefit z = (x - min)/(max - min), cost z = (max - x)/(max - min).
    ``minmax_shift``: the same z plus 0.0001 (the shift many theses add to avoid ln 0;
    it changes the weights). ``proportion``: z = x on raw non-negative data.
    Then

    .. math:: p_{ij} = z_{ij} / \sum_i z_{ij}, \quad
              e_j = -\frac{1}{\ln n}\sum_i p_{ij}\ln p_{ij}, \quad
              d_j = 1 - e_j, \quad w_j = d_j / \sum_k d_k,

    with the convention 0 ln 0 = 0 (as ``scipy.stats.entropy``; pymcdm instead zeroes the
    whole column's entropy when any cell is 0). A constant column has e = 1, d = 0,
    w = 0 by definition (its z are all 0 under min-max scaling, so p is otherwise 0/0).

    References
    ----------
    .. [1] Zou, Yun & Sun (2006), "Entropy method for determination of weight of
       evaluating indicators in fuzzy synthetic evaluation for water quality assessment",
       J. Environmental Sciences 18(5).
    .. [2] Elsayed, Dawood & Karthikeyan (2017), IJETT 46(2) (the ``proportion`` example).

    Examples
    --------
    >>> r = entropy_weights([[1, 10], [2, 10], [4, 11]], ["benefit", "cost"])
    >>> [round(w, 4) for w in r.weights]
    [0.5695, 0.4305]
    """
    if method not in ENTROPY_METHODS:
        raise ValueError(f"`method` must be one of {set(ENTROPY_METHODS)}; got {method!r}")
    m = as_matrix(values, allow_nan=True)  # checked below, in the same pass as min/max
    benefit = as_directions(directions, m.columns)
    x = m.data
    n = x.shape[0]
    if n < 2:
        raise ValueError(f"entropy weights need at least 2 rows (borrowers); got {n}")

    if method == "proportion":
        check_finite(x, m.rows, m.columns)
        negative = x < 0
        if negative.any():
            r, c = (int(v[0]) for v in np.nonzero(negative))
            raise ValueError(
                f"`method='proportion'` needs non-negative values; column {m.columns[c]!r} "
                f"has {x[r, c]:g} at row {m.rows[r]!r}"
            )
        lo, hi = x.min(axis=0), x.max(axis=0)
        constant = hi == lo
        offset, scale, shift = np.zeros(x.shape[1]), np.ones(x.shape[1]), 0.0
    else:
        offset, scale, constant = minmax_normalise(m, benefit)
        shift = MINMAX_SHIFT if method == "minmax_shift" else 0.0
    if constant.all():
        raise ValueError(
            "every column of `values` is constant; entropy weights are undefined"
        )

    if _kernels.use_kernels(x):
        sums = _kernels.entropy_sums(x, offset, scale, constant, shift=shift)
    else:
        q = (x - offset) / np.where(constant, 1.0, scale) + shift
        sums = (q.sum(axis=0), xlogy(q, q).sum(axis=0))
    return entropy_from_sums(sums, constant, n, m.columns, method=method)


def entropy_from_sums(
    sums: tuple[FloatArray, FloatArray], constant: BoolArray, n: int, columns: pd.Index,
    *, method: str = "minmax",
) -> EntropyResult:
    """Entropy weights from the column sums S = sum q and L = sum q ln q.

    With p = q / S, sum p ln p = L / S - ln S, so one pass over the data suffices.
    Constant columns get e = 1 (d = 0, w = 0) whatever their sums.

    Raises
    ------
    ValueError
        Fewer than 2 rows, or every column constant.
    """
    if n < 2:
        raise ValueError(f"entropy weights need at least 2 rows (borrowers); got {n}")
    if constant.all():
        raise ValueError("every column of `values` is constant; entropy weights are undefined")
    s, sl = sums
    with np.errstate(divide="ignore", invalid="ignore"):
        entropy = -(sl / s - np.log(s)) / np.log(n)
    entropy = np.where(constant, 1.0, entropy)
    divergence = 1.0 - entropy
    weights = divergence / divergence.sum()
    return EntropyResult(
        weights=pd.Series(weights, index=columns, name="weight"),
        entropy=pd.Series(entropy, index=columns, name="entropy"),
        divergence=pd.Series(divergence, index=columns, name="divergence"),
        constant_columns=tuple(columns[constant]),
        method=method,
        n_rows=n,
    )


# ---------------------------------------------------------------------------- over time


class SnapshotMatrix(Protocol):
    """What :func:`entropy_over_time` reads from one snapshot's matrix.

    :class:`riskcore.indicators.IndicatorMatrix` has these attributes; so can any matrix
    built from an uploaded book.
    """

    @property
    def values(self) -> pd.DataFrame: ...  # borrowers x indicators, finite
    @property
    def directions(self) -> pd.Series: ...  # indicator -> "benefit" / "cost"
    @property
    def as_of(self) -> pd.Timestamp: ...  # the snapshot date


@dataclass(frozen=True, slots=True)
class EntropyOverTime:
    """Entropy weights of the same indicators at several snapshots (dynamic evaluation).

    Every frame has one row per snapshot (index ``"snapshot"``, ascending) and one
    column per indicator (columns ``"indicator"``, in the order of the first snapshot).

    Attributes
    ----------
    weights, entropy, divergence : DataFrame
        w_j, e_j and d_j = 1 - e_j at each snapshot; each row of ``weights`` sums to 1.
    constant : DataFrame of bool
        True where the indicator was constant at that snapshot (e = 1, d = 0, w = 0).
    n_rows : Series
        Number of borrowers at each snapshot.
    method : str
        The normalisation used (see :func:`entropy_weights`).
    """

    weights: pd.DataFrame
    entropy: pd.DataFrame
    divergence: pd.DataFrame
    constant: pd.DataFrame
    n_rows: pd.Series
    method: str

    def drift(self, start: Hashable | None = None, end: Hashable | None = None) -> pd.DataFrame:
        """How each indicator's weight moved between two snapshots (default: first, last).

        Returns
        -------
        DataFrame
            Indexed by indicator, columns ``start``, ``end`` (weights), ``change``
            (end - start), ``start_rank`` and ``end_rank`` (1 = heaviest; ties share the
            better rank), sorted by ``|change|``, largest first (ties keep indicator order).

        Raises
        ------
        KeyError
            ``start`` or ``end`` is not one of the snapshots.
        """
        first = self.weights.index[0] if start is None else start
        last = self.weights.index[-1] if end is None else end
        for label in (first, last):
            if label not in self.weights.index:
                raise KeyError(f"{label!r} is not a snapshot; snapshots: {list(self.weights.index)}")
        w0 = self.weights.loc[first]
        w1 = self.weights.loc[last]
        out = pd.DataFrame({
            "start": w0,
            "end": w1,
            "change": w1 - w0,
            "start_rank": w0.rank(ascending=False, method="min").astype(np.int64),
            "end_rank": w1.rank(ascending=False, method="min").astype(np.int64),
        })
        # Rounded so that rounding noise (two changes equal in exact arithmetic) does not
        # decide the order; ties keep the indicator order.
        order = np.argsort(-np.round(out["change"].abs().to_numpy(), 12), kind="stable")
        out = out.iloc[order]
        out.index.name = "indicator"
        return out

    def totals(self, groups: Mapping[Hashable, Hashable] | pd.Series) -> pd.DataFrame:
        """Weights summed by group (e.g. criterion) at each snapshot.

        Parameters
        ----------
        groups
            Indicator -> group, for every indicator (e.g. ``IndicatorMatrix.criteria``).

        Returns
        -------
        DataFrame
            Snapshot x group, groups in order of first appearance among the indicators;
            each row sums to 1.

        Raises
        ------
        ValueError
            An indicator without a group.
        """
        mapping = dict(groups.items())
        lonely = [k for k in self.weights.columns if k not in mapping]
        if lonely:
            raise ValueError(f"`groups` has no group for the indicators {[str(k) for k in lonely]}")
        labels = [mapping[k] for k in self.weights.columns]
        order = list(dict.fromkeys(labels))
        out = self.weights.T.groupby(pd.Index(labels), sort=False).sum().T.reindex(columns=order)
        out.columns.name = "group"
        return out


def entropy_over_time(
    matrices: Iterable[SnapshotMatrix] | Mapping[Hashable, SnapshotMatrix | pd.DataFrame],
    directions: Any = None,
    *,
    method: EntropyMethod = "minmax",
) -> EntropyOverTime:
    """Entropy weights at each snapshot of a book: how the objective weights move.

    Entropy weights depend on the sample, so a monthly book gives a weight path per
    indicator (dynamic evaluation, 动态评价). Each snapshot is weighted on its own by
    :func:`entropy_weights`; nothing is carried over between snapshots.

    Parameters
    ----------
    matrices
        One matrix per snapshot: an iterable of :class:`SnapshotMatrix` (e.g.
        ``IndicatorMatrix``; label = its ``as_of``), or a mapping snapshot label ->
        matrix or DataFrame (borrowers x indicators). An iterable is consumed one
        matrix at a time, so a generator keeps only one matrix in memory.
    directions
        Directions for every snapshot (as for :func:`entropy_weights`). None: each
        matrix's own ``directions``, which must then agree across snapshots.
    method
        Normalisation, as for :func:`entropy_weights`.

    Returns
    -------
    EntropyOverTime
        Snapshots sorted ascending, whatever the input order.

    Raises
    ------
    ValueError
        No snapshot; a duplicate snapshot label; snapshots with different indicators;
        directions missing or disagreeing between snapshots; or a snapshot that
        :func:`entropy_weights` rejects (the message names the snapshot), e.g. one with
        fewer than 2 borrowers or only constant indicators.

    Examples
    --------
    >>> a = pd.DataFrame({"x": [1.0, 2.0, 4.0], "y": [10.0, 10.0, 11.0]})
    >>> b = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [3.0, 2.0, 1.0]})
    >>> path = entropy_over_time({"2024-02": b, "2024-01": a}, {"x": "benefit", "y": "cost"})
    >>> path.weights.round(4).to_dict("index")
    {'2024-01': {'x': 0.5695, 'y': 0.4305}, '2024-02': {'x': 0.5, 'y': 0.5}}
    """
    items: Iterable[tuple[Hashable, Any]]
    if isinstance(matrices, Mapping):
        items = matrices.items()
    else:
        items = ((m.as_of, m) for m in matrices)

    rows: dict[Hashable, EntropyResult] = {}
    columns: pd.Index | None = None
    seen_directions: pd.Series | None = None
    for label, matrix in items:
        if label in rows:
            raise ValueError(f"snapshot {label!r} appears twice")
        if isinstance(matrix, pd.DataFrame):
            values = matrix
            if directions is None:
                raise ValueError(
                    f"snapshot {label!r} is a bare DataFrame: give `directions` for all snapshots"
                )
            dirs = directions
        else:
            values = matrix.values
            dirs = directions
            if dirs is None:
                own = matrix.directions.reindex(values.columns)
                if seen_directions is not None:
                    common = own.index.intersection(seen_directions.index)
                    differ = [k for k in common if own[k] != seen_directions[k]]
                    if differ:
                        raise ValueError(
                            f"snapshot {label!r} gives other directions than the earlier snapshots "
                            f"for {[str(k) for k in differ]}"
                        )
                seen_directions = own
                dirs = own
        if columns is None:
            columns = pd.Index(values.columns)
        elif set(values.columns) != set(columns):
            added = [str(c) for c in values.columns if c not in set(columns)]
            missing = [str(c) for c in columns if c not in set(values.columns)]
            raise ValueError(
                f"snapshot {label!r} has other indicators than the first snapshot; "
                f"missing: {missing}, extra: {added}"
            )
        try:
            result = entropy_weights(values, dirs, method=method)
        except ValueError as exc:
            raise ValueError(f"snapshot {label!r}: {exc}") from None
        rows[label] = result
    if not rows or columns is None:
        raise ValueError("`matrices` is empty: entropy weights over time need at least one snapshot")

    labels = list(rows)
    try:
        labels = sorted(labels)  # type: ignore[type-var]
    except TypeError:
        pass  # labels that do not compare keep the input order
    index = pd.Index(labels, name="snapshot")

    def frame(get: Any) -> pd.DataFrame:
        data = np.vstack([get(rows[k]).reindex(columns).to_numpy(dtype=np.float64) for k in labels])
        return pd.DataFrame(data, index=index, columns=pd.Index(columns, name="indicator"))

    constant = pd.DataFrame(
        np.vstack([columns.isin(list(rows[k].constant_columns)) for k in labels]),
        index=index, columns=pd.Index(columns, name="indicator"),
    )
    return EntropyOverTime(
        weights=frame(lambda r: r.weights),
        entropy=frame(lambda r: r.entropy),
        divergence=frame(lambda r: r.divergence),
        constant=constant,
        n_rows=pd.Series([rows[k].n_rows for k in labels], index=index, name="n_rows", dtype=np.int64),
        method=method,
    )
