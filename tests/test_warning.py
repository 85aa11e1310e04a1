"""riskcore.warning on a hand-built two-snapshot book: every operator (DPD at its
boundary, the maturity + class conjunction on one loan, flags, a downgrade, indicator
values and changes, a grey-grade drop), rule validation naming the rule and the field,
the JSON round trip, store versions, exports and counts over time."""

from __future__ import annotations

import io
import json
import math

import numpy as np
import pandas as pd
import pytest

from riskcore.indicators import DEFAULT_INDICATORS, IndicatorMatrix
from riskcore.ranking import rank_book
from riskcore.store import LedgerStore
from riskcore.warning import (
    FORMAT,
    LEVELS,
    Rule,
    RuleError,
    RuleSet,
    counts_over_time,
    default_rules,
    evaluate_rules,
    from_json,
    rule_problems,
    to_json,
)

PREV = pd.Timestamp("2024-05-31")
NOW = pd.Timestamp("2024-06-30")


def loan(when: pd.Timestamp, borrower: str, loan_id: str, *, dpd: int = 0, five_class: int = 1, balance: float = 100.0,
         maturity_days: int = 365, extended: bool = False, restructured: bool = False, branch: str = "QD01") -> dict:
    return {
        "snapshot_date": when, "branch_id": branch, "branch_name": branch, "loan_id": loan_id,
        "borrower_id": borrower, "borrower_name": f"{borrower} 有限公司", "industry_code": "C",
        "balance": balance, "five_class": five_class, "dpd": dpd,
        "maturity_date": when + pd.Timedelta(days=maturity_days),
        "is_extended": extended, "is_restructured": restructured,
    }


def two_snapshots() -> pd.DataFrame:
    """Borrowers at the previous and the current month-end.

    * DOWN: reported 正常 both months but 95 days past due now → final class 3 (was 1): downgrade.
    * D30 / D31: 30 and 31 days past due (both months, so their class does not change).
    * SM30: a special-mention loan maturing in 30 days; SM31 in 31 days; N30: a normal loan in 30 days.
    * SPLIT: one loan maturing in 10 days (normal), another special-mention maturing in 200 days.
    * EXT: an extended loan; RES: a restructured one; NEW: no loan at the previous snapshot.
    """
    rows = []
    for when in (PREV, NOW):
        now = when == NOW
        rows += [
            loan(when, "DOWN", "L01", dpd=95 if now else 0),
            loan(when, "D30", "L02", dpd=30, five_class=2),
            loan(when, "D31", "L03", dpd=31, five_class=2),
            loan(when, "SM30", "L04", five_class=2, maturity_days=30),
            loan(when, "SM31", "L05", five_class=2, maturity_days=31),
            loan(when, "N30", "L06", five_class=1, maturity_days=30),
            loan(when, "SPLIT", "L07", five_class=1, maturity_days=10),
            loan(when, "SPLIT", "L08", five_class=2, maturity_days=200),
            loan(when, "EXT", "L09", extended=now),
            loan(when, "RES", "L10", restructured=True),
            loan(when, "PAID", "L11", balance=0.0 if now else 50.0, dpd=200 if now else 0),  # repaid: not live
        ]
    rows.append(loan(NOW, "NEW", "L12", dpd=45, five_class=2))
    return pd.DataFrame(rows)


def fired(rule: Rule, loans: pd.DataFrame | None = None, **kw) -> set[str]:
    watch = evaluate_rules(RuleSet("t", (rule,)), two_snapshots() if loans is None else loans, NOW, **kw)
    assert not watch.skipped, watch.skipped
    return set(watch.table["borrower_id"])


def r(condition: dict, level: str = "orange", rule_id: str = "r") -> Rule:
    return Rule(rule_id, "规则", "rule", level, condition)


# ============================================================================ OPERATORS


