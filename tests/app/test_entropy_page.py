"""The entropy page driven through AppTest, checked against riskcore called directly."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from riskcore import EntropyOverTime, EntropyResult, entropy_over_time, entropy_weights
from riskcore.indicators import DEFAULT_INDICATORS, build_indicator_matrix
from riskcore.sample import SampleBook, load_sample
from riskview.i18n import indicator_label, t

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
PAGE = "app_pages/entropy.py"
SAMPLE_DIR = ROOT / "sample_data"
N_INDICATORS = len(DEFAULT_INDICATORS)


@pytest.fixture(scope="module")
def book() -> SampleBook:
    return load_sample(SAMPLE_DIR)


@pytest.fixture(scope="module")
def dates(book: SampleBook) -> list[pd.Timestamp]:
    return sorted(pd.to_datetime(book.loans["snapshot_date"].unique()))


@pytest.fixture(scope="module")
def all_branches(book: SampleBook) -> list[str]:
    return sorted(book.loans["branch_id"].astype(str).unique())


def _expected(book: SampleBook, as_of: pd.Timestamp, branches: list[str]) -> EntropyResult:
    """The weights computed by calling riskcore directly, as the page should show them."""
    matrix = build_indicator_matrix(book.loans, book.borrowers, as_of, branches=branches)
    return entropy_weights(matrix.values, matrix.directions)


def _app(lang: str = "zh") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.session_state["lang"] = lang
    at.switch_page(PAGE)
    return at.run()


def _charts(at: AppTest) -> dict[str, dict]:
    charts = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
    return {c["layout"]["title"]["text"]: c for c in charts if "title" in c["layout"]}


def _shown_weights(at: AppTest, lang: str) -> pd.Series:
    """Weights of the per-indicator table (shown in %), as fractions keyed by indicator key."""
    table = at.dataframe[0].value
    by_label = table.set_index(t("entropy.col.indicator", lang))[t("entropy.col.weight", lang)] / 100.0
    keys = {indicator_label(i.key, lang): i.key for i in DEFAULT_INDICATORS}
    return by_label.rename(index=keys)


def _over_time(at: AppTest, lang: str) -> dict:
    return _charts(at)[t("entropy.chart.time.title", lang)]


@pytest.fixture(scope="module")
def zh_app() -> AppTest:
    at = _app("zh")
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_page_opens_without_exception_in_both_languages(lang: str) -> None:
    at = _app(lang)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == t("entropy.title", lang)
    titles = set(_charts(at))
    assert {t("chart.weights.title", lang), t("entropy.chart.time.title", lang)} <= titles
    assert list(at.dataframe[0].value.columns)[:2] == [t("entropy.col.rank", lang), t("entropy.col.indicator", lang)]
    assert t("entropy.col.change", lang) in at.dataframe[1].value.columns
    assert [s.value for s in at.subheader] == [
        t("entropy.zero.title", lang), t("entropy.table.title", lang),
        t("entropy.time.title", lang), t("entropy.drift.title", lang),
    ]
    other = "en" if lang == "zh" else "zh"
    shown = json.dumps([at.dataframe[0].value.to_dict(), [c.value for c in at.caption]], ensure_ascii=False)
    assert t("entropy.table.note", other) not in shown


def test_weights_shown_equal_riskcore_on_the_same_matrix(
    zh_app: AppTest, book: SampleBook, dates: list[pd.Timestamp], all_branches: list[str]
) -> None:
    expected = _expected(book, dates[-1], all_branches)
    shown = _shown_weights(zh_app, "zh")
    assert sorted(shown.index) == sorted(expected.weights.index)
    assert shown.reindex(expected.weights.index).tolist() == pytest.approx(expected.weights.tolist(), abs=1e-15)
    table = zh_app.dataframe[0].value.set_index(t("entropy.col.indicator", "zh"))
    for key in expected.weights.index:
        row = table.loc[indicator_label(key, "zh")]
        assert row[t("entropy.col.entropy", "zh")] == pytest.approx(expected.entropy[key], abs=1e-15)
        assert row[t("entropy.col.divergence", "zh")] == pytest.approx(expected.divergence[key], abs=1e-15)
    bars = _charts(zh_app)[t("chart.weights.title", "zh")]
    drawn = sorted(x for trace in bars["data"] for x in trace["x"])
    assert drawn == pytest.approx(sorted(expected.weights.tolist()), abs=1e-15)


def test_over_time_chart_one_trace_per_indicator_one_point_per_snapshot(
    zh_app: AppTest, book: SampleBook, dates: list[pd.Timestamp], all_branches: list[str]
) -> None:
    chart = _over_time(zh_app, "zh")
    assert len(chart["data"]) == N_INDICATORS
    assert sorted(trace["meta"] for trace in chart["data"]) == sorted(i.key for i in DEFAULT_INDICATORS)
    assert all(len(trace["x"]) == len(dates) == len(trace["y"]) for trace in chart["data"])
    assert chart["data"][0]["x"][0] == dates[0].strftime("%Y-%m-%d")
    # Five coloured lines with a legend entry by default, the rest grey.
    assert sum(trace.get("showlegend", True) for trace in chart["data"]) == 5

    def matrices():
        for date in dates:
            yield build_indicator_matrix(book.loans, book.borrowers, date, branches=all_branches)

    expected: EntropyOverTime = entropy_over_time(matrices())
    for trace in chart["data"]:
        assert trace["y"] == pytest.approx(expected.weights[trace["meta"]].tolist(), abs=1e-15)
    # The latest point of each line is the weight in the table (latest month-end chosen).
    shown = _shown_weights(zh_app, "zh")
    for trace in chart["data"]:
        assert trace["y"][-1] == pytest.approx(shown[trace["meta"]], abs=1e-15)


def test_changing_branches_changes_the_weights(
    book: SampleBook, dates: list[pd.Timestamp], all_branches: list[str]
) -> None:
    at = _app("en")
    before_table = _shown_weights(at, "en")
    before_line = {tr["meta"]: tr["y"] for tr in _over_time(at, "en")["data"]}
    branch = all_branches[0]
    at.multiselect(key="entropy_branches").set_value([branch]).run()
    assert not at.exception, [e.value for e in at.exception]
    expected = _expected(book, dates[-1], [branch])
    after_table = _shown_weights(at, "en")
    assert after_table.reindex(expected.weights.index).tolist() == pytest.approx(expected.weights.tolist(), abs=1e-15)
    assert not after_table.reindex(before_table.index).equals(before_table)
    assert _metric(at, "kpi.borrowers", "en") == f"{expected.n_rows:,}"
    after_line = {tr["meta"]: tr["y"] for tr in _over_time(at, "en")["data"]}
    assert after_line.keys() == before_line.keys()
    assert any(after_line[k] != before_line[k] for k in after_line)
    for key, ys in after_line.items():  # last point = the single-branch table
        assert ys[-1] == pytest.approx(after_table[key], abs=1e-15)


def _metric(at: AppTest, key: str, lang: str) -> str:
    label = t(key, lang)
    return next(m.value for m in at.metric if m.label == label)


def test_earlier_snapshot_is_weighted_and_marked(book: SampleBook, dates: list[pd.Timestamp],
                                                 all_branches: list[str]) -> None:
    at = _app("zh")
    earlier = dates[-7].strftime("%Y-%m-%d")
    at.selectbox(key="entropy_snapshot").set_value(earlier).run()
    assert not at.exception
    expected = _expected(book, dates[-7], all_branches)
    shown = _shown_weights(at, "zh")
    assert shown.reindex(expected.weights.index).tolist() == pytest.approx(expected.weights.tolist(), abs=1e-15)
    chart = _over_time(at, "zh")
    assert chart["layout"]["shapes"][0]["x0"] == earlier
    position = [d.strftime("%Y-%m-%d") for d in dates].index(earlier)
    for trace in chart["data"]:
        assert trace["y"][position] == pytest.approx(shown[trace["meta"]], abs=1e-15)


def test_top_k_and_criterion_view(zh_app: AppTest) -> None:
    at = _app("zh")
    at.slider(key="entropy_top_k").set_value(3).run()
    chart = _over_time(at, "zh")
    coloured = [tr["meta"] for tr in chart["data"] if tr.get("showlegend", True)]
    latest = pd.Series({tr["meta"]: tr["y"][-1] for tr in chart["data"]})
    assert coloured == list(latest.sort_values(ascending=False, kind="stable").index[:3])
    at.multiselect(key="entropy_extra").set_value(["admin_penalties"]).run()
    chart = _over_time(at, "zh")
    assert [tr["meta"] for tr in chart["data"] if tr.get("showlegend", True)][-1] == "admin_penalties"
    at.segmented_control(key="entropy_view").set_value("criterion").run()
    assert not at.exception
    chart = _charts(at)[t("entropy.chart.criteria.title", "zh")]
    assert len(chart["data"]) == 7
    sums = [sum(tr["y"][i] for tr in chart["data"]) for i in range(len(chart["data"][0]["y"]))]
    assert sums == pytest.approx([1.0] * len(sums), abs=1e-12)


def test_no_nan_in_any_table_or_chart(zh_app: AppTest) -> None:
    for frame in zh_app.dataframe:
        assert not frame.value.isna().any().any()
    for chart in _charts(zh_app).values():
        for trace in chart["data"]:
            for value in list(trace.get("x", [])) + list(trace.get("y", [])):
                assert not (isinstance(value, float) and math.isnan(value))
                assert value is not None


def test_language_switch_translates_the_page() -> None:
    at = _app("zh")
    at.segmented_control(key="lang").set_value("en").run()
    assert not at.exception
    assert at.title[0].value == t("entropy.title", "en")
    assert t("entropy.col.weight", "en") in at.dataframe[0].value.columns
    chart = _over_time(at, "en")
    assert chart["layout"]["xaxis"]["title"]["text"] == t("entropy.chart.x", "en")
    assert {tr["name"] for tr in chart["data"]} == {indicator_label(i.key, "en") for i in DEFAULT_INDICATORS}


def test_no_branch_selected_warns_instead_of_failing() -> None:
    at = _app("zh")
    at.multiselect(key="entropy_branches").set_value([]).run()
    assert not at.exception
    assert [w.value for w in at.warning] == [t("entropy.no_branch", "zh")]
    assert not at.dataframe
