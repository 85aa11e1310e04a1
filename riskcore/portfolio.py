"""Book-level figures: the 2023 DPD floors, final five-level class and the NPL ratio.

A first slice of the portfolio analytics; the page and the indicator builder share these so
that "NPL" means the same everywhere: final class = max(reported class, DPD floor), NPL =
final class 3-5, by balance. The floors and rule sets live in :mod:`riskcore.classification`
(``dpd_floor`` is re-exported here); the full ratio set is :mod:`riskcore.ratios`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from riskcore.classification import classify, dpd_floor, reported_classes

__all__ = ["BookSummary", "book_summary", "dpd_floor", "final_class", "npl_ratio_series"]


def final_class(reported: pd.Series, dpd: pd.Series) -> pd.Series:
    """max(reported class, 2023 DPD floor): a bank may classify worse than the floor, never better.

    A missing (or unreadable) reported class counts as 1 (normal), so the floor alone
    decides; see :func:`riskcore.classification.classify` for other rule sets.
    """
    rep = reported_classes(reported).fillna(1).to_numpy(dtype=np.int64)
    return pd.Series(np.maximum(rep, dpd_floor(dpd.to_numpy())), index=reported.index, dtype=np.int64)


@dataclass(frozen=True, slots=True)
class BookSummary:
    """Balances of one snapshot and its NPL ratio.

    ``npl_ratio`` is None when undefined; ``undefined_reason`` then says why
    (``"empty_book"``: no loan, or a total balance of 0).
    """

    as_of: pd.Timestamp
    loans: int
    balance: float
    npl_balance: float
    npl_ratio: float | None
    exceptions: int
    undefined_reason: str | None


def book_summary(
    loans: pd.DataFrame, as_of: Any = None, *, branches: Sequence[str] | None = None
) -> BookSummary:
    """NPL balance and ratio (final class 3-5, by balance) of one snapshot of a loan table.

    ``exceptions`` counts loans whose reported class is better than their DPD floor
    (classification exceptions a committee must see; a loan without a reported class is
    none, see :func:`riskcore.classification.classify`).

    Raises
    ------
    ValueError
        The table lacks snapshot_date, balance, five_class or dpd, or ``as_of`` is not one
        of its snapshot dates.
    """
    missing = [c for c in ("snapshot_date", "balance", "five_class", "dpd") if c not in loans.columns]
    if missing:
        raise ValueError(f"the loan table lacks the columns {missing}")
    dates = pd.to_datetime(loans["snapshot_date"])
    when = dates.max() if as_of is None else pd.Timestamp(as_of)
    if not (dates == when).any():
        raise ValueError(f"no snapshot dated {when.date()} in the loan table")
    mask = dates == when
    if branches is not None:
        mask &= loans["branch_id"].astype(str).isin([str(b) for b in branches])
    snap = loans.loc[mask]
    balance = pd.to_numeric(snap["balance"], errors="coerce").fillna(0.0)
    classes = classify(snap)
    total = float(balance.sum())
    npl = float(balance[classes.final >= 3].sum())
    empty = total <= 0
    return BookSummary(
        as_of=when,
        loans=len(snap),
        balance=total,
        npl_balance=npl,
        npl_ratio=None if empty else npl / total,
        exceptions=len(classes.exceptions),
        undefined_reason="empty_book" if empty else None,
    )


def npl_ratio_series(loans: pd.DataFrame, *, branches: Sequence[str] | None = None) -> pd.Series:
    """NPL ratio (final class 3-5, by balance) at every snapshot of a loan table.

    The same figure as :attr:`book_summary` ``(loans, date, branches=...).npl_ratio`` for
    each snapshot date, in one grouped pass (final class = max(reported, 2023 DPD floor)).

    Returns
    -------
    Series
        Index ``snapshot_date`` (ascending; only dates with a loan in ``branches``), name
        ``"npl_ratio"``; NaN where the snapshot's total balance is 0 (ratio undefined).

    Raises
    ------
    ValueError
        The table lacks snapshot_date, balance, five_class or dpd (or branch_id when
        ``branches`` is given).
    """
    needed = ["snapshot_date", "balance", "five_class", "dpd"] + (["branch_id"] if branches is not None else [])
    missing = [c for c in needed if c not in loans.columns]
    if missing:
        raise ValueError(f"the loan table lacks the columns {missing}")
    frame = loans
    if branches is not None:
        frame = loans.loc[loans["branch_id"].astype(str).isin([str(b) for b in branches])]
    balance = pd.to_numeric(frame["balance"], errors="coerce").fillna(0.0).to_numpy(dtype=np.float64)
    fin = final_class(pd.to_numeric(frame["five_class"], errors="coerce"), pd.to_numeric(frame["dpd"], errors="coerce"))
    sums = pd.DataFrame(
        {"balance": balance, "npl": np.where(fin.to_numpy() >= 3, balance, 0.0)},
        index=pd.DatetimeIndex(pd.to_datetime(frame["snapshot_date"]), name="snapshot_date"),
    ).groupby(level=0, sort=True).sum()
    total = sums["balance"]
    return (sums["npl"] / total.where(total > 0)).rename("npl_ratio")
