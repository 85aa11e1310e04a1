"""The concentration page through AppTest, in both languages: the cards, charts and the
top-borrower table equal riskcore.concentration called directly; the net capital input
(亿元 or 万元) drives the 10 % single-customer check; nothing shows NaN."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from riskcore.concentration import ConcentrationReport, concentration_report
from riskcore.sample import SampleBook, load_sample
from riskview.concentration_view import group_label, hhi_text
from riskview.i18n import format_percent, t

ROOT = Path(__file__).resolve().parents[2]
PAGE = str(ROOT / "app_pages" / "concentration.py")


@pytest.fixture(scope="module")
def book() -> SampleBook:
    return load_sample(ROOT / "sample_data")


def _expected(book: SampleBook, net_capital: float | None = None, as_of: Any = None) -> ConcentrationReport:
    branches = sorted(book.loans["branch_id"].astype(str).unique())
    return concentration_report(book.loans, as_of, branches=branches, net_capital=net_capital)


def _page(lang: str) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.session_state["lang"] = lang
    return at.run()


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def _metric(at: AppTest, key: str, lang: str, **params: Any) -> str:
    label = t(key, lang, **params)
    return next(m.value for m in at.metric if m.label == label)


def _charts(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def _nan_in(value: Any) -> bool:
    if isinstance(value, float):
        return math.isnan(value) or math.isinf(value)
    if isinstance(value, dict):
        return any(_nan_in(v) for v in value.values())
    if isinstance(value, list):
        return any(_nan_in(v) for v in value)
    return False


def _no_nan_shown(at: AppTest) -> None:
    for frame in at.dataframe:
        shown = frame.value
        assert not shown.isna().any().any(), list(shown.columns)
        assert not shown.astype("str").isin(["nan", "NaN", "<NA>", "None", "inf"]).any().any()
    for metric in at.metric:
        assert "nan" not in str(metric.value).lower() and "inf" not in str(metric.value).lower()
    for chart in _charts(at):
        for trace in chart.get("data", []):
            for axis in ("x", "y", "values", "text"):
                assert not _nan_in(trace.get(axis)), trace.get("name")
                assert "nan" not in json.dumps(trace.get(axis)).lower()
    for element in (*at.markdown, *at.caption, *at.success, *at.error, *at.info):
        assert not re.search(r"\b(nan|inf)\b", element.value, flags=re.IGNORECASE), element.value


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_cards_charts_and_table_equal_riskcore(lang: str, book: SampleBook) -> None:
    at = _page(lang)
    _ok(at)
    assert at.title[0].value == t("conc.title", lang)
    expected = _expected(book)
    hhi, n = hhi_text(expected.industry, lang)
    assert _metric(at, "conc.kpi.industry_hhi", lang) == hhi == f"{expected.industry.hhi:.4f}"
    assert _metric(at, "conc.kpi.industry_n", lang) == n == f"{1 / expected.industry.hhi:.1f}"
    assert _metric(at, "conc.kpi.region_hhi", lang) == f"{expected.region.hhi:.4f}"
    assert _metric(at, "conc.kpi.region_n", lang) == f"{expected.region.equivalent_groups:.1f}"
    assert _metric(at, "conc.kpi.top_share", lang, n=10) == format_percent(expected.top.share)
    # No net capital entered: the ratio is undefined, said in words, never NaN.
    assert _metric(at, "conc.kpi.single", lang) == "—"
    assert any(i.value == t("conc.undefined.no_net_capital", lang) for i in at.info)

    top = next(d.value for d in at.dataframe if t("conc.col.rank", lang) in d.value.columns)
    assert top[t("conc.col.borrower_id", lang)].tolist() == expected.top.table["borrower_id"].tolist()
    assert top[t("conc.col.share", lang)].tolist() == pytest.approx(expected.top.table["share"].tolist())
    assert top[t("conc.col.balance_wan", lang)].tolist() == pytest.approx(
        (expected.top.table["balance"] / 1e4).tolist())
    assert t("conc.col.to_net_capital", lang) not in top.columns

    charts = {c["layout"]["title"]["text"]: c for c in _charts(at)}
    industry = charts[t("conc.chart.industry", lang)]["data"][0]
    table = expected.industry.table
    assert industry["y"] == [group_label("industry", c, lang) for c in table.index]
    assert industry["x"] == pytest.approx(table["share"].tolist())
    assert f"{expected.industry.hhi:.4f}" in charts[t("conc.chart.industry", lang)]["layout"]["title"]["subtitle"]["text"]
    mix = charts[t("conc.chart.guarantee", lang)]["data"][0]
    assert mix["values"] == pytest.approx(expected.guarantee.table["balance"].tolist())
    _no_nan_shown(at)


def test_net_capital_in_yi_checks_the_10_percent_limit(book: SampleBook) -> None:
    lang = "zh"
    at = _page(lang)
    at.number_input(key="conc_net_capital_yi").set_value(5.0).run()  # 5 亿元
    _ok(at)
    expected = _expected(book, net_capital=5e8)
    check = expected.single_customer
    assert check.compliant is True
    assert _metric(at, "conc.kpi.single", lang) == format_percent(check.ratio)
    assert any(format_percent(check.ratio) in s.value and "10%" in s.value for s in at.success)
    top = next(d.value for d in at.dataframe if t("conc.col.rank", lang) in d.value.columns)
    assert top[t("conc.col.to_net_capital", lang)].tolist() == pytest.approx(
        expected.top.table["net_capital_ratio"].astype(float).tolist())
    assert set(top[t("conc.col.within", lang)]) == {t("conc.within.yes", lang)}
    _no_nan_shown(at)

    # 0.3 亿元: the largest borrowers are above 10 % of it.
    at.number_input(key="conc_net_capital_yi").set_value(0.3).run()
    _ok(at)
    breach = _expected(book, net_capital=0.3e8).single_customer
    assert breach.compliant is False and breach.breaches
    assert _metric(at, "conc.kpi.single", lang) == format_percent(breach.ratio)
    assert any(f"{breach.breaches}" in e.value for e in at.error), [e.value for e in at.error]
    top = next(d.value for d in at.dataframe if t("conc.col.rank", lang) in d.value.columns)
    within = _expected(book, net_capital=0.3e8).top.table["within_limit"].tolist()
    assert top[t("conc.col.within", lang)].tolist() == [
        t("conc.within.yes" if ok else "conc.within.no", lang) for ok in within]


def test_net_capital_in_wan_and_other_snapshots(book: SampleBook) -> None:
    lang = "en"
    at = _page(lang)
    at.segmented_control(key="conc_unit").set_value("wan").run()
    _ok(at)
    assert at.number_input(key="conc_net_capital_wan").label == t("conc.net_capital.wan", lang)
    at.number_input(key="conc_net_capital_wan").set_value(50_000.0).run()  # 5 亿元 again, in 万元
    _ok(at)
    assert _metric(at, "conc.kpi.single", lang) == format_percent(_expected(book, net_capital=5e8).single_customer.ratio)

    dates = sorted(pd.to_datetime(book.loans["snapshot_date"].unique()))
    first = dates[0].strftime("%Y-%m-%d")
    at.selectbox(key="conc_snapshot").set_value(first).run()
    _ok(at)
    assert _metric(at, "conc.kpi.industry_hhi", lang) == f"{_expected(book, as_of=first).industry.hhi:.4f}"

    branch = sorted(book.loans["branch_id"].astype(str).unique())[0]
    at.multiselect(key="conc_branches").set_value([branch]).run()
    _ok(at)
    one = concentration_report(book.loans, first, branches=[branch], net_capital=5e8)
    assert _metric(at, "conc.kpi.region_hhi", lang) == f"{one.region.hhi:.4f}"
    assert _metric(at, "conc.kpi.top_share", lang, n=10) == format_percent(one.top.share)
    _no_nan_shown(at)
