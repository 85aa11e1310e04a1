"""Turning user input (DataFrame or array, direction labels) into validated numpy arrays.

Every public method funnels its ``values`` and ``directions`` through here so that
the error messages are the same wherever a bad matrix is passed.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt
import pandas as pd

from riskcore.objectives import Direction

FloatArray: TypeAlias = npt.NDArray[np.float64]
BoolArray: TypeAlias = npt.NDArray[np.bool_]
MatrixLike: TypeAlias = "pd.DataFrame | npt.ArrayLike"
DirectionsLike: TypeAlias = "str | Direction | Sequence[str | Direction] | Mapping[Hashable, str | Direction] | pd.Series"


@dataclass(frozen=True, slots=True)
class LabelledMatrix:
    """A float64 matrix with its row and column labels (positions for plain arrays)."""

    data: FloatArray
    rows: pd.Index
    columns: pd.Index


def as_matrix(values: Any, *, name: str = "values", allow_nan: bool = False) -> LabelledMatrix:
    """Validate ``values`` as a finite 2-D float matrix with at least one column.

    Raises
    ------
    ValueError
        ``"`values` must be 2-D (rows = borrowers, columns = indicators); got 1-D"``,
        ``"`values` has no columns"``, ``"`values` has duplicate column labels: [...]"``,
        ``"`values` must be numeric; column 'x' is not"``, and
        ``"`values` contains NaN at row r, column c (k cells in all)"``
        (or ``an infinite value``) unless ``allow_nan``.
    """
    if isinstance(values, pd.DataFrame):
        rows, columns = values.index, values.columns
        if columns.has_duplicates:
            dupes = sorted(map(str, columns[columns.duplicated()].unique()))
            raise ValueError(f"`{name}` has duplicate column labels: {dupes}")
        for col in columns:
            dtype = values[col].dtype
            if not (pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)):
                raise ValueError(f"`{name}` must be numeric; column {col!r} is {dtype}")
        data = values.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        try:
            data = np.asarray(values, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"`{name}` must be numeric: {exc}") from None
        if data.ndim != 2:
            raise ValueError(
                f"`{name}` must be 2-D (rows = borrowers, columns = indicators); got {data.ndim}-D"
            )
        rows, columns = pd.RangeIndex(data.shape[0]), pd.RangeIndex(data.shape[1])
    if data.ndim != 2:
        raise ValueError(f"`{name}` must be 2-D (rows = borrowers, columns = indicators); got {data.ndim}-D")
    if data.shape[1] == 0:
        raise ValueError(f"`{name}` has no columns")
    if not allow_nan:
        check_finite(data, rows, columns, name=name)
    return LabelledMatrix(data=data, rows=rows, columns=columns)


def check_finite(data: FloatArray, rows: pd.Index, columns: pd.Index, *, name: str = "values") -> None:
    """Raise a ValueError naming the first NaN or infinite cell, if any."""
    finite = np.isfinite(data)
    if finite.all():
        return
    bad_r, bad_c = np.nonzero(~finite)
    r, c = int(bad_r[0]), int(bad_c[0])
    what = "NaN" if np.isnan(data[r, c]) else "an infinite value"
    raise ValueError(
        f"`{name}` contains {what} at row {rows[r]!r}, column {columns[c]!r} "
        f"({bad_r.size} non-finite cells in all); fill or drop them first"
    )


def _by_column(mapping_like: Any, columns: pd.Index, name: str) -> list[Any]:
    """Values of a mapping / Series in column order; its keys must be exactly the columns."""
    mapping = dict(mapping_like.items())
    missing = [c for c in columns if c not in mapping]
    extra = [k for k in mapping if k not in set(columns)]
    if missing or extra:
        raise ValueError(
            f"`{name}` keys must match the columns of `values`; "
            f"missing: {[str(c) for c in missing]}, unknown: {[str(k) for k in extra]}"
        )
    return [mapping[c] for c in columns]


def as_directions(directions: Any, columns: pd.Index) -> BoolArray:
    """Return a boolean array, True where the column is a benefit indicator.

    ``directions`` is one label for all columns, a sequence with one label per
    column, or a mapping / Series keyed by column label.

    Raises
    ------
    ValueError
        ``"`directions` has 3 entries but `values` has 4 columns"``, a missing or
        extra key for mappings, or an unknown direction label.
    """
    m = len(columns)
    if isinstance(directions, (str, Direction)):
        labels: list[Any] = [directions] * m
    elif isinstance(directions, (Mapping, pd.Series)):
        labels = _by_column(directions, columns, "directions")
    else:
        labels = list(directions)
        if len(labels) != m:
            raise ValueError(f"`directions` has {len(labels)} entries but `values` has {m} columns")
    return np.array([Direction.from_label(d) is Direction.BENEFIT for d in labels], dtype=bool)


def as_weight_vector(weights: Any, columns: pd.Index, *, name: str = "weights") -> FloatArray:
    """Validate weights (sequence, or Series / mapping keyed by column) summing to 1.

    Raises
    ------
    ValueError
        Wrong length or keys, negative or non-finite entries, or a sum that differs
        from 1 by more than 1e-6 (``"`weights` must sum to 1 (got 1.2); normalise them first"``).
    """
    m = len(columns)
    if isinstance(weights, (pd.Series, Mapping)):
        w = np.array(_by_column(weights, columns, name), dtype=np.float64)
    else:
        w = np.asarray(weights, dtype=np.float64)
        if w.ndim != 1 or w.size != m:
            raise ValueError(f"`{name}` has {w.size} entries but there are {m} indicators")
    if not np.isfinite(w).all():
        raise ValueError(f"`{name}` contains NaN or infinite entries")
    if (w < 0).any():
        raise ValueError(f"`{name}` must be non-negative; got {w.min():g}")
    total = float(w.sum())
    if abs(total - 1.0) > 1e-6:
        raise ValueError(f"`{name}` must sum to 1 (got {total:.6g}); normalise them first")
    return w
