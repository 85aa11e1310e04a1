"""riskcore.ratios: hand-computed figures on an eight-loan book, undefined ratios with their
reasons, the NPL-ratio identity, thresholds, provisions and the changes between snapshots."""

from __future__ import annotations

import math
from dataclasses import fields

import numpy as np
import pandas as pd
import pytest

from riskcore.ratios import (
    PBOC_2002,
    PBOC_2002_GENERAL,
    RATIO_FIELDS,
    THRESHOLDS,
    PortfolioRatios,
    ProvisionTable,
    Ratio,
    grouped_ratios,
    portfolio_ratios,
    provision_comparison,
    ratios_over_time,
)

DEC, NOV = pd.Timestamp("2024-12-31"), pd.Timestamp("2024-11-30")


def book() -> pd.DataFrame:
    """December: eight loans, total 1000 (hand computation in the tests); November: three."""
    dec = pd.DataFrame({
        "loan_id": ["L1", "L2", "L3", "L4", "L5", "L6", "L7", "L8"],
        "borrower_id": ["B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8"],
        "branch_id": ["A", "A", "A", "B", "B", "B", "B", "A"],
        "industry_code": ["C", "C", "F", "F", "C", "F", "C", "F"],
        "balance": [400.0, 200.0, 100.0, 100.0, 50.0, 50.0, 60.0, 40.0],
        "five_class": [1, 2, 1, 3, 2, 4, 5, 1],
        "dpd": [0, 10, 45, 100, 200, 300, 400, 0],
        "provision": [4.0, 6.0, 2.0, 30.0, 20.0, 30.0, 60.0, 0.0],
        "is_inclusive": [True, True, True, True, False, True, False, False],
    }).assign(snapshot_date=DEC)
    nov = pd.DataFrame({
        "loan_id": ["L1", "L4", "L7"], "borrower_id": ["B1", "B4", "B7"], "branch_id": ["A", "B", "B"],
        "industry_code": ["C", "F", "C"], "balance": [400.0, 100.0, 100.0], "five_class": [1, 2, 5],
        "dpd": [0, 20, 380], "provision": [4.0, 2.0, 100.0], "is_inclusive": [True, True, False],
    }).assign(snapshot_date=NOV)
    return pd.concat([dec, nov], ignore_index=True)


# Final classes in December: L1 1, L2 2, L3 2 (45 DPD > reported 1: exception), L4 3,
# L5 3 (200 DPD > reported 2: exception), L6 4, L7 5, L8 1.
# By class: 1 = 400 + 40, 2 = 200 + 100, 3 = 100 + 50, 4 = 50, 5 = 60; NPL = 260.


def test_hand_computed_ratios_of_the_eight_loan_book() -> None:
    r = portfolio_ratios(book())
    assert r.as_of == DEC and r.rules == "2023" and r.loans == 8
    assert r.balance == 1000.0
    assert r.balance_by_class == (440.0, 300.0, 150.0, 50.0, 60.0)
    assert r.npl_balance == 260.0 and r.npl_ratio.value == pytest.approx(0.26)
    assert r.special_mention_balance == 300.0 and r.special_mention_ratio.value == pytest.approx(0.30)
    assert r.overdue_ratio.value == pytest.approx(0.56)  # DPD >= 1: L2-L7
    assert r.overdue_30_ratio.value == pytest.approx(0.36)  # DPD > 30: L3-L7
    assert r.overdue_90_ratio.value == pytest.approx(0.26)  # DPD > 90: L4-L7
    assert r.npl_deviation.value == pytest.approx(1.0)  # 260 / 260
    assert r.reported_npl_balance == 210.0  # reported 3-5: L4, L6, L7
    assert r.reported_npl_deviation.value == pytest.approx(260 / 210)
    assert r.provisions == 152.0
    assert r.provision_coverage.value == pytest.approx(152 / 260)
    assert r.loan_provision_ratio.value == pytest.approx(0.152)
    assert r.exceptions == 2 and r.unreported == 0 and r.debtor_raised == 0
    assert all(getattr(r, name).reason is None for name in RATIO_FIELDS)


