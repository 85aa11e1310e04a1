"""Portfolio ratios of a loan book: NPL, special mention, overdue, 不良偏离度, provisions and
the inclusive-SME NPL tolerance, each against its regulatory threshold.

Why one module: a committee reads these figures side by side and checks them against each
other (NPL ratio = 拨贷比 / 拨备覆盖率), so they must share one classification, one
balance total and one provision total. Every ratio is a :class:`Ratio`: a finite value,
or no value and a reason code. Dividing by a zero NPL balance or an empty book, or a
ledger without a provision column, gives an undefined ratio the page shows as "—" with
the reason, never inf or NaN (DOMAIN.md §1.4).

Definitions (DOMAIN.md §1.4-1.7), all by balance and on the *final* class
(:func:`riskcore.classification.classify`):

* NPL balance = final class 3-5; NPL ratio = NPL balance / total balance.
* Special-mention share = final class 2 / total.
* Overdue ratios: the whole balance of loans more than 0, 30 and 90 days past due, over
  the total. "90+" means DPD > 90 as in §1.4 ("loans > 90 DPD") and the substandard
  floor; "30+" likewise means DPD > 30.
* 不良偏离度 = balance more than 90 DPD / NPL balance.
* Provision coverage = provisions / NPL balance; loan-provision ratio = provisions / total.
  Provisions are the ledger's ``provision`` column (贷款损失准备), summed.
* Required provisions = balance of each final class x the rate of an editable provision
  table (default: PBOC 2002, §1.6), against the provisions booked on those loans.
* Inclusive-SME tolerance: NPL ratio of the ``is_inclusive`` loans minus the overall NPL
  ratio, at most 3 percentage points (§1.7).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from riskcore.classification import DEFAULT_RULES, RuleSet, classify, get_rules

__all__ = [
    "CLASSES",
    "EMPTY_BOOK",
    "INCLUSIVE_TOLERANCE",
    "NO_INCLUSIVE_FLAG",
    "NO_INCLUSIVE_LOANS",
    "NO_NPL",
    "NO_PREVIOUS",
    "NO_PROVISION_COLUMN",
    "PBOC_2002",
    "PBOC_2002_GENERAL",
    "PREVIOUS_UNDEFINED",
    "PROVISION_TABLES",
    "RATIO_FIELDS",
    "THRESHOLDS",
    "InclusiveCheck",
    "PortfolioRatios",
    "ProvisionComparison",
    "ProvisionTable",
    "Ratio",
    "RatiosOverTime",
    "Threshold",
    "grouped_ratios",
    "portfolio_ratios",
    "provision_comparison",
    "ratios_over_time",
]

FloatArray = npt.NDArray[np.float64]

#: The five classes, best first.
CLASSES: Final = (1, 2, 3, 4, 5)

# Reason codes of an undefined ratio (translated by riskview: ``ratio.reason.<code>``).
EMPTY_BOOK: Final = "empty_book"  #: no loan, or a total balance of 0
NO_NPL: Final = "no_npl"  #: NPL balance of 0: coverage and 不良偏离度 have no denominator
NO_PROVISION_COLUMN: Final = "no_provision_column"  #: the ledger has no (or an empty) provision column
NO_INCLUSIVE_FLAG: Final = "no_inclusive_flag"  #: the ledger has no (or an empty) is_inclusive column
NO_INCLUSIVE_LOANS: Final = "no_inclusive_loans"  #: no inclusive-SME balance in the selection
NO_PREVIOUS: Final = "no_previous"  #: a change at the first snapshot
PREVIOUS_UNDEFINED: Final = "previous_undefined"  #: a change from an undefined ratio


@dataclass(frozen=True, slots=True)
class Ratio:
    """A ratio as a fraction (0.05 = 5 %), or undefined with the reason why.

    Exactly one of ``value`` and ``reason`` is set, and a value is always finite, so no
    inf or NaN can reach a screen or a JSON file.
    """

    value: float | None
    reason: str | None = None

    def __post_init__(self) -> None:
        if self.value is None and not self.reason:
            raise ValueError("an undefined Ratio needs a `reason`")
        if self.value is not None:
            if self.reason is not None:
                raise ValueError("a defined Ratio has no `reason`")
            if not math.isfinite(self.value):
                raise ValueError(f"a Ratio value must be finite, got {self.value!r}")

    @property
    def defined(self) -> bool:
        """True when the ratio has a value."""
        return self.value is not None

    @classmethod
    def of(cls, numerator: float, denominator: float, reason: str) -> Ratio:
        """``numerator / denominator``, or undefined with ``reason`` when the denominator
        is not positive (balances are never negative, so 0 is the only case)."""
        if denominator > 0:
            return cls(float(numerator) / float(denominator))
        return cls(None, reason)

    @classmethod
    def undefined(cls, reason: str) -> Ratio:
        """An undefined ratio."""
        return cls(None, reason)


# --------------------------------------------------------------------------- thresholds


@dataclass(frozen=True, slots=True)
class Threshold:
    """A regulatory limit on one ratio, as data with its source (DOMAIN.md §1.5, §6.4).

    ``minimum``/``base`` describe the 2018 bands: a bank's own requirement is set between
    the lowest level the regulator may set (``minimum``) and the base standard (``base``).
    Below ``minimum`` is a breach whatever the bank's setting; between them complies only
    if the bank's own level is met (status ``in_band``); at or above ``base`` always
    complies. ``maximum`` is an upper limit (NPL ratio, inclusive gap).
    """

    key: str
    source: str
    minimum: float | None = None
    base: float | None = None
    maximum: float | None = None

    def status(self, ratio: Ratio) -> Literal["undefined", "breach", "in_band", "ok"]:
        """Where ``ratio`` stands: ``undefined``, ``breach``, ``in_band`` or ``ok``."""
        if ratio.value is None:
            return "undefined"
        v = ratio.value
        if self.maximum is not None and v > self.maximum:
            return "breach"
        if self.minimum is not None and v < self.minimum:
            return "breach"
        if self.base is not None and v < self.base:
            return "in_band"
        return "ok"


#: The regulatory limits the overview checks, by the ratio's attribute name.
THRESHOLDS: Final[Mapping[str, Threshold]] = MappingProxyType({
    "npl_ratio": Threshold(
        "npl_ratio", "商业银行风险监管核心指标(试行) 2006: 不良贷款率 ≤ 5 %", maximum=0.05),
    "provision_coverage": Threshold(
        "provision_coverage",
        "商业银行贷款损失准备管理办法 2011 art. 7 (150 %); 银监发〔2018〕7号: band 120-150 %",
        minimum=1.20, base=1.50),
    "loan_provision_ratio": Threshold(
        "loan_provision_ratio",
        "商业银行贷款损失准备管理办法 2011 art. 7 (2.5 %); 银监发〔2018〕7号: band 1.5-2.5 %",
        minimum=0.015, base=0.025),
    "inclusive_gap": Threshold(
        "inclusive_gap", "CBIRC 2019 notice (Xinhua, China Daily 2019-03-13): ≤ overall NPL ratio + 3 pp",
        maximum=0.03),
})
INCLUSIVE_TOLERANCE: Final = 0.03


# --------------------------------------------------------------------------- provisions


@dataclass(frozen=True, slots=True)
class ProvisionTable:
    """Provision rates per final class, named so that every chart can say which it used.

    Attributes
    ----------
    name : str
        ``pboc2002`` (default), ``pboc2002_general`` or ``custom`` for a user's edit;
        labelled by the catalogue (``ratio.table.<name>``).
    rates : tuple of 5 float
        Specific-provision rate of classes 1-5 as fractions.
    general_rate : float
        General reserve as a fraction of *all* loans (the 2002 guideline's ≥ 1 %), 0 to
        leave it out. Kept apart from the class rates because it is not a specific
        provision and DOMAIN §1.6 asks to keep the regimes apart.
    """

    name: str
    rates: tuple[float, float, float, float, float]
    general_rate: float = 0.0

    def __post_init__(self) -> None:
        if len(self.rates) != 5:
            raise ValueError(f"`rates` must give 5 rates (classes 1-5), got {len(self.rates)}")
        for cls_, rate in zip(CLASSES, self.rates):
            if not (math.isfinite(rate) and 0.0 <= rate <= 1.0):
                raise ValueError(f"the provision rate of class {cls_} must be between 0 and 1, got {rate!r}")
        if not (math.isfinite(self.general_rate) and 0.0 <= self.general_rate <= 1.0):
            raise ValueError(f"`general_rate` must be between 0 and 1, got {self.general_rate!r}")

    def rate(self, loan_class: int) -> float:
        """The specific-provision rate of class 1-5."""
        return self.rates[int(loan_class) - 1]


#: PBOC 2002 银行贷款损失准备计提指引, specific reserve by class: 正常 0, 关注 2 %, 次级 25 %,
#: 可疑 50 %, 损失 100 % (次级 and 可疑 may float ±20 %, i.e. 20-30 % and 40-60 %).
PBOC_2002: Final = ProvisionTable("pboc2002", (0.0, 0.02, 0.25, 0.50, 1.0))
#: The same with the guideline's general reserve of 1 % of all loans added.
PBOC_2002_GENERAL: Final = ProvisionTable("pboc2002_general", (0.0, 0.02, 0.25, 0.50, 1.0), general_rate=0.01)
PROVISION_TABLES: Final[Mapping[str, ProvisionTable]] = MappingProxyType(
    {t.name: t for t in (PBOC_2002, PBOC_2002_GENERAL)}
)


@dataclass(frozen=True, slots=True)
class ProvisionComparison:
    """Required provisions by class from a provision table, against those booked.

    Attributes
    ----------
    table : ProvisionTable
    by_class : DataFrame
        Index: final class 1-5. Columns ``balance``, ``rate``, ``required``, and when the
        ledger has provisions ``booked`` and ``gap`` (booked - required). Never NaN: the
        booked columns are absent rather than empty.
    general_required : float
        ``general_rate`` x total balance.
    required : float
        Specific plus general.
    booked : float or None
        The provisions booked on the selection; None when unknown (``reason`` says why).
    gap : float or None
        ``booked - required``; negative means under-provisioned against the table.
    reason : str or None
        ``no_provision_column`` when nothing is booked in the ledger.
    """

    table: ProvisionTable
    by_class: pd.DataFrame
    general_required: float
    required: float
    booked: float | None
    gap: float | None
    reason: str | None


def provision_comparison(
    balance_by_class: Sequence[float],
    table: ProvisionTable = PBOC_2002,
    booked_by_class: Sequence[float] | None = None,
) -> ProvisionComparison:
    """Required provisions of each final class under ``table``, and the gap to those booked.

    Cheap on purpose: the page recomputes it on every edit of the provision table from
    the balances already summed by :func:`portfolio_ratios`.

    Parameters
    ----------
    balance_by_class : sequence of 5 float
        Balance of final classes 1-5 (``PortfolioRatios.balance_by_class``).
    table : ProvisionTable
    booked_by_class : sequence of 5 float, optional
        Provisions booked on the loans of each final class; None when the ledger has none.
    """
    balances = np.asarray(balance_by_class, dtype=np.float64)
    rates = np.asarray(table.rates, dtype=np.float64)
    required = balances * rates
    frame = pd.DataFrame({"balance": balances, "rate": rates, "required": required},
                         index=pd.Index(CLASSES, name="final_class"))
    general = float(balances.sum()) * table.general_rate
    total_required = float(required.sum()) + general
    if booked_by_class is None:
        return ProvisionComparison(table, frame, general, total_required, None, None, NO_PROVISION_COLUMN)
    booked = np.asarray(booked_by_class, dtype=np.float64)
    frame["booked"] = booked
    frame["gap"] = booked - required
    total_booked = float(booked.sum())
    return ProvisionComparison(table, frame, general, total_required, total_booked, total_booked - total_required,
                               None)


# --------------------------------------------------------------------------- ratios


@dataclass(frozen=True, slots=True)
class InclusiveCheck:
    """The inclusive-SME NPL tolerance (DOMAIN.md §1.7): the NPL ratio of inclusive SME
    loans may exceed the overall NPL ratio by at most 3 percentage points.

    ``gap`` is ``npl_ratio - overall_npl_ratio`` as a fraction (0.03 = 3 pp); ``status``
    is that of :data:`THRESHOLDS` ``["inclusive_gap"]``.
    """

    balance: float
    npl_balance: float
    npl_ratio: Ratio
    overall_npl_ratio: Ratio
    gap: Ratio
    limit: float
    status: str


#: The ratios of :class:`PortfolioRatios`, in display order (attribute names).
RATIO_FIELDS: Final = (
    "npl_ratio", "special_mention_ratio", "overdue_ratio", "overdue_30_ratio", "overdue_90_ratio",
    "npl_deviation", "reported_npl_deviation", "provision_coverage", "loan_provision_ratio",
)


@dataclass(frozen=True, slots=True)
class PortfolioRatios:
    """Every figure of one snapshot (and selection) of a book.

    Balances are in yuan and always defined (0 for an empty selection); ratios are
    :class:`Ratio`. ``provisions`` is None when the ledger has no provision column
    (``provisions_reason``); blank provision cells in a ledger that has the column count
    as 0 and are counted in ``provisions_blank``.

    ``npl_deviation`` is against the final NPL balance, as DOMAIN §1.4 defines it. Under
    every rule set here a loan more than 90 DPD is at least substandard, so that figure
    cannot exceed 100 %; ``reported_npl_deviation`` (against the NPL balance the branch
    *reported*) is the one that shows under-recognised NPL.
    """

    as_of: pd.Timestamp | None
    rules: str
    debtor_rule: bool
    branches: tuple[str, ...] | None
    loans: int
    balance: float
    balance_by_class: tuple[float, float, float, float, float]
    npl_balance: float
    reported_npl_balance: float
    special_mention_balance: float
    overdue_balance: float
    overdue_30_balance: float
    overdue_90_balance: float
    provisions: float | None
    provisions_reason: str | None
    provisions_blank: int
    exceptions: int
    unreported: int
    debtor_raised: int
    npl_ratio: Ratio
    special_mention_ratio: Ratio
    overdue_ratio: Ratio
    overdue_30_ratio: Ratio
    overdue_90_ratio: Ratio
    npl_deviation: Ratio
    reported_npl_deviation: Ratio
    provision_coverage: Ratio
    loan_provision_ratio: Ratio
    required_provisions: ProvisionComparison
    inclusive: InclusiveCheck
    group: Mapping[str, str | None] = field(default_factory=dict)

    def status(self, key: str) -> str:
        """Status of a ratio against :data:`THRESHOLDS` (``inclusive_gap`` included)."""
        ratio = self.inclusive.gap if key == "inclusive_gap" else getattr(self, key)
        return THRESHOLDS[key].status(ratio)


@dataclass(frozen=True, slots=True)
class _Prepared:
    """A classified book reduced to the columns the ratios need (one row per loan)."""

    work: pd.DataFrame
    dates: pd.Series
    has_provision: bool
    has_inclusive: bool
    rules: str
    debtor_rule: bool


def _prepare(loans: pd.DataFrame, rules: str | RuleSet, debtor_rule: bool) -> _Prepared:
    missing = [c for c in ("snapshot_date", "balance", "dpd") if c not in loans.columns]
    if missing:
        raise ValueError(f"the loan table lacks the columns {missing}")
    ladder = get_rules(rules)
    classes = classify(loans, ladder, debtor_rule=debtor_rule).loans
    balance = np.nan_to_num(
        pd.to_numeric(loans["balance"], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan), nan=0.0)
    # A column without a single value is no column; a book without rows keeps its columns.
    has_provision = "provision" in loans.columns and (loans.empty or bool(loans["provision"].notna().any()))
    if has_provision:
        raw = pd.to_numeric(loans["provision"], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        blank = np.isnan(raw)
        provision = np.where(blank, 0.0, raw)
    else:
        blank = np.zeros(len(loans), dtype=bool)
        provision = np.zeros(len(loans), dtype=np.float64)
    has_inclusive = "is_inclusive" in loans.columns and (loans.empty or bool(loans["is_inclusive"].notna().any()))
    inclusive = (loans["is_inclusive"].astype("boolean").fillna(False).to_numpy(dtype=bool) if has_inclusive
                 else np.zeros(len(loans), dtype=bool))
    work = pd.DataFrame(
        {
            "balance": balance,
            "final": classes["final_class"].to_numpy(),
            "reported": classes["reported_class"].to_numpy(dtype=np.float64, na_value=0.0).astype(np.int64),
            "dpd": classes["dpd"].to_numpy(),
            "provision": provision,
            "provision_blank": blank,
            "inclusive": inclusive,
            "exception": classes["exception"].to_numpy(),
            "unreported": classes["reported_missing"].to_numpy(),
            "raised": classes["by_debtor"].to_numpy(),
        },
        index=loans.index,
    )
    return _Prepared(work, pd.to_datetime(loans["snapshot_date"]), has_provision, has_inclusive, ladder.name,
                     debtor_rule)


def _ratios(
    prep: _Prepared, rows: pd.DataFrame, as_of: pd.Timestamp | None, branches: tuple[str, ...] | None,
    table: ProvisionTable, group: Mapping[str, str | None] | None = None,
) -> PortfolioRatios:
    """Every figure of the loans ``rows`` (a slice of ``prep.work``)."""
    bal: FloatArray = rows["balance"].to_numpy(dtype=np.float64)
    final = rows["final"].to_numpy(dtype=np.int64)
    dpd = rows["dpd"].to_numpy(dtype=np.int64)
    total = float(bal.sum())
    by_class = _per_class(bal, final)
    npl = float(bal[final >= 3].sum())
    reported_npl = float(bal[rows["reported"].to_numpy() >= 3].sum())
    special = by_class[1]
    overdue = float(bal[dpd >= 1].sum())
    overdue_30 = float(bal[dpd > 30].sum())
    overdue_90 = float(bal[dpd > 90].sum())

    if prep.has_provision:
        prov = rows["provision"].to_numpy(dtype=np.float64)
        booked_total = float(prov.sum())
        provisions: float | None = booked_total
        booked: tuple[float, ...] | None = _per_class(prov, final)
        coverage = Ratio.of(booked_total, npl, EMPTY_BOOK if total <= 0 else NO_NPL)
        lpr = Ratio.of(booked_total, total, EMPTY_BOOK)
        provisions_reason = None
    else:
        provisions, booked, provisions_reason = None, None, NO_PROVISION_COLUMN
        coverage = lpr = Ratio.undefined(EMPTY_BOOK if total <= 0 else NO_PROVISION_COLUMN)

    npl_ratio = Ratio.of(npl, total, EMPTY_BOOK)
    npl_reason = EMPTY_BOOK if total <= 0 else NO_NPL
    inclusive = _inclusive(prep, rows, bal, final, npl_ratio)
    return PortfolioRatios(
        as_of=as_of,
        rules=prep.rules,
        debtor_rule=prep.debtor_rule,
        branches=branches,
        loans=len(rows),
        balance=total,
        balance_by_class=by_class,
        npl_balance=npl,
        reported_npl_balance=reported_npl,
        special_mention_balance=special,
        overdue_balance=overdue,
        overdue_30_balance=overdue_30,
        overdue_90_balance=overdue_90,
        provisions=provisions,
        provisions_reason=provisions_reason,
        provisions_blank=int(rows["provision_blank"].sum()),
        exceptions=int(rows["exception"].sum()),
        unreported=int(rows["unreported"].sum()),
        debtor_raised=int(rows["raised"].sum()),
        npl_ratio=npl_ratio,
        special_mention_ratio=Ratio.of(special, total, EMPTY_BOOK),
        overdue_ratio=Ratio.of(overdue, total, EMPTY_BOOK),
        overdue_30_ratio=Ratio.of(overdue_30, total, EMPTY_BOOK),
        overdue_90_ratio=Ratio.of(overdue_90, total, EMPTY_BOOK),
        npl_deviation=Ratio.of(overdue_90, npl, npl_reason),
        reported_npl_deviation=Ratio.of(overdue_90, reported_npl, npl_reason),
        provision_coverage=coverage,
        loan_provision_ratio=lpr,
        required_provisions=provision_comparison(by_class, table, booked),
        inclusive=inclusive,
        group=dict(group or {}),
    )


def _per_class(amounts: FloatArray, final: npt.NDArray[np.int64]) -> tuple[float, float, float, float, float]:
    s = [float(amounts[final == c].sum()) for c in CLASSES]
    return s[0], s[1], s[2], s[3], s[4]


def _inclusive(prep: _Prepared, rows: pd.DataFrame, bal: FloatArray, final: npt.NDArray[np.int64],
               overall: Ratio) -> InclusiveCheck:
    limit = THRESHOLDS["inclusive_gap"]
    if not prep.has_inclusive:
        undefined = Ratio.undefined(NO_INCLUSIVE_FLAG)
        return InclusiveCheck(0.0, 0.0, undefined, overall, undefined, INCLUSIVE_TOLERANCE, "undefined")
    mask = rows["inclusive"].to_numpy(dtype=bool)
    balance = float(bal[mask].sum())
    npl = float(bal[mask & (final >= 3)].sum())
    ratio = Ratio.of(npl, balance, NO_INCLUSIVE_LOANS)
    if ratio.value is None or overall.value is None:
        gap = Ratio.undefined(overall.reason or ratio.reason or NO_INCLUSIVE_LOANS)
    else:
        gap = Ratio(ratio.value - overall.value)
    return InclusiveCheck(balance, npl, ratio, overall, gap, INCLUSIVE_TOLERANCE, limit.status(gap))


def _branch_mask(loans: pd.DataFrame, branches: Sequence[str] | None) -> npt.NDArray[np.bool_]:
    if branches is None:
        return np.ones(len(loans), dtype=bool)
    if "branch_id" not in loans.columns:
        raise ValueError("the loan table lacks the columns ['branch_id']")
    mask: npt.NDArray[np.bool_] = loans["branch_id"].astype("str").isin([str(b) for b in branches]).to_numpy(
        dtype=bool)
    return mask


def portfolio_ratios(
    loans: pd.DataFrame,
    *,
    rules: str | RuleSet = DEFAULT_RULES,
    provision_table: ProvisionTable | None = None,
    as_of: Any = None,
    branches: Sequence[str] | None = None,
    debtor_rule: bool = False,
) -> PortfolioRatios:
    """Every ratio of one snapshot of a loan book, for some branches.

    Parameters
    ----------
    loans : DataFrame
        Canonical loan rows (DOMAIN.md §2.1). Needs ``snapshot_date``, ``balance`` and
        ``dpd``; uses ``five_class``, ``provision``, ``is_inclusive``, ``branch_id`` and
        ``borrower_id`` when present.
    rules : str or RuleSet
        DPD rule set (:data:`riskcore.classification.RULE_SETS`), default the 2023 Measures.
    provision_table : ProvisionTable, optional
        Rates for the required provisions; default :data:`PBOC_2002`.
    as_of : date-like, optional
        The snapshot; default the latest.
    branches : sequence of str, optional
        Branch ids to include; default all. The classification (and the debtor rule) runs
        on every branch of the snapshot first, because art. 7 looks at all of a debtor's
        claims at the bank; the figures are then those of ``branches``.
    debtor_rule : bool
        Apply the debtor-level rule (:func:`riskcore.classification.classify`).

    Returns
    -------
    PortfolioRatios
        Undefined ratios carry a reason code: ``empty_book`` (no loan or zero balance in
        the selection, also for a table without rows), ``no_npl`` (coverage and
        不良偏离度 without NPL), ``no_provision_column``, ``no_inclusive_flag``,
        ``no_inclusive_loans``.

    Raises
    ------
    ValueError
        A required column is missing, ``as_of`` is not a snapshot date of a non-empty
        table, ``branches`` is given without a ``branch_id`` column, or ``rules`` is
        unknown.

    Notes
    -----
    NPL ratio = 拨贷比 / 拨备覆盖率 holds whenever provisions and the NPL balance are
    positive: the three ratios share one provision total, one NPL balance and one total.
    """
    table = provision_table or PBOC_2002
    missing = [c for c in ("snapshot_date", "balance", "dpd") if c not in loans.columns]
    if missing:
        raise ValueError(f"the loan table lacks the columns {missing}")
    dates = pd.to_datetime(loans["snapshot_date"])
    if len(loans) and dates.notna().any():
        when = dates.max() if as_of is None else pd.Timestamp(as_of)
        if not (dates == when).any():
            raise ValueError(f"no snapshot dated {when.date()} in the loan table")
    else:
        when = None if as_of is None else pd.Timestamp(as_of)
    snapshot = loans.loc[(dates == when).to_numpy(dtype=bool)] if when is not None else loans.iloc[0:0]
    prep = _prepare(snapshot, rules, debtor_rule)
    rows = prep.work.loc[_branch_mask(snapshot, branches)]
    return _ratios(prep, rows, when, None if branches is None else tuple(str(b) for b in branches), table)


@dataclass(frozen=True, slots=True)
class RatiosOverTime:
    """:class:`PortfolioRatios` at every snapshot of a book (ascending), for the overview's
    trends and month-on-month changes.

    "Month on month" is *since the previous snapshot in the book*: with monthly
    snapshots that is the month before; a gap in the snapshots is not filled.
    """

    snapshots: tuple[PortfolioRatios, ...]

    @property
    def dates(self) -> list[pd.Timestamp]:
        """Snapshot dates, ascending."""
        return [s.as_of for s in self.snapshots if s.as_of is not None]

    def at(self, as_of: Any) -> PortfolioRatios:
        """The figures of one snapshot.

        Raises
        ------
        KeyError
            No such snapshot.
        """
        when = pd.Timestamp(as_of)
        for snap in self.snapshots:
            if snap.as_of == when:
                return snap
        raise KeyError(f"no snapshot dated {when.date()}")

    def previous(self, as_of: Any) -> PortfolioRatios | None:
        """The snapshot before ``as_of``; None at the first."""
        when = pd.Timestamp(as_of)
        earlier = [s for s in self.snapshots if s.as_of is not None and s.as_of < when]
        return earlier[-1] if earlier else None

    def change(self, name: str, as_of: Any) -> Ratio:
        """Change of figure ``name`` since the previous snapshot, in its own unit.

        For a ratio the change is in ratio units (0.001 = 0.1 pp); for a balance
        (``balance``, ``npl_balance``, ...) in yuan, carried in a :class:`Ratio` so that an
        undefined change has a reason too: ``no_previous`` at the first snapshot,
        the current ratio's own reason when it is undefined, ``previous_undefined`` when
        only the previous one is.
        """
        now = _figure(self.at(as_of), name)
        before_snap = self.previous(as_of)
        if now.value is None:
            return now
        if before_snap is None:
            return Ratio.undefined(NO_PREVIOUS)
        before = _figure(before_snap, name)
        if before.value is None:
            return Ratio.undefined(PREVIOUS_UNDEFINED)
        return Ratio(now.value - before.value)

    def class_balances(self) -> pd.DataFrame:
        """Balance of each final class at each snapshot: index ``snapshot_date``, columns 1-5."""
        return pd.DataFrame(
            [s.balance_by_class for s in self.snapshots],
            index=pd.DatetimeIndex([s.as_of for s in self.snapshots], name="snapshot_date"),
            columns=pd.Index(CLASSES, name="final_class"),
        )


def _figure(snapshot: PortfolioRatios, name: str) -> Ratio:
    value = getattr(snapshot, name)
    if isinstance(value, Ratio):
        return value
    if isinstance(value, (int, float)):
        return Ratio(float(value))
    if value is None and name == "provisions":
        return Ratio.undefined(snapshot.provisions_reason or NO_PROVISION_COLUMN)
    raise ValueError(f"`name` must be a ratio or an amount of PortfolioRatios, got {name!r}")


def ratios_over_time(
    loans: pd.DataFrame,
    *,
    rules: str | RuleSet = DEFAULT_RULES,
    provision_table: ProvisionTable | None = None,
    branches: Sequence[str] | None = None,
    debtor_rule: bool = False,
) -> RatiosOverTime:
    """:func:`portfolio_ratios` at every snapshot date of the book, in one classification.

    A snapshot where ``branches`` have no loan is kept, with ``empty_book`` ratios, so
    that every selection has the same dates. Parameters and errors as for
    :func:`portfolio_ratios`.
    """
    table = provision_table or PBOC_2002
    prep = _prepare(loans, rules, debtor_rule)
    mask = _branch_mask(loans, branches)
    chosen = None if branches is None else tuple(str(b) for b in branches)
    dates = prep.dates
    out = []
    for when in sorted(dates.dropna().unique()):
        at = (dates == when).to_numpy(dtype=bool)
        out.append(_ratios(prep, prep.work.loc[at & mask], pd.Timestamp(when), chosen, table))
    return RatiosOverTime(tuple(out))


def grouped_ratios(
    loans: pd.DataFrame,
    by: Sequence[str],
    *,
    rules: str | RuleSet = DEFAULT_RULES,
    provision_table: ProvisionTable | None = None,
    branches: Sequence[str] | None = None,
    debtor_rule: bool = False,
) -> list[PortfolioRatios]:
    """:class:`PortfolioRatios` per snapshot and per group of the columns ``by``
    (e.g. ``["branch_id", "industry_code"]``), snapshots ascending, groups sorted.

    Classification runs once on the whole book (so the debtor rule sees all branches);
    each result's ``group`` maps the columns to the group's values (None for a blank).

    Raises
    ------
    ValueError
        A column of ``by`` is missing (besides the errors of :func:`portfolio_ratios`).
    """
    absent = [c for c in by if c not in loans.columns]
    if absent:
        raise ValueError(f"the loan table lacks the columns {absent}")
    table = provision_table or PBOC_2002
    prep = _prepare(loans, rules, debtor_rule)
    keep = _branch_mask(loans, branches)
    chosen = None if branches is None else tuple(str(b) for b in branches)
    keys = pd.DataFrame({c: loans[c].astype("str") for c in by}, index=loans.index).loc[keep]
    keys.insert(0, "__date", prep.dates.loc[keep])
    out = []
    columns = list(keys.columns)
    grouper: str | list[str] = columns if by else columns[0]  # a one-element list makes 1-tuples in pandas 4
    for values, idx in keys.groupby(grouper, dropna=False, sort=True).groups.items():
        when, *rest = values if by else (values,)
        if pd.isna(when):
            continue
        group = {c: (None if pd.isna(v) else str(v)) for c, v in zip(by, rest)}
        out.append(_ratios(prep, prep.work.loc[idx], pd.Timestamp(when), chosen, table, group))
    return out