@pytest.mark.parametrize(
    ("op", "value", "expected"),
    [
        (">", 30, {"D31", "DOWN", "NEW"}),  # 30 itself does not fire
        (">=", 30, {"D30", "D31", "DOWN", "NEW"}),
        ("<", 30, {"SM30", "SM31", "N30", "SPLIT", "EXT", "RES"}),
        ("<=", 0, {"SM30", "SM31", "N30", "SPLIT", "EXT", "RES"}),
        ("==", 31, {"D31"}),
        ("!=", 0, {"D30", "D31", "DOWN", "NEW"}),
        ("in", [30, 95], {"D30", "DOWN"}),
    ],
)
def test_dpd_comparisons_at_the_boundary(op: str, value: object, expected: set[str]) -> None:
    assert fired(r({"field": "dpd", "op": op, "value": value})) == expected


def test_the_dpd_value_that_fired_is_reported() -> None:
    watch = evaluate_rules(RuleSet("t", (r({"field": "dpd", "op": ">", "value": 30}),)), two_snapshots(), NOW)
    hits = watch.hits.set_index("borrower_id")
    assert hits.loc["D31", "value"] == 31 and hits.loc["DOWN", "value"] == 95
    assert hits.loc["D31", "loan_id"] == "L03" and hits.loc["D31", "threshold"] == 30
    assert hits.loc["D31", "previous"] is None


def test_maturity_and_special_mention_must_hold_on_the_same_loan() -> None:
    rule = r({"field": "maturity_days", "op": "<=", "value": 30,
              "and": {"field": "five_class", "op": "==", "value": 2}})
    # SM31 matures a day too late, N30 is normal; SPLIT's maturing loan is normal and its
    # special-mention loan matures in 200 days: no single loan meets both.
    assert fired(rule) == {"SM30"}
    hits = evaluate_rules(RuleSet("t", (rule,)), two_snapshots(), NOW).hits
    assert hits[["field", "value", "loan_id"]].values.tolist() == [["maturity_days", 30, "L04"],
                                                                   ["five_class", 2, "L04"]]


def test_five_class_condition_uses_the_final_class() -> None:
    # DOWN is reported normal but 95 days past due: its final class is 3 (substandard).
    assert fired(r({"field": "five_class", "op": ">=", "value": 3})) == {"DOWN"}
    assert fired(r({"field": "reported_class", "op": ">=", "value": 3})) == set()


def test_flags() -> None:
    assert fired(r({"field": "is_extended", "op": "is_true"})) == {"EXT"}
    assert fired(r({"field": "is_restructured", "op": "is_true"})) == {"RES"}
    everyone = {"DOWN", "D30", "D31", "SM30", "SM31", "N30", "SPLIT", "EXT", "RES", "NEW"}
    assert fired(r({"field": "is_extended", "op": "is_false"})) == everyone - {"EXT"}


def test_flags_written_as_text_are_understood() -> None:
    loans = two_snapshots()
    loans["is_extended"] = np.where(loans["is_extended"], "是", "否")
    assert fired(r({"field": "is_extended", "op": "is_true"}), loans) == {"EXT"}


def test_downgrade_against_the_previous_snapshot() -> None:
    rule = r({"change": "five_class", "op": "downgrade"}, "red")
    # NEW had no loan at the previous snapshot, PAID has no live loan now: neither fires.
    assert fired(rule) == {"DOWN"}
    hit = evaluate_rules(RuleSet("t", (rule,)), two_snapshots(), NOW).hits.iloc[0]
    assert (hit["field"], hit["kind"], hit["previous"], hit["value"], hit["loan_id"]) == (
        "five_class", "change", 1, 3, "")
    assert fired(r({"change": "five_class", "op": "downgrade", "value": 2})) == {"DOWN"}  # 1 → 3 is two notches
    assert fired(r({"change": "five_class", "op": "downgrade", "value": 3})) == set()