def test_required_provisions_by_class_pboc_2002() -> None:
    p = portfolio_ratios(book()).required_provisions
    assert p.table == PBOC_2002 and p.table.rates == (0.0, 0.02, 0.25, 0.50, 1.0)
    assert p.by_class["required"].tolist() == pytest.approx([0.0, 6.0, 37.5, 25.0, 60.0])
    assert p.by_class["booked"].tolist() == pytest.approx([4.0, 8.0, 50.0, 30.0, 60.0])  # by final class
    assert p.by_class["gap"].tolist() == pytest.approx([4.0, 2.0, 12.5, 5.0, 0.0])
    assert (p.required, p.booked, p.gap, p.reason) == (pytest.approx(128.5), 152.0, pytest.approx(23.5), None)


def test_an_edited_provision_table_recomputes_required_provisions() -> None:
    r = portfolio_ratios(book())
    custom = ProvisionTable("custom", (0.01, 0.05, 0.30, 0.60, 1.0))
    booked = r.required_provisions.by_class["booked"].tolist()
    p = provision_comparison(r.balance_by_class, custom, booked)
    assert p.by_class["required"].tolist() == pytest.approx([4.4, 15.0, 45.0, 30.0, 60.0])
    assert p.required == pytest.approx(154.4) and p.gap == pytest.approx(152 - 154.4)
    same = portfolio_ratios(book(), provision_table=custom).required_provisions
    assert same.required == pytest.approx(p.required)
    general = portfolio_ratios(book(), provision_table=PBOC_2002_GENERAL).required_provisions
    assert general.general_required == pytest.approx(10.0) and general.required == pytest.approx(138.5)
    with pytest.raises(ValueError, match="provision rate of class 3 must be between 0 and 1"):
        ProvisionTable("bad", (0.0, 0.02, 1.5, 0.5, 1.0))


def test_inclusive_sme_tolerance() -> None:
    incl = portfolio_ratios(book()).inclusive
    # inclusive: L1 400, L2 200, L3 100, L4 100 (NPL), L6 50 (NPL) = 850, NPL 150
    assert (incl.balance, incl.npl_balance) == (850.0, 150.0)
    assert incl.npl_ratio.value == pytest.approx(150 / 850)
    assert incl.gap.value == pytest.approx(150 / 850 - 0.26)
    assert incl.limit == 0.03 and incl.status == "ok"
    # a book where the inclusive loans carry all the NPL: 100 of 200 inclusive vs 100 of 1000 overall
    worse = pd.DataFrame({"snapshot_date": DEC, "balance": [100.0, 100.0, 800.0], "five_class": [3, 1, 1],
                          "dpd": [0, 0, 0], "is_inclusive": [True, True, False]})
    bad = portfolio_ratios(worse).inclusive
    assert bad.gap.value == pytest.approx(0.5 - 0.1) and bad.status == "breach"


def test_branches_and_the_zero_npl_case() -> None:
    a = portfolio_ratios(book(), branches=["A"])  # L1, L2, L3, L8: no NPL
    assert (a.balance, a.npl_balance, a.branches) == (740.0, 0.0, ("A",))
    assert a.npl_ratio == Ratio(0.0)
    assert a.provision_coverage == Ratio(None, "no_npl")
    assert a.npl_deviation == Ratio(None, "no_npl") and a.reported_npl_deviation.reason == "no_npl"
    assert a.loan_provision_ratio.value == pytest.approx(12 / 740)
    assert a.status("provision_coverage") == "undefined"


@pytest.mark.parametrize("how", ["no rows", "no branch", "zero balances"])
def test_an_empty_book_has_every_ratio_undefined(how: str) -> None:
    if how == "no rows":
        r = portfolio_ratios(book().iloc[0:0])
        assert r.as_of is None
    elif how == "no branch":
        r = portfolio_ratios(book(), branches=["Z"])
    else:
        r = portfolio_ratios(book().assign(balance=0.0))
    assert r.balance == 0.0 and r.balance_by_class == (0.0,) * 5
    for name in RATIO_FIELDS:
        assert getattr(r, name) == Ratio(None, "empty_book"), name
    assert r.inclusive.gap == Ratio(None, "empty_book")
    assert r.inclusive.status == "undefined"


def test_without_a_provision_column_provision_ratios_are_undefined() -> None:
    for loans in (book().drop(columns="provision"), book().assign(provision=np.nan)):
        r = portfolio_ratios(loans)
        assert r.provisions is None and r.provisions_reason == "no_provision_column"
        assert r.provision_coverage == Ratio(None, "no_provision_column")
        assert r.loan_provision_ratio == Ratio(None, "no_provision_column")
        assert r.npl_ratio.value == pytest.approx(0.26)  # the rest is unaffected
        p = r.required_provisions
        assert p.booked is None and p.gap is None and p.reason == "no_provision_column"
        assert list(p.by_class.columns) == ["balance", "rate", "required"]  # no NaN column
        assert p.required == pytest.approx(128.5)


