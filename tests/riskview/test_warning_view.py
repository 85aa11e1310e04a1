"""riskview.warning_view and riskview.concentration_view: condition texts, the editable rule
table and its way back to a RuleSet, the watchlist display, the level colours, the
figures, and every message id built from a code."""

from __future__ import annotations

import pandas as pd
import pytest

from riskcore.concentration import GUARANTEE_ORDER, concentration_report
from riskcore.warning import LOAN_FIELDS, Rule, RuleError, RuleSet, default_rules, evaluate_rules
from riskview.catalogue import CATALOGUE
from riskview.concentration_view import (
    group_label,
    guarantee_figure,
    hhi_text,
    limit_text,
    net_capital_yuan,
    share_bar,
    top_table,
)
from riskview.i18n import t
from riskview.warning_view import (
    LEVEL_COLORS,
    LEVEL_ORDER,
    condition_text,
    counts_figure,
    field_reference,
    rules_from_table,
    rules_table,
    watchlist_display,
)


def test_every_code_built_message_exists() -> None:
    keys = [f"warn.level.{v}" for v in LEVEL_ORDER] + [f"warn.field.{f}" for f in (*LOAN_FIELDS, "grade")]
    keys += [f"warn.cond.{op}" for op in ("is_true", "is_false", "in", "downgrade", "rise", "fall", "and")]
    keys += [f"warn.skipped.{r}" for r in ("needs_matrix", "needs_previous_matrix", "no_previous_snapshot",
                                           "missing_column", "grades_undefined", "no_observed_values")]
    keys += [f"warn.scope.{s}" for s in ("loan", "borrower")]
    keys += [f"conc.undefined.{r}" for r in ("empty_book", "no_column", "no_known_group", "no_net_capital",
                                             "net_capital_not_positive")]
    keys += [f"conc.guarantee.{g}" for g in GUARANTEE_ORDER] + ["conc.nav", "warn.nav"]
    keys += [f"conc.{p}.{u}" for p in ("unit", "net_capital") for u in ("yi", "wan")]
    keys += [f"conc.unknown_note.{d}" for d in ("industry", "region")]
    assert sorted(k for k in keys if k not in CATALOGUE) == []


def test_level_colours_are_fixed_red_orange_yellow() -> None:
    assert LEVEL_ORDER == ("red", "orange", "yellow")
    assert dict(LEVEL_COLORS) == {"red": "#C0392B", "orange": "#E67E22", "yellow": "#F1C40F"}


@pytest.mark.parametrize(
    ("rule_id", "zh", "en"),
    [
        ("dpd_over_30", "逾期天数 > 30", "Days past due > 30"),
        ("special_mention_maturing", "距到期天数 ≤ 30 且 五级分类 = 关注", "Days to maturity ≤ 30 and Five-level class = Special mention"),
        ("class_downgrade", "五级分类较上期下调至少 1 级", "Five-level class downgraded by at least 1 since the previous snapshot"),
        ("extended", "展期为是", "Extended: yes"),
        ("grade_drop", "灰色关联度较上期下降超过 0.05", "Grey relational grade down by more than 0.05 since the previous snapshot"),
        ("revenue_fall", "营业收入增长率 < -0.3", "Revenue growth < -0.3"),
    ],
)
def test_condition_text(rule_id: str, zh: str, en: str) -> None:
    rule = default_rules().rule(rule_id)
    assert condition_text(rule, "zh") == zh.replace("营业收入增长率", t("ind.revenue_growth", "zh"))
    assert condition_text(rule, "en") == en.replace("Revenue growth", t("ind.revenue_growth", "en"))


def test_rule_table_round_trip() -> None:
    rules = default_rules()
    table = rules_table(rules, "en")
    assert list(table.index) == [r.id for r in rules.rules]
    assert table.loc["extended", "Threshold"] == "—" and table.loc["high_leverage", "Threshold"] == "0.85"
    assert not table.isna().any().any()
    assert rules_from_table(rules, table, "en") == rules  # nothing edited, nothing changed
    edited = table.copy()
    edited.loc["high_leverage", "Threshold"] = "90%"
    edited.loc["grade_drop", "Level"] = t("warn.level.orange", "en")
    back = rules_from_table(rules, edited, "en")
    assert back.rule("high_leverage").threshold == pytest.approx(0.9)
    assert back.rule("grade_drop").level == "orange"
    edited.loc["grade_drop", "Level"] = "purple"
    with pytest.raises(ValueError, match="purple"):
        rules_from_table(rules, edited, "en")
    edited.loc["grade_drop", "Level"] = t("warn.level.orange", "en")
    edited.loc["restructured", "Threshold"] = "2"
    with pytest.raises(RuleError, match="rule 'restructured', condition.value"):
        rules_from_table(rules, edited, "en")