def test_numeric_changes_rise_and_fall() -> None:
    assert fired(r({"change": "dpd", "op": "rise", "value": 94})) == {"DOWN"}
    assert fired(r({"change": "dpd", "op": "rise", "value": 95})) == set()  # more than the value
    loans = two_snapshots()
    loans.loc[(loans["borrower_id"] == "RES") & (loans["snapshot_date"] == NOW), "balance"] = 40.0
    assert fired(r({"change": "balance", "op": "fall", "value": 50}), loans) == {"RES"}
    assert fired(r({"change": "balance", "op": "drop", "value": 60}), loans) == set()


def test_the_previous_snapshot_can_be_given() -> None:
    loans = two_snapshots()
    rule = r({"change": "five_class", "op": "downgrade"})
    by_date = evaluate_rules(RuleSet("t", (rule,)), loans, NOW, previous=PREV)
    by_frame = evaluate_rules(RuleSet("t", (rule,)), loans, NOW, previous=loans[loans["snapshot_date"] == PREV])
    assert by_date.previous == by_frame.previous == PREV
    assert set(by_date.table["borrower_id"]) == set(by_frame.table["borrower_id"]) == {"DOWN"}
    with pytest.raises(ValueError, match="not before"):
        evaluate_rules(RuleSet("t", (rule,)), loans, PREV, previous=NOW)
    with pytest.raises(ValueError, match="no snapshot dated 2024-04-30"):
        evaluate_rules(RuleSet("t", (rule,)), loans, NOW, previous="2024-04-30")


def test_branches_limit_the_loans() -> None:
    loans = two_snapshots()
    loans.loc[loans["borrower_id"] == "D31", "branch_id"] = "QD02"
    rule = r({"field": "dpd", "op": ">", "value": 30})
    assert fired(rule, loans, branches=["QD02"]) == {"D31"}
    assert fired(rule, loans, branches=["QD01"]) == {"DOWN", "NEW"}


# ============================================================================ INDICATORS AND GRADES


def matrix(values: dict[str, list[float]], ids: list[str], as_of: pd.Timestamp,
           imputed: dict[str, list[bool]] | None = None) -> IndicatorMatrix:
    """A hand-made indicator matrix (built-in keys, their own directions)."""
    frame = pd.DataFrame(values, index=pd.Index(ids, name="borrower_id"), dtype="float64")
    specs = {i.key: i for i in DEFAULT_INDICATORS}
    flags = pd.DataFrame(imputed or {k: [False] * len(ids) for k in values}, index=frame.index).reindex(
        columns=frame.columns, fill_value=False).astype(bool)
    return IndicatorMatrix(
        values=frame,
        directions=pd.Series({k: specs[k].direction for k in values}),
        criteria=pd.Series({k: specs[k].criterion for k in values}),
        borrowers=pd.DataFrame(index=frame.index),
        missing=flags.sum().astype("int64"),
        imputed=flags,
        policy="industry_median",
        as_of=as_of,
        indicators=tuple(specs[k] for k in values),
    )


IDS = ["DOWN", "D30", "D31", "SM30"]


def test_indicator_values_fire_on_observed_cells_only() -> None:
    m = matrix({"asset_liability_ratio": [0.90, 0.85, 0.86, 0.99], "revenue_growth": [-0.31, -0.30, 0.1, -0.5]},
               IDS, NOW, imputed={"asset_liability_ratio": [False, False, False, True],
                                  "revenue_growth": [False, False, False, False]})
    # 0.85 is not above 0.85; SM30's 0.99 was imputed, not observed.
    assert fired(r({"field": "asset_liability_ratio", "op": ">", "value": 0.85}), matrix=m) == {"DOWN", "D31"}
    # -0.30 is not below -0.30.
    assert fired(r({"field": "revenue_growth", "op": "<", "value": -0.30}), matrix=m) == {"DOWN", "SM30"}


