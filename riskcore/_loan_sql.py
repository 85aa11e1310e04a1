"""SQL pieces shared by the DuckDB portfolio views (:mod:`riskcore.trends`,
:mod:`riskcore.migration`, the aggregate table of :mod:`riskcore.store`).

The expressions here are the SQL twins of :func:`riskcore.portfolio.final_class` (final
class = max(reported class, 2023 DPD floor); a missing class counts as 1, a missing DPD
as 0), so a figure computed in DuckDB and one computed in pandas agree (tested).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

__all__ = [
    "DIVISION_SECTIONS",
    "DPD_BUCKETS",
    "arrow_table",
    "bucket_sql",
    "connect",
    "final_class_sql",
    "num_sql",
    "section_sql",
    "text_sql",
]

DPD_BUCKETS: Final[tuple[str, ...]] = ("0", "1-30", "31-60", "61-90", "91+")
"""Days-past-due buckets, best first; bucket ``i`` is code ``i`` in SQL (DPD < 1 → 0)."""

DIVISION_SECTIONS: Final[tuple[tuple[int, int, str], ...]] = (
    (1, 5, "A"), (6, 12, "B"), (13, 43, "C"), (44, 46, "D"), (47, 50, "E"), (51, 52, "F"), (53, 60, "G"),
    (61, 62, "H"), (63, 65, "I"), (66, 69, "J"), (70, 70, "K"), (71, 72, "L"), (73, 75, "M"), (76, 79, "N"),
    (80, 82, "O"), (83, 83, "P"), (84, 85, "Q"), (86, 90, "R"), (91, 96, "S"), (97, 97, "T"),
)
"""GB/T 4754-2017 divisions (first two digits of a numeric industry code) → section letter.
2011 codes differ from section N on (N 76-78 … T 96); a numeric code is read as 2017."""


def connect() -> duckdb.DuckDBPyConnection:
    """A private in-memory connection (never DuckDB's process-wide default one)."""
    return duckdb.connect(":memory:")


def num_sql(column: str) -> str:
    """A column as DOUBLE with NULL and NaN as NULL."""
    return f"CASE WHEN isnan(CAST({column} AS DOUBLE)) THEN NULL ELSE CAST({column} AS DOUBLE) END"


def text_sql(column: str) -> str:
    """A text column trimmed, with NULL as '' (the "not given" group)."""
    return f"coalesce(trim(CAST({column} AS VARCHAR)), '')"


def final_class_sql(five_class: str = "five_class", dpd: str = "dpd") -> str:
    """max(reported class, DPD floor) as INTEGER; DPD >= 1 → 2, > 90 → 3, > 270 → 4, > 360 → 5."""
    d = f"coalesce({num_sql(dpd)}, 0.0)"
    floor = f"(1 + CAST({d} >= 1 AS INTEGER) + CAST({d} > 90 AS INTEGER) + CAST({d} > 270 AS INTEGER) " \
            f"+ CAST({d} > 360 AS INTEGER))"
    reported = f"CAST(trunc(coalesce({num_sql(five_class)}, 1.0)) AS INTEGER)"
    return f"greatest({reported}, {floor})"


def bucket_sql(dpd: str = "dpd") -> str:
    """DPD bucket code 0-4 (:data:`DPD_BUCKETS`); a missing DPD is 0."""
    d = f"coalesce({num_sql(dpd)}, 0.0)"
    return f"(CAST({d} >= 1 AS INTEGER) + CAST({d} > 30 AS INTEGER) + CAST({d} > 60 AS INTEGER) " \
           f"+ CAST({d} > 90 AS INTEGER))"


def section_sql(code: str = "industry_code") -> str:
    """GB/T 4754 section letter of an industry code: its first letter when that is A-T
    (``C``, ``C3311``, ``c13``), the section of its two-digit division when it starts with
    two digits (``3311`` → C, see :data:`DIVISION_SECTIONS`), else ''."""
    c = f"upper(trim(CAST({code} AS VARCHAR)))"
    first, second = f"substr({c}, 1, 1)", f"substr({c}, 2, 1)"
    d = f"TRY_CAST(substr({c}, 1, 2) AS INTEGER)"
    ranges = " ".join(f"WHEN {d} BETWEEN {lo} AND {hi} THEN '{letter}'" for lo, hi, letter in DIVISION_SECTIONS)
    return (f"CASE WHEN {c} IS NULL THEN '' WHEN {first} BETWEEN 'A' AND 'T' THEN {first} "
            f"WHEN {first} BETWEEN '0' AND '9' AND {second} BETWEEN '0' AND '9' THEN (CASE {ranges} ELSE '' END) "
            f"ELSE '' END")


def arrow_table(loans: pd.DataFrame, columns: Mapping[str, str], *, dates: Sequence[Any] | None = None,
                date_column: str = "snapshot_date") -> pa.Table:
    """The columns DuckDB needs of a loan frame as an Arrow table.

    ``columns`` maps column → Arrow type name (``"string"``, ``"float64"``,
    ``"timestamp"``); a column the frame lacks becomes all-null (an optional ledger field
    not given). ``dates`` keeps only the rows of those snapshot dates (filtered in pandas
    first, so a two-snapshot query does not convert the whole book).
    """
    present = [c for c in columns if c in loans.columns]
    frame = loans[present]  # only the columns needed: filtering a wide frame copies every column
    if dates is not None:
        wanted = pd.DatetimeIndex(pd.to_datetime(list(dates)))
        stamps = loans[date_column]
        stamps = stamps if pd.api.types.is_datetime64_dtype(stamps.dtype) else pd.to_datetime(stamps, errors="coerce")
        frame = frame.loc[stamps.isin(wanted).to_numpy()]
    arrays: dict[str, pa.Array] = {}
    n = len(frame)
    for name, kind in columns.items():
        if name not in frame.columns:
            arrays[name] = pa.nulls(n, type=_ARROW[kind])
            continue
        col = frame[name]
        if kind == "string":
            # pandas 3 text columns are Arrow-backed: handed over without a copy.
            text = col if pd.api.types.is_string_dtype(col.dtype) and col.dtype != object else col.astype("str")
            arrays[name] = pa.array(text, from_pandas=True)
        elif kind == "float64":
            values = pd.to_numeric(col, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
            arrays[name] = pa.array(values, type=pa.float64(), from_pandas=True)
        else:
            stamps = col if pd.api.types.is_datetime64_dtype(col.dtype) else pd.to_datetime(col, errors="coerce")
            arrays[name] = pa.array(stamps, from_pandas=True)
    return pa.table(arrays)


_ARROW: Final[dict[str, pa.DataType]] = {"string": pa.string(), "float64": pa.float64(), "timestamp": pa.timestamp("us")}