def _book() -> pd.DataFrame:
    when = pd.Timestamp("2024-06-30")
    return pd.DataFrame({
        "snapshot_date": [when] * 3, "branch_id": ["QD01"] * 3, "branch_name": ["市南"] * 3,
        "loan_id": ["L1", "L2", "L3"], "borrower_id": ["A", "A", "B"], "borrower_name": ["甲", "甲", "乙"],
        "industry_code": ["C", "C", "F"], "balance": [100.0, 50.0, 10.0], "five_class": [2, 1, 1],
        "dpd": [45, 0, 0], "maturity_date": [when + pd.Timedelta(days=10)] * 3,
        "is_extended": [False, True, False], "is_restructured": [False, False, False],
        "region_code": ["370202"] * 3, "guarantee_type": ["credit", "mortgage", "pledge"],
    })


def test_watchlist_display_has_no_missing_values() -> None:
    rules = default_rules()
    watch = evaluate_rules(rules, _book(), "2024-06-30")
    for lang in ("zh", "en"):
        shown = watchlist_display(watch, rules, lang)
        assert len(shown) == 1 and not shown.isna().any().any()
        triggers = shown[t("warn.col.triggers", lang)].iloc[0]
        assert t("warn.field.dpd", lang) + " 45" in triggers and "L1" in triggers
        assert shown[t("warn.col.balance_wan", lang)].iloc[0] == pytest.approx(150 / 1e4)
    assert watchlist_display(watch, rules, "zh", levels=("red",)).empty


def test_figures() -> None:
    counts = pd.DataFrame({"red": [1, 2], "orange": [0, 3], "yellow": [5, 0]},
                          index=pd.DatetimeIndex(["2024-05-31", "2024-06-30"]))
    fig = counts_figure(counts, "en").to_dict()
    assert fig["layout"]["barmode"] == "stack"
    assert [tr["marker"]["color"] for tr in fig["data"]] == [LEVEL_COLORS[v] for v in LEVEL_ORDER]
    assert [list(tr["y"]) for tr in fig["data"]] == [[1, 2], [0, 3], [5, 0]]
    report = concentration_report(_book(), net_capital=1_000.0)
    bar = share_bar(report.industry, "zh", title="x").to_dict()
    assert list(bar["data"][0]["x"]) == pytest.approx([150 / 160, 10 / 160])
    assert list(bar["data"][0]["y"]) == [group_label("industry", "C", "zh"), group_label("industry", "F", "zh")]
    pie = guarantee_figure(report.guarantee, "en").to_dict()
    assert list(pie["data"][0]["values"]) == [100.0, 50.0, 10.0]  # credit, mortgage, pledge
    assert hhi_text(report.industry, "en") == (f"{report.industry.hhi:.4f}", f"{report.industry.equivalent_groups:.1f}")
    ratio, sentence = limit_text(report.single_customer, "en")
    assert ratio == "15.00%" and "above the 10% limit" in sentence
    table = top_table(report.top, "en")
    assert table[t("conc.col.within", "en")].tolist() == [t("conc.within.no", "en"), t("conc.within.yes", "en")]
    empty = concentration_report(_book(), branches=["none"])
    assert hhi_text(empty.industry, "zh") == ("—", "—")
    assert limit_text(empty.single_customer, "zh") == ("—", t("conc.undefined.empty_book", "zh"))
    assert not share_bar(empty.industry, "zh", title="x").to_dict()["data"][0]["x"]


def test_net_capital_units_and_field_reference() -> None:
    assert net_capital_yuan(5, "yi") == 5e8 and net_capital_yuan(5, "wan") == 5e4
    assert net_capital_yuan(None, "yi") is None and net_capital_yuan(0.0, "wan") is None
    ref = field_reference("zh")
    assert {"dpd", "maturity_days", "asset_liability_ratio", "grade"} <= set(ref[t("warn.col.field", "zh")])
    assert not ref.isna().any().any()
    flag = Rule("f", "标志", "flag", "yellow", {"field": "is_extended", "op": "is_false"})
    assert condition_text(flag, "zh") == "展期为否"
    assert RuleSet("s", (flag,)).rules == (flag,)