def test_an_indicator_and_a_ledger_field_together() -> None:
    m = matrix({"asset_liability_ratio": [0.90, 0.95, 0.10, 0.10]}, IDS, NOW)
    rule = r({"field": "asset_liability_ratio", "op": ">", "value": 0.85, "and": [{"field": "dpd", "op": ">", "value": 30}]})
    assert fired(rule, matrix=m) == {"DOWN"}


def test_indicator_change_rise() -> None:
    before = matrix({"asset_liability_ratio": [0.50, 0.50, 0.50, 0.50]}, IDS, PREV)
    after = matrix({"asset_liability_ratio": [0.71, 0.70, 0.50, 0.30]}, IDS, NOW)
    rule = r({"change": "asset_liability_ratio", "op": "rise", "value": 0.2})
    assert fired(rule, matrix=after, previous_matrix=before) == {"DOWN"}


def test_grade_drop_between_snapshots() -> None:
    # Two benefit indicators. DOWN is the ideal borrower last month (grade 1) and the worst
    # this month (grade 1/3 with rho 0.5); D30 the reverse. The value multiset is the same
    # both months, so the weights and the grades of D31 and SM30 do not move.
    before = matrix({"roa": [10, 0, 5, 2], "current_ratio": [10, 0, 2, 5]}, IDS, PREV)
    after = matrix({"roa": [0, 10, 5, 2], "current_ratio": [0, 10, 2, 5]}, IDS, NOW)
    g0, g1 = rank_book(before).grey.grades, rank_book(after).grey.grades
    assert g0["DOWN"] == pytest.approx(1.0) and g1["DOWN"] == pytest.approx(1 / 3)
    assert g1["D31"] == pytest.approx(g0["D31"]) and g1["SM30"] == pytest.approx(g0["SM30"])
    rule = r({"change": "grade", "op": "drop", "value": 0.05}, "yellow")
    assert fired(rule, matrix=after, previous_matrix=before) == {"DOWN"}
    hit = evaluate_rules(RuleSet("t", (rule,)), two_snapshots(), NOW, matrix=after, previous_matrix=before).hits.iloc[0]
    assert hit["previous"] == pytest.approx(1.0) and hit["value"] == pytest.approx(1 / 3)
    # A grade level condition reads this month's grades.
    assert min(g1["D31"], g1["SM30"]) > 0.4
    assert fired(r({"field": "grade", "op": "<", "value": 0.4}), matrix=after) == {"DOWN"}


def test_rules_that_cannot_run_are_skipped_with_a_reason() -> None:
    rules = RuleSet("t", (
        r({"field": "asset_liability_ratio", "op": ">", "value": 0.85}, rule_id="ind"),
        r({"change": "grade", "op": "drop", "value": 0.05}, rule_id="grade"),
        r({"change": "five_class", "op": "downgrade"}, rule_id="down"),
        r({"field": "interest_rate", "op": ">", "value": 0.1}, rule_id="rate"),
        r({"field": "dpd", "op": ">", "value": 30}, rule_id="dpd"),
    ))
    loans = two_snapshots()
    first = evaluate_rules(rules, loans, PREV)
    assert {(s.rule_id, s.reason, s.detail) for s in first.skipped} == {
        ("ind", "needs_matrix", ""), ("grade", "no_previous_snapshot", ""), ("down", "no_previous_snapshot", ""),
        ("rate", "missing_column", "interest_rate")}
    assert [rule.id for rule in first.rules] == ["dpd"] and first.previous is None
    now = evaluate_rules(rules, loans, NOW, matrix=matrix({"asset_liability_ratio": [0.9, 0.5, 0.2, 0.7]}, IDS, NOW))
    assert {(s.rule_id, s.reason) for s in now.skipped} == {("grade", "needs_previous_matrix"),
                                                            ("rate", "missing_column")}


