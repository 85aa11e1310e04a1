"""The zh/en catalogue and the translation helpers."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pandas as pd
import pytest

from riskcore.indicators import CRITERIA, DEFAULT_INDICATORS
from riskview.catalogue import CATALOGUE, LANGUAGES
from riskview.i18n import (
    class_label,
    format_amount,
    format_percent,
    indicator_label,
    industry_label,
    ranking_display,
    t,
)

ROOT = Path(__file__).resolve().parents[2]


def _placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def test_both_languages_have_exactly_the_same_keys() -> None:
    assert LANGUAGES == ("zh", "en")
    for key, entry in CATALOGUE.items():
        assert set(entry) == set(LANGUAGES), key
        assert all(entry[lang].strip() for lang in LANGUAGES), key


@pytest.mark.parametrize("key", sorted(CATALOGUE))
def test_both_languages_have_the_same_placeholders(key: str) -> None:
    assert _placeholders(CATALOGUE[key]["zh"]) == _placeholders(CATALOGUE[key]["en"])


def test_every_literal_message_id_used_by_the_app_exists() -> None:
    sources = [ROOT / "app.py", *ROOT.glob("app_pages/*.py"), *ROOT.glob("riskview/*.py")]
    used = set()
    for path in sources:
        used |= set(re.findall(r"\bt\(\s*\"([a-z0-9_]+\.[a-z0-9_.]+)\"", path.read_text(encoding="utf-8")))
    assert used, "no t(...) calls found: the scan is broken"
    assert sorted(used - set(CATALOGUE)) == []


def test_every_indicator_and_criterion_of_riskcore_has_a_label() -> None:
    for criterion in CRITERIA:
        assert f"crit.{criterion}" in CATALOGUE, criterion
    assert len(DEFAULT_INDICATORS) == 23
    for indicator in DEFAULT_INDICATORS:
        assert f"ind.{indicator.key}" in CATALOGUE, indicator.key
        assert f"crit.{indicator.criterion}" in CATALOGUE, indicator.criterion
        assert f"dir.{indicator.direction}" in CATALOGUE, indicator.direction


def test_five_classes_are_labelled_in_regulatory_order() -> None:
    assert [t(f"class.{c}", "zh") for c in range(1, 6)] == ["正常", "关注", "次级", "可疑", "损失"]
    assert [t(f"class.{c}", "en") for c in range(1, 6)] == [
        "Normal", "Special mention", "Substandard", "Doubtful", "Loss",
    ]


def test_t_fills_placeholders_and_falls_back() -> None:
    assert t("rank.table_title", "zh", n=50) == "风险最高的 50 户借款人"
    assert t("rank.table_title", "en", n=50) == "The 50 riskiest borrowers"
    assert t("rank.title", "fr") == t("rank.title", "zh")  # unknown language → Chinese
    assert t("no.such.key", "en") == "no.such.key"  # visible, not a crash
    assert t("rank.title", lang="en") == "Borrower risk ranking"


def test_code_labels() -> None:
    assert indicator_label("max_dpd_12m", "zh") == "近12个月最长逾期天数"
    assert indicator_label("not_an_indicator", "en") == "not_an_indicator"
    assert class_label(3, "en") == "Substandard"
    assert class_label(float("nan"), "zh") == ""
    assert industry_label("C", "ignored", "en") == "Manufacturing"
    assert industry_label("C39", "计算机制造", "en") == "计算机制造"  # not a section: the ledger's name


def test_amounts_and_ratios() -> None:
    assert format_amount(3.2e9, "zh") == "32.00 亿元"
    assert format_amount(3.2e7, "zh") == "3,200.0 万元"
    assert format_amount(3.2e9, "en") == "CNY 3.20 bn"
    assert format_amount(3.2e7, "en") == "CNY 32.0 m"
    assert format_percent(0.01234) == "1.23%"
    assert format_percent(None) == "—"
    assert format_percent(float("nan")) == "—"


def _table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "risk_rank": [1, 2, 3],
            "borrower_id": ["B2", "B1", "B3"],
            "borrower_name": ["乙公司", "甲公司", "丙公司"],
            "branch_id": ["01", "01", "02"],
            "branch_name": ["城东支行", "城东支行", "城西支行"],
            "industry_code": ["C", "F", "Z"],
            "industry_name": ["制造业", "批发和零售业", "其他"],
            "balance": [1_000_000.0, 2_500_000.0, 300_000.0],
            "worst_class": [3, 1, 2],
            "grade": [0.41234567, 0.5, 0.61],
            "rating_band": ["E", "C", "A"],
            "drag_1": ["max_dpd_12m", "roa", "current_ratio"],
            "drag_2": ["roa", None, "quick_ratio"],
            "drag_3": ["quick_ratio", None, None],
        }
    )


def test_ranking_display_translates_headers_and_codes() -> None:
    zh = ranking_display(_table(), "zh", top_n=2)
    assert list(zh.columns) == [
        "风险排名", "客户号", "客户名称", "机构", "行业", "余额（万元）", "最差分类",
        "关联度", "评级", "主要拖累指标",
    ]
    assert zh["客户号"].tolist() == ["B2", "B1"]
    assert zh["余额（万元）"].tolist() == [100.0, 250.0]
    assert zh["最差分类"].tolist() == ["次级", "正常"]
    assert zh["主要拖累指标"].tolist() == ["近12个月最长逾期天数、总资产收益率、速动比率", "总资产收益率"]
    assert zh["关联度"].iloc[0] == pytest.approx(0.41234567)  # unrounded; the grid formats it

    en = ranking_display(_table(), "en", top_n=None)
    assert len(en) == 3
    assert en["Industry"].tolist() == ["Manufacturing", "Wholesale and retail trade", "其他"]
    assert en["Worst class"].tolist() == ["Substandard", "Normal", "Special mention"]
    assert en["Main drag indicators"].iloc[2] == "Current ratio, Quick ratio"
