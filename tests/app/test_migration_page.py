"""The class migration page driven through AppTest, checked against riskcore.migration called directly."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from riskcore.migration import (
    CLASS_STATES,
    average_one_month_matrix,
    class_distribution,
    migration_matrix,
    npl_share,
    project,
)
from riskcore.sample import SampleBook, load_sample
from riskview.i18n import t
from riskview.migration_view import matrix_table

ROOT = Path(__file__).resolve().parents[2]
PAGE = str(ROOT / "app_pages" / "migration.py")
BRANCHES = ["QD01", "QD02", "QD03"]


@pytest.fixture(scope="module")
def book() -> SampleBook:
    return load_sample(ROOT / "sample_data")


@pytest.fixture(scope="module")
def dates(book: SampleBook) -> list[str]:
    return sorted({d.strftime("%Y-%m-%d") for d in pd.to_datetime(book.loans["snapshot_date"].unique())},
                  reverse=True)


def _app(lang: str = "zh") -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.session_state["lang"] = lang
    return at.run()


def _charts(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def _no_nan_shown(at: AppTest) -> None:
    for frame in at.dataframe:
        assert not frame.value.isna().any().any()
        assert not frame.value.astype(str).isin(["nan", "NaN", "inf", "<NA>", "None"]).any().any()
    for chart in _charts(at):
        for trace in chart["data"]:
            for axis in ("x", "y", "z"):
                values = trace.get(axis) or []
                flat = [v for row in values for v in (row if isinstance(row, list) else [row])]
                assert all(v is not None and not pd.isna(v) for v in flat), (trace.get("name"), axis)
            assert "nan" not in json.dumps(trace.get("text", "")).lower()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_page_runs_in_both_languages_and_shows_riskcore_numbers(lang: str, book: SampleBook, dates) -> None:
    at = _app(lang)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == t("mig.title", lang)
    start, end = dates[12], dates[0]  # a year back from the latest month-end by default
    assert (at.selectbox(key="mig_start").value, at.selectbox(key="mig_end").value) == (start, end)
    matrix = migration_matrix(book.loans, start, end, branches=BRANCHES)
    pd.testing.assert_frame_equal(at.dataframe[0].value, matrix_table(matrix, "count", lang), check_dtype=False)
    table = at.dataframe[0].value
    assert table[t("mig.col.total", lang)].tolist() == matrix.counts.sum(axis=1).tolist()  # rows = start population
    assert _metric(at, t("mig.kpi.start", lang, date=start)) == f"{matrix.counts.loc[list(CLASS_STATES)].sum().sum():,}"
    assert _metric(at, t("mig.kpi.left", lang)) == f"{matrix.counts['left'].sum():,}"
    assert _metric(at, t("mig.kpi.new", lang, date=end)) == f"{matrix.counts.loc['new'].sum():,}"
    heat = next(c for c in _charts(at) if c["layout"]["title"]["text"] == t("mig.chart.matrix.title", lang,
                                                                             start=start, end=end))
    assert np.array(heat["data"][0]["customdata"]) == pytest.approx(matrix.counts.to_numpy())
    assert np.array(heat["data"][0]["z"]) == pytest.approx(matrix.rates().astype(float).fillna(0).to_numpy())
    _no_nan_shown(at)


def test_balance_toggle_average_matrix_and_stressed_projection(book: SampleBook, dates) -> None:
    at = _app("en")
    start, end = dates[6], dates[0]
    at.selectbox(key="mig_start").set_value(start)
    at.segmented_control(key="mig_by").set_value("balance")
    at.slider(key="mig_stress").set_value(2.0)
    at.slider(key="mig_months").set_value(6).run()
    assert not at.exception, [e.value for e in at.exception]
    matrix = migration_matrix(book.loans, start, end, branches=BRANCHES)
    shown = at.dataframe[0].value
    pd.testing.assert_frame_equal(shown, matrix_table(matrix, "balance", "en"))
    assert shown[t("mig.col.total", "en")].iloc[:5].to_numpy() * 1e4 == pytest.approx(
        matrix.balances.sum(axis=1).iloc[:5].to_numpy())

    charts = {c["layout"]["title"]["text"]: c for c in _charts(at)}
    average = average_one_month_matrix(book.loans, start, end, branches=BRANCHES)
    heat = charts[t("mig.chart.avg.title", "en")]
    assert np.array(heat["data"][0]["z"]) == pytest.approx(average.probabilities.loc[list(CLASS_STATES)].to_numpy())
    assert len(average.pairs) == 6

    mix = class_distribution(book.loans, end, branches=BRANCHES)["balance"]
    projection = project(mix, average, 6, stress=2.0)
    chart = charts[t("mig.chart.projection.title", "en", stress="2.0")]
    for trace in chart["data"]:
        if trace["meta"] == "npl_share":
            assert trace["y"] == pytest.approx(npl_share(projection).astype(float).tolist())
        else:
            assert trace["y"] == pytest.approx((projection[trace["meta"]] * 1e-4).tolist())
    table = at.dataframe[1].value
    assert table[t("mig.col.month", "en")].tolist() == [0, 3, 6]
    assert table[t("class.5", "en")].tolist() == pytest.approx((projection.loc[[0, 3, 6], "5"] * 1e-4).tolist())
    assert table[t("mig.chart.npl_share", "en")].tolist() == [f"{v:.2%}" for v in npl_share(projection).loc[[0, 3, 6]]]
    _no_nan_shown(at)


def test_start_after_end_and_no_branch_warn(dates) -> None:
    at = _app("zh")
    at.selectbox(key="mig_start").set_value(dates[0])
    at.selectbox(key="mig_end").set_value(dates[3]).run()
    assert not at.exception
    assert [w.value for w in at.warning] == [t("mig.order", "zh")]
    assert not at.dataframe
    at.selectbox(key="mig_start").set_value(dates[5])
    at.multiselect(key="mig_branches").set_value([]).run()
    assert [w.value for w in at.warning] == [t("mig.no_branch", "zh")]