def test_indicators_nobody_has_observed_and_grades_that_cannot_be_computed() -> None:
    all_imputed = matrix({"asset_liability_ratio": [0.9, 0.9, 0.9, 0.9]}, IDS, NOW,
                         imputed={"asset_liability_ratio": [True] * 4})
    watch = evaluate_rules(RuleSet("t", (r({"field": "asset_liability_ratio", "op": ">", "value": 0.85}),)),
                           two_snapshots(), NOW, matrix=all_imputed)
    assert [(s.rule_id, s.reason, s.detail) for s in watch.skipped] == [
        ("r", "no_observed_values", "asset_liability_ratio")]
    one = matrix({"roa": [0.1]}, ["DOWN"], NOW)  # one borrower cannot be ranked
    watch = evaluate_rules(RuleSet("t", (r({"field": "grade", "op": "<", "value": 0.5}),)), two_snapshots(), NOW,
                           matrix=one)
    assert [s.reason for s in watch.skipped] == ["grades_undefined"] and watch.table.empty


# ============================================================================ THE WATCHLIST


def test_one_row_per_borrower_with_every_rule_and_the_worst_level() -> None:
    rules = default_rules()
    watch = evaluate_rules(rules, two_snapshots(), NOW)
    table = watch.table.set_index("borrower_id")
    assert table.loc["DOWN", "level"] == "red"
    assert table.loc["DOWN", "rule_ids"] == ("class_downgrade", "dpd_over_30")
    assert (table.loc["DOWN", "red"], table.loc["DOWN", "orange"], table.loc["DOWN", "n_rules"]) == (1, 1, 2)
    assert table.loc["SM30", "rule_ids"] == ("special_mention_maturing",)
    assert table.loc["EXT", "level"] == "yellow" and table.loc["RES", "level"] == "orange"
    assert set(table.index) == {"DOWN", "D31", "SM30", "EXT", "RES", "NEW"}
    assert list(watch.table["level"]) == sorted(watch.table["level"], key=LEVELS.index)  # worst first
    assert watch.counts() == {"red": 1, "orange": 4, "yellow": 1}
    assert watch.borrowers == 10  # live borrowers at NOW (PAID repaid)
    assert watch.filter(["red"])["borrower_id"].tolist() == ["DOWN"]
    assert table.loc["DOWN", "worst_class"] == 3 and table.loc["DOWN", "balance"] == 100.0
    # The matrix rules are skipped without matrices, the others ran.
    assert {s.rule_id for s in watch.skipped} == {"high_leverage", "revenue_fall", "grade_drop"}


def test_exports_are_csv_and_xlsx_bytes() -> None:
    watch = evaluate_rules(default_rules(), two_snapshots(), NOW)
    frame = watch.export_frame()
    assert len(frame) == len(watch.table)
    down = frame.set_index("borrower_id").loc["DOWN"]
    assert down["rules"] == "class_downgrade; dpd_over_30"
    assert down["triggers"] == "class_downgrade: five_class 1→3; dpd_over_30: dpd=95 [L01]"
    csv = watch.to_csv()
    assert csv.startswith("\ufeff".encode("utf-8"))
    back = pd.read_csv(io.BytesIO(csv), encoding="utf-8-sig", dtype=str)
    assert back["borrower_id"].tolist() == frame["borrower_id"].tolist()
    assert "DOWN 有限公司" in set(back["borrower_name"])
    xlsx = watch.to_xlsx()
    assert xlsx[:2] == b"PK"
    sheet = pd.read_excel(io.BytesIO(xlsx), sheet_name="watchlist", dtype=str, engine="calamine")
    assert sheet["triggers"].tolist() == frame["triggers"].tolist()
    assert not frame.isna().any().any()


def test_counts_over_time_match_each_snapshot() -> None:
    loans = two_snapshots()
    rules = default_rules()
    seen: list[pd.Timestamp] = []
    counts = counts_over_time(rules, loans, on_progress=lambda i, n, d: seen.append(d))
    assert seen == [PREV, NOW]
    assert list(counts.index) == [PREV, NOW]
    assert counts["compared"].tolist() == [False, True]
    for when in (PREV, NOW):
        expected = evaluate_rules(rules, loans, when).counts()
        assert counts.loc[when, list(LEVELS)].tolist() == [expected[v] for v in LEVELS]
    assert counts.loc[NOW, "flagged"] == 6 and counts.loc[NOW, "borrowers"] == 10
    assert set(counts.attrs["skipped"]["grade_drop"]) == {"needs_matrix", "no_previous_snapshot"}


