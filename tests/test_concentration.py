"""riskcore.concentration on small hand-computed books: HHI and 1/HHI, the top borrowers'
share at borrower level, the 10 % single-customer limit at its boundary, the guarantee
mix, and every undefined case as None with a reason (never NaN or inf)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from riskcore.concentration import (
    SINGLE_CUSTOMER_LIMIT,
    UNKNOWN,
    RegulatoryLimit,
    borrower_balances,
    concentration_report,
    equivalent_number,
    guarantee_kind,
    herfindahl,
    industry_section,
    single_customer_check,
)

AS_OF = pd.Timestamp("2024-06-30")


def book(rows: list[tuple[str, str, float, str, str, str]], *, as_of: pd.Timestamp = AS_OF, **extra) -> pd.DataFrame:
    """Loans from (borrower, industry, balance, region, guarantee, branch) rows."""
    frame = pd.DataFrame(rows, columns=["borrower_id", "industry_code", "balance", "region_code", "guarantee_type",
                                        "branch_id"])
    frame.insert(0, "snapshot_date", as_of)
    frame["loan_id"] = [f"L{i}" for i in range(len(frame))]
    frame["borrower_name"] = "name " + frame["borrower_id"]
    frame["five_class"] = 1
    frame["dpd"] = 0
    for key, values in extra.items():
        frame[key] = values
    return frame


def _finite_or_none(value: object) -> None:
    if isinstance(value, float):
        assert math.isfinite(value), value


def _no_nan(report) -> None:
    for part in (report.industry, report.region, report.guarantee):
        for v in (part.hhi, part.equivalent_groups, part.unknown_share):
            _finite_or_none(v)
        assert not part.table[["balance", "share"]].isna().any().any()
        assert all(v is None or math.isfinite(v) for v in part.table["npl_ratio"])
    for v in (report.top.share, report.single_customer.ratio, report.single_customer.headroom):
        _finite_or_none(v)
    for column in ("net_capital_ratio", "within_limit"):
        assert not any(isinstance(v, float) and math.isnan(v) for v in report.top.table[column])


# ============================================================================ HHI


def test_herfindahl_of_shares_50_30_20_is_0_38() -> None:
    # 0.5² + 0.3² + 0.2² = 0.25 + 0.09 + 0.04
    assert herfindahl([50, 30, 20]) == pytest.approx(0.38)
    assert herfindahl([0.5, 0.3, 0.2]) == pytest.approx(0.38)
    assert equivalent_number(0.38) == pytest.approx(1 / 0.38)
    assert herfindahl([7.0]) == 1.0  # one group holds everything
    assert herfindahl([1, 1, 1, 1]) == pytest.approx(0.25)  # n equal groups → 1/n
    assert herfindahl([]) is None and herfindahl([0, 0]) is None
    assert equivalent_number(None) is None
    with pytest.raises(ValueError, match="non-negative"):
        herfindahl([1, -1])
    with pytest.raises(ValueError, match="finite"):
        herfindahl([1, np.nan])


def test_industry_hhi_on_balance_shares_of_a_small_book() -> None:
    # Industry balances C 50 (two loans of one borrower and one of another), F 30, E 20.
    loans = book([
        ("B1", "C13", 30.0, "370202", "mortgage", "QD01"),
        ("B1", "C", 10.0, "370202", "credit", "QD01"),
        ("B2", "c", 10.0, "370203", "guarantee", "QD01"),
        ("B3", "F51", 30.0, "370203", "信用", "QD02"),
        ("B4", "E", 20.0, "370211", "抵押", "QD02"),
    ])
    report = concentration_report(loans)
    assert report.industry.hhi == pytest.approx(0.38)
    assert report.industry.equivalent_groups == pytest.approx(1 / 0.38)
    table = report.industry.table
    assert list(table.index) == ["C", "F", "E"]
    assert table["share"].tolist() == pytest.approx([0.5, 0.3, 0.2])
    assert table["loans"].tolist() == [3, 1, 1] and table["borrowers"].tolist() == [2, 1, 1]
    # Regions 40 / 40 / 20 → 0.16 + 0.16 + 0.04.
    assert report.region.hhi == pytest.approx(0.36)
    assert report.region.equivalent_groups == pytest.approx(1 / 0.36)
    assert (report.loans, report.borrowers, report.balance) == (5, 4, 100.0)
    _no_nan(report)


def test_unknown_codes_are_shown_but_left_out_of_the_hhi() -> None:
    loans = book([
        ("B1", "C", 60.0, "370202", "credit", "QD01"),
        ("B2", "F", 20.0, "", "credit", "QD01"),
        ("B3", None, 10.0, None, "credit", "QD01"),
        ("B4", "13", 10.0, "370202", "credit", "QD01"),  # a numeric division: its section depends on the version
    ])
    report = concentration_report(loans)
    table = report.industry.table
    assert list(table.index) == ["C", "F", UNKNOWN]  # unknown last
    assert table.loc[UNKNOWN, "share"] == pytest.approx(0.2)
    assert table["share"].sum() == pytest.approx(1.0)
    assert report.industry.unknown_share == pytest.approx(0.2)
    # HHI over the known 80: shares 0.75 and 0.25.
    assert report.industry.hhi == pytest.approx(0.75**2 + 0.25**2)
    assert report.region.unknown_share == pytest.approx(0.3)
    assert report.region.hhi == 1.0 and report.region.equivalent_groups == 1.0


def test_industry_section_is_the_first_letter_of_the_code() -> None:
    codes = pd.Series(["C13", "c", " f5110 ", "13", None, "制造业", "Z1", "T"], dtype="object")
    assert industry_section(codes).tolist() == ["C", "C", "F", "", "", "", "", "T"]


# ============================================================================ TOP BORROWERS


def test_top_ten_share_is_taken_at_borrower_level() -> None:
    # 12 borrowers: B00 has two loans (8 + 7 = 15, the largest borrower though no single loan is).
    rows = [("B00", "C", 8.0, "370202", "credit", "QD01"), ("B00", "C", 7.0, "370202", "credit", "QD02")]
    rows += [(f"B{i:02d}", "C", float(i), "370202", "credit", "QD01") for i in range(1, 12)]
    report = concentration_report(book(rows))
    top = report.top
    assert top.n == 10
    assert top.table["borrower_id"].iloc[0] == "B00" and top.table["balance"].iloc[0] == 15.0
    assert top.table["loans"].iloc[0] == 2
    total = 15 + sum(range(1, 12))
    top_ten = 15 + sum(range(3, 12))  # B00 and B03..B11
    assert top.share == pytest.approx(top_ten / total)
    assert top.table["cumulative_share"].iloc[-1] == pytest.approx(top.share)
    assert top.table["rank"].tolist() == list(range(1, 11))
    assert top.table["share"].is_monotonic_decreasing


def test_fewer_borrowers_than_ten_hold_everything() -> None:
    report = concentration_report(book([("B1", "C", 1.0, "1", "credit", "Q"), ("B2", "C", 3.0, "1", "credit", "Q")]))
    assert report.top.n == 2 and report.top.share == 1.0
    assert report.top.table["borrower_id"].tolist() == ["B2", "B1"]


def test_branch_filter_and_snapshot_choice() -> None:
    loans = pd.concat([
        book([("B1", "C", 10.0, "1", "credit", "QD01"), ("B2", "F", 30.0, "1", "credit", "QD02")]),
        book([("B1", "C", 99.0, "1", "credit", "QD01")], as_of=pd.Timestamp("2024-05-31")),
    ], ignore_index=True)
    assert concentration_report(loans).balance == 40.0  # latest by default
    assert concentration_report(loans, "2024-05-31").balance == 99.0
    only = concentration_report(loans, branches=["QD02"])
    assert only.balance == 30.0 and only.industry.hhi == 1.0
    with pytest.raises(ValueError, match="no snapshot dated 2024-04-30"):
        concentration_report(loans, "2024-04-30")
    with pytest.raises(ValueError, match="lacks the columns"):
        concentration_report(loans.drop(columns="balance"))


# ============================================================================ THE 10 % LIMIT


def test_the_limit_is_the_domain_figure() -> None:
    assert SINGLE_CUSTOMER_LIMIT.limit == 0.10
    assert "资本净额" in SINGLE_CUSTOMER_LIMIT.source and "10%" in SINGLE_CUSTOMER_LIMIT.source


@pytest.mark.parametrize(
    ("largest", "net_capital", "compliant"),
    [
        (10.0, 100.0, True),  # exactly 10 % is within the limit (≤)
        (1_000_000.0, 10_000_000.0, True),
        (10.000001, 100.0, False),
        (9.999999, 100.0, True),
        (30_000_000.0, 300_000_000.0, True),
        (30_000_001.0, 300_000_000.0, False),
    ],
)
def test_single_customer_limit_at_the_boundary(largest: float, net_capital: float, compliant: bool) -> None:
    loans = book([("B1", "C", largest / 2, "1", "credit", "Q"), ("B1", "C", largest / 2, "1", "credit", "Q"),
                  ("B2", "F", 1.0, "1", "credit", "Q")])
    report = concentration_report(loans, net_capital=net_capital)
    check = report.single_customer
    assert check.largest_borrower_id == "B1"
    assert check.ratio == pytest.approx(largest / net_capital)
    assert check.compliant is compliant
    assert check.breaches == (0 if compliant else 1)
    assert check.headroom == pytest.approx(0.1 * net_capital - largest)
    assert check.undefined_reason is None
    row = report.top.table.iloc[0]
    assert row["within_limit"] is compliant and row["net_capital_ratio"] == pytest.approx(largest / net_capital)


def test_every_borrower_above_the_limit_is_counted() -> None:
    borrowers = borrower_balances(pd.DataFrame({
        "borrower_id": ["A", "B", "C"], "balance": [12.0, 11.0, 10.0], "final_class": [1, 1, 1]}))
    check = single_customer_check(borrowers, 100.0)
    assert (check.compliant, check.breaches, check.largest_borrower_id) == (False, 2, "A")
    stricter = RegulatoryLimit("x", 0.05, "largest", "capital", "test")
    assert single_customer_check(borrowers, 100.0, limit=stricter).breaches == 3


@pytest.mark.parametrize(
    ("net_capital", "reason"),
    [(None, "no_net_capital"), (float("nan"), "no_net_capital"), (0.0, "net_capital_not_positive"),
     (-5.0, "net_capital_not_positive"), (float("inf"), "net_capital_not_positive")],
)
def test_no_usable_net_capital_leaves_the_ratio_undefined(net_capital: float | None, reason: str) -> None:
    report = concentration_report(book([("B1", "C", 10.0, "1", "credit", "Q")]), net_capital=net_capital)
    check = report.single_customer
    assert (check.ratio, check.compliant, check.headroom, check.breaches) == (None, None, None, None)
    assert check.undefined_reason == reason
    assert check.largest_balance == 10.0  # the balance side is still known
    assert report.top.table["net_capital_ratio"].tolist() == [None]
    assert report.top.table["within_limit"].tolist() == [None]
    _no_nan(report)


# ============================================================================ UNDEFINED CASES


def test_an_empty_selection_is_undefined_not_nan() -> None:
    loans = book([("B1", "C", 10.0, "1", "credit", "QD01"), ("B2", "F", 0.0, "1", "credit", "QD02")])
    report = concentration_report(loans, branches=["QD02"], net_capital=100.0)  # QD02 has only a repaid loan
    assert report.undefined_reason == "empty_book"
    assert (report.loans, report.borrowers, report.balance) == (0, 0, 0.0)
    for part in (report.industry, report.region, report.guarantee):
        assert (part.hhi, part.equivalent_groups, part.undefined_reason) == (None, None, "empty_book")
        assert part.table.empty
    assert report.top.share is None and report.top.n == 0
    assert report.single_customer.undefined_reason == "empty_book"
    assert report.single_customer.ratio is None
    _no_nan(report)


def test_missing_columns_and_unknown_codes() -> None:
    loans = book([("B1", None, 10.0, "1", "credit", "Q"), ("B2", "??", 5.0, "1", "credit", "Q")])
    report = concentration_report(loans.drop(columns=["region_code", "guarantee_type"]))
    assert report.industry.hhi is None and report.industry.undefined_reason == "no_known_group"
    assert report.industry.unknown_share == 1.0
    assert report.region.undefined_reason == "no_column" and report.region.table.empty
    assert report.guarantee.undefined_reason == "no_column"
    _no_nan(report)


# ============================================================================ MIX AND CLASSES


def test_guarantee_mix_by_balance_in_a_fixed_order() -> None:
    loans = book([
        ("B1", "C", 40.0, "1", "抵押", "Q"), ("B2", "C", 30.0, "1", "credit", "Q"),
        ("B3", "C", 20.0, "1", "保证", "Q"), ("B4", "C", 10.0, "1", "unknown thing", "Q"),
    ])
    mix = concentration_report(loans).guarantee
    assert list(mix.table.index) == ["credit", "guarantee", "mortgage", UNKNOWN]
    assert mix.table["share"].tolist() == pytest.approx([0.3, 0.2, 0.4, 0.1])
    assert guarantee_kind(pd.Series(["质押", "组合", " Pledge ", None])).tolist() == ["pledge", "mixed", "pledge", ""]


def test_npl_by_group_uses_the_final_class() -> None:
    # B2 is reported normal but 100 days past due: final class 3 (substandard) by the 2023 floor.
    loans = book([("B1", "C", 60.0, "1", "credit", "Q"), ("B2", "C", 40.0, "1", "credit", "Q")],
                 dpd=[0, 100], five_class=[1, 1])
    report = concentration_report(loans)
    assert report.industry.table.loc["C", "npl_ratio"] == pytest.approx(0.4)
    assert report.top.table.set_index("borrower_id").loc["B2", "worst_class"] == 3
