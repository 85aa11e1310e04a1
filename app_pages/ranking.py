"""Borrower risk ranking: entropy weights + grey relational analysis on the sample book.

A thin page: widgets and layout here; the numbers come from riskcore
(``build_indicator_matrix`` → ``rank_book``), the figures and labels from riskview.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_pages.common import CHART_ARGS, sample_book, sample_choices, sample_fingerprint, sample_matrix
from riskcore.portfolio import BookSummary, book_summary
from riskcore.ranking import BookRanking, KeyRiskFactors, key_risk_factors, rank_book
from riskcore.weights.combine import combine_weights
from riskview.figures import factor_degree_bar, grade_histogram, loading_figure, weight_bar
from riskview.i18n import code_label, format_amount, format_percent, indicator_label, join_list, ranking_display, t

TOP_N_CHOICES = (20, 50, 100, 200)

lang = st.session_state.get("lang", "zh")
_book, _choices, _matrix, _fingerprint = sample_book, sample_choices, sample_matrix, sample_fingerprint


@st.cache_data(show_spinner=False, max_entries=32)
def _ranking(fingerprint: str, as_of: str, branches: tuple[str, ...], rho: float) -> BookRanking:
    return rank_book(_matrix(fingerprint, as_of, branches), rho=rho)


# Rankings with a session's own (AHP or combined) weights stay in that session's cache.
@st.cache_data(show_spinner=False, max_entries=8, scope="session")
def _weighted_ranking(fingerprint: str, as_of: str, branches: tuple[str, ...], rho: float,
                      weights: tuple[tuple[str, float], ...]) -> BookRanking:
    chosen = pd.Series(dict(weights), dtype="float64")
    return rank_book(_matrix(fingerprint, as_of, branches), rho=rho, weights=chosen / chosen.sum())


@st.cache_data(show_spinner=False, max_entries=16)
def _factors(fingerprint: str, as_of: str, branches: tuple[str, ...], rho: float) -> KeyRiskFactors | None:
    """Indicators against the default flag; None when nothing in the selection defaulted."""
    ranking = _ranking(fingerprint, as_of, branches, rho)
    try:
        return key_risk_factors(ranking.grey, _matrix(fingerprint, as_of, branches).borrowers["default_flag"], rho=rho)
    except ValueError:
        return None


@st.cache_data(show_spinner=False, max_entries=16)
def _summary(fingerprint: str, as_of: str, branches: tuple[str, ...]) -> BookSummary:
    return book_summary(_book(fingerprint).loans, as_of, branches=branches)


st.title(t("rank.title", lang))
st.caption(t("rank.intro", lang))
controls, kpis, notes = st.container(), st.container(), st.container()
left, right = st.columns([5, 4], gap="large")
weights_slot, grades_slot = left.empty(), right.empty()
# Empty chart frames first, so the browser fetches and parses Plotly's JavaScript
# (~2 s on 2 cores) while the book is loaded and ranked below, not after.
weights_slot.plotly_chart(loading_figure(lang, height=700), **CHART_ARGS)
grades_slot.plotly_chart(loading_figure(lang, height=460), **CHART_ARGS)


def _halt(message: str) -> None:
    weights_slot.empty()
    grades_slot.empty()
    notes.warning(message)
    st.stop()


fingerprint = _fingerprint()
dates, branch_names = _choices(fingerprint)

c_date, c_branch, c_rho = controls.columns([1, 3, 1.4], vertical_alignment="bottom")
as_of = c_date.selectbox(t("rank.snapshot", lang), dates, index=0, key="rank_snapshot")
selected = c_branch.multiselect(
    t("rank.branches", lang), list(branch_names), default=list(branch_names),
    format_func=branch_names.__getitem__, key="rank_branches",
)
rho = c_rho.slider(
    t("rank.rho", lang), min_value=0.1, max_value=1.0, value=0.5, step=0.05,
    help=t("rank.rho_help", lang), key="rank_rho",
)
rho = round(float(rho), 2)

if not selected:
    _halt(t("rank.no_branch", lang))
branches = tuple(sorted(selected))
matrix = _matrix(fingerprint, as_of, branches)
if len(matrix.values) < 2:
    _halt(t("rank.too_few", lang, n=len(matrix.values)))
ahp = st.session_state.get("ahp_global_weights")
if ahp is None:
    controls.caption(t("rank.weighting_none", lang))
    ranking = _ranking(fingerprint, as_of, branches, rho)
else:
    c_source, c_alpha = controls.columns([2, 3], vertical_alignment="bottom")
    source = c_source.segmented_control(
        t("rank.weighting", lang), ("entropy", "ahp", "combined"), default="entropy", required=True,
        format_func=lambda k: t(f"rank.weighting.{k}", lang), key="rank_weighting",
    )
    alpha = 0.5
    if source == "combined":
        alpha = float(c_alpha.slider(t("whatif.alpha", lang), 0.0, 1.0, 0.5, 0.05, key="rank_alpha",
                                     help=t("whatif.alpha_help", lang)))
    base = _ranking(fingerprint, as_of, branches, rho)
    if source == "entropy":
        ranking = base
    else:
        entropy_w = base.entropy.weights
        subjective = ahp.reindex(entropy_w.index).fillna(0.0)
        chosen = subjective if source == "ahp" else combine_weights(subjective / subjective.sum(), entropy_w,
                                                                     alpha=alpha)
        ranking = _weighted_ranking(fingerprint, as_of, branches, rho,
                                    tuple((str(k), float(v)) for k, v in chosen.items()))
weights = ranking.grey.weights
summary = _summary(fingerprint, as_of, branches)

k1, k2, k3, k4 = kpis.columns(4)
k1.metric(t("kpi.borrowers", lang), f"{len(ranking.table):,}", border=True)
k2.metric(t("kpi.balance", lang), format_amount(summary.balance, lang), border=True)
k3.metric(
    t("kpi.indicators", lang), f"{int((weights > 0).sum())} / {len(weights)}",
    help=t("kpi.indicators_help", lang), border=True,
)
k4.metric(t("kpi.npl_share", lang), format_percent(summary.npl_ratio), help=t("kpi.npl_help", lang), border=True)

if ranking.entropy.constant_columns:
    names = join_list((indicator_label(str(k), lang) for k in ranking.entropy.constant_columns), lang)
    notes.info(t("rank.constant", lang, names=names))
imputed = matrix.missing[matrix.missing > 0]
if len(imputed):
    items = join_list((f"{indicator_label(str(k), lang)} {int(n)}" for k, n in imputed.items()), lang)
    notes.caption(t("rank.missing", lang, policy=code_label("policy", matrix.policy, lang), items=items))

weights_slot.plotly_chart(weight_bar(weights, matrix.criteria, lang), **CHART_ARGS)
bands = ranking.table.set_index("borrower_id")["rating_band"]
grades_slot.plotly_chart(grade_histogram(ranking.grey.grades, lang, bands=bands), **CHART_ARGS)
right.caption(t("rank.methods", lang, method=ranking.entropy.method, rho=f"{rho:.2f}"))
right.caption(t("rank.source", lang))

h_title, h_top = st.columns([4, 1], vertical_alignment="bottom")
top_n = h_top.selectbox(t("rank.top_n", lang), TOP_N_CHOICES, index=1, key="rank_top_n")
h_title.subheader(t("rank.table_title", lang, n=min(top_n, len(ranking.table))))
st.caption(t("rank.table_note", lang))
table = ranking_display(ranking.table, lang, top_n=top_n)
st.dataframe(
    table,
    hide_index=True,
    width="stretch",
    height=min(38 + 35 * len(table), 640),
    column_config={
        t("col.risk_rank", lang): st.column_config.NumberColumn(format="%d", width=64),
        t("col.borrower_id", lang): st.column_config.TextColumn(width=84),
        t("col.borrower_name", lang): st.column_config.TextColumn(width=210),
        t("col.branch_name", lang): st.column_config.TextColumn(width=92),
        t("col.industry", lang): st.column_config.TextColumn(width=120),
        t("col.balance", lang): st.column_config.NumberColumn(format="accounting", width=100),
        t("col.worst_class", lang): st.column_config.TextColumn(width=112),
        t("col.grade", lang): st.column_config.NumberColumn(format="%.4f", width=80),
        t("col.rating_band", lang): st.column_config.TextColumn(width=44),
    },
)

st.subheader(t("rank.factors", lang))
st.caption(t("rank.factors_note", lang))
factors = _factors(fingerprint, as_of, branches, rho)
if factors is None:
    st.info(t("rank.factors_none", lang))
else:
    st.plotly_chart(factor_degree_bar(factors.result.degrees, matrix.criteria, lang), **CHART_ARGS)
    if factors.excluded:
        st.caption(t("rank.factors_excluded", lang,
                     names=join_list((indicator_label(k, lang) for k in factors.excluded), lang)))