def test_counts_over_time_with_matrices_run_the_grade_rules() -> None:
    loans = two_snapshots()
    before = matrix({"roa": [10, 0, 5, 2], "current_ratio": [10, 0, 2, 5]}, IDS, PREV)
    after = matrix({"roa": [0, 10, 5, 2], "current_ratio": [0, 10, 2, 5]}, IDS, NOW)
    rules = RuleSet("g", (r({"change": "grade", "op": "drop", "value": 0.05}, "yellow"),))
    counts = counts_over_time(rules, loans, matrices=iter([before, after]))
    assert counts["yellow"].tolist() == [0, 1]
    assert "grade_drop" not in counts.attrs["skipped"]


# ============================================================================ VALIDATION


@pytest.mark.parametrize(
    ("condition", "path", "words"),
    [
        ({"field": "dpdd", "op": ">", "value": 3}, "condition.field", "'dpdd' is not a known field"),
        ({"field": "dpd", "op": "=>", "value": 3}, "condition.op", "'=>' is not an op"),
        ({"field": "dpd", "op": ">"}, "condition.value", "missing"),
        ({"field": "dpd", "op": ">", "value": "30"}, "condition.value", "expected a finite number"),
        ({"field": "dpd", "op": ">", "value": True}, "condition.value", "expected a finite number"),
        ({"field": "dpd", "op": ">", "value": float("nan")}, "condition.value", "expected a finite number"),
        ({"field": "dpd", "op": "in", "value": []}, "condition.value", "non-empty list"),
        ({"field": "five_class", "op": "==", "value": 6}, "condition.value", "a class 1-5"),
        ({"field": "is_extended", "op": ">", "value": 1}, "condition.op", "is_true, is_false"),
        ({"field": "is_extended", "op": "is_true", "value": 1}, "condition.value", "takes no value"),
        ({"change": "is_extended", "op": "rise", "value": 1}, "condition.change", "is a flag"),
        ({"change": "five_class", "op": "rise", "value": 1}, "condition.op", "downgrade"),
        ({"change": "five_class", "op": "downgrade", "value": 0}, "condition.value", "notches 1-4"),
        ({"change": "grade", "op": "drop", "value": -0.05}, "condition.value", ">= 0"),
        ({"change": "grade", "op": "drop"}, "condition.value", "missing"),
        ({"field": "dpd", "change": "dpd", "op": ">", "value": 1}, "condition", "exactly one of"),
        ({"field": "dpd", "op": ">", "value": 1, "or": {}}, "condition.or", "unknown key"),
        ({"field": "dpd", "op": ">", "value": 1, "and": {"field": "five_class", "op": "~", "value": 2}},
         "condition.and.op", "'~'"),
        ({"field": "dpd", "op": ">", "value": 1, "and": [{"field": "dpd", "op": ">", "value": 1}, {"field": "x"}]},
         "condition.and[1].field", "'x'"),
        ("dpd > 30", "condition", "expected an object"),
    ],
)
def test_rule_errors_name_the_rule_and_the_field(condition: object, path: str, words: str) -> None:
    with pytest.raises(RuleError) as caught:
        Rule("overdue_60", "逾期", "Overdue", "red", condition)  # type: ignore[arg-type]
    error = caught.value
    assert error.rule == "'overdue_60'" and error.path == path and words in error.reason
    assert str(error).startswith(f"rule 'overdue_60', {path}: ")