def test_blank_provision_cells_count_as_zero_and_are_counted() -> None:
    loans = book()
    loans.loc[0, "provision"] = np.nan  # L1's 4.0
    r = portfolio_ratios(loans)
    assert r.provisions == 148.0 and r.provisions_blank == 1


def test_without_an_inclusive_flag_or_inclusive_loans_the_check_is_undefined() -> None:
    r = portfolio_ratios(book().drop(columns="is_inclusive"))
    assert r.inclusive.gap == Ratio(None, "no_inclusive_flag") and r.inclusive.status == "undefined"
    r = portfolio_ratios(book().assign(is_inclusive=False))
    assert r.inclusive.npl_ratio == Ratio(None, "no_inclusive_loans")
    assert r.inclusive.gap.reason == "no_inclusive_loans"


def test_no_ratio_is_ever_nan_or_inf() -> None:
    with pytest.raises(ValueError, match="finite"):
        Ratio(float("nan"))
    with pytest.raises(ValueError, match="finite"):
        Ratio(float("inf"))
    with pytest.raises(ValueError, match="needs a `reason`"):
        Ratio(None)
    variants = [book(), book().drop(columns="provision"), book().assign(balance=0.0), book().iloc[0:0]]
    for loans in variants:
        for r in ratios_over_time(loans).snapshots if len(loans) else [portfolio_ratios(loans)]:
            for name in RATIO_FIELDS:
                ratio = getattr(r, name)
                assert (ratio.value is None) != (ratio.reason is None)
                assert ratio.value is None or math.isfinite(ratio.value)


def test_ratio_fields_lists_every_ratio_of_the_result() -> None:
    assert set(RATIO_FIELDS) == {f.name for f in fields(PortfolioRatios) if f.type == "Ratio"}


def test_npl_ratio_identity_exactly_on_a_dyadic_book() -> None:
    # total 1024, NPL 256, provisions 128: every quotient is exact in binary floating point
    loans = pd.DataFrame({"snapshot_date": DEC, "balance": [768.0, 128.0, 128.0], "five_class": [1, 3, 5],
                          "dpd": [0, 0, 0], "provision": [0.0, 64.0, 64.0]})
    r = portfolio_ratios(loans)
    assert r.npl_ratio.value == 0.25
    assert r.loan_provision_ratio.value / r.provision_coverage.value == r.npl_ratio.value


def test_npl_ratio_identity_on_random_books() -> None:
    rng = np.random.default_rng(20241231)
    for _ in range(100):
        n = int(rng.integers(3, 40))
        loans = pd.DataFrame({
            "snapshot_date": DEC,
            "balance": rng.uniform(0, 5e6, n).round(2),
            "five_class": rng.integers(1, 6, n),
            "dpd": rng.choice([0, 0, 0, 15, 95, 300, 400], n),
            "provision": rng.uniform(0, 1e6, n).round(2),
        })
        r = portfolio_ratios(loans)
        if r.npl_balance > 0:
            identity = r.loan_provision_ratio.value / r.provision_coverage.value
            assert math.isclose(identity, r.npl_ratio.value, rel_tol=1e-12), (identity, r.npl_ratio.value)


def test_thresholds_as_data_and_their_boundaries() -> None:
    r = portfolio_ratios(book())
    assert r.status("npl_ratio") == "breach"  # 26 % > 5 %
    assert r.status("provision_coverage") == "breach"  # 58 % < 120 %
    assert r.status("loan_provision_ratio") == "ok"  # 15.2 % >= 2.5 %
    assert r.status("inclusive_gap") == "ok"
    cov, lpr, npl, gap = (THRESHOLDS[k] for k in ("provision_coverage", "loan_provision_ratio", "npl_ratio",
                                                     "inclusive_gap"))
    assert [cov.status(Ratio(v)) for v in (1.19, 1.20, 1.49, 1.50)] == ["breach", "in_band", "in_band", "ok"]
    assert [lpr.status(Ratio(v)) for v in (0.0149, 0.015, 0.025)] == ["breach", "in_band", "ok"]
    assert [npl.status(Ratio(v)) for v in (0.05, 0.0501)] == ["ok", "breach"]
    assert [gap.status(Ratio(v)) for v in (-0.01, 0.03, 0.0301)] == ["ok", "ok", "breach"]
    assert all(t.source for t in THRESHOLDS.values())


