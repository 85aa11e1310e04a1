"""Concentration of a loan book at one snapshot (issue #5 item 5).

Where the book's balance sits: by industry (GB/T 4754 section) and by region, each with
the Herfindahl-Hirschman index and its equivalent number of equal groups; how much the
ten largest borrowers hold; the largest borrower against the bank's net capital under the
single-customer limit; and the mix of guarantee types.

Every figure is on **balance** (not counts) of the **live** loans (balance > 0) at the
snapshot, in the chosen branches; a borrower's balance is the sum over its loans. Classes
are the final classes of :mod:`riskcore.portfolio` (max(reported, 2023 DPD floor)).
An undefined figure is ``None`` with a reason code, never NaN or inf.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from riskcore.portfolio import final_class

__all__ = [
    "GUARANTEE_ORDER",
    "SINGLE_CUSTOMER_LIMIT",
    "TOP_N",
    "ConcentrationReport",
    "LimitCheck",
    "RegulatoryLimit",
    "ShareBreakdown",
    "TopBorrowers",
    "UNKNOWN",
    "borrower_balances",
    "concentration_report",
    "equivalent_number",
    "guarantee_kind",
    "herfindahl",
    "industry_section",
    "share_breakdown",
    "single_customer_check",
    "top_borrowers",
]

TOP_N: Final[int] = 10
"""Borrowers in the "largest borrowers" share (前十大客户贷款占比)."""

GUARANTEE_ORDER: Final[tuple[str, ...]] = ("credit", "guarantee", "mortgage", "pledge", "mixed")
"""Guarantee types (DOMAIN §2.1: 信用/保证/抵押/质押/组合) in display order."""

_GUARANTEE_ALIASES: Final[dict[str, str]] = {
    "信用": "credit", "保证": "guarantee", "抵押": "mortgage", "质押": "pledge", "组合": "mixed",
}
_SECTIONS: Final[frozenset[str]] = frozenset("ABCDEFGHIJKLMNOPQRST")

UNKNOWN: Final[str] = ""
"""Group code of loans whose industry, region or guarantee type is missing or not recognised."""


@dataclass(frozen=True, slots=True)
class RegulatoryLimit:
    """A regulatory limit as data: ``numerator / denominator <= limit``, with its source."""

    code: str
    limit: float
    numerator: str
    denominator: str
    source: str


SINGLE_CUSTOMER_LIMIT: Final[RegulatoryLimit] = RegulatoryLimit(
    code="single_customer",
    limit=0.10,
    numerator="largest customer's loans (sum of its loan balances)",
    denominator="net capital (资本净额)",
    source="商业银行风险监管核心指标（试行）(CBRC, 2006): 单一客户贷款集中度 = 最大一家客户贷款总额 / 资本净额 "
           "≤ 10% (DOMAIN.md §1.5)",
)
"""Single-customer loan concentration: largest customer loans / net capital ≤ 10 %
(DOMAIN.md §1.5). Compliant at exactly 10 %. The 15 % group-customer limit of the same
source needs group membership, which the ledger does not carry; DOMAIN.md lists no limit
on the ten largest customers, so :class:`TopBorrowers` reports their share without one."""


# ============================================================================ HELPERS


def herfindahl(values: Any) -> float | None:
    r"""Herfindahl-Hirschman index of non-negative amounts: :math:`\sum_i s_i^2`, :math:`s_i = x_i / \sum x`.

    On shares in [0, 1] (so 1/n for n equal groups, 1 for a single group); multiply by
    10,000 for the "points" convention. None when there is nothing (empty, or a sum ≤ 0).

    Raises
    ------
    ValueError
        A negative or non-finite amount.

    Examples
    --------
    >>> round(herfindahl([50, 30, 20]), 10)
    0.38
    >>> herfindahl([]) is None
    True
    """
    x = np.asarray(values, dtype=np.float64).ravel()
    if not np.isfinite(x).all() or (x < 0).any():
        raise ValueError("amounts must be finite and non-negative")
    total = float(x.sum())
    if total <= 0:
        return None
    s = x / total
    return float(np.dot(s, s))


def equivalent_number(hhi: float | None) -> float | None:
    """1/HHI: the number of equal-sized groups with the same concentration (None → None)."""
    return None if hhi is None or hhi <= 0 else 1.0 / hhi


def industry_section(codes: pd.Series) -> pd.Series:
    """GB/T 4754 section (门类 A–T) of industry codes: the first letter, upper-cased.

    ``"C"``, ``"c"``, ``"C13"`` and ``"C1311"`` are all section C. A missing code, or one
    that does not start with a section letter (a numeric division such as ``"13"``, whose
    section depends on the 2011/2017 version, or a name), gives :data:`UNKNOWN` (``""``).
    """
    text = codes.astype("string").fillna("").str.strip().str.upper().str[:1]
    return text.where(text.isin(_SECTIONS), UNKNOWN).astype("str")


def guarantee_kind(values: pd.Series) -> pd.Series:
    """Guarantee type as one of :data:`GUARANTEE_ORDER` (信用/保证/抵押/质押/组合 accepted);
    :data:`UNKNOWN` for a missing or unrecognised type."""
    text = values.astype("string").fillna("").str.strip().str.lower().replace(_GUARANTEE_ALIASES)
    return text.where(text.isin(GUARANTEE_ORDER), UNKNOWN).astype("str")


def _region(values: pd.Series) -> pd.Series:
    return values.astype("string").fillna("").str.strip().astype("str")


def _snapshot(loans: pd.DataFrame, as_of: Any, branches: Sequence[str] | None) -> tuple[pd.Timestamp, pd.DataFrame]:
    """The live loans (balance > 0) of one snapshot in some branches, with a final class."""
    missing = [c for c in ("snapshot_date", "borrower_id", "balance") if c not in loans.columns]
    if missing:
        raise ValueError(f"the loan table lacks the columns {missing}")
    if branches is not None and "branch_id" not in loans.columns:
        raise ValueError("`branches` given but the loan table has no branch_id column")
    dates = pd.to_datetime(loans["snapshot_date"])
    if as_of is None:
        if dates.dropna().empty:
            raise ValueError("the loan table has no snapshot date")
        when = pd.Timestamp(dates.max())
    else:
        when = pd.Timestamp(as_of)
    mask = (dates == when).to_numpy()
    if not mask.any():
        raise ValueError(f"no snapshot dated {when.date()} in the loan table")
    if branches is not None:
        mask = mask & loans["branch_id"].astype("string").isin([str(b) for b in branches]).fillna(False).to_numpy(bool)
    snap = loans.loc[mask]
    balance = pd.to_numeric(snap["balance"], errors="coerce").fillna(0.0).astype(np.float64)
    live = snap.loc[(balance > 0).to_numpy()]
    balance = balance[(balance > 0).to_numpy()]
    five = (pd.to_numeric(live["five_class"], errors="coerce") if "five_class" in live.columns
            else pd.Series(np.nan, index=live.index))
    dpd = pd.to_numeric(live["dpd"], errors="coerce") if "dpd" in live.columns else pd.Series(0.0, index=live.index)
    out = pd.DataFrame({
        "borrower_id": live["borrower_id"].astype("string").fillna("").astype("str"),
        "balance": balance,
        "final_class": final_class(five, dpd),
    }, index=live.index)
    for column in ("borrower_name", "industry_code", "region_code", "guarantee_type", "branch_id"):
        if column in live.columns:
            out[column] = live[column]
    return when, out


# ============================================================================ SHARES


@dataclass(frozen=True, slots=True)
class ShareBreakdown:
    """The balance by group of one dimension and its concentration.

    Attributes
    ----------
    dimension
        ``"industry"`` (GB/T 4754 section), ``"region"`` (``region_code``) or
        ``"guarantee"`` (:data:`GUARANTEE_ORDER`).
    table
        Index ``group`` (the code; :data:`UNKNOWN` ``""`` for loans without a known one,
        always last), largest balance first (the guarantee types in
        :data:`GUARANTEE_ORDER`): ``balance``, ``share`` (of the whole balance,
        unknown included; sums to 1), ``loans``, ``borrowers``, ``npl_balance`` (final
        class 3-5) and ``npl_ratio`` (group NPL balance / group balance).
    hhi
        Herfindahl-Hirschman index over the groups with a known code (their balances
        re-based to shares of the known balance); None when undefined.
    equivalent_groups
        1/HHI: the number of equal groups with the same concentration; None with ``hhi``.
    unknown_share
        Share of the balance left out of the HHI (no known code).
    undefined_reason
        ``None``, ``"empty_book"`` (no live loan), ``"no_column"`` (the loan table has no
        such column) or ``"no_known_group"`` (no loan has a known code).
    """

    dimension: str
    table: pd.DataFrame
    hhi: float | None
    equivalent_groups: float | None
    unknown_share: float
    undefined_reason: str | None


def share_breakdown(
    balance: pd.Series,
    groups: pd.Series,
    dimension: str,
    *,
    borrower_id: pd.Series | None = None,
    final: pd.Series | None = None,
    order: Sequence[str] | None = None,
) -> ShareBreakdown:
    """Balance, share and NPL by group, and the HHI over the known groups.

    Parameters
    ----------
    balance
        Loan balances (≥ 0).
    groups
        Group code of each loan, aligned with ``balance``; :data:`UNKNOWN` (``""``) for
        none.
    dimension
        Name of the dimension (kept in the result).
    borrower_id, final
        Borrower and final class of each loan (for the ``borrowers`` and NPL columns);
        without them ``borrowers`` is 0 and the NPL balance 0.
    order
        Fixed row order of the known groups (absent groups left out); default largest
        balance first.
    """
    frame = pd.DataFrame({
        "group": groups.astype("str").to_numpy(),
        "balance": balance.astype(np.float64).to_numpy(),
        "borrower": (borrower_id.astype("str").to_numpy() if borrower_id is not None
                     else np.full(len(balance), "", dtype=object)),
        "npl": (np.where(final.to_numpy() >= 3, balance.to_numpy(dtype=np.float64), 0.0) if final is not None
                else np.zeros(len(balance))),
    })
    g = frame.groupby("group", sort=False)
    table = pd.DataFrame({
        "balance": g["balance"].sum(),
        "loans": g.size().astype(np.int64),
        "borrowers": (g["borrower"].nunique().astype(np.int64) if borrower_id is not None
                      else g.size().astype(np.int64) * 0),
        "npl_balance": g["npl"].sum(),
    })
    total = float(table["balance"].sum())
    known = table.loc[table.index != UNKNOWN]
    if order is not None:
        known = known.reindex([k for k in order if k in known.index])
    else:
        known = known.sort_values("balance", ascending=False, kind="stable")
    table = pd.concat([known, table.loc[table.index == UNKNOWN]])
    table.index.name = "group"
    table["share"] = table["balance"] / total if total > 0 else 0.0
    table["npl_ratio"] = table["npl_balance"] / table["balance"].where(table["balance"] > 0)
    table["npl_ratio"] = table["npl_ratio"].astype(object).where(table["npl_ratio"].notna(), None)
    table = table[["balance", "share", "loans", "borrowers", "npl_balance", "npl_ratio"]]
    unknown_balance = float(table.loc[table.index == UNKNOWN, "balance"].sum())
    unknown_share = unknown_balance / total if total > 0 else 0.0
    if total <= 0:
        return ShareBreakdown(dimension, table, None, None, 0.0, "empty_book")
    hhi = herfindahl(known["balance"].to_numpy())
    if hhi is None:
        return ShareBreakdown(dimension, table, None, None, unknown_share, "no_known_group")
    return ShareBreakdown(dimension, table, hhi, equivalent_number(hhi), unknown_share, None)


def _no_column(dimension: str) -> ShareBreakdown:
    empty = pd.DataFrame({"balance": pd.Series(dtype=np.float64), "share": pd.Series(dtype=np.float64),
                          "loans": pd.Series(dtype=np.int64), "borrowers": pd.Series(dtype=np.int64),
                          "npl_balance": pd.Series(dtype=np.float64), "npl_ratio": pd.Series(dtype=object)},
                         index=pd.Index([], name="group", dtype="str"))
    return ShareBreakdown(dimension, empty, None, None, 0.0, "no_column")


# ============================================================================ BORROWERS


def borrower_balances(live: pd.DataFrame) -> pd.DataFrame:
    """Per borrower of live loans (``borrower_id``, ``balance``, ``final_class`` and,
    when present, ``borrower_name``, ``industry_code``, ``branch_id``): balance (sum over
    its loans), loans, worst final class, and the name, industry and branch of its largest
    loan. Largest balance first (ties by borrower id), index ``borrower_id``."""
    first = live.sort_values(["balance", "borrower_id"], ascending=[False, True], kind="stable")
    first = first.drop_duplicates("borrower_id").set_index("borrower_id")
    g = live.groupby("borrower_id", sort=True)
    out = pd.DataFrame({
        "balance": g["balance"].sum().astype(np.float64),
        "loans": g.size().astype(np.int64),
        "worst_class": g["final_class"].max().astype(np.int64),
    })
    for column in ("borrower_name", "industry_code", "branch_id"):
        source = first[column] if column in first.columns else pd.Series("", index=first.index)
        out[column] = source.reindex(out.index).astype("string").fillna("").astype("str")
    out.index.name = "borrower_id"
    out = out.reset_index().sort_values(["balance", "borrower_id"], ascending=[False, True], kind="stable")
    return out.set_index("borrower_id")


def _ratio_or_none(values: npt.NDArray[np.float64], net_capital: float | None) -> list[float | None]:
    if net_capital is None:
        return [None] * len(values)
    return [float(v) / net_capital for v in values]


@dataclass(frozen=True, slots=True)
class LimitCheck:
    """The largest borrower against the single-customer limit.

    Attributes
    ----------
    limit
        The limit applied (:data:`SINGLE_CUSTOMER_LIMIT` by default).
    net_capital
        Net capital (资本净额) in CNY as entered; None when not given.
    largest_borrower_id, largest_balance
        The borrower with the largest balance and that balance (None for an empty book).
    ratio
        ``largest_balance / net_capital``; None when undefined.
    compliant
        ``ratio <= limit`` (exactly at the limit is compliant); None when undefined.
    headroom
        ``limit × net_capital − largest_balance`` in CNY (negative: the excess).
    breaches
        Borrowers whose balance / net capital exceeds the limit.
    undefined_reason
        ``None``, ``"empty_book"``, ``"no_net_capital"`` or ``"net_capital_not_positive"``.
    """

    limit: RegulatoryLimit
    net_capital: float | None
    largest_borrower_id: str | None
    largest_balance: float | None
    ratio: float | None
    compliant: bool | None
    headroom: float | None
    breaches: int | None
    undefined_reason: str | None


def _net_capital(net_capital: float | None) -> tuple[float | None, str | None]:
    if net_capital is None:
        return None, "no_net_capital"
    value = float(net_capital)
    if math.isnan(value):
        return None, "no_net_capital"
    if not math.isfinite(value) or value <= 0:
        return None, "net_capital_not_positive"
    return value, None


def single_customer_check(
    borrowers: pd.DataFrame,
    net_capital: float | None,
    *,
    limit: RegulatoryLimit = SINGLE_CUSTOMER_LIMIT,
) -> LimitCheck:
    """The largest borrower's balance / net capital against ``limit`` (≤ is compliant).

    Parameters
    ----------
    borrowers
        :func:`borrower_balances` (largest first).
    net_capital
        The bank's net capital in CNY (a head-office figure a branch enters by hand);
        None, NaN, zero or negative → the ratio is undefined.

    Notes
    -----
    The regulatory figure is bank-wide: with some branches selected, only their loans
    count towards a borrower's balance.
    """
    largest_id = None if borrowers.empty else str(borrowers.index[0])
    largest = None if borrowers.empty else float(borrowers["balance"].iloc[0])
    capital, reason = _net_capital(net_capital)
    if borrowers.empty:
        return LimitCheck(limit, capital, None, None, None, None, None, None, "empty_book")
    if capital is None or largest is None:
        return LimitCheck(limit, capital, largest_id, largest, None, None, None, None, reason)
    ratio = largest / capital
    breaches = int((borrowers["balance"].to_numpy(dtype=np.float64) / capital > limit.limit).sum())
    return LimitCheck(limit, capital, largest_id, largest, ratio, bool(ratio <= limit.limit),
                      limit.limit * capital - largest, breaches, None)


@dataclass(frozen=True, slots=True)
class TopBorrowers:
    """The largest borrowers by balance.

    Attributes
    ----------
    n
        Borrowers listed (``min(top_n, borrowers in the book)``).
    share
        Their balance / the book's balance (None for an empty book).
    table
        One row per borrower, largest first: ``rank`` (1 = largest), ``borrower_id``,
        ``borrower_name``, ``industry_code``, ``branch_id``, ``balance``, ``loans``,
        ``worst_class``, ``share``, ``cumulative_share``, ``net_capital_ratio`` and
        ``within_limit`` (None without net capital; ratio ≤ limit is within).
    """

    n: int
    share: float | None
    table: pd.DataFrame


def top_borrowers(
    borrowers: pd.DataFrame,
    *,
    top_n: int = TOP_N,
    net_capital: float | None = None,
    limit: RegulatoryLimit = SINGLE_CUSTOMER_LIMIT,
) -> TopBorrowers:
    """The ``top_n`` largest borrowers of :func:`borrower_balances`, their share of the
    book and, given net capital, each one's balance / net capital against ``limit``.

    Raises
    ------
    ValueError
        ``top_n`` < 1.
    """
    if top_n < 1:
        raise ValueError(f"top_n must be at least 1; got {top_n}")
    total = float(borrowers["balance"].sum())
    head = borrowers.head(top_n)
    capital, _ = _net_capital(net_capital)
    balance = head["balance"].to_numpy(dtype=np.float64)
    share = balance / total if total > 0 else np.zeros(len(head))
    ratios = _ratio_or_none(balance, capital)
    table = pd.DataFrame({
        "rank": np.arange(1, len(head) + 1, dtype=np.int64),
        "borrower_id": head.index.astype("str"),
        "borrower_name": head["borrower_name"].to_numpy(),
        "industry_code": head["industry_code"].to_numpy(),
        "branch_id": head["branch_id"].to_numpy(),
        "balance": balance,
        "loans": head["loans"].to_numpy(dtype=np.int64),
        "worst_class": head["worst_class"].to_numpy(dtype=np.int64),
        "share": share,
        "cumulative_share": np.cumsum(share),
        "net_capital_ratio": pd.Series(ratios, dtype=object),
        "within_limit": pd.Series([None if r is None else bool(r <= limit.limit) for r in ratios], dtype=object),
    })
    return TopBorrowers(n=len(head), share=float(balance.sum()) / total if total > 0 else None, table=table)


# ============================================================================ REPORT


@dataclass(frozen=True, slots=True)
class ConcentrationReport:
    """Concentration of one snapshot (see :func:`concentration_report`).

    ``undefined_reason`` is ``"empty_book"`` when the snapshot has no live loan in the
    branches (every share and HHI is then None), else None.
    """

    as_of: pd.Timestamp
    branches: tuple[str, ...] | None
    loans: int
    borrowers: int
    balance: float
    industry: ShareBreakdown
    region: ShareBreakdown
    guarantee: ShareBreakdown
    top: TopBorrowers
    single_customer: LimitCheck
    undefined_reason: str | None


def concentration_report(
    loans: pd.DataFrame,
    as_of: Any = None,
    *,
    branches: Sequence[str] | None = None,
    net_capital: float | None = None,
    top_n: int = TOP_N,
    limit: RegulatoryLimit = SINGLE_CUSTOMER_LIMIT,
) -> ConcentrationReport:
    """Industry and region HHI, the top borrowers' share, the single-customer limit and
    the guarantee mix at one snapshot.

    Parameters
    ----------
    loans
        Canonical loan table (DOMAIN.md §2.1). Required: ``snapshot_date``,
        ``borrower_id``, ``balance``. Used when present: ``industry_code``,
        ``region_code``, ``guarantee_type``, ``five_class``, ``dpd``, ``branch_id``,
        ``borrower_name``.
    as_of
        A snapshot date of ``loans``; None → the latest.
    branches
        ``branch_id`` codes to include; None → all.
    net_capital
        The bank's net capital (资本净额) in CNY, entered by the user; None → the
        single-customer ratio is undefined (reason ``"no_net_capital"``).
    top_n
        How many of the largest borrowers to list (default 10).
    limit
        The single-customer limit (default :data:`SINGLE_CUSTOMER_LIMIT`, 10 %).

    Returns
    -------
    ConcentrationReport

    Raises
    ------
    ValueError
        A required column is missing, ``as_of`` is not a snapshot date, ``top_n`` < 1.

    Notes
    -----
    With :math:`s_i` the balance share of group i among the groups with a known code,
    :math:`HHI = \\sum_i s_i^2` (1/n for n equal groups, 1 when one group holds all) and
    the equivalent number of equal groups is :math:`1/HHI`. Industry groups are GB/T 4754
    sections (:func:`industry_section`), regions the ``region_code`` as given.
    """
    when, live = _snapshot(loans, as_of, branches)
    borrowers = borrower_balances(live)
    final = live["final_class"]
    total = float(live["balance"].sum())
    kw: dict[str, Any] = {"borrower_id": live["borrower_id"], "final": final}
    industry = (share_breakdown(live["balance"], industry_section(live["industry_code"]), "industry", **kw)
                if "industry_code" in live.columns else _no_column("industry"))
    region = (share_breakdown(live["balance"], _region(live["region_code"]), "region", **kw)
              if "region_code" in live.columns else _no_column("region"))
    guarantee = (share_breakdown(live["balance"], guarantee_kind(live["guarantee_type"]), "guarantee",
                                 order=GUARANTEE_ORDER, **kw)
                 if "guarantee_type" in live.columns else _no_column("guarantee"))
    return ConcentrationReport(
        as_of=when,
        branches=None if branches is None else tuple(str(b) for b in branches),
        loans=len(live),
        borrowers=len(borrowers),
        balance=total,
        industry=industry,
        region=region,
        guarantee=guarantee,
        top=top_borrowers(borrowers, top_n=top_n, net_capital=net_capital, limit=limit),
        single_customer=single_customer_check(borrowers, net_capital, limit=limit),
        undefined_reason="empty_book" if live.empty else None,
    )