@pytest.mark.parametrize(
    ("changes", "path"),
    [({"id": "1st"}, "id"), ({"id": "has space"}, "id"), ({"name_en": " "}, "name.en"), ({"name_zh": ""}, "name.zh"),
     ({"level": "purple"}, "level"), ({"enabled": "yes"}, "enabled")],
)
def test_rule_parts_are_checked(changes: dict, path: str) -> None:
    values = {"id": "ok", "name_zh": "规则", "name_en": "rule", "level": "red",
              "condition": {"field": "dpd", "op": ">", "value": 1}, **changes}
    with pytest.raises(RuleError) as caught:
        Rule(**values)
    assert caught.value.path == path


def test_rule_sets_reject_repeated_ids_and_list_every_problem() -> None:
    one = r({"field": "dpd", "op": ">", "value": 1}, rule_id="same")
    with pytest.raises(RuleError, match="rule 'same', id: repeats rule #1"):
        RuleSet("x", (one, one))
    with pytest.raises(RuleError, match="name: must not be empty"):
        RuleSet(" ", (one,))
    problems = rule_problems([
        {"id": "a", "name": {"zh": "甲", "en": "A"}, "level": "red", "condition": {"field": "dpd", "op": "?"}},
        {"id": "b", "name": {"zh": "乙", "en": "B"}, "level": "pink", "condition": {"field": "dpd", "op": ">", "value": 1}},
        {"id": "c", "name": {"zh": "丙", "en": "C"}, "level": "red", "condition": {"field": "dpd", "op": ">", "value": 1}},
        {"id": "c", "name": {"zh": "丙", "en": "C"}, "level": "red", "condition": {"field": "dpd", "op": ">", "value": 1}},
    ])
    assert [(p.rule, p.path) for p in problems] == [("'a'", "condition.op"), ("'b'", "level"), ("'c'", "id")]
    assert rule_problems(default_rules().rules) == []


def test_thresholds_can_be_changed_but_not_given_to_a_flag() -> None:
    rules = default_rules()
    dpd = rules.rule("dpd_over_30")
    assert dpd.threshold == 30 and dpd.with_threshold(60).condition == {"field": "dpd", "op": ">", "value": 60}
    assert rules.rule("class_downgrade").threshold == 1
    assert rules.rule("extended").threshold is None
    with pytest.raises(RuleError, match="rule 'extended', condition.value: 'is_true' takes no value"):
        rules.rule("extended").with_threshold(1)
    with pytest.raises(RuleError, match="condition.value"):
        rules.rule("grade_drop").with_threshold(-1)


def test_the_default_rules_cover_every_example_of_the_issue() -> None:
    rules = default_rules()
    conditions = [rule.condition for rule in rules.rules]
    assert {"field": "dpd", "op": ">", "value": 30} in conditions
    assert {"field": "asset_liability_ratio", "op": ">", "value": 0.85} in conditions
    assert {"change": "five_class", "op": "downgrade"} in conditions
    assert {"change": "grade", "op": "drop", "value": 0.05} in conditions
    assert {"field": "maturity_days", "op": "<=", "value": 30,
            "and": {"field": "five_class", "op": "==", "value": 2}} in conditions
    assert {"field": "is_extended", "op": "is_true"} in conditions
    assert {"field": "is_restructured", "op": "is_true"} in conditions
    assert {"field": "revenue_growth", "op": "<", "value": -0.30} in conditions
    assert {rule.level for rule in rules.rules} == set(LEVELS)


# ============================================================================ JSON AND THE STORE


