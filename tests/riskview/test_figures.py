"""Figure builders, checked on ``fig.to_dict()``."""

from __future__ import annotations

import pandas as pd
import plotly.io as pio

from riskcore.indicators import CRITERIA as RISKCORE_CRITERIA
from riskview.figures import grade_histogram, loading_figure, weight_bar
from riskview.i18n import indicator_label
from riskview.theme import (
    BAND_COLORS,
    CLASS_COLORS,
    CLASS_ORDER,
    CRITERION_COLORS,
    CRITERION_ORDER,
    FONT_FAMILY,
    TEMPLATE,
    TEMPLATE_NAME,
)

WEIGHTS = pd.Series(
    {"roa": 0.10, "max_dpd_12m": 0.35, "current_ratio": 0.05, "guarantee_score": 0.30, "litigation_count": 0.20}
)
CRITERIA = pd.Series(
    {
        "roa": "financial",
        "current_ratio": "financial",
        "max_dpd_12m": "credit",
        "guarantee_score": "guarantee",
        "litigation_count": "compliance",
    }
)


def _bars(fig_dict: dict) -> dict[str, float]:
    return {y: x for trace in fig_dict["data"] for x, y in zip(trace["x"], trace["y"], strict=True)}


def test_template_is_registered_with_cjk_fonts() -> None:
    assert TEMPLATE_NAME in pio.templates
    assert TEMPLATE == f"simple_white+{TEMPLATE_NAME}"
    layout = pio.templates[TEMPLATE_NAME].layout
    assert layout.font.family == FONT_FAMILY
    assert FONT_FAMILY.startswith("Noto Sans CJK SC")
    assert layout.paper_bgcolor == "white"
    assert layout.title.font.size == 18


def test_fixed_colours_cover_every_class_and_criterion() -> None:
    assert tuple(CLASS_COLORS) == CLASS_ORDER == (1, 2, 3, 4, 5)
    assert len(set(CLASS_COLORS.values())) == 5
    assert tuple(CRITERION_COLORS) == CRITERION_ORDER
    assert len(set(CRITERION_COLORS.values())) == 7
    assert tuple(RISKCORE_CRITERIA) == CRITERION_ORDER


def test_weight_bar_values_are_the_weights_sorted_heaviest_on_top() -> None:
    fig = weight_bar(WEIGHTS, CRITERIA, "en").to_dict()
    bars = _bars(fig)
    assert bars == {indicator_label(k, "en"): w for k, w in WEIGHTS.items()}
    order = fig["layout"]["yaxis"]["categoryarray"]  # bottom → top
    assert order == [indicator_label(k, "en") for k in WEIGHTS.sort_values().index]
    assert [bars[label] for label in order] == sorted(WEIGHTS)
    assert all(trace["orientation"] == "h" for trace in fig["data"])


def test_weight_bar_titles_follow_the_language() -> None:
    zh = weight_bar(WEIGHTS, CRITERIA, "zh").to_dict()
    en = weight_bar(WEIGHTS, CRITERIA, "en").to_dict()
    assert zh["layout"]["title"]["text"] == "指标熵权"
    assert en["layout"]["title"]["text"] == "Entropy weights of the indicators"
    assert zh["layout"]["xaxis"]["title"]["text"] == "权重"
    assert "近12个月最长逾期天数" in _bars(zh)
    assert {trace["name"] for trace in zh["data"]} == {"财务风险", "信用风险", "担保风险", "合规（法律）风险"}
    assert zh["layout"]["template"]["layout"]["font"]["family"] == FONT_FAMILY


def test_weight_bar_criterion_colours_are_fixed() -> None:
    fig = weight_bar(WEIGHTS, CRITERIA, "en").to_dict()
    colours = {trace["customdata"][0][0]: trace["marker"]["color"] for trace in fig["data"]}
    for key, colour in colours.items():
        assert colour == CRITERION_COLORS[CRITERIA[key]]
    # Traces follow the fixed criterion order, whatever the weights.
    names = [trace["name"] for trace in fig["data"]]
    assert names == ["Financial", "Credit behaviour", "Guarantee", "Compliance / legal"]


def test_weight_bar_colour_key_names_every_criterion_shown() -> None:
    fig = weight_bar(WEIGHTS, CRITERIA, "zh").to_dict()
    key = fig["layout"]["title"]["subtitle"]["text"]
    assert key.startswith('<span style="color:')
    assert "准则层" in key
    for criterion in ("financial", "credit", "guarantee", "compliance"):
        assert f'<span style="color:{CRITERION_COLORS[criterion]}">■</span>' in key
    assert "经营风险" not in key  # no indicator of that criterion in the data
    assert fig["layout"]["showlegend"] is False


def test_weight_bar_grows_with_the_number_of_indicators() -> None:
    keys = [f"k{i}" for i in range(23)]
    many = weight_bar(pd.Series(1 / 23, index=keys), pd.Series("financial", index=keys), "zh")
    few = weight_bar(WEIGHTS, CRITERIA, "zh")
    assert many.layout.height >= 23 * 26
    assert many.layout.height > few.layout.height


def test_weight_bar_unknown_criterion_is_grey_not_an_error() -> None:
    fig = weight_bar(WEIGHTS, CRITERIA.drop("roa"), "en").to_dict()
    assert _bars(fig)["Return on assets"] == 0.10


GRADES = pd.Series([0.42, 0.55, 0.61, 0.48, 0.73, 0.80, 0.66], index=[f"B{i}" for i in range(7)])


def test_grade_histogram_counts_every_grade_and_explains_the_direction() -> None:
    fig = grade_histogram(GRADES, "zh")
    assert sorted(x for trace in fig.data for x in trace.x) == sorted(GRADES)
    zh = fig.to_dict()
    assert zh["layout"]["title"]["text"] == "灰色关联度分布"
    assert zh["layout"]["title"]["subtitle"]["text"] == "关联度越高 = 越接近理想借款人 = 风险越低"
    en = grade_histogram(GRADES, "en").to_dict()
    assert en["layout"]["title"]["subtitle"]["text"] == "Higher grade = closer to the ideal borrower = lower risk"
    assert en["layout"]["xaxis"]["title"]["text"] == "Grey relational grade"


def test_grade_histogram_by_band_uses_band_colours_and_shared_bins() -> None:
    bands = pd.Series(["E", "D", "C", "E", "B", "A", "B"], index=GRADES.index)
    figure = grade_histogram(GRADES, "en", bands=bands)
    fig = figure.to_dict()
    assert [trace["marker"]["color"] for trace in fig["data"]] == [BAND_COLORS[b] for b in "EDCBA"]
    assert fig["data"][0]["name"] == "E (highest risk)"
    assert len({str(trace["xbins"]) for trace in fig["data"]}) == 1
    by_band = {trace.marker.color: sorted(trace.x) for trace in figure.data}
    assert by_band[BAND_COLORS["E"]] == [0.42, 0.48]


def test_grade_histogram_with_identical_grades() -> None:
    fig = grade_histogram(pd.Series([0.5, 0.5, 0.5]), "zh").to_dict()
    assert fig["data"][0]["xbins"]["size"] > 0


def test_loading_figure_is_an_empty_frame_of_the_given_height() -> None:
    fig = loading_figure("en", height=460).to_dict()
    assert fig["data"] == []
    assert fig["layout"]["height"] == 460
    assert fig["layout"]["annotations"][0]["text"] == "Computing…"
    assert loading_figure("zh").to_dict()["layout"]["annotations"][0]["text"] == "正在计算…"
