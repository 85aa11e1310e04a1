"""The ranking page driven through AppTest, checked against riskcore called directly."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from riskcore.indicators import build_indicator_matrix
from riskcore.ranking import BookRanking, rank_book
from riskcore.sample import SampleBook, load_sample
from riskview.i18n import indicator_label, t

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
SAMPLE_DIR = ROOT / "sample_data"



@pytest.fixture(scope="module")
def book() -> SampleBook:
    return load_sample(SAMPLE_DIR)


@pytest.fixture(scope="module")
def latest(book: SampleBook) -> pd.Timestamp:
    return pd.to_datetime(book.loans["snapshot_date"]).max()


def _expected(book: SampleBook, as_of: pd.Timestamp, branches: list[str] | None = None, rho: float = 0.5) -> BookRanking:
    """The ranking computed by calling riskcore directly, as the page should show it."""
    if branches is None:
        branches = sorted(book.loans["branch_id"].astype(str).unique())
    matrix = build_indicator_matrix(book.loans, book.borrowers, as_of, branches=branches)
    return rank_book(matrix, rho=rho)


def _app(lang: str = "zh") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["lang"] = lang
    return at.run()


def _metric(at: AppTest, key: str, lang: str) -> str:
    label = t(key, lang)
    return next(m.value for m in at.metric if m.label == label)


def _charts(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


@pytest.fixture(scope="module")
def zh_app() -> AppTest:
    at = _app("zh")
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_page_runs_without_exception_in_both_languages(lang: str) -> None:
    at = _app(lang)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == t("rank.title", lang)
    titles = [chart["layout"]["title"]["text"] for chart in _charts(at)]
    assert t("chart.weights.title", lang) in titles
    assert t("chart.grades.title", lang) in titles
    assert t("col.grade", lang) in at.dataframe[0].value.columns
    assert t("drill.chart.title", lang) in titles
    assert t("drill.col.xi", lang) in at.dataframe[1].value.columns
    _no_nan_shown(at)


def test_kpi_borrowers_equals_riskcore(zh_app: AppTest, book: SampleBook, latest: pd.Timestamp) -> None:
    expected = _expected(book, latest)
    assert _metric(zh_app, "kpi.borrowers", "zh") == f"{len(expected.table):,}"
    assert _metric(zh_app, "kpi.indicators", "zh").endswith(f"/ {len(expected.entropy.weights)}")


def test_top_row_is_the_borrower_with_the_lowest_grade(zh_app: AppTest, book: SampleBook, latest: pd.Timestamp) -> None:
    expected = _expected(book, latest)
    table = zh_app.dataframe[0].value
    assert table[t("col.borrower_id", "zh")].iloc[0] == expected.grey.grades.idxmin()
    assert table[t("col.grade", "zh")].iloc[0] == pytest.approx(expected.grey.grades.min())
    assert table[t("col.risk_rank", "zh")].iloc[0] == 1
    assert len(table) == min(50, len(expected.table))


def test_weight_chart_shows_the_entropy_weights(zh_app: AppTest, book: SampleBook, latest: pd.Timestamp) -> None:
    expected = _expected(book, latest).entropy.weights
    chart = next(c for c in _charts(zh_app) if c["layout"]["title"]["text"] == t("chart.weights.title", "zh"))
    shown = sorted(x for trace in chart["data"] for x in trace["x"])
    assert shown == pytest.approx(sorted(expected.tolist()))


def test_branch_filter_updates_the_kpi(book: SampleBook, latest: pd.Timestamp) -> None:
    at = _app("zh")
    before = _metric(at, "kpi.borrowers", "zh")
    branch = sorted(book.loans["branch_id"].astype(str).unique())[0]
    at.multiselect(key="rank_branches").set_value([branch]).run()
    assert not at.exception
    expected = _expected(book, latest, [branch])
    after = _metric(at, "kpi.borrowers", "zh")
    assert after == f"{len(expected.table):,}"
    assert after != before
    assert set(at.dataframe[0].value[t("col.branch_name", "zh")]) <= set(expected.table["branch_name"])


def test_snapshot_change_ranks_that_month(book: SampleBook) -> None:
    dates = sorted(pd.to_datetime(book.loans["snapshot_date"].unique()))
    earlier = dates[-7]
    at = _app("zh")
    assert at.selectbox(key="rank_snapshot").value == dates[-1].strftime("%Y-%m-%d")
    at.selectbox(key="rank_snapshot").set_value(earlier.strftime("%Y-%m-%d")).run()
    assert not at.exception
    expected = _expected(book, earlier)
    assert _metric(at, "kpi.borrowers", "zh") == f"{len(expected.table):,}"
    assert at.dataframe[0].value[t("col.borrower_id", "zh")].iloc[0] == expected.grey.grades.idxmin()


def test_rho_change_updates_grades(book: SampleBook, latest: pd.Timestamp) -> None:
    at = _app("en")
    col = t("col.grade", "en")
    before = at.dataframe[0].value[col].to_numpy()
    at.slider(key="rank_rho").set_value(0.3).run()
    assert not at.exception
    after = at.dataframe[0].value[col]
    expected = _expected(book, latest, rho=0.3)
    assert after.iloc[0] == pytest.approx(expected.grey.grades.min())
    assert not (after.to_numpy() == before).all()
    assert any("ρ = 0.30" in c.value for c in at.caption)


def test_language_switch_translates_the_page() -> None:
    at = _app("zh")
    at.segmented_control(key="lang").set_value("en").run()
    assert not at.exception
    assert at.title[0].value == t("rank.title", "en")
    assert t("col.borrower_name", "en") in at.dataframe[0].value.columns
    assert any(t("chart.grades.note", "en") in json.dumps(c, ensure_ascii=False) for c in _charts(at))


def test_language_and_frame_survive_a_page_widget_rerun() -> None:
    at = _app("zh")
    at.segmented_control(key="lang").set_value("en").run()
    at.slider(key="rank_rho").set_value(0.6).run()
    assert not at.exception
    assert at.segmented_control(key="lang").value == "en"
    assert at.title[0].value == t("rank.title", "en")


def test_no_branch_selected_warns_instead_of_failing() -> None:
    at = _app("zh")
    at.multiselect(key="rank_branches").set_value([]).run()
    assert not at.exception
    assert [w.value for w in at.warning] == [t("rank.no_branch", "zh")]
    assert not at.dataframe


def test_ahp_and_combined_weights_from_the_ahp_page(book: SampleBook, latest: pd.Timestamp) -> None:
    from riskcore.weights.combine import combine_weights

    base = _expected(book, latest)
    keys = list(base.entropy.weights.index)
    ahp = pd.Series(range(len(keys), 0, -1), index=keys, dtype="float64")
    ahp /= ahp.sum()
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["lang"] = "en"
    at.session_state["ahp_global_weights"] = ahp
    at.run()
    at.segmented_control(key="rank_weighting").set_value("ahp").run()
    assert not at.exception, [e.value for e in at.exception]
    matrix = build_indicator_matrix(book.loans, book.borrowers, latest,
                                    branches=sorted(book.loans["branch_id"].astype(str).unique()))
    expected = rank_book(matrix, weights=ahp)
    table = at.dataframe[0].value
    assert table["Borrower ID"].iloc[0] == expected.grey.grades.idxmin()
    assert table["Grade"].iloc[0] == pytest.approx(expected.grey.grades.min())

    at.segmented_control(key="rank_weighting").set_value("combined").run()
    at.slider(key="rank_alpha").set_value(0.3).run()
    combined = rank_book(matrix, weights=combine_weights(ahp, base.entropy.weights, alpha=0.3))
    assert at.dataframe[0].value["Grade"].iloc[0] == pytest.approx(combined.grey.grades.min())


def test_key_risk_factors_chart_equals_riskcore(zh_app: AppTest, book: SampleBook, latest: pd.Timestamp) -> None:
    from riskcore.ranking import key_risk_factors

    expected = _expected(book, latest)
    matrix = build_indicator_matrix(book.loans, book.borrowers, latest,
                                    branches=sorted(book.loans["branch_id"].astype(str).unique()))
    degrees = key_risk_factors(expected.grey, matrix.borrowers["default_flag"]).result.degrees
    chart = next(c for c in _charts(zh_app) if c["layout"]["title"]["text"] == t("chart.factors.title", "zh"))
    assert chart["data"][0]["x"] == pytest.approx(degrees.tolist())
    assert len(chart["data"][0]["y"]) == len(degrees) and all(isinstance(y, str) for y in chart["data"][0]["y"])


# ------------------------------------------------------------------ filters, drill-down, NPL series

def _no_nan_shown(at: AppTest) -> None:
    """No table cell and no chart coordinate is NaN/None (missing values are formatted)."""
    for frame in at.dataframe:
        assert not frame.value.isna().any().any(), frame.value.columns[frame.value.isna().any()].tolist()
    for chart in _charts(at):
        for trace in chart["data"]:
            for axis in ("x", "y"):
                values = trace.get(axis) or []
                assert all(v is not None and not pd.isna(v) for v in values), (trace.get("name"), axis)


def test_filters_and_drill_down_equal_riskcore(book: SampleBook, latest: pd.Timestamp) -> None:
    from riskcore.ranking import borrower_profile
    from riskview.i18n import class_label, industry_label
    from riskview.ranking_view import format_indicator_value

    branches = sorted(book.loans["branch_id"].astype(str).unique())
    matrix = build_indicator_matrix(book.loans, book.borrowers, latest, branches=branches)
    expected = rank_book(matrix)
    full = expected.table
    lang = "zh"
    at = _app(lang)
    _no_nan_shown(at)
    # Unfiltered: the drill-down opens on the riskiest borrower.
    assert at.selectbox(key="rank_drill").value == full["borrower_id"].iloc[0]

    # --- filters: industry F (wholesale and retail) and the three NPL classes -------------
    at.multiselect(key="rank_industries").set_value(["F"])
    at.multiselect(key="rank_classes").set_value([3, 4, 5]).run()
    assert not at.exception, [e.value for e in at.exception]
    want = full[(full["industry_code"] == "F") & full["worst_class"].isin([3, 4, 5])]
    assert 3 < len(want) < len(full)
    table = at.dataframe[0].value
    assert len(table) == min(50, len(want))
    assert set(table[t("col.industry", lang)]) == {industry_label("F", "", lang)}
    assert set(table[t("col.worst_class", lang)]) <= {class_label(c, lang) for c in (3, 4, 5)}
    # ranks are the population's ranks (not 1, 2, 3 …), in the same order
    assert table[t("col.risk_rank", lang)].tolist() == want["risk_rank"].head(50).tolist()
    assert table[t("col.borrower_id", lang)].tolist() == want["borrower_id"].head(50).tolist()
    assert table[t("col.risk_rank", lang)].iloc[0] > 1
    count = t("rank.filter_count", lang, n=f"{len(want):,}", m=f"{len(full):,}", k=f"{min(50, len(want)):,}")
    assert count in [c.value for c in at.caption]
    _no_nan_shown(at)

    # --- drill-down: the riskiest borrower shown, numbers equal riskcore's profile ---------
    first = want["borrower_id"].iloc[0]
    assert at.selectbox(key="rank_drill").value == first
    profile = borrower_profile(expected.grey, matrix, first)
    assert _metric(at, "drill.kpi.grade", lang) == f"{profile.grade:.4f}"
    assert _metric(at, "drill.kpi.rank", lang) == f"{profile.risk_rank:,} / {profile.n_borrowers:,}"
    shown = at.dataframe[1].value
    ordered = profile.table.sort_values("shortfall", ascending=False, kind="stable")
    for column, key in (("z", "drill.col.z"), ("xi", "drill.col.xi"), ("weight", "drill.col.weight"),
                        ("contribution", "drill.col.contribution"), ("shortfall", "drill.col.shortfall")):
        assert shown[t(key, lang)].tolist() == pytest.approx(ordered[column].tolist()), column
    assert shown[t("drill.col.value", lang)].tolist() == [
        format_indicator_value(v, u, lang) for v, u in zip(ordered["value"], ordered["unit"], strict=True)]
    assert shown[t("drill.col.ideal", lang)].tolist() == [
        format_indicator_value(v, u, lang) for v, u in zip(ordered["ideal"], ordered["unit"], strict=True)]
    assert shown[t("drill.col.imputed", lang)].tolist() == ordered["imputed"].tolist()
    assert shown[t("drill.col.contribution", lang)].sum() == pytest.approx(profile.grade)
    chart = next(c for c in _charts(at) if c["layout"]["title"]["text"] == t("drill.chart.title", lang))
    xs = {k: x for trace in chart["data"] for k, x in zip(trace["meta"], trace["x"], strict=True)}
    assert xs == pytest.approx(profile.table["xi"].to_dict())
    assert chart["layout"]["shapes"][0]["x0"] == pytest.approx(profile.grade)

    # --- a row click picks that borrower; the selectbox moves the row selection ------------
    at.session_state["rank_table"] = {"selection": {"rows": [2]}}
    at.run()
    third = want["borrower_id"].iloc[2]
    assert at.selectbox(key="rank_drill").value == third
    assert _metric(at, "drill.kpi.grade", lang) == f"{borrower_profile(expected.grey, matrix, third).grade:.4f}"
    fourth = want["borrower_id"].iloc[3]
    at.selectbox(key="rank_drill").set_value(fourth).run()
    assert not at.exception
    assert list(at.session_state["rank_table"]["selection"]["rows"]) == [3]
    assert _metric(at, "drill.kpi.rank", lang).startswith(f"{int(want['risk_rank'].iloc[3]):,} /")

    # --- a filter nobody matches: a clear message, no empty table --------------------------
    empty = next(code for code in sorted(full["industry_code"].unique())
                 if not ((full["industry_code"] == code) & (full["worst_class"] == 5)).any())
    at.multiselect(key="rank_industries").set_value([empty])
    at.multiselect(key="rank_classes").set_value([5]).run()
    assert not at.exception
    assert t("rank.filter_empty", lang, m=f"{len(full):,}") in [i.value for i in at.info]
    assert not at.dataframe


def test_factors_against_the_npl_series_equal_riskcore(book: SampleBook) -> None:
    from riskcore.portfolio import npl_ratio_series
    from riskcore.ranking import book_risk_levels, npl_series_factors

    branches = sorted(book.loans["branch_id"].astype(str).unique())
    dates = sorted(pd.to_datetime(book.loans["snapshot_date"].unique()))
    levels = book_risk_levels(build_indicator_matrix(book.loans, book.borrowers, d, branches=branches) for d in dates)
    npl = npl_ratio_series(book.loans, branches=branches).reindex(levels.levels.index)
    # The industry NPL ratio is an NPL ratio itself: the page leaves it out of this view.
    expected = npl_series_factors(levels.levels.drop(columns="industry_npl_ratio"), npl, rho=0.5)
    assert "industry_npl_ratio" not in expected.result.degrees.index

    lang = "en"
    at = _app(lang)
    title = t("rank.chart.npl_factors.title", lang)
    assert title not in [c["layout"]["title"]["text"] for c in _charts(at)]  # only when asked for
    at.toggle(key="rank_npl_series").set_value(True).run()
    assert not at.exception, [e.value for e in at.exception]
    charts = {c["layout"]["title"]["text"]: c for c in _charts(at)}
    bar = charts[title]["data"][0]
    assert bar["x"] == pytest.approx(expected.result.degrees.tolist())
    assert bar["y"] == [indicator_label(k, lang) for k in expected.result.degrees.index]
    lines = charts[t("rank.chart.npl_lines.title", lang, k=3)]["data"]
    assert [trace["meta"] for trace in lines] == ["npl_ratio", *map(str, expected.result.degrees.index[:3])]
    assert lines[0]["y"] == pytest.approx(expected.scaled_npl.tolist())
    assert lines[0]["customdata"] == pytest.approx(npl.tolist())
    top = str(expected.result.degrees.index[0])
    assert lines[1]["y"] == pytest.approx(expected.scaled_levels[top].tolist())
    captions = [c.value for c in at.caption]
    assert t("rank.npl.note", lang, n=len(dates), rho="0.50") in captions
    _no_nan_shown(at)
