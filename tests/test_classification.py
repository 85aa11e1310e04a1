"""riskcore.classification: DPD floors per rule set, exceptions, missing classes, debtor rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from riskcore.classification import (
    DEBTOR_NPL_SHARE,
    DEFAULT_RULES,
    RULE_SETS,
    RuleSet,
    classify,
    dpd_floor,
    get_rules,
    reported_classes,
)
from riskcore.portfolio import dpd_floor as portfolio_dpd_floor

# Every boundary of every ladder (DOMAIN.md §1.3), written out by hand:
#   2023     关注 1-90, 次级 91-270, 可疑 271-360, 损失 > 360
#   pre2023  关注 1-90, 次级 91-180, 可疑 181-360, 损失 > 360
#   card     关注 1-90, 次级 91-120, 可疑 121-180, 损失 > 180
DPDS = (0, 1, 30, 31, 60, 61, 90, 91, 120, 121, 180, 181, 270, 271, 360, 361)
EXPECTED = {
    "2023":    (1, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 4, 4, 5),
    "pre2023": (1, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5),
    "card":    (1, 2, 2, 2, 2, 2, 2, 3, 3, 4, 4, 5, 5, 5, 5, 5),
}
BOUNDARY_CASES = [(rules, dpd, floor) for rules, floors in EXPECTED.items() for dpd, floor in zip(DPDS, floors)]


def test_every_rule_set_of_domain_is_there_with_2023_the_default() -> None:
    assert set(RULE_SETS) == set(EXPECTED)
    assert DEFAULT_RULES == "2023" and next(iter(RULE_SETS)) == "2023"
    assert RULE_SETS["2023"].thresholds == (1, 91, 271, 361)
    assert not RULE_SETS["pre2023"].regulation and RULE_SETS["2023"].regulation


@pytest.mark.parametrize(("rules", "dpd", "floor"), BOUNDARY_CASES)
def test_dpd_floor_at_every_boundary(rules: str, dpd: int, floor: int) -> None:
    assert dpd_floor([dpd], rules).tolist() == [floor]
    frame = pd.DataFrame({"five_class": [1], "dpd": [dpd]})
    result = classify(frame, rules)
    assert result.loans["floor"].tolist() == [floor]
    assert result.final.tolist() == [floor]


def test_all_boundaries_at_once_and_the_portfolio_alias() -> None:
    for rules, floors in EXPECTED.items():
        assert get_rules(rules).floor(np.array(DPDS)).tolist() == list(floors)
    # riskcore.portfolio keeps its public dpd_floor: the 2023 ladder
    assert portfolio_dpd_floor(list(DPDS)).tolist() == list(EXPECTED["2023"])


def test_missing_and_negative_dpd_count_as_not_overdue() -> None:
    assert dpd_floor([np.nan, -5, None]).tolist() == [1, 1, 1]


def test_rule_set_errors_name_the_parameter() -> None:
    with pytest.raises(ValueError, match=r"`rules` must be one of \['2023', 'card', 'pre2023'\], got '2019'"):
        get_rules("2019")
    with pytest.raises(ValueError, match="strictly increasing"):
        RuleSet("bad", (1, 91, 91, 361), "test")
    with pytest.raises(ValueError, match="lacks the columns \\['dpd'\\]"):
        classify(pd.DataFrame({"five_class": [1]}))


def book() -> pd.DataFrame:
    """Two snapshots; the December one has two exceptions (L3, L5) and one loan without a class (L9)."""
    return pd.DataFrame({
        "snapshot_date": pd.to_datetime(["2024-12-31"] * 6 + ["2024-11-30"] * 2),
        "loan_id": ["L1", "L3", "L5", "L6", "L9", "L10", "L1", "L3"],
        "borrower_id": ["B1", "B3", "B5", "B6", "B9", "B10", "B1", "B3"],
        "borrower_name": ["甲", "丙", "戊", "己", "壬", None, "甲", "丙"],
        "branch_id": ["A", "A", "B", "B", "A", "B", "A", "A"],
        "balance": [400.0, 100.0, 50.0, 50.0, 30.0, 70.0, 400.0, 120.0],
        "five_class": [1, 1, "关注", 4, None, 3, 1, 2],
        "dpd": [0, 45, 200, 300, 100, 95, 0, 10],
    })


def test_final_class_is_the_worse_of_reported_and_floor() -> None:
    c = classify(book())
    assert c.loans["reported_class"].tolist() == [1, 1, 2, 4, pd.NA, 3, 1, 2]
    assert c.loans["floor"].tolist() == [1, 2, 3, 4, 3, 3, 1, 2]
    assert c.final.tolist() == [1, 2, 3, 4, 3, 3, 1, 2]
    assert c.final.index.equals(book().index)
    assert c.loans["exception"].tolist() == [False, True, True, False, False, False, False, False]


def test_exceptions_list_loan_borrower_branch_classes_dpd_and_balance() -> None:
    c = classify(book())
    ex = c.exceptions
    assert list(ex.columns) == ["snapshot_date", "loan_id", "borrower_id", "borrower_name", "branch_id",
                                "reported_class", "dpd", "floor", "balance"]
    # within the snapshot the largest balance comes first
    assert ex["loan_id"].tolist() == ["L3", "L5"]
    assert ex.loc[1].to_dict() == {
        "snapshot_date": pd.Timestamp("2024-12-31"), "loan_id": "L3", "borrower_id": "B3", "borrower_name": "丙",
        "branch_id": "A", "reported_class": 1, "dpd": 45, "floor": 2, "balance": 100.0,
    }
    assert ex.loc[2, ["reported_class", "dpd", "floor", "balance"]].tolist() == [2, 200, 3, 50.0]


def test_a_missing_reported_class_takes_the_floor_and_is_no_exception() -> None:
    c = classify(book())
    row = c.loans.loc[4]
    assert pd.isna(row["reported_class"]) and row["reported_missing"]
    assert row["final_class"] == 3 and not row["exception"]
    assert c.unreported == 1
    # without the column at all: every loan by its floor, no exception
    bare = classify(book().drop(columns="five_class"))
    assert bare.final.tolist() == [1, 2, 3, 4, 3, 3, 1, 2]
    assert bare.exceptions.empty and bare.unreported == 8


def test_reported_classes_reads_codes_labels_and_rejects_the_rest() -> None:
    values = pd.Series([1, "2", "次级", "doubtful", "损失类", "关注二级", 0, 7, "优", None, 2.5])
    assert reported_classes(values).tolist() == [1, 2, 3, 4, 5, 2, pd.NA, pd.NA, pd.NA, pd.NA, pd.NA]


def debtor_book() -> pd.DataFrame:
    """D1: 100 of 900 NPL (11.1 % > 10 %) -> all NPL. D2: exactly 100 of 1000 (10 %) -> unchanged.
    D3: zero balance -> never triggers. D4: its NPL loan sits in branch B, the performing one in A."""
    return pd.DataFrame({
        "snapshot_date": pd.to_datetime(["2024-12-31"] * 9 + ["2024-11-30"]),
        "loan_id": [f"L{i}" for i in range(10)],
        "borrower_id": ["D1", "D1", "D2", "D2", "D3", "D3", "D4", "D4", "D5", "D1"],
        "branch_id": ["A", "A", "A", "A", "A", "A", "B", "A", "A", "A"],
        "balance": [100.0, 800.0, 100.0, 900.0, 0.0, 0.0, 50.0, 50.0, 10.0, 800.0],
        "five_class": [3, 1, 3, 1, 3, 1, 1, 2, 1, 1],
        "dpd": [100, 0, 100, 0, 0, 0, 300, 0, 0, 0],
    })


def test_debtor_rule_follows_art_7_more_than_ten_percent_by_balance() -> None:
    assert DEBTOR_NPL_SHARE == 0.10
    plain = classify(debtor_book())
    assert plain.final.tolist() == [3, 1, 3, 1, 3, 1, 4, 2, 1, 1]
    assert not plain.loans["by_debtor"].any() and plain.debtors.empty

    c = classify(debtor_book(), debtor_rule=True)
    # D1's performing loan (L1) and D4's special-mention loan in another branch (L7) become substandard;
    # D2 at exactly 10 % and D3 without balance do not; D1's November loan is another snapshot.
    assert c.final.tolist() == [3, 3, 3, 1, 3, 1, 4, 3, 1, 1]
    assert c.loans["by_debtor"].tolist() == [False, True, False, False, False, False, False, True, False, False]
    assert c.loans["loan_class"].tolist() == plain.final.tolist()
    # the debtor rule raises classes, it is not a classification exception
    assert c.loans["exception"].tolist() == plain.loans["exception"].tolist()
    d = c.debtors.set_index("borrower_id")
    assert sorted(d.index) == ["D1", "D4"]
    assert d.loc["D1", "npl_share"] == pytest.approx(100 / 900)
    assert d.loc["D1", ["balance", "npl_balance", "loans_raised", "balance_raised"]].tolist() == [900, 100, 1, 800]
    assert d.loc["D4", "npl_share"] == pytest.approx(0.5)


def test_debtor_rule_needs_borrower_ids() -> None:
    with pytest.raises(ValueError, match="needs the column 'borrower_id'"):
        classify(debtor_book().drop(columns="borrower_id"), debtor_rule=True)


def test_rule_sets_change_the_classes_of_the_same_book() -> None:
    frame = pd.DataFrame({"five_class": [1, 1, 1], "dpd": [150, 200, 300]})
    assert classify(frame, "2023").final.tolist() == [3, 3, 4]
    assert classify(frame, "pre2023").final.tolist() == [3, 4, 4]
    assert classify(frame, "card").final.tolist() == [4, 5, 5]
    assert classify(frame, RULE_SETS["card"]).rules.name == "card"
