"""Tables, texts and figures of the entropy page (riskview.entropy_view, riskview.figures)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from riskcore import entropy_over_time, entropy_weights
from riskcore.indicators import CRITERIA, MISSING_POLICY
from riskview.catalogue import CATALOGUE
from riskview.entropy_view import (
    constant_over_time_note,
    drift_table,
    entropy_table,
    highlighted,
    snapshot_label,
    top_indicator,
    zero_weight_notes,
)
from riskview.figures import criterion_totals_over_time, weights_over_time
from riskview.i18n import indicator_label, t
from riskview.theme import CRITERION_COLORS, CRITERION_ORDER

# Five borrowers; "litigation_count" is constant (its 2 missing cells were imputed to the
# same value), "admin_penalties" is empty (all 5 imputed as 0), the others vary.
VALUES = pd.DataFrame(
    {
        "roa": [0.01, 0.05, 0.10, 0.02, 0.07],
        "max_dpd_12m": [0.0, 0.0, 30.0, 95.0, 0.0],
        "guarantee_score": [1.0, 4.0, 4.0, 2.0, 3.0],
        "litigation_count": [1.0, 1.0, 1.0, 1.0, 1.0],
        "admin_penalties": [0.0, 0.0, 0.0, 0.0, 0.0],
    },
    index=pd.Index([f"C{i}" for i in range(5)], name="borrower_id"),
)
DIRECTIONS = pd.Series(
    {"roa": "benefit", "max_dpd_12m": "cost", "guarantee_score": "benefit",
     "litigation_count": "cost", "admin_penalties": "cost"}
)
CRIT = pd.Series(
    {"roa": "financial", "max_dpd_12m": "credit", "guarantee_score": "guarantee",
     "litigation_count": "compliance", "admin_penalties": "compliance"}
)
MISSING = pd.Series({"roa": 1, "max_dpd_12m": 0, "guarantee_score": 0, "litigation_count": 2, "admin_penalties": 5})
RESULT = entropy_weights(VALUES, DIRECTIONS)


def _no_nan(frame: pd.DataFrame) -> bool:
    return not frame.isna().any().any()


# ------------------------------------------------------------------------- one snapshot


def test_entropy_table_headers_in_both_languages() -> None:
    zh = entropy_table(RESULT, CRIT, DIRECTIONS, MISSING, MISSING_POLICY, "zh")
    assert list(zh.columns) == [
        "排名", "指标", "准则层", "方向", "权重（%）", "信息熵 e", "差异系数 d", "填补户数", "缺失值处理",
    ]
    en = entropy_table(RESULT, CRIT, DIRECTIONS, MISSING, MISSING_POLICY, "en")
    assert list(en.columns) == [
        "Rank", "Indicator", "Criterion", "Direction", "Weight (%)", "Entropy e", "Divergence d", "Imputed",
        "Missing values",
    ]


def test_entropy_table_rows_are_riskcore_numbers_heaviest_first() -> None:
    table = entropy_table(RESULT, CRIT, DIRECTIONS, MISSING, MISSING_POLICY, "en")
    assert _no_nan(table)
    by_label = table.set_index("Indicator")
    for key in VALUES.columns:
        row = by_label.loc[indicator_label(key, "en")]
        assert row["Weight (%)"] == pytest.approx(100 * RESULT.weights[key], abs=1e-13)
        assert row["Entropy e"] == RESULT.entropy[key]
        assert row["Divergence d"] == RESULT.divergence[key]
        assert row["Imputed"] == MISSING[key]
    assert table["Weight (%)"].is_monotonic_decreasing
    assert table["Rank"].tolist() == [1, 2, 3, 4, 4]  # the two zero weights share rank 4
    assert table["Weight (%)"].sum() == pytest.approx(100.0, abs=1e-12)


def test_entropy_table_constant_rows_have_weight_0_entropy_1() -> None:
    table = entropy_table(RESULT, CRIT, DIRECTIONS, MISSING, MISSING_POLICY, "zh").set_index("指标")
    for key in ("litigation_count", "admin_penalties"):
        row = table.loc[indicator_label(key, "zh")]
        assert (row["权重（%）"], row["信息熵 e"], row["差异系数 d"]) == (0.0, 1.0, 0.0)


def test_entropy_table_translates_codes() -> None:
    zh = entropy_table(RESULT, CRIT, DIRECTIONS, MISSING, MISSING_POLICY, "zh").set_index("指标")
    assert zh.loc["总资产收益率", "准则层"] == "财务风险"
    assert zh.loc["总资产收益率", "方向"] == "效益型 ↑"
    assert zh.loc["近12个月最长逾期天数", "方向"] == "成本型 ↓"
    assert zh.loc["总资产收益率", "缺失值处理"] == "同行业中位数"  # 1 imputed
    assert zh.loc["近12个月最长逾期天数", "缺失值处理"] == "无缺失"
    en = entropy_table(RESULT, CRIT.drop("roa"), DIRECTIONS, MISSING, MISSING_POLICY, "en").set_index("Indicator")
    assert en.loc["Return on assets", "Criterion"] == "—"  # no criterion: a dash, not NaN
    assert en.loc["Return on assets", "Missing values"] == "industry median"


def test_zero_weight_notes_explain_constant_and_empty_indicators() -> None:
    zh = zero_weight_notes(RESULT, VALUES, MISSING, "zh")
    assert len(zh) == 2
    assert zh[0] == t("entropy.zero.constant_imputed", "zh", name="涉诉次数", n=5, value="1", k=2)
    assert zh[1] == t("entropy.zero.empty", "zh", name="行政处罚次数", n=5, value="0")
    assert "e = 1" in zh[0] and "权重为 0" in zh[1]
    en = zero_weight_notes(RESULT, VALUES, MISSING.drop("litigation_count"), "en")
    assert en[0] == "Litigation cases: all 5 borrowers have the same value (1), so its entropy is e = 1, " \
                    "its divergence d = 0 and its weight 0."
    assert en[1].startswith("Administrative penalties: no borrower in the selection has data for it")


def test_zero_weight_notes_empty_when_everything_varies() -> None:
    varying = VALUES[["roa", "max_dpd_12m"]]
    assert zero_weight_notes(entropy_weights(varying, DIRECTIONS[varying.columns]), varying, MISSING, "en") == []


def test_top_indicator_and_snapshot_label() -> None:
    key, weight = top_indicator(RESULT)
    assert weight == RESULT.weights.max() and RESULT.weights[key] == weight
    assert snapshot_label(pd.Timestamp("2024-02-29 00:00")) == "2024-02-29"


# ------------------------------------------------------------------------- over time

DATES = pd.to_datetime(["2024-01-31", "2024-02-29", "2024-03-31"])


def _path():
    rng = np.random.default_rng(11)
    books = {}
    for i, date in enumerate(DATES):
        frame = VALUES.copy()
        frame["roa"] = rng.normal(0.05, 0.02 + 0.02 * i, 5)
        frame["guarantee_score"] = [1.0, 4.0, 4.0, 2.0, 3.0] if i < 2 else [1.0, 1.0, 1.0, 1.0, 4.0]
        frame["litigation_count"] = [1.0, 1.0, 1.0, 1.0, 1.0] if i < 2 else [0.0, 1.0, 2.0, 0.0, 0.0]
        books[date] = frame
    return entropy_over_time(books, DIRECTIONS)


def test_highlighted_is_top_k_at_the_last_snapshot_then_extras() -> None:
    path = _path()
    last = path.weights.iloc[-1].sort_values(ascending=False, kind="stable")
    assert highlighted(path, 2) == list(last.index[:2])
    extra = str(last.index[-1])
    assert highlighted(path, 2, [extra, "not_an_indicator", last.index[0]]) == [*last.index[:2], extra]
    assert highlighted(path, 0) == []
    assert len(highlighted(path, 99)) == len(VALUES.columns)


def test_constant_over_time_note_counts_the_month_ends() -> None:
    path = _path()
    note = constant_over_time_note(path, "zh")
    assert note == t("entropy.time.constant", "zh", items="涉诉次数（2/3 个月末）、行政处罚次数（3/3 个月末）")
    en = constant_over_time_note(path, "en")
    assert en is not None and "Litigation cases (2 of 3 month-ends)" in en
    varying = entropy_over_time({DATES[0]: VALUES[["roa", "max_dpd_12m"]]}, DIRECTIONS[["roa", "max_dpd_12m"]])
    assert constant_over_time_note(varying, "en") is None


def test_drift_table_sorted_by_size_of_change_in_pp() -> None:
    path = _path()
    en = drift_table(path, CRIT, "en", top=3)
    assert list(en.columns) == [
        "Indicator", "Criterion", "Weight 2024-01-31 (%)", "Weight 2024-03-31 (%)", "Change (pp)",
        "Rank 2024-01-31", "Rank 2024-03-31",
    ]
    assert len(en) == 3 and _no_nan(en)
    change = (path.weights.iloc[-1] - path.weights.iloc[0]) * 100
    expected = change.abs().sort_values(ascending=False, kind="stable").index[:3]
    assert en["Indicator"].tolist() == [indicator_label(k, "en") for k in expected]
    assert en["Change (pp)"].tolist() == pytest.approx(change[expected].tolist(), abs=1e-12)
    assert (en["Weight 2024-03-31 (%)"] - en["Weight 2024-01-31 (%)"]).tolist() == pytest.approx(
        en["Change (pp)"].tolist(), abs=1e-12)
    zh = drift_table(path, CRIT, "zh", top=None)
    assert len(zh) == len(VALUES.columns)
    assert list(zh.columns)[2:5] == ["权重 2024-01-31（%）", "权重 2024-03-31（%）", "变化（百分点）"]


def _traces(fig) -> list[dict]:
    return fig.to_dict()["data"]


def test_weights_over_time_one_line_per_indicator_one_point_per_snapshot() -> None:
    path = _path()
    fig = weights_over_time(path.weights, "en", highlight=["roa", "guarantee_score"], selected=DATES[1])
    traces = _traces(fig)
    assert sorted(tr["meta"] for tr in traces) == sorted(VALUES.columns)
    assert all(len(tr["x"]) == len(DATES) == len(tr["y"]) for tr in traces)
    assert all(not any(math.isnan(y) for y in tr["y"]) for tr in traces)
    by_key = {tr["meta"]: tr for tr in traces}
    for key in VALUES.columns:
        assert by_key[key]["y"] == pytest.approx(path.weights[key].tolist())
        assert by_key[key]["name"] == indicator_label(key, "en")
    # Coloured and in the legend: only the highlighted ones, drawn last (on top) in order.
    assert [tr["meta"] for tr in traces if tr.get("showlegend", True)] == ["roa", "guarantee_score"]
    assert [tr["meta"] for tr in traces[-2:]] == ["roa", "guarantee_score"]
    greys = {tr["line"]["color"] for tr in traces if tr.get("showlegend") is False}
    assert len(greys) == 1
    assert greys.isdisjoint({tr["line"]["color"] for tr in traces[-2:]})
    layout = fig.to_dict()["layout"]
    assert layout["shapes"][0]["x0"] == "2024-02-29"  # the chosen month-end is marked
    assert layout["legend"]["orientation"] == "v"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_weights_over_time_texts_follow_the_language(lang: str) -> None:
    layout = weights_over_time(_path().weights, lang, highlight=["roa"], selected=DATES[0]).to_dict()["layout"]
    assert layout["title"]["text"] == t("entropy.chart.time.title", lang)
    assert layout["title"]["subtitle"]["text"] == t("entropy.chart.time.subtitle", lang, k=1, rest=4)
    assert layout["xaxis"]["title"]["text"] == t("entropy.chart.x", lang)
    assert layout["yaxis"]["title"]["text"] == t("entropy.chart.y", lang)
    assert layout["legend"]["title"]["text"] == t("entropy.chart.time.legend", lang)
    assert layout["annotations"][0]["text"] == t("entropy.chart.selected", lang)


def test_criterion_totals_over_time_fixed_colours_and_order() -> None:
    path = _path()
    fig = criterion_totals_over_time(path.totals(CRIT), "zh")
    traces = _traces(fig)
    assert [tr["meta"] for tr in traces] == [c for c in CRITERION_ORDER if c in set(CRIT)]
    assert [tr["line"]["color"] for tr in traces] == [CRITERION_COLORS[tr["meta"]] for tr in traces]
    totals = np.sum([tr["y"] for tr in traces], axis=0)
    assert totals == pytest.approx([1.0] * len(DATES), abs=1e-12)
    layout = fig.to_dict()["layout"]
    assert layout["title"]["text"] == "各准则层权重合计随时间变化"
    assert layout["legend"]["title"]["text"] == "准则层"
    assert "shapes" not in layout or not layout["shapes"]


def test_codes_built_at_run_time_are_in_the_catalogue() -> None:
    # Ids composed with f-strings are invisible to the literal scan of test_i18n.
    for key in ("entropy.dir.benefit", "entropy.dir.cost", f"entropy.policy.{MISSING_POLICY}",
                "entropy.time.view.indicator", "entropy.time.view.criterion"):
        assert key in CATALOGUE, key
    assert {f"crit.{c}" for c in CRITERIA} <= set(CATALOGUE)
