"""Five-level class migration matrices between snapshots, in DuckDB, and a Markov projection.

:func:`migration_matrix` counts where the loans of one snapshot are at another: rows are
the final class at the start (1-5) plus ``"new"`` (loans only in the end snapshot),
columns the final class at the end (1-5) plus ``"left"`` (loans only in the start
snapshot: repaid, written off or transferred out). Loans are matched on ``loan_id``.
Final class = max(reported class, 2023 DPD floor), as everywhere in riskcore.

:func:`average_one_month_matrix` pools the one-month transitions of consecutive
month-ends into transition probabilities, :func:`project` runs a class distribution
forward through them, optionally stressed (:func:`stress_matrix`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import duckdb
import numpy as np
import pandas as pd

from riskcore._loan_sql import arrow_table, connect, final_class_sql, num_sql, text_sql

__all__ = [
    "CLASS_STATES",
    "FROM_STATES",
    "STATES",
    "TO_STATES",
    "MigrationMatrix",
    "TransitionMatrix",
    "average_one_month_matrix",
    "class_distribution",
    "migration_matrix",
    "migration_sql_source",
    "npl_share",
    "project",
    "run_migration",
    "stress_matrix",
]

CLASS_STATES: Final[tuple[str, ...]] = ("1", "2", "3", "4", "5")
FROM_STATES: Final[tuple[str, ...]] = (*CLASS_STATES, "new")
"""Rows of a migration matrix: final class at the start, and loans new at the end."""
TO_STATES: Final[tuple[str, ...]] = (*CLASS_STATES, "left")
"""Columns of a migration matrix: final class at the end, and loans that left."""
STATES: Final[tuple[str, ...]] = TO_STATES
"""States of a transition matrix (square; ``"left"`` is absorbing)."""

_LOAN_COLUMNS: Final[dict[str, str]] = {
    "snapshot_date": "timestamp", "loan_id": "string", "branch_id": "string", "balance": "float64",
    "five_class": "float64", "dpd": "float64",
}


@dataclass(frozen=True, eq=False)
class MigrationMatrix:
    """Loans of the ``start`` snapshot by where they are at ``end``.

    Attributes
    ----------
    counts
        Loans, index :data:`FROM_STATES` (name ``"from"``), columns :data:`TO_STATES`
        (name ``"to"``), int64. Row ``k`` sums to the loans in final class ``k`` at
        ``start``; row ``"new"`` to the loans only at ``end`` (its ``"left"`` cell is 0).
    balances
        The same cells in CNY: the balance **at the start snapshot** (the exposure that
        migrated, so a row sums to the class's balance at ``start`` and the ``"left"``
        column is the balance that was repaid or written off). The ``"new"`` row has no
        start balance: it holds the loans' balance at ``end``.
    """

    start: pd.Timestamp
    end: pd.Timestamp
    counts: pd.DataFrame
    balances: pd.DataFrame

    def table(self, by: str = "count") -> pd.DataFrame:
        """``counts`` (``by="count"``) or ``balances`` (``by="balance"``)."""
        if by not in ("count", "balance"):
            raise ValueError(f"`by` must be 'count' or 'balance', not {by!r}")
        return self.counts if by == "count" else self.balances

    def population(self, by: str = "count") -> pd.Series:
        """Row sums: the start population per class (and the new loans)."""
        return self.table(by).sum(axis=1)

    def rates(self, by: str = "count") -> pd.DataFrame:
        """Row shares (``Float64``); a row with no population is ``<NA>`` throughout."""
        table = self.table(by).astype("float64")
        total = table.sum(axis=1).to_numpy()
        ok = total > 0
        values = np.divide(table.to_numpy(), total[:, None], out=np.zeros(table.shape), where=ok[:, None])
        mask = np.repeat(~ok[:, None], table.shape[1], axis=1)
        out = pd.DataFrame({c: pd.arrays.FloatingArray(values[:, i], mask[:, i]) for i, c in enumerate(table.columns)},
                           index=table.index)
        out.columns.name = table.columns.name
        return out


def migration_sql_source(relation: str) -> str:
    """The SELECT the migration SQL reads: ``as_of``, ``loan_id``, ``branch_id``,
    ``balance``, ``final_class`` of ``relation`` (which has ``snapshot_date``,
    ``loan_id``, ``branch_id``, ``balance``, ``five_class``, ``dpd``)."""
    return (f"SELECT CAST(snapshot_date AS DATE) AS as_of, loan_id, {text_sql('branch_id')} AS branch_id, "
            f"coalesce({num_sql('balance')}, 0.0) AS balance, {final_class_sql()} AS final_class FROM {relation}")


def _matrix_from_cells(cells: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> MigrationMatrix:
    counts = cells.pivot_table(index="from", columns="to", values="n", aggfunc="sum", fill_value=0)
    balances = cells.pivot_table(index="from", columns="to", values="balance", aggfunc="sum", fill_value=0.0)
    counts = counts.reindex(index=list(FROM_STATES), columns=list(TO_STATES), fill_value=0).astype("int64")
    balances = balances.reindex(index=list(FROM_STATES), columns=list(TO_STATES), fill_value=0.0).astype("float64")
    for frame in (counts, balances):
        frame.index.name, frame.columns.name = "from", "to"
    return MigrationMatrix(start, end, counts, balances)


def run_migration(
    con: duckdb.DuckDBPyConnection, source: str, start: Any, end: Any, *, branches: Sequence[str] | None = None
) -> MigrationMatrix:
    """The migration matrix over ``source`` (a SELECT as :func:`migration_sql_source`
    gives) on an open connection; used for a loan frame and for the store.

    Raises
    ------
    ValueError
        ``start`` is not before ``end``, no snapshot at either date, or a ``loan_id``
        missing or repeated within one of the two snapshots.
    """
    t0, t1 = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    if t0 >= t1:
        raise ValueError(f"`start` ({t0.date()}) must be before `end` ({t1.date()})")
    params: dict[str, Any] = {"start": t0.date(), "end": t1.date()}
    where = "TRUE"
    if branches is not None:
        where = "list_contains($branches, branch_id)"
        params["branches"] = [str(b) for b in branches]
    # One hash aggregate per loan_id does the matching (a full outer join) and counts each
    # loan's rows per snapshot, which finds repeated ids at no extra pass.
    cells = con.execute(f"""
        WITH per_loan AS (
            SELECT loan_id,
                   count(*) FILTER (WHERE as_of = $start) AS n_start, count(*) FILTER (WHERE as_of = $end) AS n_end,
                   max(final_class) FILTER (WHERE as_of = $start) AS c_start,
                   max(final_class) FILTER (WHERE as_of = $end) AS c_end,
                   sum(balance) FILTER (WHERE as_of = $start) AS b_start,
                   sum(balance) FILTER (WHERE as_of = $end) AS b_end
            FROM ({source}) WHERE as_of IN ($start, $end) AND {where}
            GROUP BY loan_id
        )
        SELECT coalesce(CAST(c_start AS VARCHAR), 'new') AS "from", coalesce(CAST(c_end AS VARCHAR), 'left') AS "to",
               count(*) AS n, sum(CASE WHEN c_start IS NULL THEN b_end ELSE b_start END) AS balance,
               sum(n_start) AS rows_start, sum(n_end) AS rows_end,
               count(*) FILTER (WHERE n_start > 1) AS repeated_start, count(*) FILTER (WHERE n_end > 1) AS repeated_end,
               sum(n_start) FILTER (WHERE loan_id IS NULL) AS null_start, sum(n_end) FILTER (WHERE loan_id IS NULL) AS null_end
        FROM per_loan GROUP BY ALL
    """, params).df()
    for when, rows, repeated, null in ((t0, "rows_start", "repeated_start", "null_start"),
                                       (t1, "rows_end", "repeated_end", "null_end")):
        if not cells[rows].sum() > 0:
            raise ValueError(f"no snapshot dated {when.date()} in the loan table"
                             + (" for these branches" if branches is not None else ""))
        if cells[null].fillna(0).sum() > 0:
            raise ValueError(f"{int(cells[null].fillna(0).sum())} loan(s) without a loan_id in the snapshot of "
                             f"{when.date()}")
        if cells[repeated].sum() > 0:
            raise ValueError(f"{int(cells[repeated].sum())} repeated loan_id(s) in the snapshot of {when.date()}")
    cells["from"] = cells["from"].astype("str")
    cells["to"] = cells["to"].astype("str")
    return _matrix_from_cells(cells, t0, t1)


def migration_matrix(
    loans: pd.DataFrame, start: Any, end: Any, *, branches: Sequence[str] | None = None
) -> MigrationMatrix:
    """Final-class migration of a loan frame from snapshot ``start`` to snapshot ``end``.

    ``branches`` restricts both snapshots to those branches: a loan transferred out of
    them counts as ``"left"``, one transferred in as ``"new"``.

    Raises
    ------
    ValueError
        See :func:`run_migration`; or the frame lacks ``snapshot_date`` or ``loan_id``.

    Examples
    --------
    >>> book = pd.DataFrame({"snapshot_date": pd.to_datetime(["2024-01-31"] * 2 + ["2024-02-29"] * 2),
    ...                      "loan_id": ["a", "b", "b", "c"], "balance": [10.0, 20.0, 18.0, 5.0],
    ...                      "five_class": [1, 1, 2, 1], "dpd": [0, 0, 5, 0]})
    >>> m = migration_matrix(book, "2024-01-31", "2024-02-29")
    >>> m.counts.loc["1", ["1", "2", "left"]].tolist(), int(m.counts.loc["new", "1"])
    ([0, 1, 1], 1)
    """
    missing = [c for c in ("snapshot_date", "loan_id") if c not in loans.columns]
    if missing:
        raise ValueError(f"the loan table lacks the columns {missing}")
    table = arrow_table(loans, _LOAN_COLUMNS, dates=[start, end])
    with connect() as con:
        con.register("src", table)
        return run_migration(con, migration_sql_source("src"), start, end, branches=branches)


def class_distribution(loans: pd.DataFrame, as_of: Any, *, branches: Sequence[str] | None = None) -> pd.DataFrame:
    """Loans and balance per final class at one snapshot: the start of a projection.

    Returns
    -------
    DataFrame
        Index :data:`CLASS_STATES` (name ``"class"``), columns ``n_loans`` (int64) and
        ``balance``; classes nobody is in are 0.

    Raises
    ------
    ValueError
        No snapshot at ``as_of`` (in ``branches``).
    """
    when = pd.Timestamp(as_of).normalize()
    params: dict[str, Any] = {}
    where = "TRUE"
    if branches is not None:
        where = "list_contains($branches, branch_id)"
        params["branches"] = [str(b) for b in branches]
    with connect() as con:
        con.register("src", arrow_table(loans, _LOAN_COLUMNS, dates=[when]))
        frame = con.execute(f"SELECT CAST(final_class AS VARCHAR) AS class, count(*) AS n_loans, "
                            f"sum(balance) AS balance FROM ({migration_sql_source('src')}) WHERE {where} "
                            f"GROUP BY ALL", params).df()
    if frame.empty:
        raise ValueError(f"no snapshot dated {when.date()} in the loan table"
                         + (" for these branches" if branches is not None else ""))
    out = frame.set_index(frame["class"].astype("str"))[["n_loans", "balance"]]
    out = out.reindex(list(CLASS_STATES), fill_value=0).astype({"n_loans": "int64", "balance": "float64"})
    out.index.name = "class"
    return out


# ============================================================================ TRANSITIONS

@dataclass(frozen=True, eq=False)
class TransitionMatrix:
    """Pooled one-month transition probabilities between final classes.

    Attributes
    ----------
    probabilities
        Square, index and columns :data:`STATES` (classes 1-5 and ``"left"``); each row
        sums to 1. ``"left"`` is absorbing. A class no loan was in at the start of any
        pair keeps its loans (row = stay with probability 1, listed in ``unobserved``).
    counts
        The pooled loan transitions behind it (classes 1-5 × :data:`TO_STATES`).
    pairs
        The (start, end) month-end pairs pooled.
    unobserved
        Classes with no observation (their row is an assumption, not an estimate).
    """

    probabilities: pd.DataFrame
    counts: pd.DataFrame
    pairs: tuple[tuple[pd.Timestamp, pd.Timestamp], ...]
    unobserved: tuple[str, ...]


def average_one_month_matrix(
    loans: pd.DataFrame, start: Any, end: Any, *, branches: Sequence[str] | None = None
) -> TransitionMatrix:
    """The average one-month transition matrix over the month-ends from ``start`` to ``end``.

    Every pair of consecutive snapshots between the two dates (inclusive) that are one
    calendar month apart gives a one-month migration (new loans left out); the transitions
    are pooled, so row ``i`` is ``Σ_t n_ij(t) / Σ_t n_i(t)``: the average of the monthly
    row-normalised matrices weighted by each month's loan count in class ``i``
    (count-weighted).

    Raises
    ------
    ValueError
        ``start`` is not before ``end``, or there is no one-month pair between them.
    """
    t0, t1 = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    if t0 >= t1:
        raise ValueError(f"`start` ({t0.date()}) must be before `end` ({t1.date()})")
    missing = [c for c in ("snapshot_date", "loan_id") if c not in loans.columns]
    if missing:
        raise ValueError(f"the loan table lacks the columns {missing}")
    dates = sorted(d for d in pd.to_datetime(loans["snapshot_date"]).dropna().unique() if t0 <= d <= t1)
    params: dict[str, Any] = {"start": t0.date(), "end": t1.date()}
    where = "TRUE"
    if branches is not None:
        where = "list_contains($branches, branch_id)"
        params["branches"] = [str(b) for b in branches]
    sql = f"""
        WITH s AS (SELECT * FROM ({migration_sql_source("src")}) WHERE as_of BETWEEN $start AND $end AND {where}),
        dates AS (SELECT DISTINCT as_of FROM s),
        pairs AS (SELECT as_of AS t0, lead(as_of) OVER (ORDER BY as_of) AS t1 FROM dates),
        ok AS (SELECT * FROM pairs WHERE t1 IS NOT NULL AND datediff('month', t0, t1) = 1),
        a AS (SELECT ok.t0, ok.t1, s.loan_id, s.final_class FROM s JOIN ok ON s.as_of = ok.t0)
        SELECT a.t0, a.t1, CAST(a.final_class AS VARCHAR) AS "from",
               coalesce(CAST(b.final_class AS VARCHAR), 'left') AS "to", count(*) AS n
        FROM a LEFT JOIN s b ON b.as_of = a.t1 AND b.loan_id = a.loan_id
        GROUP BY ALL
    """
    with connect() as con:
        con.register("src", arrow_table(loans, _LOAN_COLUMNS, dates=dates))
        cells = con.execute(sql, params).df()
    if cells.empty:
        raise ValueError(f"no two snapshots one month apart between {t0.date()} and {t1.date()}")
    cells["from"] = cells["from"].astype("str")
    cells["to"] = cells["to"].astype("str")
    pairs = tuple(sorted({(pd.Timestamp(a), pd.Timestamp(b)) for a, b in zip(cells["t0"], cells["t1"], strict=True)}))
    counts = cells.pivot_table(index="from", columns="to", values="n", aggfunc="sum", fill_value=0)
    counts = counts.reindex(index=list(CLASS_STATES), columns=list(TO_STATES), fill_value=0).astype("int64")
    counts.index.name, counts.columns.name = "from", "to"
    probs = pd.DataFrame(0.0, index=list(STATES), columns=list(STATES))
    unobserved = []
    for state in CLASS_STATES:
        total = int(counts.loc[state].sum())
        if total == 0:
            probs.loc[state, state] = 1.0
            unobserved.append(state)
        else:
            probs.loc[state] = counts.loc[state].to_numpy() / total
    probs.loc["left", "left"] = 1.0
    probs.index.name, probs.columns.name = "from", "to"
    return TransitionMatrix(probs, counts, pairs, tuple(unobserved))


def stress_matrix(probabilities: pd.DataFrame, factor: float) -> pd.DataFrame:
    """A stressed transition matrix: every downgrade probability (to a worse class) times
    ``factor``, the row kept summing to 1 by changing the probability of staying.

    Upgrades and leaving are unchanged. Where the stay probability cannot absorb the
    extra downgrades (``factor`` large), it becomes 0 and the downgrades are scaled to
    the mass there is (stay + downgrades), keeping their proportions. ``factor`` < 1
    relieves: downgrades shrink and staying grows. ``factor`` = 1 returns the matrix.

    Raises
    ------
    ValueError
        ``factor`` is negative or not finite.
    """
    if not np.isfinite(factor) or factor < 0:
        raise ValueError(f"`factor` must be a finite number >= 0, not {factor!r}")
    out = probabilities.astype("float64").copy()
    for i, state in enumerate(CLASS_STATES):
        worse = list(CLASS_STATES[i + 1:])
        if not worse:
            continue
        down = out.loc[state, worse].to_numpy()
        stay = float(out.loc[state, state])
        total_down = float(down.sum())
        if total_down <= 0:
            continue
        available = stay + total_down
        new_down = min(total_down * factor, available)
        out.loc[state, worse] = down * (new_down / total_down)
        out.loc[state, state] = available - new_down
    return out


def _distribution(distribution: Mapping[Any, float] | pd.Series) -> pd.Series:
    series = pd.Series(distribution, dtype="float64") if not isinstance(distribution, pd.Series) else distribution
    series = series.astype("float64")
    series.index = [str(k) for k in series.index]
    unknown = sorted(set(series.index) - set(STATES))
    if unknown:
        raise ValueError(f"`distribution` has states outside {list(STATES)}: {unknown}")
    if (series < 0).any() or not np.isfinite(series.to_numpy()).all():
        raise ValueError("`distribution` must hold finite amounts >= 0")
    return series.reindex(list(STATES), fill_value=0.0)


def project(
    distribution: Mapping[Any, float] | pd.Series, matrix: TransitionMatrix | pd.DataFrame, months: int,
    stress: float = 1.0,
) -> pd.DataFrame:
    """Run a class distribution forward month by month: ``v(t+1) = v(t) · P``.

    Parameters
    ----------
    distribution
        Loans or balance per state (keys 1-5 as int or str, optionally ``"left"``).
    matrix
        A :class:`TransitionMatrix` (or its square ``probabilities``).
    months
        Months to project (>= 0).
    stress
        Downgrade multiplier (:func:`stress_matrix`); 1.0 = as observed.

    Returns
    -------
    DataFrame
        Index ``month`` 0 … ``months``, columns :data:`STATES`; each row sums to the
        starting total (nothing new enters: a run-off of today's book).

    Raises
    ------
    ValueError
        ``months`` < 0, bad states or amounts, or a bad ``stress``.
    """
    if months < 0:
        raise ValueError(f"`months` must be >= 0, not {months}")
    probs = matrix.probabilities if isinstance(matrix, TransitionMatrix) else matrix
    probs = stress_matrix(probs.reindex(index=list(STATES), columns=list(STATES)).astype("float64"), stress)
    p = probs.to_numpy()
    v = _distribution(distribution).to_numpy()
    rows = [v]
    for _ in range(months):
        v = v @ p
        rows.append(v)
    out = pd.DataFrame(np.vstack(rows), columns=list(STATES))
    out.index.name = "month"
    return out


def npl_share(projection: pd.DataFrame) -> pd.Series:
    """Share of classes 3-5 in what is still on the book (1-5) of a :func:`project`
    result, per month (``Float64``, ``<NA>`` once nothing is left)."""
    live = projection[list(CLASS_STATES)].sum(axis=1).to_numpy()
    npl = projection[["3", "4", "5"]].sum(axis=1).to_numpy()
    ok = live > 0
    values = np.divide(npl, live, out=np.zeros_like(npl), where=ok)
    return pd.Series(pd.arrays.FloatingArray(values, ~ok), index=projection.index, name="npl_share")
