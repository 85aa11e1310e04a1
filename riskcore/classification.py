"""Five-level classification of a loan book: DPD floors as named rule sets, classification
exceptions, and the optional debtor-level rule.

Why a module of its own: the days-past-due floor is the one place where the dashboard may
overrule what a branch reported, so every figure built on classes (NPL ratio, coverage,
provisions, migrations) must come from the same rules, and a committee must be able to
see, loan by loan, where the floor changed a class. The rule set is data (DOMAIN.md §1.3)
so that a bank still using its pre-2023 internal ladder, or a credit-card book, can be
read the way it was classified, while the default stays the 2023 Measures.

Conventions (DOMAIN.md §1.2-1.3, §6.1-6.2):

* ``final class = max(reported class, floor(DPD))``: a bank may classify worse than the
  floor, never better.
* A loan whose reported class is better than its floor is a *classification exception*.
  It is listed, never silently fixed.
* DPD is the ledger's ``dpd`` column; a ledger that gives principal and interest DPD
  separately must map the larger of the two to it (§1.3). A missing DPD counts as 0
  (not overdue), a negative one as 0.
* Optional debtor rule (2023 Measures art. 7): when more than 10 % of a non-retail
  debtor's claims at the bank are non-performing, all of them are.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from itertools import pairwise
from types import MappingProxyType
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from riskcore.objectives import LoanClass

__all__ = [
    "DEBTOR_NPL_SHARE",
    "DEFAULT_RULES",
    "RULES_2023",
    "RULES_CARD",
    "RULES_PRE2023",
    "RULE_SETS",
    "Classification",
    "RuleSet",
    "classify",
    "dpd_floor",
    "get_rules",
    "reported_classes",
]

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class RuleSet:
    """A DPD → class-floor ladder, named so that every figure can say which one it used.

    Attributes
    ----------
    name : str
        Identifier used on the command line and in the catalogue (``cls.rules.<name>``).
    thresholds : tuple of 4 int
        The smallest DPD at which the floor is at least special mention, substandard,
        doubtful and loss. The 2023 Measures' "DPD > 90 → at least substandard" is the
        threshold 91, so that a DPD of exactly 90 stays special mention.
    source : str
        The text the ladder comes from (DOMAIN.md §1.3), for the record, not for display.
    regulation : bool
        False for a practice that is no regulation (the pre-2023 internal ladder): the page
        can say so next to the figures.
    """

    name: str
    thresholds: tuple[int, int, int, int]
    source: str
    regulation: bool = True

    def __post_init__(self) -> None:
        t = self.thresholds
        if len(t) != 4 or t[0] < 1 or any(b <= a for a, b in pairwise(t)):
            raise ValueError(
                f"`thresholds` of rule set {self.name!r} must be 4 strictly increasing DPD values >= 1, got {t}"
            )

    def floor(self, dpd: Any) -> IntArray:
        """Class floor (1-5) of each DPD value.

        Missing and negative DPD count as 0 (floor 1): a ledger that leaves DPD blank for
        loans that are not overdue is the common case, and guessing arrears is worse.
        """
        d = np.nan_to_num(np.asarray(dpd, dtype=np.float64), nan=0.0)
        floor = np.ones(d.shape, dtype=np.int64)
        for threshold in self.thresholds:
            floor += d >= threshold
        return floor


RULES_2023: Final = RuleSet(
    name="2023",
    thresholds=(1, 91, 271, 361),
    source="商业银行金融资产风险分类办法 (CBIRC + PBOC Order 2023 No. 1), in force 2023-07-01",
)
RULES_PRE2023: Final = RuleSet(
    name="pre2023",
    thresholds=(1, 91, 181, 361),
    source="common pre-2023 internal practice (exam materials), not a regulation",
    regulation=False,
)
RULES_CARD: Final = RuleSet(
    name="card",
    thresholds=(1, 91, 121, 181),
    source="商业银行信用卡业务监督管理办法 (2011) art. 92",
)

#: Every rule set by name, the default first.
RULE_SETS: Final[Mapping[str, RuleSet]] = MappingProxyType(
    {r.name: r for r in (RULES_2023, RULES_PRE2023, RULES_CARD)}
)
DEFAULT_RULES: Final = RULES_2023.name

#: Art. 7 of the 2023 Measures: *more than* 10 % of a debtor's claims non-performing.
DEBTOR_NPL_SHARE: Final = 0.10


def get_rules(rules: str | RuleSet) -> RuleSet:
    """The rule set named ``rules`` (a :class:`RuleSet` is returned as is).

    Raises
    ------
    ValueError
        ``rules`` names no rule set; the message lists those there are.
    """
    if isinstance(rules, RuleSet):
        return rules
    found = RULE_SETS.get(str(rules))
    if found is None:
        raise ValueError(f"`rules` must be one of {sorted(RULE_SETS)}, got {rules!r}")
    return found


def dpd_floor(dpd: Any, rules: str | RuleSet = DEFAULT_RULES) -> IntArray:
    """Class floor by days past due under a rule set (default: the 2023 Measures).

    Under the 2023 Measures: DPD >= 1 -> 2 (special mention), > 90 -> 3 (substandard),
    > 270 -> 4 (doubtful), > 360 -> 5 (loss); otherwise 1. Missing DPD counts as 0.
    """
    return get_rules(rules).floor(dpd)


def reported_classes(values: pd.Series) -> pd.Series:
    """The reported class of each loan as nullable integers 1-5.

    Accepts codes (1-5, also as text) and labels (正常/关注/…, normal/…, sub-grades such
    as 关注二级) so that a raw ledger column reads the same as a parsed one. Anything
    else, blank or out of range, becomes <NA>: a class that cannot be read is no class,
    and the floor alone then decides (see :func:`classify`).
    """
    numeric = pd.to_numeric(values, errors="coerce")
    if numeric.notna().sum() < values.notna().sum():  # some labels are not numbers
        def parse(label: object) -> float:
            try:
                return float(LoanClass.from_label(label))
            except ValueError:
                return np.nan

        labels = values[numeric.isna() & values.notna()]
        mapping = {v: parse(v) for v in pd.unique(labels)}
        numeric = numeric.where(numeric.notna(), labels.map(mapping))
    numeric = numeric.astype("float64")
    valid = numeric.isin([1.0, 2.0, 3.0, 4.0, 5.0])
    return numeric.where(valid).astype("Int64")


@dataclass(frozen=True, slots=True)
class Classification:
    """The classes of every loan of a book under one rule set.

    Attributes
    ----------
    rules : RuleSet
        The ladder used.
    debtor_rule : bool
        Whether the debtor-level rule was applied.
    loans : DataFrame
        One row per loan, indexed like the input: ``reported_class`` (Int64, <NA> when
        missing or unreadable), ``dpd`` (int, missing as 0), ``floor``, ``loan_class``
        (worse of reported and floor), ``final_class`` (after the debtor rule when
        applied, else equal to ``loan_class``), ``exception`` (reported better than the
        floor), ``reported_missing`` and ``by_debtor`` (raised by the debtor rule).
    exceptions : DataFrame
        The classification exceptions, largest balance first within each snapshot:
        ``snapshot_date`` (when the book has one), ``loan_id``, ``borrower_id``,
        ``borrower_name``, ``branch_id``, ``reported_class``, ``dpd``, ``floor``,
        ``balance``; indexed like the input rows.
    debtors : DataFrame
        Debtors whose loans the debtor rule raised: ``snapshot_date`` (when present),
        ``borrower_id``, ``balance``, ``npl_balance`` (before the rule), ``npl_share``,
        ``loans_raised``, ``balance_raised``. Empty without the rule.
    """

    rules: RuleSet
    debtor_rule: bool
    loans: pd.DataFrame
    exceptions: pd.DataFrame
    debtors: pd.DataFrame

    @property
    def final(self) -> pd.Series:
        """Final class per loan (int64), indexed like the input."""
        return self.loans["final_class"]

    @property
    def unreported(self) -> int:
        """Loans without a readable reported class (classified by the floor alone)."""
        return int(self.loans["reported_missing"].sum())


_EXCEPTION_COLUMNS: Final = ("loan_id", "borrower_id", "borrower_name", "branch_id")
_DEBTOR_COLUMNS: Final = (
    "borrower_id", "balance", "npl_balance", "npl_share", "loans_raised", "balance_raised",
)


def classify(loans: pd.DataFrame, rules: str | RuleSet = DEFAULT_RULES, debtor_rule: bool = False) -> Classification:
    """Final five-level class of every loan: reported class, DPD floor, and optionally the
    debtor-level rule.

    Parameters
    ----------
    loans : DataFrame
        Canonical loan rows (DOMAIN.md §2.1), any number of snapshots. Needs ``dpd``;
        ``five_class`` (the reported class), ``balance``, ``snapshot_date``,
        ``loan_id``, ``borrower_id``, ``borrower_name`` and ``branch_id`` are used when
        present. The debtor rule needs ``borrower_id``.
    rules : str or RuleSet
        Name of a rule set in :data:`RULE_SETS` (``"2023"``, ``"pre2023"``, ``"card"``).
    debtor_rule : bool
        Apply the 2023 Measures art. 7: within each snapshot, a debtor whose
        non-performing balance (after the floors) is more than 10 % of its balance in
        ``loans`` has every loan raised to at least substandard.

    Returns
    -------
    Classification

    Raises
    ------
    ValueError
        No ``dpd`` column, an unknown rule set, or the debtor rule without ``borrower_id``.

    Notes
    -----
    *Missing reported class.* A loan whose ``five_class`` is blank, unreadable or out of
    1-5 (or a book without the column) is classified by its floor alone, so it is at least
    as bad as its arrears say. It is **not** a classification exception (nothing was
    reported that could be better than the floor); it is counted in ``reported_missing``
    so the page can say how many classes were missing.

    *Debtor rule.* Art. 7 concerns non-retail debtors and *all* of a debtor's claims at
    the bank. The ledger has no retail flag, so the rule applies to every borrower (an SME
    book is non-retail), and "at the bank" means the loans given: pass every branch of the
    bank, then filter the result, or a debtor's loans in another branch are missed. The
    share is by balance, like every ratio here; a debtor with a zero balance never
    triggers the rule. One pass suffices: once raised, the debtor's share is 100 %.
    """
    if "dpd" not in loans.columns:
        raise ValueError("the loan table lacks the columns ['dpd']")
    ladder = get_rules(rules)
    index = loans.index
    if "five_class" in loans.columns:
        reported = reported_classes(loans["five_class"])
    else:
        reported = pd.Series(pd.NA, index=index, dtype="Int64")
    dpd = np.clip(np.nan_to_num(pd.to_numeric(loans["dpd"], errors="coerce").to_numpy(dtype=np.float64,
                                                                                         na_value=np.nan)), 0, None)
    floor = ladder.floor(dpd)
    missing = reported.isna().to_numpy()
    rep = reported.to_numpy(dtype=np.float64, na_value=0.0).astype(np.int64)
    loan_class = np.maximum(rep, floor)
    exception = ~missing & (rep < floor)
    balance = _balance(loans)

    final = loan_class
    by_debtor = np.zeros(len(loans), dtype=bool)
    debtors = pd.DataFrame({c: pd.Series(dtype="float64") for c in _DEBTOR_COLUMNS})
    if debtor_rule:
        final, by_debtor, debtors = _debtor_rule(loans, loan_class, balance)

    per_loan = pd.DataFrame(
        {
            "reported_class": reported,
            "dpd": dpd.astype(np.int64),
            "floor": floor,
            "loan_class": loan_class,
            "final_class": final,
            "exception": exception,
            "reported_missing": missing,
            "by_debtor": by_debtor,
        },
        index=index,
    )
    return Classification(
        rules=ladder,
        debtor_rule=debtor_rule,
        loans=per_loan,
        exceptions=_exceptions(loans, per_loan, balance),
        debtors=debtors,
    )


def _balance(loans: pd.DataFrame) -> npt.NDArray[np.float64]:
    """Balances in yuan; a missing balance weighs 0 (it cannot be added to any total)."""
    if "balance" not in loans.columns:
        return np.zeros(len(loans), dtype=np.float64)
    values: npt.NDArray[np.float64] = pd.to_numeric(loans["balance"], errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan)
    return np.nan_to_num(values, nan=0.0)


def _exceptions(loans: pd.DataFrame, per_loan: pd.DataFrame, balance: npt.NDArray[np.float64]) -> pd.DataFrame:
    mask = per_loan["exception"].to_numpy()
    rows = loans.loc[mask]
    out = pd.DataFrame(index=rows.index)
    if "snapshot_date" in loans.columns:
        out["snapshot_date"] = pd.to_datetime(rows["snapshot_date"])
    for column in _EXCEPTION_COLUMNS:
        out[column] = rows[column].astype("str") if column in rows.columns else pd.Series(pd.NA, index=rows.index,
                                                                                             dtype="str")
    out["reported_class"] = per_loan.loc[mask, "reported_class"].astype("int64")
    out["dpd"] = per_loan.loc[mask, "dpd"]
    out["floor"] = per_loan.loc[mask, "floor"]
    out["balance"] = balance[mask]
    keys = (["snapshot_date"] if "snapshot_date" in out.columns else []) + ["balance"]
    return out.sort_values(keys, ascending=[True] * (len(keys) - 1) + [False], kind="stable")


def _debtor_rule(
    loans: pd.DataFrame, loan_class: IntArray, balance: npt.NDArray[np.float64]
) -> tuple[IntArray, npt.NDArray[np.bool_], pd.DataFrame]:
    """Art. 7: a debtor with more than 10 % of its balance NPL has all of it NPL."""
    if "borrower_id" not in loans.columns:
        raise ValueError("the debtor rule needs the column 'borrower_id'")
    keys = ["snapshot_date", "borrower_id"] if "snapshot_date" in loans.columns else ["borrower_id"]
    npl = loan_class >= int(LoanClass.SUBSTANDARD)
    work = pd.DataFrame({"balance": balance, "npl_balance": np.where(npl, balance, 0.0)}, index=loans.index)
    for key in keys:
        work[key] = pd.to_datetime(loans[key]) if key == "snapshot_date" else loans[key]
    grouped = work.groupby(keys, dropna=True, sort=False)[["balance", "npl_balance"]].transform("sum")
    total = grouped["balance"].to_numpy(dtype=np.float64, na_value=0.0)
    npl_total = grouped["npl_balance"].to_numpy(dtype=np.float64, na_value=0.0)
    share = np.divide(npl_total, total, out=np.zeros_like(total), where=total > 0)
    triggered = share > DEBTOR_NPL_SHARE
    final = np.where(triggered, np.maximum(loan_class, int(LoanClass.SUBSTANDARD)), loan_class).astype(np.int64)
    raised = final > loan_class

    work["npl_share"] = share
    work["raised"] = raised
    work["balance_raised"] = np.where(raised, balance, 0.0)
    hit = work.loc[raised]
    if hit.empty:
        debtors = pd.DataFrame({c: pd.Series(dtype="float64") for c in (*keys, *_DEBTOR_COLUMNS[1:])})
    else:
        touched = work.loc[work.set_index(keys).index.isin(hit.set_index(keys).index)]
        debtors = touched.groupby(keys, sort=True).agg(
            balance=("balance", "sum"), npl_balance=("npl_balance", "sum"), npl_share=("npl_share", "first"),
            loans_raised=("raised", "sum"), balance_raised=("balance_raised", "sum"),
        ).reset_index()
    return final, raised, debtors
