"""The default SME credit-risk indicator system and the borrower × indicator matrix.

The system follows DOMAIN.md §3.2: seven criteria (:data:`CRITERIA`) and 23 indicators
(:data:`DEFAULT_INDICATORS`), each with a direction (``"benefit"``: higher is better for
the borrower, ``"cost"``: higher is worse). :func:`build_indicator_matrix` turns a loan
book (canonical loan table, DOMAIN.md §2.1) and the borrowers' annual financials
(§2.2) into one row per borrower with a live loan at a snapshot date, with no missing
or infinite value left: every imputation is counted and reported.

Financials lag rule
-------------------
At a snapshot in year *Y* the applicable financial statements are those of the latest
``report_period < Y`` (the annual report for *Y* − 1 is filed by May of *Y*; a bank
uses last year's statements throughout *Y*). A borrower with no such period (a young
firm) uses its earliest available period instead. See :func:`applicable_financials`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final, Literal, TypeAlias

import numpy as np
import numpy.typing as npt
import pandas as pd

from riskcore.formula import BORROWER_FORMULA_FIELDS, LOAN_FORMULA_FIELDS, Formula
from riskcore.portfolio import final_class

if TYPE_CHECKING:  # riskcore.system builds on this module
    from riskcore.system import IndicatorSystem

__all__ = [
    "CRITERIA",
    "DEFAULT_INDICATORS",
    "GUARANTEE_SCORES",
    "INDICATOR_BOUNDS",
    "MISSING_POLICY",
    "TAX_CREDIT_SCORES",
    "Indicator",
    "IndicatorMatrix",
    "affected_borrowers",
    "applicable_financials",
    "build_indicator_matrix",
    "indicator_table",
]

DirectionCode: TypeAlias = Literal["benefit", "cost"]

# ============================================================================ THE SYSTEM


@dataclass(frozen=True, slots=True)
class Indicator:
    """One indicator of the evaluation system.

    Attributes
    ----------
    key
        Stable code, e.g. ``"asset_liability_ratio"``.
    criterion
        Key of the criterion (准则层) it belongs to, e.g. ``"financial"``.
    direction
        ``"benefit"`` (higher is better for the borrower) or ``"cost"``.
    source
        Column or formula it is computed from (canonical column names).
    unit
        ``"ratio"``, ``"times"``, ``"years"``, ``"days"``, ``"count"``, ``"score"``.
    """

    key: str
    criterion: str
    direction: DirectionCode
    source: str
    unit: str

    def __post_init__(self) -> None:
        if self.direction not in ("benefit", "cost"):
            raise ValueError(f"direction of {self.key!r} must be 'benefit' or 'cost'; got {self.direction!r}")


CRITERIA: Final[tuple[str, ...]] = (
    "financial", "operational", "market", "credit", "guarantee", "compliance", "owner",
)
"""Criterion keys, in display order."""

DEFAULT_INDICATORS: Final[tuple[Indicator, ...]] = (
    Indicator("asset_liability_ratio", "financial", "cost", "total_liabilities / total_assets", "ratio"),
    Indicator("current_ratio", "financial", "benefit", "current_assets / current_liabilities", "times"),
    Indicator("quick_ratio", "financial", "benefit",
              "(current_assets - inventory) / current_liabilities", "times"),
    Indicator("interest_coverage", "financial", "benefit", "ebit / interest_expense", "times"),
    Indicator("roa", "financial", "benefit", "net_profit / total_assets", "ratio"),
    Indicator("net_margin", "financial", "benefit", "net_profit / revenue", "ratio"),
    Indicator("revenue_growth", "financial", "benefit", "revenue / revenue_prev - 1", "ratio"),
    Indicator("ocf_to_current_liabilities", "financial", "benefit",
              "operating_cash_flow / current_liabilities", "times"),
    Indicator("years_in_operation", "operational", "benefit", "as_of - established_date", "years"),
    Indicator("asset_turnover", "operational", "benefit", "revenue / total_assets", "times"),
    Indicator("customer_concentration", "operational", "cost", "top_customer_share", "ratio"),
    Indicator("industry_npl_ratio", "market", "cost",
              "NPL balance / balance of the borrower's industry_code in the book at as_of", "ratio"),
    Indicator("max_dpd_12m", "credit", "cost", "max dpd over the snapshots in (as_of - 12 months, as_of]", "days"),
    Indicator("overdue_episodes_12m", "credit", "cost",
              "number of snapshots in (as_of - 12 months, as_of] with dpd > 0", "count"),
    Indicator("owner_credit_overdues", "credit", "cost", "owner_credit_overdues", "count"),
    Indicator("tax_credit_score", "credit", "benefit", "tax_credit_rating: A=5 B=4 M=3 C=2 D=1", "score"),
    Indicator("relationship_years", "credit", "benefit", "as_of - bank_relationship_start", "years"),
    Indicator("guarantee_score", "guarantee", "benefit",
              "balance-weighted guarantee_type score: credit=1 guarantee=2 mixed=3 pledge=4 mortgage=4",
              "score"),
    Indicator("collateral_coverage", "guarantee", "benefit", "sum(collateral_value) / sum(balance)", "ratio"),
    Indicator("external_guarantee_ratio", "guarantee", "cost", "external_guarantees / equity", "ratio"),
    Indicator("litigation_count", "compliance", "cost", "litigation_count", "count"),
    Indicator("admin_penalties", "compliance", "cost", "admin_penalties", "count"),
    Indicator("owner_experience_years", "owner", "benefit", "owner_experience_years", "years"),
)
"""The default system, in criterion order."""

GUARANTEE_SCORES: Final[dict[str, float]] = {
    "credit": 1.0, "guarantee": 2.0, "mixed": 3.0, "pledge": 4.0, "mortgage": 4.0,
}
"""Guarantee strength on a 1-4 ordinal scale: unsecured credit (信用) 1, third-party
guarantee (保证) 2, mixed (组合) 3, pledge (质押) and mortgage (抵押) 4."""

_GUARANTEE_ALIASES: Final[dict[str, str]] = {
    "信用": "credit", "保证": "guarantee", "抵押": "mortgage", "质押": "pledge", "组合": "mixed",
}

TAX_CREDIT_SCORES: Final[dict[str, float]] = {"A": 5.0, "B": 4.0, "M": 3.0, "C": 2.0, "D": 1.0}
"""纳税信用级别 as an ordinal score (A best)."""

INDICATOR_BOUNDS: Final[dict[str, tuple[float, float]]] = {
    "asset_liability_ratio": (0.0, 5.0),
    "current_ratio": (0.0, 10.0),
    "quick_ratio": (0.0, 10.0),
    "interest_coverage": (-50.0, 50.0),
    "roa": (-1.0, 1.0),
    "net_margin": (-1.0, 1.0),
    "revenue_growth": (-1.0, 5.0),
    "ocf_to_current_liabilities": (-5.0, 5.0),
    "years_in_operation": (0.0, np.inf),
    "asset_turnover": (0.0, 20.0),
    "customer_concentration": (0.0, 1.0),
    "industry_npl_ratio": (0.0, 1.0),
    "max_dpd_12m": (0.0, np.inf),
    "overdue_episodes_12m": (0.0, np.inf),
    "owner_credit_overdues": (0.0, np.inf),
    "tax_credit_score": (1.0, 5.0),
    "relationship_years": (0.0, np.inf),
    "guarantee_score": (1.0, 4.0),
    "collateral_coverage": (0.0, 3.0),
    "external_guarantee_ratio": (0.0, 10.0),
    "litigation_count": (0.0, np.inf),
    "admin_penalties": (0.0, np.inf),
    "owner_experience_years": (0.0, np.inf),
}
"""Winsorising bounds (applied before imputation) so that a few extreme ratios do not
dominate min-max normalisation; an upper bound is also the value of a ratio whose
denominator is zero where that means "no burden" (see :func:`build_indicator_matrix`)."""

MISSING_POLICY: Final[str] = "industry_median"
"""Missing/undefined values → median of the same industry section among the rated
borrowers at the snapshot; fallback: overall median; fallback when the whole column is
missing: 0.0. The policy of every indicator when no system is given; an
:class:`~riskcore.system.IndicatorSystem` sets one per indicator (``industry_median``,
``exclude`` or ``worst``)."""

_DAYS_PER_YEAR: Final[float] = 365.25

#: Loan-table columns read by :func:`build_indicator_matrix` at the snapshot.
_LOAN_COLUMNS: Final[tuple[str, ...]] = (
    "snapshot_date", "borrower_id", "borrower_name", "branch_id", "branch_name", "industry_code",
    "industry_name", "balance", "dpd", "five_class", "guarantee_type", "collateral_value",
)


def indicator_table(indicators: Sequence[Indicator] = DEFAULT_INDICATORS) -> pd.DataFrame:
    """The system as a frame indexed by key with criterion, direction, source and unit."""
    return pd.DataFrame(
        [(i.key, i.criterion, i.direction, i.source, i.unit) for i in indicators],
        columns=["key", "criterion", "direction", "source", "unit"],
    ).set_index("key")


# ============================================================================ RESULT TYPE

_ACTIONS: Final[dict[str, str]] = {"industry_median": "imputed", "exclude": "excluded", "worst": "set_to_worst"}
"""Missing-value policy → what happens to the borrowers missing the indicator."""


def _affected_frame(criteria: pd.Series, policies: pd.Series, missing: pd.Series, excluded: pd.Series,
                    borrowers: int, excluded_total: int) -> pd.DataFrame:
    frame = pd.DataFrame({
        "criterion": criteria.astype("str"),
        "policy": policies.astype("str"),
        "borrowers": np.int64(borrowers),
        "missing": missing.astype(np.int64),
        "action": policies.map(_ACTIONS).astype("str"),
        "excluded": excluded.astype(np.int64),
    })
    frame.index.name = "key"
    frame.attrs["borrowers"] = int(borrowers)
    frame.attrs["excluded_total"] = int(excluded_total)
    return frame


@dataclass(frozen=True, eq=False)
class IndicatorMatrix:
    """Borrower × indicator matrix at one snapshot.

    Attributes
    ----------
    values
        Index ``borrower_id``, columns = indicator keys, float64, all finite.
    directions
        Indicator key → ``"benefit"`` / ``"cost"``.
    criteria
        Indicator key → criterion key.
    borrowers
        Index ``borrower_id``: ``borrower_name``, ``branch_id``, ``branch_name``,
        ``industry_code``, ``industry_name`` (from the borrower's largest live loan),
        ``balance`` (sum over live loans), ``loan_count``, ``worst_class`` (max final
        class 1-5, final = max(reported, 2023 DPD floor)), ``max_dpd`` (current),
        ``default_flag`` (any live loan with final class ≥ 3), ``report_period`` (the
        financial period used, ``<NA>`` if none).
    missing
        Indicator key → number of borrowers in scope whose value was missing or
        undefined, whatever the policy, counted before any borrower was excluded: the
        "affected borrowers" of the indicator. Equals ``imputed.sum()`` when nobody was
        excluded; for an ``exclude`` indicator it equals :attr:`excluded`.
    imputed
        Same shape as ``values``: True where the cell was filled (industry median or
        worst value) rather than observed.
    policy
        The missing-value policy when every indicator has the same one (e.g.
        :data:`MISSING_POLICY`), else ``"mixed"``; :attr:`policies` has them per indicator.
    as_of
        The snapshot date.
    indicators
        The indicator definitions, in column order.
    policies
        Indicator key → missing-value policy (``industry_median``, ``exclude``, ``worst``).
    excluded
        Indicator key → borrowers left out because their value of that indicator was
        missing (policy ``exclude``); a borrower missing two such indicators counts for
        both, so the sum can exceed ``len(excluded_ids)``.
    excluded_ids
        The borrowers left out, sorted.
    system
        The :class:`~riskcore.system.IndicatorSystem` the matrix was built from, if any.
    """

    values: pd.DataFrame
    directions: pd.Series
    criteria: pd.Series
    borrowers: pd.DataFrame
    missing: pd.Series
    imputed: pd.DataFrame
    policy: str
    as_of: pd.Timestamp
    indicators: tuple[Indicator, ...]
    policies: pd.Series = field(default_factory=lambda: pd.Series(dtype="str"))
    excluded: pd.Series = field(default_factory=lambda: pd.Series(dtype=np.int64))
    excluded_ids: tuple[str, ...] = ()
    system: IndicatorSystem | None = None

    def __post_init__(self) -> None:
        # Matrices built by hand before per-indicator policies existed: one policy for all.
        keys = self.values.columns
        if self.policies.empty and len(keys):
            object.__setattr__(self, "policies", pd.Series(self.policy, index=keys, dtype="str", name="policy"))
        if self.excluded.empty and len(keys):
            object.__setattr__(self, "excluded", pd.Series(0, index=keys, dtype=np.int64, name="excluded"))

    def affected(self) -> pd.DataFrame:
        """Per indicator: what its missing values did to the borrowers (for the editor).

        Returns
        -------
        pandas.DataFrame
            Index ``key`` (column order); ``criterion``, ``policy``, ``borrowers`` (in
            scope before exclusion), ``missing`` (:attr:`missing`), ``action``
            (``imputed`` / ``excluded`` / ``set_to_worst``), ``excluded``
            (:attr:`excluded`). ``attrs``: ``borrowers`` and ``excluded_total``
            (distinct borrowers left out).
        """
        n = len(self.values) + len(self.excluded_ids)
        return _affected_frame(self.criteria, self.policies, self.missing, self.excluded, n, len(self.excluded_ids))


# ============================================================================ HELPERS


def _num(frame: pd.DataFrame, column: str) -> pd.Series:
    """Column as float64 (NaN where absent or not numeric)."""
    if column not in frame.columns:
        return pd.Series(np.nan, index=frame.index, dtype=np.float64)
    return pd.to_numeric(frame[column], errors="coerce").astype(np.float64)


def _dates(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series(pd.NaT, index=frame.index, dtype="datetime64[us]")
    col = frame[column]
    if pd.api.types.is_datetime64_any_dtype(col):
        return col
    return pd.to_datetime(col, errors="coerce")


def _years_between(start: pd.Series, as_of: pd.Timestamp) -> pd.Series:
    days = (as_of - start).dt.days.astype(np.float64)
    return days / _DAYS_PER_YEAR


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    """num / den with NaN where den ≤ 0 or either side is missing."""
    ok = den > 0
    return (num / den.where(ok)).astype(np.float64)


def _normalise_guarantee(g: pd.Series) -> pd.Series:
    text = g.astype("str").str.strip().str.lower()
    return text.replace(_GUARANTEE_ALIASES)


def applicable_financials(borrowers: pd.DataFrame, as_of: pd.Timestamp | str) -> pd.DataFrame:
    """Select each borrower's applicable annual financials at ``as_of``.

    Rule: the latest ``report_period`` strictly before the year of ``as_of``; if a
    borrower has none (all its periods are ≥ that year), its earliest period.

    Parameters
    ----------
    borrowers
        Borrower table with ``borrower_id`` and ``report_period`` (a year, int-like).
    as_of
        The snapshot date.

    Returns
    -------
    pandas.DataFrame
        One row per borrower, indexed by ``borrower_id``, with all input columns
        (``report_period`` as int64).
    """
    year = pd.Timestamp(as_of).year
    fin = borrowers.copy()
    fin["report_period"] = pd.to_numeric(fin["report_period"], errors="coerce")
    fin = fin[fin["report_period"].notna()]
    fin["report_period"] = fin["report_period"].astype(np.int64)
    fin["_eligible"] = fin["report_period"] < year
    # Eligible periods first, then latest eligible / earliest ineligible.
    fin["_order"] = np.where(fin["_eligible"], -fin["report_period"], fin["report_period"] + 10_000)
    fin = fin.sort_values(["borrower_id", "_order"], kind="stable").drop_duplicates("borrower_id")
    return fin.drop(columns=["_eligible", "_order"]).set_index("borrower_id")


# ============================================================================ BUILDER


@dataclass(frozen=True, slots=True)
class _Spec:
    """One column to compute: the definition plus bounds, policy and formula."""

    key: str
    criterion: str
    direction: DirectionCode
    source: str
    unit: str
    lower: float
    upper: float
    policy: str
    formula: Formula | None


def _specs(indicators: Sequence[Indicator], system: IndicatorSystem | None) -> tuple[_Spec, ...]:
    if system is None:
        indicators = tuple(indicators)
        unknown = [i.key for i in indicators if i.key not in _COMPUTE]
        if unknown:
            raise ValueError(f"unknown indicator keys {unknown}; known: {list(_COMPUTE)}")
        keys = [i.key for i in indicators]
        if len(set(keys)) != len(keys):
            raise ValueError("duplicate indicator keys")
        return tuple(_Spec(i.key, i.criterion, i.direction, i.source, i.unit, *INDICATOR_BOUNDS[i.key],
                           MISSING_POLICY, None) for i in indicators)
    if indicators is not DEFAULT_INDICATORS:
        raise ValueError("give either `indicators` or `system`, not both")
    return tuple(
        _Spec(s.key, s.criterion, s.direction, s.source or (s.formula or ""), s.unit, *s.effective_bounds,
              s.missing, s.parsed)
        for s in system.enabled
    )


def _raw_values(
    loans: pd.DataFrame,
    borrowers: pd.DataFrame,
    as_of: pd.Timestamp | str | None,
    branches: Sequence[str] | None,
    specs: Sequence[_Spec],
) -> tuple[_Context, pd.DataFrame]:
    """The rated borrowers and their winsorised values, NaN where missing (no policy yet)."""
    for col in ("snapshot_date", "borrower_id", "balance", "dpd"):
        if col not in loans.columns:
            raise ValueError(f"`loans` is missing required column {col!r}")
    if "borrower_id" not in borrowers.columns or "report_period" not in borrowers.columns:
        raise ValueError("`borrowers` needs columns 'borrower_id' and 'report_period'")

    snap = _dates(loans, "snapshot_date")
    as_of_ts = pd.Timestamp(snap.max()) if as_of is None else pd.Timestamp(as_of)
    at = (snap == as_of_ts).to_numpy()
    if not at.any():
        raise ValueError(f"as_of {as_of_ts.date()} is not a snapshot date in `loans`")

    # Only the columns the indicators read: taking all columns of a wide ledger (Arrow
    # strings) for the snapshot's rows was a tenth of the build time.
    wanted = list(_LOAN_COLUMNS)
    for spec in specs:
        if spec.formula is not None:
            wanted += [f for f in spec.formula.fields if f in LOAN_FORMULA_FIELDS and f not in wanted]
    book = loans.loc[at, [c for c in wanted if c in loans.columns]]
    balance_book = _num(book, "balance")
    live_book = book.loc[(balance_book > 0).to_numpy()]
    live_book = live_book.assign(
        borrower_id=live_book["borrower_id"].astype("str"),
        balance=_num(live_book, "balance"),
        dpd=_num(live_book, "dpd").fillna(0.0),
        _final=final_class(_num(live_book, "five_class"), _num(live_book, "dpd")),
    )
    live = live_book
    if branches is not None:
        if "branch_id" not in live.columns:
            raise ValueError("`branches` given but `loans` has no 'branch_id' column")
        live = live[live["branch_id"].isin(list(branches))]
    if live.empty:
        raise ValueError("no live loan (balance > 0) at as_of in the selected branches")

    ctx = _Context(loans=loans, snap=snap, as_of=as_of_ts, live_book=live_book, live=live,
                   borrowers=borrowers)
    info = ctx.info
    n = len(info)
    columns: dict[str, pd.Series] = {}
    for spec in specs:
        if spec.formula is None:
            columns[spec.key] = _COMPUTE[spec.key](ctx).reindex(info.index)
        else:
            inputs = ctx.formula_inputs(spec.formula.fields)
            columns[spec.key] = pd.Series(spec.formula.evaluate(inputs, n), index=info.index)
    raw = pd.DataFrame(columns, index=info.index)
    raw = raw.astype(np.float64).replace([np.inf, -np.inf], np.nan)
    lower = pd.Series({s.key: s.lower for s in specs}, dtype=np.float64)
    upper = pd.Series({s.key: s.upper for s in specs}, dtype=np.float64)
    raw = raw.clip(lower=lower, upper=upper, axis=1)
    return ctx, raw


def _exclusions(raw: pd.DataFrame, specs: Sequence[_Spec]) -> tuple[pd.Series, pd.Series]:
    """(borrowers to leave out, count per indicator) under the ``exclude`` policies."""
    keys = [s.key for s in specs if s.policy == "exclude"]
    per_key = pd.Series(0, index=[s.key for s in specs], dtype=np.int64, name="excluded")
    if not keys:
        return pd.Series(False, index=raw.index), per_key
    missing = raw[keys].isna()
    per_key[keys] = missing.sum().astype(np.int64)
    return missing.any(axis=1), per_key


def build_indicator_matrix(
    loans: pd.DataFrame,
    borrowers: pd.DataFrame,
    as_of: pd.Timestamp | str | None = None,
    *,
    branches: Sequence[str] | None = None,
    indicators: Sequence[Indicator] = DEFAULT_INDICATORS,
    system: IndicatorSystem | None = None,
) -> IndicatorMatrix:
    """Build the borrower × indicator matrix at one snapshot.

    Parameters
    ----------
    loans
        Canonical loan table (one row per loan per snapshot). Required columns:
        ``snapshot_date``, ``borrower_id``, ``balance``, ``dpd``. Used when present:
        ``five_class``, ``branch_id``, ``branch_name``, ``borrower_name``,
        ``industry_code``, ``industry_name``, ``guarantee_type``, ``collateral_value``
        and the loan columns that formula indicators read.
    borrowers
        Borrower table (one row per borrower per ``report_period``), DOMAIN.md §2.2.
        Absent columns make the indicators that need them missing (then imputed).
    as_of
        Snapshot date; must be one of ``loans.snapshot_date``. None → the latest.
    branches
        Restrict the rated borrowers to live loans booked in these ``branch_id`` codes.
        None → all branches.
    indicators
        Indicators to compute, in column order; keys must be among
        :data:`DEFAULT_INDICATORS`. Every missing value is imputed by industry median.
        Leave at the default when ``system`` is given.
    system
        An :class:`~riskcore.system.IndicatorSystem`: its enabled indicators are the
        columns (built-ins by key, others by formula), each with the system's
        criterion, direction, bounds and missing-value policy.

    Returns
    -------
    IndicatorMatrix
        One row per borrower with a live loan (``balance > 0``) at ``as_of`` in the
        chosen branches, less the borrowers an ``exclude`` policy leaves out.

    Raises
    ------
    ValueError
        Missing required column, ``as_of`` not a snapshot date, unknown indicator key,
        both ``indicators`` and ``system`` given, no live loan in scope, or ``exclude``
        policies that leave fewer than 2 borrowers (naming the indicators).

    Notes
    -----
    Scope of each input:

    * ``balance``, ``loan_count``, ``guarantee_score`` and ``collateral_coverage`` use
      the borrower's live loans at ``as_of`` in the chosen branches; so do the loan
      fields of formulas (:data:`riskcore.formula.LOAN_FORMULA_FIELDS`).
    * ``max_dpd_12m`` and ``overdue_episodes_12m`` use all the borrower's loans in
      ``loans`` (classification is debtor-centred) over the snapshots ``s`` with
      ``as_of − 12 months < s ≤ as_of`` (12 month-ends for a monthly book).
    * ``industry_npl_ratio`` uses the whole book in ``loans`` at ``as_of`` (all
      branches): Σ balance of loans with final class ≥ 3 / Σ balance, per
      ``industry_code``; final class = max(``five_class``, 2023 DPD floor).
    * Financial and qualitative indicators, and the borrower fields of formulas, use
      :func:`applicable_financials`.

    Formulas and rules for undefined values (before winsorising to
    :data:`INDICATOR_BOUNDS`):

    * ``asset_liability_ratio`` = TL / TA; ``roa`` = NP / TA; ``asset_turnover`` =
      revenue / TA; missing when TA ≤ 0. ROA uses period-end assets.
    * ``current_ratio`` = CA / CL, ``quick_ratio`` = (CA − inventory) / CL; CL = 0
      (no current liabilities) → the upper bound 10.
    * ``interest_coverage`` = EBIT / interest_expense; interest_expense ≤ 0 → the
      upper bound 50 (no interest burden).
    * ``net_margin`` = NP / revenue; missing when revenue ≤ 0.
    * ``revenue_growth`` = revenue / revenue_prev − 1; missing when revenue_prev ≤ 0
      (young firms).
    * ``ocf_to_current_liabilities`` = OCF / CL; CL = 0 → ±5 by the sign of OCF.
    * ``years_in_operation``, ``relationship_years`` = days from the date to
      ``as_of`` / 365.25, floored at 0.
    * ``tax_credit_score``: A=5, B=4, M=3, C=2, D=1; other labels → missing.
    * ``guarantee_score`` = Σ score(guarantee_type)·balance / Σ balance over loans
      with a known type (:data:`GUARANTEE_SCORES`; 信用/保证/抵押/质押/组合 accepted).
    * ``collateral_coverage`` = Σ collateral_value / Σ balance (missing
      collateral_value counts as 0; the indicator is missing only when the column
      is absent).
    * ``external_guarantee_ratio`` = external_guarantees / equity (equity = TA − TL
      when the column is missing); when equity ≤ 0 it is 0 if there are no external
      guarantees and otherwise the worst value, the upper bound 10.
    * A formula indicator is missing where a field it reads is missing, a
      denominator is 0 or the result is not finite (:mod:`riskcore.formula`); it is
      winsorised to its own bounds (none by default).

    Missing-value policies (after winsorising; :data:`MISSING_POLICY` for every
    indicator when no system is given):

    * ``exclude`` is applied first: a borrower missing any such indicator is left out
      (``excluded``, ``excluded_ids``), and the others are imputed among the borrowers
      that remain, the rated ones.
    * ``industry_median``: the median of the same ``industry_code`` among the rated
      borrowers; if that industry has no value, the median over all rated borrowers;
      if the whole column is missing, 0.0.
    * ``worst``: the worst observed value among the rated borrowers (min for a benefit
      indicator, max for a cost one); 0.0 if the whole column is missing.

    ``missing`` counts per indicator the borrowers whose value was missing, whatever the
    policy; ``imputed`` marks the cells filled in the result.
    """
    specs = _specs(indicators, system)
    ctx, raw = _raw_values(loans, borrowers, as_of, branches, specs)
    info = ctx.info
    keys = [s.key for s in specs]
    missing = raw.isna().sum().astype(np.int64).rename("missing")
    drop, excluded = _exclusions(raw, specs)
    excluded_ids: tuple[str, ...] = ()
    if drop.any():
        kept = int((~drop).sum())
        if kept < 2:
            culprits = excluded[excluded > 0].sort_values(ascending=False, kind="stable")
            named = ", ".join(f"{k!r} ({n} missing)" for k, n in culprits.items())
            raise ValueError(
                f"excluding the borrowers with a missing value leaves {kept} of {len(raw)} borrowers; at "
                f"least 2 are needed to rank. Indicators with policy 'exclude': {named}; choose another "
                f"missing-value policy for them"
            )
        excluded_ids = tuple(sorted(str(b) for b in raw.index[drop.to_numpy()]))
        raw = raw.loc[~drop]
        info = info.loc[~drop.to_numpy()]

    imputed = raw.isna()
    values = raw
    median_keys = [s.key for s in specs if s.policy == "industry_median"]
    if median_keys:
        part = raw if len(median_keys) == len(keys) else raw[median_keys]
        group = info["industry_code"].astype("str").fillna("")
        by_industry = part.groupby(group.to_numpy(), dropna=False).transform("median")
        filled = part.fillna(by_industry).fillna(part.median()).fillna(0.0)
        values = filled if len(median_keys) == len(keys) else values.assign(**{k: filled[k] for k in median_keys})
    for s in specs:
        if s.policy == "worst":
            col = raw[s.key]
            worst = col.min() if s.direction == "benefit" else col.max()
            values = values.assign(**{s.key: col.fillna(0.0 if pd.isna(worst) else float(worst))})
    values = values.astype(np.float64)
    values.index.name = "borrower_id"
    imputed.index.name = "borrower_id"

    policies = pd.Series({s.key: s.policy for s in specs}, dtype="str", name="policy")
    distinct = set(policies)
    if system is None:
        indicator_defs = tuple(indicators)
    else:
        indicator_defs = tuple(Indicator(s.key, s.criterion, s.direction, s.source, s.unit) for s in specs)
    return IndicatorMatrix(
        values=values,
        directions=pd.Series({s.key: s.direction for s in specs}, dtype="str", name="direction"),
        criteria=pd.Series({s.key: s.criterion for s in specs}, dtype="str", name="criterion"),
        borrowers=info,
        missing=missing,
        imputed=imputed,
        policy=distinct.pop() if len(distinct) == 1 else "mixed",
        as_of=ctx.as_of,
        indicators=indicator_defs,
        policies=policies,
        excluded=excluded,
        excluded_ids=excluded_ids,
        system=system,
    )


def affected_borrowers(
    loans: pd.DataFrame,
    borrowers: pd.DataFrame,
    as_of: pd.Timestamp | str | None,
    system: IndicatorSystem | None,
    branches: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Per enabled indicator of ``system``: how many borrowers miss it and what happens.

    For the system editor, before committing to a policy: unlike
    :func:`build_indicator_matrix` it does not fail when ``exclude`` policies would
    leave fewer than 2 borrowers, so the editor can show why.

    Parameters
    ----------
    loans, borrowers, as_of, branches
        As for :func:`build_indicator_matrix`.
    system
        The system (None → the default indicators, all ``industry_median``).

    Returns
    -------
    pandas.DataFrame
        As :meth:`IndicatorMatrix.affected`: index ``key``; ``criterion``, ``policy``,
        ``borrowers`` (in scope), ``missing``, ``action`` (``imputed`` / ``excluded`` /
        ``set_to_worst``), ``excluded``; ``attrs["excluded_total"]`` counts the distinct
        borrowers the ``exclude`` policies leave out.
    """
    specs = _specs(DEFAULT_INDICATORS, system)
    _, raw = _raw_values(loans, borrowers, as_of, branches, specs)
    drop, excluded = _exclusions(raw, specs)
    return _affected_frame(
        criteria=pd.Series({s.key: s.criterion for s in specs}, dtype="str"),
        policies=pd.Series({s.key: s.policy for s in specs}, dtype="str"),
        missing=raw.isna().sum(),
        excluded=excluded,
        borrowers=len(raw),
        excluded_total=int(drop.sum()),
    )


class _Context:
    """Shared intermediate frames for the indicator functions (computed once, lazily)."""

    def __init__(self, *, loans: pd.DataFrame, snap: pd.Series, as_of: pd.Timestamp,
                 live_book: pd.DataFrame, live: pd.DataFrame, borrowers: pd.DataFrame) -> None:
        self.loans = loans
        self.snap = snap
        self.as_of = as_of
        self.live_book = live_book
        self.live = live
        self.info = self._info()
        fin = applicable_financials(borrowers, as_of)
        fin.index = fin.index.astype("str")
        self.fin = fin.reindex(self.info.index)
        self.info["report_period"] = self.fin["report_period"].astype("Int64")
        self._hist: pd.DataFrame | None = None

    def _info(self) -> pd.DataFrame:
        live = self.live
        first = live.sort_values("balance", ascending=False, kind="stable").drop_duplicates("borrower_id")
        first = first.set_index("borrower_id")
        g = live.groupby("borrower_id", sort=True)
        agg = pd.DataFrame({
            "balance": g["balance"].sum(),
            "loan_count": g.size().astype(np.int64),
            "worst_class": g["_final"].max().astype(np.int64),
            "max_dpd": g["dpd"].max().astype(np.int64),
        })
        agg["default_flag"] = agg["worst_class"] >= 3
        out = pd.DataFrame(index=agg.index)
        for col in ("borrower_name", "branch_id", "branch_name", "industry_code", "industry_name"):
            out[col] = (first[col].reindex(agg.index).astype("str") if col in first.columns
                        else pd.Series("", index=agg.index, dtype="str"))
        out = out.join(agg)
        out.index = out.index.astype("str")
        out.index.name = "borrower_id"
        return out

    @property
    def hist(self) -> pd.DataFrame:
        """Per-borrower max DPD per snapshot over the 12-month window."""
        if self._hist is None:
            start = self.as_of - pd.DateOffset(months=12)
            window = ((self.snap > start) & (self.snap <= self.as_of)).to_numpy()
            h = self.loans.loc[window, ["borrower_id", "snapshot_date", "dpd"]]
            h = h.assign(borrower_id=h["borrower_id"].astype("str"), dpd=_num(h, "dpd").fillna(0.0))
            # Every borrower of the window, not only the rated ones: the indicators reindex
            # on the rated borrowers anyway, and filtering first with Series.isin on Arrow
            # strings (a Python loop over the 8k ids) cost more than grouping the extra rows.
            self._hist = h.groupby(["borrower_id", "snapshot_date"], sort=False)["dpd"].max().reset_index()
        return self._hist

    def fcol(self, name: str) -> pd.Series:
        return _num(self.fin, name)

    def loan_sum(self, column: str) -> pd.Series:
        """Σ ``column`` over each borrower's live loans (NaN if none has a value)."""
        live = self.live
        if column not in live.columns:
            return pd.Series(np.nan, index=self.info.index, dtype=np.float64)
        return _num(live, column).groupby(live["borrower_id"]).sum(min_count=1).reindex(self.info.index)

    def formula_inputs(self, fields: Sequence[str]) -> dict[str, npt.NDArray[np.float64]]:
        """The arrays a formula reads (:data:`riskcore.formula.FORMULA_FIELDS`), aligned on ``info``."""
        out: dict[str, npt.NDArray[np.float64]] = {}
        for name in fields:
            if name in BORROWER_FORMULA_FIELDS:
                col = self.fcol(name)
            elif name in ("loan_count", "max_dpd", "balance"):
                col = self.info[name].astype(np.float64)
            else:
                col = self.loan_sum(name)
            out[name] = col.reindex(self.info.index).to_numpy(dtype=np.float64)
        return out


def _asset_liability_ratio(c: _Context) -> pd.Series:
    return _ratio(c.fcol("total_liabilities"), c.fcol("total_assets"))


def _liquidity(c: _Context, numerator: pd.Series) -> pd.Series:
    cl = c.fcol("current_liabilities")
    r = _ratio(numerator, cl)
    zero = (cl == 0) & numerator.notna()
    return r.mask(zero, INDICATOR_BOUNDS["current_ratio"][1])


def _current_ratio(c: _Context) -> pd.Series:
    return _liquidity(c, c.fcol("current_assets"))


def _quick_ratio(c: _Context) -> pd.Series:
    return _liquidity(c, c.fcol("current_assets") - c.fcol("inventory"))


def _interest_coverage(c: _Context) -> pd.Series:
    ebit, ie = c.fcol("ebit"), c.fcol("interest_expense")
    r = _ratio(ebit, ie)
    return r.mask((ie <= 0) & ebit.notna(), INDICATOR_BOUNDS["interest_coverage"][1])


def _roa(c: _Context) -> pd.Series:
    return _ratio(c.fcol("net_profit"), c.fcol("total_assets"))


def _net_margin(c: _Context) -> pd.Series:
    return _ratio(c.fcol("net_profit"), c.fcol("revenue"))


def _revenue_growth(c: _Context) -> pd.Series:
    return _ratio(c.fcol("revenue"), c.fcol("revenue_prev")) - 1.0


def _ocf_to_cl(c: _Context) -> pd.Series:
    ocf, cl = c.fcol("operating_cash_flow"), c.fcol("current_liabilities")
    r = _ratio(ocf, cl)
    cap = INDICATOR_BOUNDS["ocf_to_current_liabilities"][1]
    return r.mask((cl == 0) & ocf.notna(), np.sign(ocf) * cap)


def _years_in_operation(c: _Context) -> pd.Series:
    return _years_between(_dates(c.fin, "established_date"), c.as_of)


def _asset_turnover(c: _Context) -> pd.Series:
    return _ratio(c.fcol("revenue"), c.fcol("total_assets"))


def _customer_concentration(c: _Context) -> pd.Series:
    return c.fcol("top_customer_share")


def _industry_npl_ratio(c: _Context) -> pd.Series:
    book = c.live_book
    if "industry_code" not in book.columns:
        return pd.Series(np.nan, index=c.info.index)
    npl = book["balance"].where(book["_final"] >= 3, 0.0)
    g = pd.DataFrame({"industry": book["industry_code"].astype("str"), "balance": book["balance"], "npl": npl})
    g = g.groupby("industry")[["balance", "npl"]].sum()
    ratio = g["npl"] / g["balance"].where(g["balance"] > 0)
    return c.info["industry_code"].map(ratio).astype(np.float64)


def _max_dpd_12m(c: _Context) -> pd.Series:
    return c.hist.groupby("borrower_id")["dpd"].max()


def _overdue_episodes_12m(c: _Context) -> pd.Series:
    h = c.hist
    return (h["dpd"] > 0).groupby(h["borrower_id"]).sum().astype(np.float64)


def _owner_credit_overdues(c: _Context) -> pd.Series:
    return c.fcol("owner_credit_overdues")


def _tax_credit_score(c: _Context) -> pd.Series:
    if "tax_credit_rating" not in c.fin.columns:
        return pd.Series(np.nan, index=c.info.index)
    label = c.fin["tax_credit_rating"].astype("str").str.strip().str.upper().str[:1]
    return label.map(TAX_CREDIT_SCORES).astype(np.float64)


def _relationship_years(c: _Context) -> pd.Series:
    return _years_between(_dates(c.fin, "bank_relationship_start"), c.as_of)


def _guarantee_score(c: _Context) -> pd.Series:
    live = c.live
    if "guarantee_type" not in live.columns:
        return pd.Series(np.nan, index=c.info.index)
    score = _normalise_guarantee(live["guarantee_type"]).map(GUARANTEE_SCORES).astype(np.float64)
    w = live["balance"].where(score.notna())
    frame = pd.DataFrame({"b": live["borrower_id"], "ws": score * w, "w": w})
    g = frame.groupby("b")[["ws", "w"]].sum(min_count=1)
    return g["ws"] / g["w"].where(g["w"] > 0)


def _collateral_coverage(c: _Context) -> pd.Series:
    live = c.live
    if "collateral_value" not in live.columns:
        return pd.Series(np.nan, index=c.info.index)
    frame = pd.DataFrame({"b": live["borrower_id"], "cv": _num(live, "collateral_value").fillna(0.0),
                          "bal": live["balance"]})
    g = frame.groupby("b")[["cv", "bal"]].sum()
    return g["cv"] / g["bal"].where(g["bal"] > 0)


def _external_guarantee_ratio(c: _Context) -> pd.Series:
    ext = c.fcol("external_guarantees")
    equity = c.fcol("equity").fillna(c.fcol("total_assets") - c.fcol("total_liabilities"))
    r = _ratio(ext, equity)
    worst = INDICATOR_BOUNDS["external_guarantee_ratio"][1]
    non_positive = equity <= 0
    r = r.mask(non_positive & (ext > 0), worst)
    return r.mask(ext == 0, 0.0)


def _litigation_count(c: _Context) -> pd.Series:
    return c.fcol("litigation_count")


def _admin_penalties(c: _Context) -> pd.Series:
    return c.fcol("admin_penalties")


def _owner_experience_years(c: _Context) -> pd.Series:
    return c.fcol("owner_experience_years")


_COMPUTE: Final[dict[str, Callable[[_Context], pd.Series]]] = {
    "asset_liability_ratio": _asset_liability_ratio,
    "current_ratio": _current_ratio,
    "quick_ratio": _quick_ratio,
    "interest_coverage": _interest_coverage,
    "roa": _roa,
    "net_margin": _net_margin,
    "revenue_growth": _revenue_growth,
    "ocf_to_current_liabilities": _ocf_to_cl,
    "years_in_operation": _years_in_operation,
    "asset_turnover": _asset_turnover,
    "customer_concentration": _customer_concentration,
    "industry_npl_ratio": _industry_npl_ratio,
    "max_dpd_12m": _max_dpd_12m,
    "overdue_episodes_12m": _overdue_episodes_12m,
    "owner_credit_overdues": _owner_credit_overdues,
    "tax_credit_score": _tax_credit_score,
    "relationship_years": _relationship_years,
    "guarantee_score": _guarantee_score,
    "collateral_coverage": _collateral_coverage,
    "external_guarantee_ratio": _external_guarantee_ratio,
    "litigation_count": _litigation_count,
    "admin_penalties": _admin_penalties,
    "owner_experience_years": _owner_experience_years,
}
