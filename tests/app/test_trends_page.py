"""The NPL trends page driven through AppTest, checked against riskcore.trends called directly."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from riskcore.book import book_choices
from riskcore.sample import SampleBook, load_sample
from riskcore.trends import (
    SnapshotAggregates,
    aggregate_book,
    borrower_drill,
    npl_trend,
    roll_forward_rates,
    roll_rates,
    vintage_curves,
    yoy_growth,
)
from riskview.i18n import format_amount, format_percent, t
from riskview.trends_view import borrower_table

ROOT = Path(__file__).resolve().parents[2]
PAGE = str(ROOT / "app_pages" / "trends.py")


@pytest.fixture(scope="module")
def book() -> SampleBook:
    return load_sample(ROOT / "sample_data")


@pytest.fixture(scope="module")
def agg(book: SampleBook) -> SnapshotAggregates:
    return aggregate_book(book.loans)


def _app(lang: str = "zh") -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.session_state["lang"] = lang
    return at.run()


@pytest.fixture(scope="module")
def zh_app() -> AppTest:
    at = _app("zh")
    assert not at.exception, [e.value for e in at.exception]
    return at


def _charts(at: AppTest) -> dict[str, dict]:
    charts = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
    return {c["layout"]["title"]["text"]: c for c in charts}


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def _no_nan_shown(at: AppTest) -> None:
    """No table cell, metric or chart coordinate is NaN/None/inf or the text "nan"."""
    for frame in at.dataframe:
        assert not frame.value.isna().any().any(), frame.value.columns[frame.value.isna().any()].tolist()
        assert not frame.value.astype(str).isin(["nan", "NaN", "inf", "<NA>", "None"]).any().any()
    for metric in at.metric:
        assert metric.value.lower() not in {"nan", "nan%", "inf", "none", "<na>"}, metric.label
    for chart in _charts(at).values():
        for trace in chart["data"]:
            for axis in ("x", "y", "z"):
                values = trace.get(axis) or []
                flat = [v for row in values for v in (row if isinstance(row, list) else [row])]
                assert all(v is not None and not pd.isna(v) for v in flat), (trace.get("name"), axis)
            assert "nan" not in json.dumps(trace.get("text", "")).lower()


def _trace(chart: dict, meta: str) -> dict:
    return next(tr for tr in chart["data"] if tr.get("meta") == meta)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_page_runs_in_both_languages_without_nan(lang: str) -> None:
    at = _app(lang)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == t("trend.title", lang)
    titles = _charts(at)
    for key in ("trend.chart.overview.title", "trend.chart.yoy.title", "trend.chart.vintage.title",
                "trend.chart.roll.title"):
        assert t(key, lang) in titles, key
    assert t("trend.chart.facets.ratio", lang, by=t("trend.by.branch_id", lang)) in titles
    assert t("col.borrower_name", lang) in at.dataframe[0].value.columns
    _no_nan_shown(at)


def test_kpis_and_overview_equal_riskcore(zh_app: AppTest, agg: SnapshotAggregates) -> None:
    trend = npl_trend(agg)
    last = trend.iloc[-1]
    label = t("trend.kpi.npl_ratio", "zh", date=last["as_of"].strftime("%Y-%m-%d"))
    assert _metric(zh_app, label) == format_percent(float(last["npl_ratio"]))
    assert _metric(zh_app, t("trend.kpi.npl_balance", "zh")) == format_amount(float(last["npl_balance"]), "zh")
    growth = yoy_growth(agg).iloc[-1]
    assert _metric(zh_app, t("trend.kpi.loan_growth", "zh")) == f"{float(growth['loan_growth']):+.2%}"
    assert _metric(zh_app, t("trend.kpi.npl_growth", "zh")) == f"{float(growth['npl_growth']):+.2%}"
    chart = _charts(zh_app)[t("trend.chart.overview.title", "zh")]
    assert _trace(chart, "npl_ratio")["y"] == pytest.approx(trend["npl_ratio"].astype(float).tolist())
    assert _trace(chart, "balance")["y"] == pytest.approx((trend["balance"] / 1e4).tolist())
    assert _trace(chart, "npl_balance")["y"] == pytest.approx((trend["npl_balance"] / 1e4).tolist())
    assert _trace(chart, "npl_ratio")["x"] == trend["as_of"].dt.strftime("%Y-%m-%d").tolist()


def test_facets_by_branch_then_by_industry_balance(zh_app: AppTest, agg: SnapshotAggregates) -> None:
    chart = _charts(zh_app)[t("trend.chart.facets.ratio", "zh", by=t("trend.by.branch_id", "zh"))]
    by_branch = npl_trend(agg, "branch_id")
    assert sorted(tr["meta"] for tr in chart["data"]) == sorted(by_branch["group"].unique())
    for trace in chart["data"]:
        expected = by_branch.loc[by_branch["group"] == trace["meta"], "npl_ratio"].astype(float)
        assert trace["y"] == pytest.approx(expected.tolist())

    at = _app("en")
    at.selectbox(key="trend_by").set_value("industry")
    at.segmented_control(key="trend_metric").set_value("npl_balance").run()
    assert not at.exception, [e.value for e in at.exception]
    chart = _charts(at)[t("trend.chart.facets.balance", "en", by=t("trend.by.industry", "en"))]
    by_industry = npl_trend(agg, "industry")
    assert [tr["meta"] for tr in chart["data"]] == agg.groups("industry")[:12]
    for trace in chart["data"]:
        expected = by_industry.loc[by_industry["group"] == trace["meta"], "npl_balance"] / 1e4
        assert trace["y"] == pytest.approx(expected.tolist())
    yoy = _charts(at)[t("trend.chart.yoy.title", "en")]
    growth = yoy_growth(agg, "industry")
    latest = growth.loc[growth["as_of"] == growth["as_of"].max()].set_index("group")
    bars = _trace(yoy, "npl_growth")
    for group, value in zip(bars["customdata"][1:], bars["y"][1:], strict=True):
        assert value == pytest.approx(float(latest.loc[group, "npl_growth"]))
    book_growth = yoy_growth(agg).iloc[-1]
    assert bars["customdata"][0] == "all" and bars["y"][0] == pytest.approx(float(book_growth["npl_growth"]))
    _no_nan_shown(at)


def test_drill_down_branch_industry_borrowers_equal_riskcore(book: SampleBook, agg: SnapshotAggregates) -> None:
    at = _app("zh")
    _, names = book_choices(book.loans)
    latest = pd.to_datetime(book.loans["snapshot_date"]).max()
    assert at.selectbox(key="trend_drill_branch").value == "QD01"
    lines = _charts(at)[t("trend.chart.drill.title", "zh", branch=names["QD01"])]
    within = npl_trend(agg, "industry", branches=["QD01"])
    for trace in lines["data"]:
        expected = within.loc[within["group"] == trace["meta"], "npl_ratio"].dropna().astype(float)
        assert trace["y"] == pytest.approx(expected.tolist())
    first = at.selectbox(key="trend_drill_industry").value
    assert first == agg.groups("industry", branches=["QD01"])[0]
    expected = borrower_table(borrower_drill(book.loans, latest, branches=["QD01"], industry=first).head(100), "zh")
    pd.testing.assert_frame_equal(at.dataframe[0].value.reset_index(drop=True), expected, check_dtype=False)

    at.selectbox(key="trend_drill_branch").set_value("QD03")
    at.selectbox(key="trend_drill_industry").set_value("H").run()
    assert not at.exception, [e.value for e in at.exception]
    drill = borrower_drill(book.loans, latest, branches=["QD03"], industry="H")
    shown = at.dataframe[0].value
    assert len(shown) == min(100, len(drill))
    assert shown[t("col.balance", "zh")].tolist() == pytest.approx((drill["balance"].head(100) / 1e4).tolist())
    assert shown[t("trend.col.dpd", "zh")].tolist() == drill["dpd"].head(100).tolist()
    _no_nan_shown(at)


def test_vintage_and_roll_charts_equal_riskcore(zh_app: AppTest, book: SampleBook) -> None:
    charts = _charts(zh_app)
    vintage = vintage_curves(book.loans, branches=("QD01", "QD02", "QD03"))
    chart = charts[t("trend.chart.vintage.title", "zh")]
    assert [tr["meta"] for tr in chart["data"]] == sorted(vintage["cohort"].unique())
    for trace in chart["data"]:
        part = vintage.loc[vintage["cohort"] == trace["meta"]]
        assert trace["x"] == part["mob"].tolist()
        assert trace["y"] == pytest.approx(part["default_rate"].tolist())
    forward = roll_forward_rates(roll_rates(book.loans), weight="balance")
    chart = charts[t("trend.chart.roll.title", "zh")]
    for trace in chart["data"]:
        expected = forward.loc[forward["from_bucket"] == trace["meta"], "rate"].dropna().astype(float)
        assert trace["y"] == pytest.approx(expected.tolist())


def test_branch_filter_and_roll_weight(book: SampleBook, agg: SnapshotAggregates) -> None:
    at = _app("en")
    at.multiselect(key="trend_branches").set_value(["QD02"])
    at.segmented_control(key="trend_roll_weight").set_value("count").run()
    assert not at.exception, [e.value for e in at.exception]
    trend = npl_trend(agg, branches=["QD02"])
    last = trend.iloc[-1]
    label = t("trend.kpi.npl_ratio", "en", date=last["as_of"].strftime("%Y-%m-%d"))
    assert _metric(at, label) == format_percent(float(last["npl_ratio"]))
    assert at.selectbox(key="trend_drill_branch").options == ["青岛市北支行"]
    forward = roll_forward_rates(roll_rates(book.loans, branches=["QD02"]), weight="count")
    chart = _charts(at)[t("trend.chart.roll.title", "en")]
    trace = _trace(chart, "1-30")
    assert trace["y"] == pytest.approx(forward.loc[forward["from_bucket"] == "1-30", "rate"].astype(float).tolist())
    at.multiselect(key="trend_branches").set_value([]).run()
    assert not at.exception
    assert [w.value for w in at.warning] == [t("trend.no_branch", "en")]
