"""NPL trends over the snapshots of a book, in DuckDB.

Per-snapshot aggregates are computed once per book (:func:`aggregate_book` for a loan
frame; the store writes them at import, :meth:`riskcore.store.LedgerStore.aggregates`), and
the trend queries read only those small tables, never the loans (in pandas: on a few
hundred thousand aggregate rows a grouped sum takes milliseconds, less than opening a
DuckDB connection):

* :func:`npl_trend` — balance, NPL balance and NPL ratio by month, for the book or by a
  dimension (branch, industry section, product, guarantee type, region, account manager);
* :func:`yoy_growth` — loan growth against NPL growth, year on year.

Three views need the loans themselves (DuckDB over the frame, through Arrow):
:func:`roll_rates` / :func:`roll_forward_rates` (DPD buckets from one month-end to the
next, joined on ``loan_id``), :func:`vintage_curves` (cumulative default rate by months on
book per origination quarter) and :func:`borrower_drill` (the borrowers behind a line).

Conventions (the same as :mod:`riskcore.portfolio`): final class = max(reported class,
2023 DPD floor), a missing class counts as 1 and a missing DPD as 0; NPL = final class
3-5, by balance. An undefined ratio (zero denominator) is never NaN: ratio columns are
nullable (``Float64``, ``<NA>``) with a reason column saying why (``"zero_balance"``,
``"zero_prior"``); pages show "—".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import duckdb
import numpy as np
import pandas as pd

from riskcore._loan_sql import (
    DPD_BUCKETS,
    arrow_table,
    bucket_sql,
    connect,
    final_class_sql,
    num_sql,
    section_sql,
    text_sql,
)

__all__ = [
    "AGGREGATE_COLUMNS", "BOOK_GROUP", "BUCKET_KEYS", "BY_CHOICES", "DIMENSIONS", "DPD_BUCKETS", "SnapshotAggregates",
    "aggregate_book", "borrower_drill", "build_aggregates", "npl_trend", "roll_forward_rates", "roll_rates",
    "vintage_curves", "yoy_growth",
]

DIMENSIONS: Final[tuple[str, ...]] = (
    "book", "industry", "product", "guarantee_type", "region_code", "account_manager",
)
"""Dimensions of the aggregate rows. Every row also carries its ``branch_id``: the
``branch_id`` view is the ``book`` rows by branch, and any dimension can be restricted
to some branches (the branch → industry drill-down)."""

BY_CHOICES: Final[tuple[str, ...]] = (
    "branch_id", "industry", "product", "guarantee_type", "region_code", "account_manager",
)
"""What :func:`npl_trend` and :func:`yoy_growth` can group by (``by=None``: the book)."""

BUCKET_KEYS: Final[tuple[str, ...]] = ("0", "1_30", "31_60", "61_90", "91p")
"""Column suffixes of the DPD buckets :data:`DPD_BUCKETS` (0, 1-30, 31-60, 61-90, 91+)."""

AGGREGATE_COLUMNS: Final[tuple[str, ...]] = (
    "as_of", "branch_id", "dimension", "value", "final_class", "n_loans", "balance",
    *(f"n_dpd_{k}" for k in BUCKET_KEYS), *(f"balance_dpd_{k}" for k in BUCKET_KEYS),
)
"""Columns of the aggregate table: grain (as_of, branch_id, dimension, value, final_class)."""

BOOK_GROUP: Final[str] = "all"
"""``value`` of the ``book`` rows and ``group`` of a whole-book trend."""

_SOURCE_COLUMNS: Final[dict[str, str]] = {
    "snapshot_date": "timestamp", "branch_id": "string", "industry_code": "string", "product": "string",
    "guarantee_type": "string", "region_code": "string", "account_manager": "string", "balance": "float64",
    "five_class": "float64", "dpd": "float64",
}


# ============================================================================ AGGREGATES

_RAW_DIMENSIONS: Final[tuple[tuple[str, str], ...]] = (
    ("industry", "industry_code"), ("product", "product"), ("guarantee_type", "guarantee_type"),
    ("region_code", "region_code"), ("account_manager", "account_manager"),
)


def build_aggregates(con: duckdb.DuckDBPyConnection, source: str, params: Mapping[str, Any] | None = None) -> str:
    """Compute the aggregate rows (:data:`AGGREGATE_COLUMNS`) of ``source`` into a temporary
    table on ``con`` and return its name (the caller reads it and drops it).

    ``source`` is a relation or a parenthesised SELECT (with ``params``) giving the columns
    ``as_of``, ``branch_id``, ``industry_code``, ``product``, ``guarantee_type``,
    ``region_code``, ``account_manager``, ``balance``, ``five_class``, ``dpd``. Missing
    text values form the group ``''`` ("not given"); the industry is the GB/T 4754 section.

    Three steps, measured fastest on 10 M loan-months: (1) the loans with their final
    class and DPD bucket, once, into a temporary table; (2) one group-by per dimension on
    the raw value (DPD bucket in the key); (3) on that small result, the text cleaned
    (trimmed; industry code → section) and the buckets turned into columns. Cleaning text
    once per distinct value instead of once per loan, and plain group-bys on a table
    instead of one GROUPING SETS query over the loans (or a CTE read six times), made it
    two to three times faster here (3.6 M loan-months).
    """
    raw = ", ".join(column for _, column in _RAW_DIMENSIONS)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _agg_base AS
        SELECT CAST(as_of AS DATE) AS as_of, branch_id, {final_class_sql()} AS final_class,
               {bucket_sql()} AS bucket, coalesce({num_sql("balance")}, 0.0) AS balance, {raw}
        FROM {source}
    """, dict(params) if params else None)
    keys = "as_of, branch_id, final_class, bucket"
    parts = [(f"SELECT {keys}, 'book' AS dimension, NULL::VARCHAR AS raw, count(*) AS n, sum(balance) AS balance "
              f"FROM _agg_base GROUP BY ALL")]
    parts += [f"SELECT {keys}, '{name}' AS dimension, CAST({column} AS VARCHAR) AS raw, count(*) AS n, "
              f"sum(balance) AS balance FROM _agg_base GROUP BY ALL" for name, column in _RAW_DIMENSIONS]
    con.execute("CREATE OR REPLACE TEMP TABLE _agg_stage AS " + " UNION ALL ".join(parts))
    buckets = ", ".join([*(f"coalesce(sum(n) FILTER (WHERE bucket = {i}), 0) AS n_dpd_{k}" for i, k in enumerate(BUCKET_KEYS)),
                         *(f"coalesce(sum(balance) FILTER (WHERE bucket = {i}), 0.0) AS balance_dpd_{k}"
                           for i, k in enumerate(BUCKET_KEYS))])
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _agg_result AS
        SELECT as_of, {text_sql("branch_id")} AS branch_id, dimension,
               CASE dimension WHEN 'book' THEN '{BOOK_GROUP}' WHEN 'industry' THEN {section_sql("raw")}
                    ELSE {text_sql("raw")} END AS value,
               final_class, sum(n) AS n_loans, sum(balance) AS balance, {buckets}
        FROM _agg_stage GROUP BY ALL
    """)
    con.execute("DROP TABLE _agg_base")
    con.execute("DROP TABLE _agg_stage")
    return "_agg_result"


@dataclass(frozen=True, eq=False)
class SnapshotAggregates:
    """Per-snapshot aggregates of a book.

    Attributes
    ----------
    frame
        One row per (``as_of``, ``branch_id``, ``dimension``, ``value``, ``final_class``)
        with ``n_loans``, ``balance`` and, per DPD bucket (0, 1-30, 31-60, 61-90, 91+),
        ``n_dpd_*`` and ``balance_dpd_*`` (:data:`AGGREGATE_COLUMNS`). ``dimension`` is one
        of :data:`DIMENSIONS`; ``value`` is ``"all"`` for ``book`` rows and ``''`` where
        the ledger gave no value. Every dimension adds up to the same ``book`` totals.
    """

    frame: pd.DataFrame
    _parts: dict[str, pd.DataFrame] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        frame = self.frame.reindex(columns=list(AGGREGATE_COLUMNS))
        frame = frame.astype({"branch_id": "str", "dimension": "str", "value": "str", "final_class": "int64",
                              **{c: "int64" for c in AGGREGATE_COLUMNS if c.startswith("n_")},
                              **{c: "float64" for c in AGGREGATE_COLUMNS if c.startswith("balance")}})
        frame["as_of"] = pd.to_datetime(frame["as_of"]).astype("datetime64[us]")
        frame = frame.reset_index(drop=True)
        object.__setattr__(self, "frame", frame)
        # One frame per dimension: a query reads only its own dimension's rows.
        parts = {str(d): part.reset_index(drop=True) for d, part in frame.groupby("dimension", sort=False)}
        object.__setattr__(self, "_parts", {d: parts.get(d, frame.iloc[:0]) for d in DIMENSIONS})

    @property
    def dates(self) -> list[pd.Timestamp]:
        """The snapshot dates, ascending."""
        return [pd.Timestamp(d) for d in sorted(self.frame["as_of"].unique())]

    @property
    def branches(self) -> list[str]:
        """The branch ids, sorted."""
        return sorted(self.frame["branch_id"].unique().tolist())

    def groups(self, by: str | None, *, branches: Sequence[str] | None = None) -> list[str]:
        """The groups of ``by`` (see :func:`npl_trend`), largest balance at the latest
        snapshot first (then by name)."""
        trend = npl_trend(self, by, branches=branches)
        if trend.empty:
            return []
        latest = trend.loc[trend["as_of"] == trend["as_of"].max()].set_index("group")["balance"]
        order = pd.DataFrame({"group": pd.unique(trend["group"])})
        order["balance"] = order["group"].map(latest).fillna(-1.0)
        ordered = order.sort_values(["balance", "group"], ascending=[False, True], kind="stable")["group"]
        return [str(g) for g in ordered]


def aggregate_book(loans: pd.DataFrame) -> SnapshotAggregates:
    """The per-snapshot aggregates of a loan frame (one row per loan per snapshot), with
    DuckDB over the frame's columns handed over as Arrow.

    Optional ledger columns the frame lacks (product, region, manager) become the single
    group ``''``.

    Raises
    ------
    ValueError
        The frame lacks ``snapshot_date`` or ``balance``.
    """
    missing = [c for c in ("snapshot_date", "balance") if c not in loans.columns]
    if missing:
        raise ValueError(f"the loan table lacks the columns {missing}")
    table = arrow_table(loans, _SOURCE_COLUMNS)
    with connect() as con:
        con.register("table_", table)
        result = build_aggregates(con, "(SELECT snapshot_date AS as_of, * EXCLUDE (snapshot_date) FROM table_)")
        frame = con.execute(f"SELECT {', '.join(AGGREGATE_COLUMNS)} FROM {result}").df()
    return SnapshotAggregates(frame)


# ============================================================================ QUERIES

def _check_by(by: str | None) -> None:
    if by is not None and by not in BY_CHOICES:
        raise ValueError(f"`by` must be None or one of {list(BY_CHOICES)}, not {by!r}")


def _nullable_ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """numerator / denominator as ``Float64``, ``<NA>`` where the denominator is not > 0."""
    num = numerator.to_numpy(dtype=np.float64)
    den = denominator.to_numpy(dtype=np.float64)
    ok = den > 0
    values = np.divide(num, den, out=np.zeros_like(num), where=ok)
    return pd.Series(pd.arrays.FloatingArray(values, ~ok), index=numerator.index)


def _reasons(ratio: pd.Series, reason: str) -> pd.Series:
    """``reason`` where ``ratio`` is undefined (``<NA>``), else None."""
    return pd.Series([reason if missing else None for missing in ratio.isna()], index=ratio.index, dtype="object")


def npl_trend(
    agg: SnapshotAggregates, by: str | None = None, *, branches: Sequence[str] | None = None
) -> pd.DataFrame:
    """Balance, NPL balance and NPL ratio (by balance) at every snapshot.

    Parameters
    ----------
    agg
        The book's aggregates.
    by
        None for the whole book (``group`` ``"all"``), or one of :data:`BY_CHOICES`.
    branches
        Only these branches (e.g. the industries within one branch).

    Returns
    -------
    DataFrame
        ``as_of``, ``group``, ``n_loans``, ``npl_loans``, ``balance``, ``npl_balance``,
        ``npl_ratio`` (``Float64``) and ``undefined_reason``: ``"zero_balance"`` where the
        group's balance is 0 (ratio ``<NA>``, never NaN), else None. A group without a loan
        at a snapshot has no row there.

    Raises
    ------
    ValueError
        ``by`` is not a known dimension.
    """
    _check_by(by)
    # pandas, not DuckDB: on the small aggregate table a grouped sum takes a few ms, less
    # than opening a DuckDB connection.
    part = agg._parts["book" if by in (None, "branch_id") else by]
    if branches is not None:
        part = part.loc[part["branch_id"].isin([str(b) for b in branches]).to_numpy()]
    if by is None:
        group = pd.Series(BOOK_GROUP, index=part.index, dtype="str")
    else:
        group = part["branch_id" if by == "branch_id" else "value"]
    npl = part["final_class"].to_numpy() >= 3
    sums = pd.DataFrame({
        "as_of": part["as_of"], "group": group, "n_loans": part["n_loans"],
        "npl_loans": np.where(npl, part["n_loans"].to_numpy(), 0), "balance": part["balance"],
        "npl_balance": np.where(npl, part["balance"].to_numpy(), 0.0),
    }).groupby(["as_of", "group"], sort=True).sum()
    frame = sums.reset_index().astype({"as_of": "datetime64[us]", "group": "str", "n_loans": "int64",
                                       "npl_loans": "int64", "balance": "float64", "npl_balance": "float64"})
    frame["npl_ratio"] = _nullable_ratio(frame["npl_balance"], frame["balance"])
    frame["undefined_reason"] = _reasons(frame["npl_ratio"], "zero_balance")
    return frame


def _month(dates: pd.Series) -> pd.Series:
    stamps = pd.to_datetime(dates)
    return stamps.dt.year * 12 + stamps.dt.month


def yoy_growth(
    agg: SnapshotAggregates, by: str | None = None, *, branches: Sequence[str] | None = None
) -> pd.DataFrame:
    """Loan growth against NPL growth, year on year ("loans +46.58 %, NPL +30.7 %").

    For every snapshot with a snapshot of the same calendar month one year earlier in the
    book (the latest one of that month), per group: balance and NPL balance now and then,
    and growth = now / then - 1. A group absent a year ago has a year-ago value of 0; one
    absent now, 0 now (growth -100 %).

    Returns
    -------
    DataFrame
        ``as_of``, ``prior_as_of``, ``group``, ``balance``, ``prior_balance``,
        ``loan_growth``, ``loan_growth_reason``, ``npl_balance``, ``prior_npl_balance``,
        ``npl_growth``, ``npl_growth_reason``. Growth is ``Float64``; ``<NA>`` with reason
        ``"zero_prior"`` when the year-ago value is 0 (undefined), else reason None.
        Snapshots without a year-ago snapshot have no rows.

    Raises
    ------
    ValueError
        ``by`` is not a known dimension.
    """
    trend = npl_trend(agg, by, branches=branches)
    dates = pd.DataFrame({"as_of": pd.Series(agg.dates, dtype="datetime64[us]")})
    dates["month"] = _month(dates["as_of"])
    last_of_month = dates.groupby("month")["as_of"].max()
    dates["prior_as_of"] = (dates["month"] - 12).map(last_of_month).astype("datetime64[us]")
    pairs = dates.dropna(subset=["prior_as_of"])[["as_of", "prior_as_of"]]
    values = trend[["as_of", "group", "balance", "npl_balance"]]
    now = values.merge(pairs, on="as_of")
    then = values.rename(columns={"as_of": "prior_as_of", "balance": "prior_balance",
                                  "npl_balance": "prior_npl_balance"}).merge(pairs, on="prior_as_of")
    out = now.merge(then, on=["as_of", "prior_as_of", "group"], how="outer")
    out[["balance", "npl_balance", "prior_balance", "prior_npl_balance"]] = out[
        ["balance", "npl_balance", "prior_balance", "prior_npl_balance"]].fillna(0.0).astype("float64")
    for name, now_col, prior_col in (("loan_growth", "balance", "prior_balance"),
                                     ("npl_growth", "npl_balance", "prior_npl_balance")):
        out[name] = _nullable_ratio(out[now_col] - out[prior_col], out[prior_col])
        out[f"{name}_reason"] = _reasons(out[name], "zero_prior")
    out[["as_of", "prior_as_of"]] = out[["as_of", "prior_as_of"]].astype("datetime64[us]")
    out["group"] = out["group"].astype("str")
    columns = ["as_of", "prior_as_of", "group", "balance", "prior_balance", "loan_growth", "loan_growth_reason",
               "npl_balance", "prior_npl_balance", "npl_growth", "npl_growth_reason"]
    return out[columns].sort_values(["as_of", "group"], kind="stable").reset_index(drop=True)


# ============================================================================ LOAN-LEVEL VIEWS

_ROLL_COLUMNS: Final[dict[str, str]] = {
    "snapshot_date": "timestamp", "loan_id": "string", "branch_id": "string", "balance": "float64", "dpd": "float64",
}


def _branch_filter(branches: Sequence[str] | None, params: dict[str, Any], column: str = "branch_id") -> str:
    if branches is None:
        return "TRUE"
    params["branches"] = [str(b) for b in branches]
    return f"list_contains($branches, {text_sql(column)})"


def roll_rates(loans: pd.DataFrame, *, branches: Sequence[str] | None = None) -> pd.DataFrame:
    """Transitions between DPD buckets from one month-end to the next, per loan.

    Consecutive snapshot dates one calendar month apart are paired (a gap of a missing
    month is not bridged); the loans of the first are joined on ``loan_id`` to the second.
    A loan absent from the second (repaid, written off or transferred) goes to ``"left"``.

    Returns
    -------
    DataFrame
        ``start``, ``end``, ``from_bucket``, ``to_bucket`` (labels of
        :data:`DPD_BUCKETS`, and ``"left"``), ``n_loans``, ``balance`` (at ``start``),
        ``share`` (of the from-bucket's loans) and ``balance_share`` (of its balance;
        ``Float64``, ``<NA>`` when that balance is 0). Only transitions that happened.

    Raises
    ------
    ValueError
        The frame lacks ``snapshot_date``, ``loan_id`` or ``dpd``.
    """
    missing = [c for c in ("snapshot_date", "loan_id", "dpd") if c not in loans.columns]
    if missing:
        raise ValueError(f"the loan table lacks the columns {missing}")
    params: dict[str, Any] = {}
    where = _branch_filter(branches, params)
    labels = "[" + ", ".join(f"'{b}'" for b in DPD_BUCKETS) + "]"
    sql = f"""
        WITH s AS (
            SELECT CAST(snapshot_date AS DATE) AS as_of, loan_id, {text_sql("branch_id")} AS branch_id,
                   coalesce({num_sql("balance")}, 0.0) AS balance, {bucket_sql()} AS bucket
            FROM src WHERE loan_id IS NOT NULL
        ),
        dates AS (SELECT DISTINCT as_of FROM s),
        pairs AS (
            SELECT as_of AS start, lead(as_of) OVER (ORDER BY as_of) AS "end" FROM dates
        ),
        a AS (
            SELECT p.start, p."end", s.loan_id, s.balance, s.bucket FROM s JOIN pairs p ON s.as_of = p.start
            WHERE p."end" IS NOT NULL AND datediff('month', p.start, p."end") = 1 AND {where}
        )
        SELECT a.start, a."end", {labels}[a.bucket + 1] AS from_bucket,
               coalesce({labels}[b.bucket + 1], 'left') AS to_bucket,
               count(*) AS n_loans, sum(a.balance) AS balance
        FROM a LEFT JOIN s b ON b.as_of = a."end" AND b.loan_id = a.loan_id
        GROUP BY ALL ORDER BY a.start, from_bucket, to_bucket
    """
    with connect() as con:
        con.register("src", arrow_table(loans, _ROLL_COLUMNS))
        frame = con.execute(sql, params).df()
    for col in ("start", "end"):
        frame[col] = pd.to_datetime(frame[col]).astype("datetime64[us]")
    frame[["from_bucket", "to_bucket"]] = frame[["from_bucket", "to_bucket"]].astype("str")
    frame["n_loans"] = frame["n_loans"].astype("int64")
    keys = [frame["start"], frame["from_bucket"]]
    frame["share"] = frame["n_loans"] / frame.groupby(keys)["n_loans"].transform("sum")
    frame["balance_share"] = _nullable_ratio(frame["balance"], frame.groupby(keys)["balance"].transform("sum"))
    order = {b: i for i, b in enumerate((*DPD_BUCKETS, "left"))}
    frame = frame.sort_values(["start", "from_bucket", "to_bucket"], key=lambda c: c.map(order) if c.dtype == "str"
                              else c, kind="stable")
    return frame.reset_index(drop=True)


def roll_forward_rates(rolls: pd.DataFrame, *, weight: str = "balance") -> pd.DataFrame:
    """The share of each DPD bucket (0 … 61-90) that rolls to a worse bucket by the next
    month-end, from :func:`roll_rates`.

    ``weight`` ``"balance"`` (the balance at the start month, the usual collections
    view) or ``"count"``. A loan that left the book did not roll.

    Returns
    -------
    DataFrame
        ``end`` (the later month-end), ``from_bucket``, ``base`` (balance or loans in the
        bucket at the start), ``rolled``, ``rate`` (``Float64``, ``<NA>`` where ``base``
        is 0).

    Raises
    ------
    ValueError
        ``weight`` is neither ``"balance"`` nor ``"count"``.
    """
    if weight not in ("balance", "count"):
        raise ValueError(f"`weight` must be 'balance' or 'count', not {weight!r}")
    value = "balance" if weight == "balance" else "n_loans"
    rank = {b: i for i, b in enumerate(DPD_BUCKETS)}
    frame = rolls.loc[rolls["from_bucket"] != DPD_BUCKETS[-1]].copy()
    frame["worse"] = frame["to_bucket"].map(rank).fillna(-1) > frame["from_bucket"].map(rank)
    frame["rolled"] = frame[value].where(frame["worse"], 0.0)
    out = frame.groupby(["end", "from_bucket"], sort=False).agg(base=(value, "sum"), rolled=("rolled", "sum"))
    out = out.reset_index()
    out["base"] = out["base"].astype("float64")
    out["rolled"] = out["rolled"].astype("float64")
    out["rate"] = _nullable_ratio(out["rolled"], out["base"])
    out = out.sort_values(["end", "from_bucket"], key=lambda c: c.map(rank) if c.name == "from_bucket" else c,
                          kind="stable")
    return out.reset_index(drop=True)


_VINTAGE_COLUMNS: Final[dict[str, str]] = {
    "snapshot_date": "timestamp", "loan_id": "string", "branch_id": "string", "origination_date": "timestamp",
    "loan_amount": "float64", "five_class": "float64", "dpd": "float64",
}


def vintage_curves(loans: pd.DataFrame, *, branches: Sequence[str] | None = None) -> pd.DataFrame:
    """Cumulative default rate by months on book, per origination quarter.

    Default = the first snapshot at which a loan's final class is 3 or worse (NPL); its
    months on book (MOB) = calendar months from origination to that snapshot.

    Denominator: every loan of the quarter's cohort seen in the book (at any snapshot),
    whether it later defaulted, repaid or is still running: a repaid loan stays in the
    denominator as a loan that did not default. Only cohorts whose quarter starts no
    earlier than the month of the first snapshot are shown (older cohorts are seen only
    from the middle of their life, after some of their loans had already left); a cohort
    is shown up to the MOB that its latest-originated loans (the quarter's last month)
    reach at the last snapshot, so each point covers the whole cohort. A loan taken out
    and repaid between two month-ends is never seen (not counted).

    Returns
    -------
    DataFrame
        ``cohort`` (``"2023Q1"``), ``mob``, ``n_loans`` (cohort size), ``defaults``
        (cumulative), ``default_rate``, ``amount`` (loan amounts of the cohort),
        ``default_amount``, ``amount_rate`` (``Float64``, ``<NA>`` where the cohort's
        amount is 0).

    Raises
    ------
    ValueError
        The frame lacks ``snapshot_date``, ``loan_id`` or ``origination_date``.
    """
    missing = [c for c in ("snapshot_date", "loan_id", "origination_date") if c not in loans.columns]
    if missing:
        raise ValueError(f"the loan table lacks the columns {missing}")
    params: dict[str, Any] = {}
    where = _branch_filter(branches, params)
    sql = f"""
        WITH s AS (
            SELECT CAST(snapshot_date AS DATE) AS as_of, loan_id, CAST(origination_date AS DATE) AS orig,
                   coalesce({num_sql("loan_amount")}, 0.0) AS amount, {final_class_sql()} AS final_class
            FROM src WHERE loan_id IS NOT NULL AND origination_date IS NOT NULL AND {where}
        ),
        window_ AS (SELECT min(as_of) AS first, max(as_of) AS last FROM s),
        per_loan AS (
            SELECT loan_id, min(orig) AS orig, max(amount) AS amount,
                   min(as_of) FILTER (WHERE final_class >= 3) AS defaulted_at
            FROM s GROUP BY loan_id
        ),
        cohorts AS (
            SELECT p.*, date_trunc('quarter', p.orig) AS q,
                   datediff('month', p.orig, p.defaulted_at) AS default_mob,
                   datediff('month', date_trunc('quarter', p.orig) + INTERVAL 2 MONTH, w.last) AS max_mob
            FROM per_loan p, window_ w
            WHERE date_trunc('quarter', p.orig) >= date_trunc('month', w.first)
        ),
        sizes AS (
            SELECT q, any_value(max_mob) AS max_mob, count(*) AS n_loans, sum(amount) AS amount FROM cohorts GROUP BY q
        ),
        grid AS (SELECT q, max_mob, n_loans, amount, unnest(range(0, max_mob + 1)) AS mob FROM sizes WHERE max_mob >= 0)
        SELECT g.q, g.mob, g.n_loans, g.amount,
               count(c.loan_id) AS defaults, coalesce(sum(c.amount), 0.0) AS default_amount
        FROM grid g LEFT JOIN cohorts c ON c.q = g.q AND c.default_mob IS NOT NULL AND c.default_mob <= g.mob
        GROUP BY ALL ORDER BY g.q, g.mob
    """
    with connect() as con:
        con.register("src", arrow_table(loans, _VINTAGE_COLUMNS))
        frame = con.execute(sql, params).df()
    q = pd.to_datetime(frame["q"])
    out = pd.DataFrame({
        "cohort": (q.dt.year.astype("str") + "Q" + q.dt.quarter.astype("str")).astype("str"),
        "mob": frame["mob"].astype("int64"),
        "n_loans": frame["n_loans"].astype("int64"),
        "defaults": frame["defaults"].astype("int64"),
    })
    out["default_rate"] = out["defaults"] / out["n_loans"]
    out["amount"] = frame["amount"].astype("float64")
    out["default_amount"] = frame["default_amount"].astype("float64")
    out["amount_rate"] = _nullable_ratio(out["default_amount"], out["amount"])
    return out


_DRILL_COLUMNS: Final[dict[str, str]] = {
    "snapshot_date": "timestamp", "branch_id": "string", "borrower_id": "string", "borrower_name": "string",
    "industry_code": "string", "balance": "float64", "five_class": "float64", "dpd": "float64",
}


def borrower_drill(
    loans: pd.DataFrame, as_of: Any = None, *, branches: Sequence[str] | None = None, industry: str | None = None
) -> pd.DataFrame:
    """The borrowers behind a trend line at one snapshot (default: the latest).

    ``industry`` is a GB/T 4754 section letter (``''`` for loans without a readable code).

    Returns
    -------
    DataFrame
        ``borrower_id``, ``borrower_name``, ``n_loans``, ``balance``, ``npl_balance``,
        ``final_class`` (the borrower's worst), ``dpd`` (its largest), largest balance
        first.

    Raises
    ------
    ValueError
        The frame lacks ``snapshot_date`` or ``borrower_id``, or has no snapshot at ``as_of``.
    """
    missing = [c for c in ("snapshot_date", "borrower_id") if c not in loans.columns]
    if missing:
        raise ValueError(f"the loan table lacks the columns {missing}")
    dates = pd.to_datetime(loans["snapshot_date"])
    when = dates.max() if as_of is None else pd.Timestamp(as_of)
    if not (dates == when).any():
        raise ValueError(f"no snapshot dated {when.date()} in the loan table")
    params: dict[str, Any] = {}
    where = _branch_filter(branches, params)
    if industry is not None:
        where += f" AND {section_sql()} = $industry"
        params["industry"] = str(industry)
    sql = f"""
        SELECT {text_sql("borrower_id")} AS borrower_id, coalesce(any_value(borrower_name), '') AS borrower_name,
               count(*) AS n_loans, sum(coalesce({num_sql("balance")}, 0.0)) AS balance,
               coalesce(sum(coalesce({num_sql("balance")}, 0.0)) FILTER (WHERE {final_class_sql()} >= 3), 0.0)
                   AS npl_balance,
               max({final_class_sql()}) AS final_class, CAST(max(coalesce({num_sql("dpd")}, 0.0)) AS BIGINT) AS dpd
        FROM src WHERE {where}
        GROUP BY ALL ORDER BY balance DESC, borrower_id
    """
    with connect() as con:
        con.register("src", arrow_table(loans, _DRILL_COLUMNS, dates=[when]))
        frame = con.execute(sql, params).df()
    return frame.astype({"borrower_id": "str", "borrower_name": "str", "n_loans": "int64", "balance": "float64",
                         "npl_balance": "float64", "final_class": "int64", "dpd": "int64"})
