"""The ranking page's filter labels, drill-down table and figures, checked on data and
``fig.to_dict()``."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
import pytest

from riskcore.indicators import DEFAULT_INDICATORS
from riskcore.ranking import borrower_profile, npl_series_factors, rank_book
from riskview.figures import factor_degree_bar
from riskview.i18n import indicator_label, t
from riskview.ranking_view import (
    borrower_options,
    coefficient_profile,
    drill_caption,
    format_indicator_value,
    industry_options,
    npl_factor_lines,
    profile_display,
)
from riskview.theme import CRITERION_COLORS


@dataclass(frozen=True)
class Matrix:
    values: pd.DataFrame
    directions: pd.Series
    criteria: pd.Series
    imputed: pd.DataFrame
    borrowers: pd.DataFrame
    indicators: tuple = ()


def matrix() -> Matrix:
    ids = pd.Index(["B1", "B2", "B3"], name="borrower_id")
    keys = ["asset_liability_ratio", "max_dpd_12m", "years_in_operation"]
    by_key = {i.key: i for i in DEFAULT_INDICATORS}
    return Matrix(
        values=pd.DataFrame({"asset_liability_ratio": [0.4, 0.9, 0.6], "max_dpd_12m": [0.0, 120.0, 30.0],
                             "years_in_operation": [8.0, 1.5, 3.0]}, index=ids),
        directions=pd.Series({k: by_key[k].direction for k in keys}),
        criteria=pd.Series({k: by_key[k].criterion for k in keys}),
        imputed=pd.DataFrame({"asset_liability_ratio": [False, True, False], "max_dpd_12m": [False] * 3,
                              "years_in_operation": [False] * 3}, index=ids),
        borrowers=pd.DataFrame({"borrower_name": ["甲", "乙", "丙"], "balance": [1.0, 2.0, 3.0]}, index=ids),
        indicators=tuple(by_key[k] for k in keys),
    )


def profile(bid: str = "B2"):
    m = matrix()
    ranking = rank_book(m, weights=pd.Series({"asset_liability_ratio": 0.5, "max_dpd_12m": 0.3,
                                              "years_in_operation": 0.2}))
    return borrower_profile(ranking.grey, m, bid)


@pytest.mark.parametrize(
    ("value", "unit", "lang", "text"),
    [
        (0.6234, "ratio", "zh", "62.34%"),
        (120.0, "days", "zh", "120 天"),
        (120.0, "days", "en", "120 days"),
        (2.5, "years", "en", "2.5 yrs"),
        (1.2, "times", "en", "1.2"),
        (3.0, "count", "zh", "3"),
        (12345.678, None, "en", "12,345.68"),
        (float("nan"), "ratio", "en", "—"),
    ],
)
def test_format_indicator_value(value: float, unit: str | None, lang: str, text: str) -> None:
    assert format_indicator_value(value, unit, lang) == text


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_profile_display_is_the_profile_sorted_by_shortfall_without_nan(lang: str) -> None:
    p = profile()
    shown = profile_display(p, lang)
    assert list(shown.columns) == [t(k, lang) for k in (
        "drill.col.indicator", "drill.col.value", "drill.col.ideal", "drill.col.z", "drill.col.xi",
        "drill.col.weight", "drill.col.contribution", "drill.col.shortfall", "drill.col.imputed")]
    expected = p.table.sort_values("shortfall", ascending=False, kind="stable")
    assert shown[t("drill.col.indicator", lang)].tolist() == [indicator_label(k, lang) for k in expected.index]
    assert shown[t("drill.col.xi", lang)].tolist() == pytest.approx(expected["xi"].tolist())
    assert shown[t("drill.col.contribution", lang)].sum() == pytest.approx(p.grade)
    assert shown[t("drill.col.imputed", lang)].tolist() == expected["imputed"].tolist()
    assert not shown.isna().any().any()
    row = expected.index.get_loc("max_dpd_12m")
    assert shown[t("drill.col.value", lang)].iloc[row] == format_indicator_value(120.0, "days", lang)
    assert shown[t("drill.col.ideal", lang)].iloc[row] == format_indicator_value(0.0, "days", lang)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_coefficient_profile_shows_xi_by_criterion_and_the_grade_line(lang: str) -> None:
    p = profile()
    fig = coefficient_profile(p, lang).to_dict()
    xs = {key: x for trace in fig["data"] for key, x in zip(trace["meta"], trace["x"], strict=True)}
    assert xs == pytest.approx(p.table["xi"].to_dict())
    colours = {trace["name"]: trace["marker"]["color"] for trace in fig["data"]}
    assert set(colours.values()) <= set(CRITERION_COLORS.values())
    line = fig["layout"]["shapes"][0]
    assert line["x0"] == line["x1"] == pytest.approx(p.grade)
    assert t("drill.chart.grade", lang, grade=f"{p.grade:.4f}") in [a["text"] for a in fig["layout"]["annotations"]]
    assert fig["layout"]["title"]["text"] == t("drill.chart.title", lang)
    # grouped in criterion order: financial, operational, credit
    labels = [y for trace in fig["data"] for y in trace["y"]]
    assert labels == [indicator_label(k, lang) for k in ("asset_liability_ratio", "years_in_operation", "max_dpd_12m")]


def test_coefficient_profile_hatches_imputed_values() -> None:
    p = profile("B2")
    fig = coefficient_profile(p, "en").to_dict()
    shapes = {key: shape for trace in fig["data"]
              for key, shape in zip(trace["meta"], trace["marker"]["pattern"]["shape"], strict=True)}
    assert shapes["asset_liability_ratio"] == "/" and shapes["max_dpd_12m"] == ""


def test_filter_and_drill_options() -> None:
    table = pd.DataFrame({
        "risk_rank": [3, 17, 40],
        "borrower_id": ["C1", "C2", "C3"],
        "borrower_name": ["甲公司", None, "丙公司"],
        "industry_code": ["F", "C", "F"],
        "industry_name": ["批发和零售业", "制造业", "批发和零售业"],
    })
    assert borrower_options(table) == {"C1": "3 · C1 · 甲公司", "C2": "17 · C2 · —", "C3": "40 · C3 · 丙公司"}
    zh = industry_options(table, "zh")
    assert list(zh) == ["C", "F"]
    assert zh["F"] == t("rank.filter_option", "zh", label="F " + t("industry.F", "zh"), n="2")
    en = industry_options(table, "en")
    assert en["C"] == t("rank.filter_option", "en", label="C " + t("industry.C", "en"), n="1")


def test_factor_degree_bar_takes_a_title() -> None:
    degrees = pd.Series({"max_dpd_12m": 0.8, "roa": 0.5})
    criteria = pd.Series({"max_dpd_12m": "credit", "roa": "financial"})
    assert factor_degree_bar(degrees, criteria, "en").to_dict()["layout"]["title"]["text"] == t("chart.factors.title", "en")
    titled = factor_degree_bar(degrees, criteria, "zh", title=t("rank.chart.npl_factors.title", "zh")).to_dict()
    assert titled["layout"]["title"]["text"] == t("rank.chart.npl_factors.title", "zh")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_npl_factor_lines_show_the_scaled_npl_and_top_factors(lang: str) -> None:
    dates = pd.to_datetime(["2024-01-31", "2024-02-29", "2024-03-31"])
    npl = pd.Series([0.01, 0.02, 0.03], index=dates)
    levels = pd.DataFrame({"roa": [0.3, 0.2, 0.4], "max_dpd_12m": [0.1, 0.2, 0.3], "litigation_count": [0.2] * 3,
                           "current_ratio": [0.5, 0.4, 0.5]}, index=dates)
    f = npl_series_factors(levels, npl)
    fig = npl_factor_lines(f, lang, top=3).to_dict()
    metas = [trace["meta"] for trace in fig["data"]]
    assert metas == ["npl_ratio", *[str(k) for k in f.result.degrees.index[:3]]]
    assert metas[1] == "max_dpd_12m"  # same shape as the NPL ratio: degree 1
    assert fig["data"][0]["y"] == pytest.approx([0.5, 1.0, 1.5])
    assert fig["data"][0]["customdata"] == pytest.approx([0.01, 0.02, 0.03])
    assert fig["data"][1]["y"] == pytest.approx([0.5, 1.0, 1.5])
    assert fig["data"][0]["name"] == t("rank.chart.npl_lines.npl", lang)
    assert fig["data"][1]["name"] == indicator_label("max_dpd_12m", lang)
    assert fig["layout"]["title"]["text"] == t("rank.chart.npl_lines.title", lang, k=3)
    assert all(math.isfinite(v) for trace in fig["data"] for v in trace["y"])


def test_drill_caption_names_the_borrower_and_dashes_what_is_missing() -> None:
    p = profile("B3")  # borrowers frame has a name and a balance but no branch or industry
    assert drill_caption(p, "en") == t("drill.caption", "en", id="B3", name="丙", branch="—", industry="—",
                                       balance="CNY 0.0 m")
    assert "nan" not in drill_caption(p, "zh").lower()