def test_json_round_trip_is_exact() -> None:
    rules = default_rules("分行预警").with_rule(
        Rule("big_and_late", "大额逾期", "Large and late", "red",
             {"field": "balance", "op": ">=", "value": 5_000_000, "and": [
                 {"field": "dpd", "op": ">", "value": 60}, {"field": "five_class", "op": "in", "value": [3, 4, 5]}]},
             enabled=False))
    text = to_json(rules)
    back = from_json(text)
    assert back == rules and to_json(back) == text
    doc = json.loads(text)
    assert doc["format"] == FORMAT and doc["name"] == "分行预警"
    assert doc["rules"][0] == {"id": "class_downgrade", "name": {"zh": "五级分类下调", "en": "Five-level class downgraded"},
                               "level": "red", "enabled": True, "condition": {"change": "five_class", "op": "downgrade"}}
    assert "分行预警" in text  # UTF-8, not \\u escapes


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["rules"][1]["condition"].update(op=">>"), "rules[1].condition.op (rule 'dpd_over_30'): '>>'"),
        (lambda d: d["rules"][2]["condition"]["and"].update(field="class"),
         "rules[2].condition.and.field (rule 'special_mention_maturing'): 'class' is not a known field"),
        (lambda d: d["rules"][0].update(level="amber"), "rules[0].level (rule 'class_downgrade'): 'amber'"),
        (lambda d: d["rules"][0].pop("condition"), "rules[0].condition (rule 'class_downgrade'): missing"),
        (lambda d: d["rules"][0].update(colour="red"), "rules[0].colour (rule 'class_downgrade'): unknown field"),
        (lambda d: d["rules"][0].update(name="x"), "rules[0].name (rule 'class_downgrade')"),
        (lambda d: d["rules"][1].update(id="class_downgrade"), "rules[1].id (rule 'class_downgrade'): repeats rules[0]"),
        (lambda d: d.update(format="sme-risk-indicator-system"), "format: 'sme-risk-indicator-system' is not"),
        (lambda d: d.update(version=2), "version: 2 is not supported"),
        (lambda d: d.pop("rules"), "rules: missing"),
    ],
)
def test_json_errors_name_the_path_and_the_rule(mutate, message: str) -> None:
    doc = json.loads(to_json(default_rules()))
    mutate(doc)
    with pytest.raises(ValueError) as caught:
        from_json(json.dumps(doc))
    assert message in str(caught.value)


def test_json_that_is_not_json() -> None:
    with pytest.raises(ValueError, match="not valid JSON"):
        from_json("{rules: 1")
    with pytest.raises(ValueError, match="expected a JSON object"):
        from_json("[1, 2]")


def test_store_keeps_numbered_versions(tmp_path) -> None:
    store = LedgerStore(tmp_path / "store.duckdb")
    rules = default_rules("QD 预警")
    first = store.save_rules(rules, author="张三", comment="initial")
    assert (first.name, first.version, first.unchanged) == ("QD 预警", 1, False)
    again = store.save_rules(rules, author="李四")
    assert again.unchanged and again.version == 1 and again.author == "张三"
    changed = rules.replaced(rules.rule("dpd_over_30").with_threshold(60))
    second = store.save_rules(changed, author="李四", comment="60 days")
    assert second.version == 2 and not second.unchanged
    store.save_rules(default_rules("other"), author="王五")
    versions = store.rule_sets()
    assert sorted(versions[["name", "version"]].itertuples(index=False, name=None)) == [
        ("QD 预警", 1), ("QD 预警", 2), ("other", 1)]
    assert str(versions["created_at"].dt.tz) == "UTC"
    assert set(versions["rules_enabled"]) == {8}
    assert store.load_rules("QD 预警", 1) == rules
    assert store.load_rules("QD 预警") == changed
    with pytest.raises(KeyError, match="no version 3"):
        store.load_rules("QD 预警", 3)
    with pytest.raises(KeyError, match="no warning rule set named 'nope'"):
        store.load_rules("nope")
    with pytest.raises(ValueError, match="author"):
        store.save_rules(rules, author="  ")
    # The indicator systems' table is a separate line of versions.
    assert store.systems().empty


def test_no_nan_in_values_that_fired() -> None:
    watch = evaluate_rules(default_rules(), two_snapshots(), NOW)
    for column in ("threshold", "value", "previous"):
        assert not any(isinstance(v, float) and math.isnan(v) for v in watch.hits[column])
