"""The what-if page through AppTest: sliders, reset, α with AHP weights, ρ, saved scenarios;
every figure shown is checked against riskcore called directly."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from riskcore import grey_relational
from riskcore.indicators import build_indicator_matrix
from riskcore.ranking import rank_book
from riskcore.sample import load_sample
from riskcore.weights.combine import combine_weights
from riskcore.whatif import compare_rankings, criterion_totals, scenario_weights
from riskview.i18n import t

ROOT = Path(__file__).resolve().parents[2]
PAGE = str(ROOT / "app_pages" / "whatif.py")


@pytest.fixture(scope="module")
def baseline():
    book = load_sample(ROOT / "sample_data")
    as_of = pd.to_datetime(book.loans["snapshot_date"]).max()
    branches = sorted(book.loans["branch_id"].astype(str).unique())
    matrix = build_indicator_matrix(book.loans, book.borrowers, as_of, branches=branches)
    return matrix, rank_book(matrix, rho=0.5)


def _page(lang: str = "en", **state) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=90)
    at.session_state["lang"] = lang
    for key, value in state.items():
        at.session_state[key] = value
    return at.run()


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def _expected(baseline, points, alpha=0.0, rho=0.5, ahp=None):
    matrix, ranking = baseline
    ew = ranking.entropy.weights
    mix = combine_weights(ahp, ew, alpha=alpha) if ahp is not None and alpha > 0 else ew
    w = scenario_weights(mix, matrix.criteria.reindex(ew.index), points)
    grey = ranking.grey if rho == 0.5 else grey_relational(matrix.values, matrix.directions, None, rho=rho)
    return compare_rankings(ranking.grey.grades, grey.regrade(w), top_n=50)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_opens_at_the_baseline(lang):
    at = _page(lang)
    assert not at.exception, [e.value for e in at.exception]
    assert _metric(at, t("whatif.spearman", lang)) == "1.000"
    assert _metric(at, t("whatif.kendall", lang)) == "1.000"
    assert _metric(at, t("whatif.kept", lang, n=50)) == "50 / 50"
    assert len(at.get("plotly_chart")) == 2


def test_a_criterion_slider_move_matches_riskcore(baseline):
    at = _page()
    points = {k.removeprefix("whatif_c_"): at.session_state[k] for k in at.session_state
              if str(k).startswith("whatif_c_")}
    at.slider(key="whatif_c_credit").set_value(60.0).run()
    points["credit"] = 60.0
    expected = _expected(baseline, points)
    assert _metric(at, "Spearman ρ") == f"{expected.spearman:.3f}"
    assert _metric(at, "Kendall's tau") == f"{expected.kendall:.3f}"
    assert _metric(at, "Kept in the top 50") == f"{expected.kept} / 50"
    top = next(d.value for d in at.dataframe if "Baseline rank" in d.value.columns and "Risk rank" in d.value.columns)
    assert top["Borrower ID"].tolist() == list(expected.new_rank.sort_values().index[:50])

    at.button(key="whatif_reset").click().run()
    assert _metric(at, "Kendall's tau") == "1.000"


def test_rho_and_alpha_with_ahp_weights(baseline):
    matrix, ranking = baseline
    keys = list(ranking.entropy.weights.index)
    ahp = pd.Series(range(1, len(keys) + 1), index=keys, dtype="float64")
    ahp /= ahp.sum()
    at = _page(ahp_global_weights=ahp)
    at.slider(key="whatif_alpha").set_value(0.6).run()
    # Moving α moves the criterion sliders to the criterion shares of the combined weights,
    # so α alone gives exactly the ranking page's combined weights.
    mix = combine_weights(ahp, ranking.entropy.weights, alpha=0.6)
    points = {c: 100 * v for c, v in criterion_totals(mix, matrix.criteria.reindex(keys)).items()}
    assert {c: at.slider(key=f"whatif_c_{c}").value for c in points} == pytest.approx(points)
    combined = rank_book(matrix, rho=0.5, weights=mix)
    assert compare_rankings(ranking.grey.grades, combined.grey.grades, top_n=50).kendall == pytest.approx(
        _expected(baseline, points, alpha=0.6, rho=0.5, ahp=ahp).kendall)
    at.slider(key="whatif_rho").set_value(0.3).run()
    assert not at.exception, [e.value for e in at.exception]
    expected = _expected(baseline, points, alpha=0.6, rho=0.3, ahp=ahp)
    assert _metric(at, "Kendall's tau") == f"{expected.kendall:.3f}"


def test_two_saved_scenarios_are_compared_side_by_side():
    at = _page()
    at.slider(key="whatif_c_financial").set_value(40.0).run()
    at.text_input(key="whatif_name_en").input("Stress").run()
    at.button(key="whatif_save").click().run()
    at.slider(key="whatif_c_guarantee").set_value(50.0).run()
    at.text_input(key="whatif_name_en").input("Collateral").run()
    at.button(key="whatif_save").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert list(at.session_state["whatif_scenarios"]) == ["Stress", "Collateral"]
    table = next(d.value for d in at.dataframe if "Item" in d.value.columns)
    assert list(table.columns) == ["Item", "Stress", "Collateral"]
    assert table.isna().sum().sum() == 0
    overlap = next(d.value for d in at.dataframe if list(d.value.columns) == ["Stress", "Collateral"])
    assert overlap.loc["Stress", "Stress"] == 50 and overlap.loc["Stress", "Collateral"] <= 50

    other = _page()  # another session starts without them
    assert "whatif_scenarios" not in other.session_state or not other.session_state["whatif_scenarios"]