def _assert_same(a: PortfolioRatios, b: PortfolioRatios) -> None:
    for f in fields(PortfolioRatios):
        if f.name == "required_provisions":
            pd.testing.assert_frame_equal(a.required_provisions.by_class, b.required_provisions.by_class)
            assert a.required_provisions.required == b.required_provisions.required
        else:
            assert getattr(a, f.name) == getattr(b, f.name), f.name


def test_ratios_over_time_equal_portfolio_ratios_and_give_changes() -> None:
    over = ratios_over_time(book())
    assert over.dates == [NOV, DEC]
    for when in (NOV, DEC):
        _assert_same(over.at(when), portfolio_ratios(book(), as_of=when))
    nov = over.at(NOV)
    assert nov.npl_ratio.value == pytest.approx(100 / 600)  # L7 (loss); L4 was special mention at 20 DPD
    assert over.change("npl_ratio", DEC).value == pytest.approx(0.26 - 100 / 600)
    assert over.change("balance", DEC) == Ratio(400.0)
    assert over.change("provisions", DEC).value == pytest.approx(152 - 106)
    assert over.change("npl_ratio", NOV) == Ratio(None, "no_previous")
    assert over.previous(DEC) is nov and over.previous(NOV) is None
    balances = over.class_balances()
    assert balances.loc[DEC].tolist() == [440.0, 300.0, 150.0, 50.0, 60.0]
    assert balances.loc[NOV].tolist() == [400.0, 100.0, 0.0, 0.0, 100.0]
    with pytest.raises(ValueError, match="`name` must be"):
        over.change("rules", DEC)


def test_a_branch_absent_at_a_snapshot_keeps_the_date_with_undefined_ratios() -> None:
    loans = book()
    loans = loans.loc[~((loans["branch_id"] == "A") & (loans["snapshot_date"] == NOV))]
    over = ratios_over_time(loans, branches=["A"])
    assert over.dates == [NOV, DEC]
    assert over.at(NOV).npl_ratio == Ratio(None, "empty_book")
    assert over.change("npl_ratio", DEC) == Ratio(None, "previous_undefined")
    assert over.change("provision_coverage", DEC) == Ratio(None, "no_npl")  # undefined now: its own reason


def test_grouped_ratios_equal_the_filtered_figures() -> None:
    groups = grouped_ratios(book(), ["branch_id"])
    assert [(g.as_of, dict(g.group)) for g in groups] == [
        (NOV, {"branch_id": "A"}), (NOV, {"branch_id": "B"}), (DEC, {"branch_id": "A"}), (DEC, {"branch_id": "B"})]
    for g in groups:
        alone = portfolio_ratios(book(), as_of=g.as_of, branches=[g.group["branch_id"]])
        assert g.npl_ratio == alone.npl_ratio and g.provision_coverage == alone.provision_coverage
        assert g.exceptions == alone.exceptions
    by_industry = {(g.as_of, g.group["industry_code"]): g for g in grouped_ratios(book(), ["industry_code"])}
    assert by_industry[(DEC, "C")].balance == 710.0  # L1, L2, L5, L7
    assert by_industry[(DEC, "C")].npl_balance == 110.0  # L5 (floor), L7
    with pytest.raises(ValueError, match=r"lacks the columns \['region_code'\]"):
        grouped_ratios(book(), ["region_code"])


def test_debtor_rule_and_rule_sets_reach_the_ratios() -> None:
    loans = book()
    loans.loc[loans["loan_id"] == "L8", "borrower_id"] = "B7"  # B7: 60 loss + 40 normal -> 60 % NPL
    plain = portfolio_ratios(loans, branches=["A"])
    raised = portfolio_ratios(loans, branches=["A"], debtor_rule=True)  # L8 is in A, L7 in B
    assert plain.npl_balance == 0.0 and raised.npl_balance == 40.0 and raised.debtor_raised == 1
    assert portfolio_ratios(book(), rules="card").balance_by_class == (440.0, 300.0, 100.0, 0.0, 160.0)
    with pytest.raises(ValueError, match="`rules` must be one of"):
        portfolio_ratios(book(), rules="nope")


def test_errors_name_what_is_missing() -> None:
    with pytest.raises(ValueError, match=r"lacks the columns \['dpd'\]"):
        portfolio_ratios(book().drop(columns="dpd"))
    with pytest.raises(ValueError, match="no snapshot dated 2020-01-31"):
        portfolio_ratios(book(), as_of="2020-01-31")
