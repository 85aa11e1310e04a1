"""Tests of the default indicator system and the borrower × indicator matrix builder."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from riskcore.indicators import (
    CRITERIA,
    DEFAULT_INDICATORS,
    MISSING_POLICY,
    Indicator,
    IndicatorMatrix,
    applicable_financials,
    build_indicator_matrix,
    indicator_table,
)
from riskcore.sample import load_sample

EXPECTED_SYSTEM = {
    "asset_liability_ratio": ("financial", "cost"),
    "current_ratio": ("financial", "benefit"),
    "quick_ratio": ("financial", "benefit"),
    "interest_coverage": ("financial", "benefit"),
    "roa": ("financial", "benefit"),
    "net_margin": ("financial", "benefit"),
    "revenue_growth": ("financial", "benefit"),
    "ocf_to_current_liabilities": ("financial", "benefit"),
    "years_in_operation": ("operational", "benefit"),
    "asset_turnover": ("operational", "benefit"),
    "customer_concentration": ("operational", "cost"),
    "industry_npl_ratio": ("market", "cost"),
    "max_dpd_12m": ("credit", "cost"),
    "overdue_episodes_12m": ("credit", "cost"),
    "owner_credit_overdues": ("credit", "cost"),
    "tax_credit_score": ("credit", "benefit"),
    "relationship_years": ("credit", "benefit"),
    "guarantee_score": ("guarantee", "benefit"),
    "collateral_coverage": ("guarantee", "benefit"),
    "external_guarantee_ratio": ("guarantee", "cost"),
    "litigation_count": ("compliance", "cost"),
    "admin_penalties": ("compliance", "cost"),
    "owner_experience_years": ("owner", "benefit"),
}

NOV, DEC = pd.Timestamp("2024-11-30"), pd.Timestamp("2024-12-31")


# ---------------------------------------------------------------- a tiny hand-made book

def _loan(snap: pd.Timestamp, loan: str, borrower: str, branch: str, industry: str, balance: float,
          dpd: int, cls: int, guarantee: str, collateral: float) -> dict[str, object]:
    return {
        "snapshot_date": snap, "branch_id": branch, "branch_name": f"name-{branch}", "loan_id": loan,
        "borrower_id": borrower, "borrower_name": f"firm-{borrower}", "industry_code": industry,
        "industry_name": f"ind-{industry}", "balance": balance, "dpd": dpd, "five_class": cls,
        "guarantee_type": guarantee, "collateral_value": collateral,
    }


@pytest.fixture()
def tiny_loans() -> pd.DataFrame:
    rows = [
        _loan(NOV, "L1", "C001", "QD01", "C", 100.0, 0, 1, "mortgage", 200.0),
        _loan(NOV, "L2", "C002", "QD01", "C", 50.0, 95, 3, "credit", 0.0),
        _loan(NOV, "L3", "C003", "QD02", "F", 80.0, 0, 1, "guarantee", 0.0),
        _loan(NOV, "L6", "C004", "QD02", "F", 40.0, 40, 2, "credit", 0.0),
        _loan(DEC, "L1", "C001", "QD01", "C", 90.0, 0, 1, "mortgage", 200.0),
        _loan(DEC, "L4", "C001", "QD01", "C", 30.0, 10, 2, "credit", 0.0),
        _loan(DEC, "L2", "C002", "QD01", "C", 50.0, 126, 3, "credit", 0.0),
        _loan(DEC, "L3", "C003", "QD02", "F", 80.0, 0, 1, "guarantee", 0.0),
        _loan(DEC, "L5", "C003", "QD02", "F", 0.0, 0, 1, "credit", 0.0),   # repaid: not live
        _loan(DEC, "L6", "C004", "QD02", "F", 0.0, 0, 1, "credit", 0.0),   # C004 has no live loan
    ]
    df = pd.DataFrame(rows)
    df["snapshot_date"] = df["snapshot_date"].astype("datetime64[us]")
    return df


def _fin(borrower: str, period: int, **kw: object) -> dict[str, object]:
    base: dict[str, object] = {
        "borrower_id": borrower, "report_period": period, "total_assets": 1000.0,
        "total_liabilities": 600.0, "equity": 400.0, "current_assets": 500.0,
        "current_liabilities": 250.0, "inventory": 100.0, "revenue": 2000.0, "revenue_prev": 1600.0,
        "net_profit": 50.0, "ebit": 80.0, "interest_expense": 20.0, "operating_cash_flow": 75.0,
        "established_date": pd.Timestamp("2014-12-31"), "top_customer_share": 0.3,
        "owner_credit_overdues": 1, "tax_credit_rating": "A", "litigation_count": 0,
        "admin_penalties": 0, "external_guarantees": 200.0, "owner_experience_years": 15.0,
        "bank_relationship_start": pd.Timestamp("2019-12-31"),
    }
    base.update(kw)
    return base


@pytest.fixture()
def tiny_borrowers() -> pd.DataFrame:
    rows = [
        _fin("C001", 2023),
        # The 2024 report must not be used at 2024-12-31 (lag rule: period < snapshot year).
        _fin("C001", 2024, total_assets=5000.0, total_liabilities=1000.0, equity=4000.0),
        # Young firm with only a 2024 report: fallback to its earliest period.
        _fin("C002", 2024, total_assets=400.0, total_liabilities=500.0, equity=-100.0,
             current_assets=150.0, current_liabilities=300.0, inventory=np.nan, revenue=300.0,
             revenue_prev=0.0, net_profit=-30.0, ebit=-30.0, interest_expense=0.0,
             operating_cash_flow=-10.0, established_date=pd.Timestamp("2024-01-15"),
             top_customer_share=0.5, owner_credit_overdues=3, tax_credit_rating="M",
             litigation_count=2, admin_penalties=1, external_guarantees=50.0,
             owner_experience_years=3.0, bank_relationship_start=pd.Timestamp("2024-03-01")),
        _fin("C003", 2023, current_liabilities=0.0, total_liabilities=100.0, equity=900.0,
             top_customer_share=np.nan, tax_credit_rating="B", external_guarantees=0.0),
        _fin("C004", 2023),
    ]
    return pd.DataFrame(rows)


@pytest.fixture()
def tiny(tiny_loans: pd.DataFrame, tiny_borrowers: pd.DataFrame):  # type: ignore[no-untyped-def]
    return build_indicator_matrix(tiny_loans, tiny_borrowers)


# ---------------------------------------------------------------- the system


def test_system_keys_order_and_directions() -> None:
    assert CRITERIA == ("financial", "operational", "market", "credit", "guarantee", "compliance", "owner")
    assert [i.key for i in DEFAULT_INDICATORS] == list(EXPECTED_SYSTEM)
    for ind in DEFAULT_INDICATORS:
        assert (ind.criterion, ind.direction) == EXPECTED_SYSTEM[ind.key]
        assert ind.criterion in CRITERIA and ind.source and ind.unit
    crit_order = [CRITERIA.index(i.criterion) for i in DEFAULT_INDICATORS]
    assert crit_order == sorted(crit_order)
    table = indicator_table()
    assert list(table.index) == list(EXPECTED_SYSTEM)


def test_indicator_is_frozen_and_validated() -> None:
    ind = DEFAULT_INDICATORS[0]
    with pytest.raises(AttributeError):
        ind.key = "x"  # type: ignore[misc]
    with pytest.raises(ValueError, match="'benefit' or 'cost'"):
        Indicator("x", "financial", "up", "x", "ratio")  # type: ignore[arg-type]


def test_matrix_directions_and_criteria(tiny) -> None:  # type: ignore[no-untyped-def]
    assert list(tiny.values.columns) == list(EXPECTED_SYSTEM)
    assert tiny.directions.to_dict() == {k: d for k, (_, d) in EXPECTED_SYSTEM.items()}
    assert tiny.criteria.to_dict() == {k: c for k, (c, _) in EXPECTED_SYSTEM.items()}
    assert tiny.policy == MISSING_POLICY


# ---------------------------------------------------------------- hand-checked values


def test_rows_are_borrowers_with_live_loans(tiny) -> None:  # type: ignore[no-untyped-def]
    assert list(tiny.values.index) == ["C001", "C002", "C003"]
    assert tiny.values.index.name == "borrower_id"
    assert tiny.as_of == DEC
    assert tiny.values.dtypes.eq(np.float64).all()
    assert np.isfinite(tiny.values.to_numpy()).all()


def test_financial_ratios_use_lagged_period(tiny) -> None:  # type: ignore[no-untyped-def]
    v = tiny.values.loc["C001"]
    assert v["asset_liability_ratio"] == pytest.approx(0.6)
    assert v["current_ratio"] == pytest.approx(2.0)
    assert v["quick_ratio"] == pytest.approx((500 - 100) / 250)
    assert v["interest_coverage"] == pytest.approx(4.0)
    assert v["roa"] == pytest.approx(0.05)
    assert v["net_margin"] == pytest.approx(0.025)
    assert v["revenue_growth"] == pytest.approx(0.25)
    assert v["ocf_to_current_liabilities"] == pytest.approx(0.3)
    assert v["asset_turnover"] == pytest.approx(2.0)
    assert v["external_guarantee_ratio"] == pytest.approx(0.5)
    assert v["tax_credit_score"] == 5.0
    assert v["years_in_operation"] == pytest.approx(3653 / 365.25)
    assert v["relationship_years"] == pytest.approx(1827 / 365.25)
    assert tiny.borrowers.loc["C001", "report_period"] == 2023
    assert tiny.borrowers.loc["C002", "report_period"] == 2024  # fallback: earliest period


def test_undefined_value_rules(tiny) -> None:  # type: ignore[no-untyped-def]
    c2, c3 = tiny.values.loc["C002"], tiny.values.loc["C003"]
    assert c2["interest_coverage"] == 50.0           # zero interest expense → cap
    assert c2["external_guarantee_ratio"] == 10.0    # negative equity with guarantees → worst
    assert c2["asset_liability_ratio"] == pytest.approx(1.25)
    assert c2["tax_credit_score"] == 3.0
    assert c3["current_ratio"] == 10.0               # no current liabilities → cap
    assert c3["quick_ratio"] == 10.0
    assert c3["ocf_to_current_liabilities"] == 5.0
    assert c3["external_guarantee_ratio"] == 0.0
    assert c3["tax_credit_score"] == 4.0


def test_behaviour_and_guarantee_indicators(tiny) -> None:  # type: ignore[no-untyped-def]
    v = tiny.values
    assert v.loc["C001", "max_dpd_12m"] == 10.0
    assert v.loc["C001", "overdue_episodes_12m"] == 1.0
    assert v.loc["C002", "max_dpd_12m"] == 126.0
    assert v.loc["C002", "overdue_episodes_12m"] == 2.0
    assert v.loc["C003", "max_dpd_12m"] == 0.0
    # Balance-weighted guarantee score: (4 × 90 + 1 × 30) / 120.
    assert v.loc["C001", "guarantee_score"] == pytest.approx(3.25)
    assert v.loc["C002", "guarantee_score"] == 1.0
    assert v.loc["C003", "guarantee_score"] == 2.0
    assert v.loc["C001", "collateral_coverage"] == pytest.approx(200 / 120)
    assert v.loc["C002", "collateral_coverage"] == 0.0


def test_industry_npl_ratio(tiny) -> None:  # type: ignore[no-untyped-def]
    # Industry C at 2024-12-31: live balance 90 + 30 + 50, NPL (C002, 126 DPD) 50.
    assert tiny.values.loc["C001", "industry_npl_ratio"] == pytest.approx(50 / 170)
    assert tiny.values.loc["C002", "industry_npl_ratio"] == pytest.approx(50 / 170)
    assert tiny.values.loc["C003", "industry_npl_ratio"] == 0.0


def test_median_imputation_and_counts(tiny) -> None:  # type: ignore[no-untyped-def]
    v = tiny.values
    # C002: revenue_prev 0 → growth undefined → median of industry C (C001: 0.25).
    assert v.loc["C002", "revenue_growth"] == pytest.approx(0.25)
    # C002: inventory missing → quick ratio → industry C median (C001: 1.6).
    assert v.loc["C002", "quick_ratio"] == pytest.approx(1.6)
    # C003: top_customer_share missing, no other F borrower → overall median of 0.3 and 0.5.
    assert v.loc["C003", "customer_concentration"] == pytest.approx(0.4)
    expected = dict.fromkeys(EXPECTED_SYSTEM, 0)
    expected.update(revenue_growth=1, quick_ratio=1, customer_concentration=1)
    assert tiny.missing.to_dict() == expected
    assert tiny.imputed.loc["C002", "revenue_growth"]
    assert not tiny.imputed.loc["C001", "revenue_growth"]
    assert int(tiny.imputed.to_numpy().sum()) == 3


def test_borrower_summary(tiny) -> None:  # type: ignore[no-untyped-def]
    b = tiny.borrowers
    assert b.loc["C001", "balance"] == 120.0
    assert b.loc["C001", "loan_count"] == 2
    assert b.loc["C001", "worst_class"] == 2
    assert b.loc["C001", "max_dpd"] == 10
    assert not b.loc["C001", "default_flag"]
    assert b.loc["C002", "worst_class"] == 3 and b.loc["C002", "default_flag"]
    assert b.loc["C003", "loan_count"] == 1 and b.loc["C003", "balance"] == 80.0
    assert b.loc["C003", "branch_id"] == "QD02" and b.loc["C003", "industry_name"] == "ind-F"
    assert b.loc["C001", "borrower_name"] == "firm-C001"


def test_worst_class_applies_dpd_floor(tiny_loans: pd.DataFrame, tiny_borrowers: pd.DataFrame) -> None:
    loans = tiny_loans.copy()
    loans.loc[(loans["loan_id"] == "L2") & (loans["snapshot_date"] == DEC), "five_class"] = 2
    m = build_indicator_matrix(loans, tiny_borrowers)
    assert m.borrowers.loc["C002", "worst_class"] == 3   # 126 DPD floors at substandard
    assert m.values.loc["C001", "industry_npl_ratio"] == pytest.approx(50 / 170)


def test_as_of_and_branch_filter(tiny_loans: pd.DataFrame, tiny_borrowers: pd.DataFrame) -> None:
    nov = build_indicator_matrix(tiny_loans, tiny_borrowers, "2024-11-30")
    assert list(nov.values.index) == ["C001", "C002", "C003", "C004"]
    assert nov.values.loc["C001", "max_dpd_12m"] == 0.0
    assert nov.values.loc["C001", "guarantee_score"] == 4.0
    only = build_indicator_matrix(tiny_loans, tiny_borrowers, branches=["QD02"])
    assert list(only.values.index) == ["C003"]
    # The industry signal comes from the whole book, not the branch selection.
    full = build_indicator_matrix(tiny_loans, tiny_borrowers)
    assert only.values.loc["C003", "industry_npl_ratio"] == full.values.loc["C003", "industry_npl_ratio"]


def test_indicator_subset(tiny_loans: pd.DataFrame, tiny_borrowers: pd.DataFrame) -> None:
    subset = [i for i in DEFAULT_INDICATORS if i.criterion == "guarantee"]
    m = build_indicator_matrix(tiny_loans, tiny_borrowers, indicators=subset)
    assert list(m.values.columns) == ["guarantee_score", "collateral_coverage", "external_guarantee_ratio"]


def test_missing_borrower_columns_are_imputed(tiny_loans: pd.DataFrame, tiny_borrowers: pd.DataFrame) -> None:
    m = build_indicator_matrix(tiny_loans, tiny_borrowers.drop(columns=["owner_experience_years"]))
    assert (m.values["owner_experience_years"] == 0.0).all()
    assert m.missing["owner_experience_years"] == 3


def test_per_indicator_policy_fields_without_a_system(tiny) -> None:  # type: ignore[no-untyped-def]
    assert tiny.policies.to_dict() == {k: "industry_median" for k in EXPECTED_SYSTEM}
    assert tiny.excluded.to_dict() == {k: 0 for k in EXPECTED_SYSTEM}
    assert tiny.excluded_ids == () and tiny.system is None
    affected = tiny.affected()
    assert affected["missing"].to_dict() == tiny.missing.to_dict()
    assert set(affected["action"]) == {"imputed"} and set(affected["borrowers"]) == {3}


def test_matrix_built_by_hand_gets_default_policy_fields(tiny) -> None:  # type: ignore[no-untyped-def]
    # The fields added for indicator systems have defaults: older constructors still work.
    m = IndicatorMatrix(values=tiny.values, directions=tiny.directions, criteria=tiny.criteria,
                        borrowers=tiny.borrowers, missing=tiny.missing, imputed=tiny.imputed,
                        policy=tiny.policy, as_of=tiny.as_of, indicators=tiny.indicators)
    pd.testing.assert_series_equal(m.policies, tiny.policies)
    pd.testing.assert_series_equal(m.excluded, tiny.excluded)
    assert m.excluded_ids == ()


def test_errors(tiny_loans: pd.DataFrame, tiny_borrowers: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="not a snapshot date"):
        build_indicator_matrix(tiny_loans, tiny_borrowers, "2024-10-31")
    with pytest.raises(ValueError, match="unknown indicator keys"):
        build_indicator_matrix(tiny_loans, tiny_borrowers,
                               indicators=[Indicator("roe", "financial", "benefit", "x", "ratio")])
    with pytest.raises(ValueError, match="no live loan"):
        build_indicator_matrix(tiny_loans, tiny_borrowers, branches=["QD09"])
    with pytest.raises(ValueError, match="required column 'dpd'"):
        build_indicator_matrix(tiny_loans.drop(columns=["dpd"]), tiny_borrowers)


def test_applicable_financials_rule(tiny_borrowers: pd.DataFrame) -> None:
    fin = applicable_financials(tiny_borrowers, "2024-06-30")
    assert fin.loc["C001", "report_period"] == 2023
    assert fin.loc["C002", "report_period"] == 2024
    fin25 = applicable_financials(tiny_borrowers, "2025-01-31")
    assert fin25.loc["C001", "report_period"] == 2024


# ---------------------------------------------------------------- the full sample


@pytest.fixture(scope="module")
def sample():  # type: ignore[no-untyped-def]
    return load_sample()


def test_full_sample_is_finite_and_fast(sample) -> None:  # type: ignore[no-untyped-def]
    build_indicator_matrix(sample.loans, sample.borrowers)  # warm-up
    t0 = time.perf_counter()
    m = build_indicator_matrix(sample.loans, sample.borrowers)
    elapsed = time.perf_counter() - t0
    assert elapsed < 2.0
    last = sample.loans[sample.loans["snapshot_date"] == sample.loans["snapshot_date"].max()]
    assert len(m.values) == last.loc[last["balance"] > 0, "borrower_id"].nunique()
    assert np.isfinite(m.values.to_numpy()).all()
    assert not m.values.isna().any().any()
    assert m.missing.sum() > 0
    assert m.borrowers["default_flag"].sum() == m.borrowers["worst_class"].ge(3).sum()
    assert m.borrowers["worst_class"].between(1, 5).all()


def test_full_sample_indicators_discriminate(sample) -> None:  # type: ignore[no-untyped-def]
    m = build_indicator_matrix(sample.loans, sample.borrowers, "2024-06-30")
    y = m.borrowers["default_flag"]
    v = m.values
    assert v.loc[y, "asset_liability_ratio"].mean() > v.loc[~y, "asset_liability_ratio"].mean()
    assert v.loc[y, "tax_credit_score"].mean() < v.loc[~y, "tax_credit_score"].mean()
    assert v.loc[y, "max_dpd_12m"].mean() > v.loc[~y, "max_dpd_12m"].mean()
