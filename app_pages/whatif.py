"""What-if weight tuning: criterion weights, α and ρ sliders inside a fragment, compared
live with the baseline ranking (entropy weights, ρ = 0.5); scenarios saved by name and
compared side by side.

A thin page: riskcore computes (``scenario_weights``, ``GreyResult.regrade``,
``compare_rankings``, fixed band cut-offs); riskview builds the tables and figures.
Scenarios live in ``st.session_state`` (this browser session only). AHP weights, when the
AHP page has produced them, are read from ``st.session_state["ahp_global_weights"]``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from app_pages.common import CHART_ARGS, book_cache, book_choices, book_matrix, current_book_key, widget_key
from riskcore.grey import GreyResult, grey_relational
from riskcore.ranking import BookRanking, rank_book
from riskcore.weights.combine import combine_weights
from riskcore.whatif import RankBaseline, assign_bands, band_cutoffs, criterion_totals, scenario_weights
from riskview.i18n import criterion_label, join_list, t
from riskview.whatif_view import (
    band_figure,
    borrower_names,
    criterion_figure,
    format_correlation,
    movers_table,
    scenarios_table,
    top_table,
)

TOP_N_CHOICES = (20, 50, 100, 200)
lang = st.session_state.get("lang", "zh")


# Rankings of the bundled sample are shared by every session; those of a session's own
# book stay in that session (book_cache, see app_pages/common.py).
@book_cache(max_entries=16)
def _baseline(book_key: str, as_of: str, branches: tuple[str, ...]) -> BookRanking:
    return rank_book(book_matrix(book_key, as_of, branches), rho=0.5)


@book_cache(max_entries=16)
def _coefficients(book_key: str, as_of: str, branches: tuple[str, ...], rho: float) -> GreyResult:
    """Grey coefficients at another ρ (weights do not matter: regrade() applies them)."""
    matrix = book_matrix(book_key, as_of, branches)
    return grey_relational(matrix.values, matrix.directions, None, rho=rho)


st.title(t("whatif.title", lang))
st.caption(t("whatif.intro", lang))

book_key = current_book_key()
dates, branch_names = book_choices(book_key)
c_date, c_branch, c_top = st.columns([1, 3, 1], vertical_alignment="bottom")
as_of = c_date.selectbox(t("rank.snapshot", lang), dates, index=0, key=widget_key("whatif_snapshot", book_key))
selected = c_branch.multiselect(t("rank.branches", lang), list(branch_names), default=list(branch_names),
                                format_func=branch_names.__getitem__, key=widget_key("whatif_branches", book_key))
top_n = int(c_top.selectbox(t("whatif.top_n", lang), TOP_N_CHOICES, index=1, key="whatif_top_n"))
if not selected:
    st.warning(t("rank.no_branch", lang))
    st.stop()
branches = tuple(sorted(selected))
matrix = book_matrix(book_key, as_of, branches)
if len(matrix.values) < 2:
    st.warning(t("rank.too_few", lang, n=len(matrix.values)))
    st.stop()
baseline = _baseline(book_key, as_of, branches)
entropy_w = baseline.entropy.weights
criteria = matrix.criteria.reindex(entropy_w.index)
criterion_keys = list(dict.fromkeys(criteria))
base_totals = criterion_totals(entropy_w, criteria)
base_grades = baseline.grey.grades
rank_base = RankBaseline(base_grades)  # sorted once per book; each move sorts only the new grades
cutoffs = band_cutoffs(base_grades)
base_bands = assign_bands(base_grades, cutoffs)
names = borrower_names(matrix.borrowers)
ahp: pd.Series | None = st.session_state.get("ahp_global_weights")
if ahp is not None:
    ahp = ahp.reindex(entropy_w.index).fillna(0.0)
    ahp = ahp / ahp.sum() if ahp.sum() > 0 else None


def _slider_key(criterion: str) -> str:
    return f"whatif_c_{criterion}"


def _reset() -> None:
    for c in criterion_keys:
        st.session_state[_slider_key(c)] = 100 * float(base_totals[c])
    st.session_state["whatif_alpha"] = 0.0
    st.session_state["whatif_rho"] = 0.5


def _alpha_moved() -> None:
    """α sets how much of the AHP weights enter: the criterion sliders move to the criterion
    totals of the new mix (which the user may then adjust), so that α alone gives exactly
    the combined weights of the ranking page."""
    if ahp is None:
        return
    alpha = float(st.session_state["whatif_alpha"])
    mix = combine_weights(ahp, entropy_w, alpha=alpha) if alpha > 0 else entropy_w
    totals = criterion_totals(mix, criteria)
    for c in criterion_keys:
        st.session_state[_slider_key(c)] = 100 * float(totals[c])


for _c in criterion_keys:
    st.session_state.setdefault(_slider_key(_c), 100 * float(base_totals[_c]))
st.session_state.setdefault("whatif_alpha", 0.0)
st.session_state.setdefault("whatif_rho", 0.5)


def _scenario(points: dict[str, float], alpha: float, rho: float) -> tuple[pd.Series, pd.Series]:
    """(indicator weights, grades) of a scenario: α mixes AHP into the entropy weights,
    the criterion points set each criterion's share, ρ the grey coefficients."""
    mix = combine_weights(ahp, entropy_w, alpha=alpha) if ahp is not None and alpha > 0 else entropy_w
    weights = scenario_weights(mix, criteria, points)
    grey = baseline.grey if rho == 0.5 else _coefficients(book_key, as_of, branches, rho)
    return weights, grey.regrade(weights)


@st.fragment
def tune() -> None:
    """Everything that follows a slider: only this part reruns on a move."""
    left, right = st.columns([2, 3], gap="large")
    with left:
        st.markdown(f"**{t('whatif.criteria', lang)}**")
        points = {
            c: float(st.slider(criterion_label(c, lang), 0.0, 100.0, step=0.5, format="%.1f", key=_slider_key(c)))
            for c in criterion_keys
        }
        if ahp is None:
            st.caption(t("whatif.alpha_none", lang))
            alpha = 0.0
        else:
            alpha = float(st.slider(t("whatif.alpha", lang), 0.0, 1.0, step=0.05, key="whatif_alpha",
                                    help=t("whatif.alpha_help", lang), on_change=_alpha_moved))
        rho = round(float(st.slider(t("rank.rho", lang), 0.1, 1.0, step=0.05, key="whatif_rho",
                                    help=t("rank.rho_help", lang))), 2)
        st.button(t("whatif.reset", lang), on_click=_reset, key="whatif_reset")
    if sum(points.values()) <= 0:
        right.warning(t("whatif.criteria", lang))
        return
    weights, grades = _scenario(points, alpha, rho)
    comparison = rank_base.compare(grades, top_n=top_n)
    bands = assign_bands(grades, cutoffs)
    with right:
        m1, m2, m3 = st.columns(3)
        m1.metric(t("whatif.spearman", lang), format_correlation(comparison.spearman), border=True)
        m2.metric(t("whatif.kendall", lang), format_correlation(comparison.kendall), border=True)
        m3.metric(t("whatif.kept", lang, n=comparison.top_n), f"{comparison.kept} / {comparison.top_n}", border=True)
        none = t("whatif.none", lang)
        with st.expander(t("whatif.entered", lang, n=comparison.top_n, k=len(comparison.entered))):
            st.write(join_list((str(names.get(b, b)) for b in comparison.entered), lang) or none)
        with st.expander(t("whatif.left", lang, n=comparison.top_n, k=len(comparison.left))):
            st.write(join_list((str(names.get(b, b)) for b in comparison.left), lang) or none)
        st.plotly_chart(band_figure(base_bands, bands, lang), **CHART_ARGS)
        st.plotly_chart(criterion_figure(base_totals, criterion_totals(weights, criteria), lang), **CHART_ARGS)

    t_top, t_movers = st.columns([3, 2], gap="large")
    with t_top:
        st.subheader(t("whatif.top_title", lang, n=comparison.top_n))
        table = top_table(grades, comparison, bands, names, comparison.top_n, lang)
        st.dataframe(table, hide_index=True, width="stretch", height=min(38 + 35 * len(table), 560),
                     column_config={t("col.grade", lang): st.column_config.NumberColumn(format="%.4f")})
    with t_movers:
        st.subheader(t("whatif.movers", lang))
        if comparison.movers.empty:
            st.caption(t("whatif.none", lang))
        else:
            st.dataframe(movers_table(comparison, names, lang), hide_index=True, width="stretch")

    scenarios: dict[str, dict[str, Any]] = st.session_state.setdefault("whatif_scenarios", {})
    s_name, s_button = st.columns([3, 1], vertical_alignment="bottom")
    name = s_name.text_input(t("whatif.save_name", lang), value=t("whatif.default_name", lang, k=len(scenarios) + 1),
                             key=f"whatif_name_{lang}").strip()
    if s_button.button(t("whatif.save", lang), type="primary", key="whatif_save", disabled=not name):
        total = sum(points.values())
        scenarios[name] = {
            "criterion_weights": {c: points[c] / total for c in criterion_keys}, "alpha": alpha, "rho": rho,
            "spearman": comparison.spearman, "kendall": comparison.kendall, "kept": comparison.kept,
            "top_n": comparison.top_n, "top": list(comparison.new_rank.index[comparison.new_rank <= top_n]),
            "as_of": as_of, "branches": branches,
        }
        st.toast(t("whatif.saved", lang, name=name))

    st.subheader(t("whatif.compare", lang))
    if not scenarios:
        st.caption(t("whatif.compare_none", lang))
        return
    st.dataframe(scenarios_table(scenarios, criterion_keys, lang), hide_index=True, width="stretch")
    if len(scenarios) > 1:
        st.markdown(f"**{t('whatif.overlap', lang)}**")
        tops = {n: set(s["top"]) for n, s in scenarios.items()}
        overlap = pd.DataFrame([[len(tops[a] & tops[b]) for b in tops] for a in tops], index=list(tops),
                               columns=list(tops))
        st.dataframe(overlap, width="stretch")
    doomed = st.multiselect(t("whatif.delete", lang), list(scenarios), key="whatif_delete_pick")
    if doomed and st.button(t("whatif.delete", lang), key="whatif_delete"):
        for n in doomed:
            scenarios.pop(n, None)
        st.rerun(scope="fragment")


tune()
