"""Borrower risk ranking: entropy, AHP or combined weights + grey relational analysis on
the book this session analyses (the bundled sample or its own uploaded ledgers).

The ranked table (filtered by industry and worst class, ranks staying those of the whole
population), a drill-down into one borrower (``borrower_profile``), and the key risk
factors against the default flag and, on request, against the NPL ratio over all
month-ends (``book_risk_levels`` → ``npl_series_factors``).

A thin page: widgets and layout here; the numbers come from riskcore
(``build_indicator_matrix`` → ``rank_book``), the figures and labels from riskview.
"""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import streamlit as st

from app_pages.common import (
    CHART_ARGS,
    book_cache,
    book_choices,
    book_data,
    book_matrix,
    book_source_caption,
    current_book_key,
    is_sample,
    keep_widget,
    over_snapshots,
    restore_widget,
    widget_key,
)
from riskcore.book import LoanBook
from riskcore.indicators import IndicatorMatrix
from riskcore.portfolio import BookSummary, book_summary, npl_ratio_series
from riskcore.sample import SampleBook
from riskcore.ranking import (
    BookRanking,
    BookRiskLevels,
    KeyRiskFactors,
    book_risk_levels,
    borrower_profile,
    filter_ranking,
    key_risk_factors,
    npl_series_factors,
    rank_book,
)
from riskcore.weights.combine import combine_weights
from riskview.figures import factor_degree_bar, grade_histogram, loading_figure, weight_bar
from riskview.i18n import (
    class_label,
    code_label,
    format_amount,
    format_percent,
    indicator_label,
    join_list,
    ranking_display,
    t,
)
from riskview.ranking_view import (
    borrower_options,
    coefficient_profile,
    drill_caption,
    industry_options,
    npl_factor_lines,
    profile_display,
)

TOP_N_CHOICES = (20, 50, 100, 200)
CLASSES = (1, 2, 3, 4, 5)

lang = st.session_state.get("lang", "zh")


# Results for the bundled sample are shared by every session; those of a session's own
# book or indicator system stay in that session (book_cache, see app_pages/common.py).
@book_cache(max_entries=32)
def _ranking(book_key: str, as_of: str, branches: tuple[str, ...], rho: float) -> BookRanking:
    return rank_book(book_matrix(book_key, as_of, branches), rho=rho)


# Rankings with a session's own (AHP or combined) weights stay in that session's cache.
@st.cache_data(show_spinner=False, max_entries=8, scope="session")
def _weighted_ranking(book_key: str, as_of: str, branches: tuple[str, ...], rho: float,
                      weights: tuple[tuple[str, float], ...]) -> BookRanking:
    chosen = pd.Series(dict(weights), dtype="float64")
    return rank_book(book_matrix(book_key, as_of, branches), rho=rho, weights=chosen / chosen.sum())


@book_cache(max_entries=16)
def _factors(book_key: str, as_of: str, branches: tuple[str, ...], rho: float) -> KeyRiskFactors | None:
    """Indicators against the default flag; None when nothing in the selection defaulted."""
    ranking = _ranking(book_key, as_of, branches, rho)
    try:
        return key_risk_factors(ranking.grey, book_matrix(book_key, as_of, branches).borrowers["default_flag"],
                                rho=rho)
    except ValueError:
        return None


@book_cache(max_entries=16)
def _summary(book_key: str, as_of: str, branches: tuple[str, ...]) -> BookSummary:
    return book_summary(book_data(book_key).loans, as_of, branches=branches)


def _npl_levels(book: SampleBook | LoanBook, matrices: Iterator[IndicatorMatrix],
                branches: tuple[str, ...]) -> tuple[BookRiskLevels, pd.Series]:
    """Book-level risk levels of every indicator at every snapshot, and the NPL ratio series."""
    levels = book_risk_levels(matrices, weighting="balance")
    return levels, npl_ratio_series(book.loans, branches=branches).reindex(levels.levels.index)


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


def _number(key: str, fmt: str, width: int) -> st.column_config.NumberColumn:
    """A number column of the drill-down table, with the explanation ``drill.help.*`` of ``drill.col.*``."""
    return st.column_config.NumberColumn(format=fmt, width=width, help=t(key.replace(".col.", ".help."), lang))


book_key = current_book_key()
dates, branch_names = book_choices(book_key)

c_date, c_branch, c_rho = controls.columns([1, 3, 1.4], vertical_alignment="bottom")
as_of = c_date.selectbox(t("rank.snapshot", lang), dates, index=0, key=widget_key("rank_snapshot", book_key))
selected = c_branch.multiselect(
    t("rank.branches", lang), list(branch_names), default=list(branch_names),
    format_func=branch_names.__getitem__, key=widget_key("rank_branches", book_key),
)
rho = c_rho.slider(
    t("rank.rho", lang), min_value=0.1, max_value=1.0, value=0.5, step=0.05,
    help=t("rank.rho_help", lang), key="rank_rho",
)
rho = round(float(rho), 2)

if not selected:
    _halt(t("rank.no_branch", lang))
branches = tuple(sorted(selected))
matrix = book_matrix(book_key, as_of, branches)
if len(matrix.values) < 2:
    _halt(t("rank.too_few", lang, n=len(matrix.values)))
ahp = st.session_state.get("ahp_global_weights")
weights_title = None
weights_used = t("rank.weights_used.entropy", lang)
if ahp is None:
    controls.caption(t("rank.weighting_none", lang))
    ranking = _ranking(book_key, as_of, branches, rho)
else:
    # The choice outlives a visit to another page (Streamlit drops the state of widgets
    # that were not drawn).
    state = st.session_state
    for widget, default in (("rank_weighting", "entropy"), ("rank_alpha", 0.5)):
        restore_widget(widget)
        state.setdefault(widget, default)
    c_source, c_alpha = controls.columns([2, 3], vertical_alignment="bottom")
    source = c_source.segmented_control(
        t("rank.weighting", lang), ("entropy", "ahp", "combined"), required=True,
        format_func=lambda k: t(f"rank.weighting.{k}", lang), key="rank_weighting",
    )
    keep_widget("rank_weighting")
    alpha = float(state["rank_alpha"])
    if source == "combined":
        alpha = float(c_alpha.slider(t("whatif.alpha", lang), 0.0, 1.0, step=0.05, key="rank_alpha",
                                     help=t("whatif.alpha_help", lang)))
        keep_widget("rank_alpha")
    base = _ranking(book_key, as_of, branches, rho)
    if source == "entropy":
        ranking = base
    else:
        entropy_w = base.entropy.weights
        subjective = ahp.reindex(entropy_w.index).fillna(0.0)
        chosen = subjective if source == "ahp" else combine_weights(subjective / subjective.sum(), entropy_w,
                                                                     alpha=alpha)
        ranking = _weighted_ranking(book_key, as_of, branches, rho,
                                    tuple((str(k), float(v)) for k, v in chosen.items()))
        weights_title = t(f"chart.weights.title.{source}", lang, alpha=f"{alpha:.2f}")
        info = state.get("ahp_weights_info", {})
        experts = list(info.get("experts", []))
        ahp_source = (t("rank.ahp_source.panel", lang, n=len(experts)) if info.get("source") == "panel"
                      else t("rank.ahp_source.expert", lang, names=join_list(experts, lang)))
        weights_used = t(f"rank.weights_used.{source}", lang, source=ahp_source, alpha=f"{alpha:.2f}")
        if not info.get("consistent", True):
            notes.warning(t("rank.ahp_inconsistent", lang))
weights = ranking.grey.weights
summary = _summary(book_key, as_of, branches)

k1, k2, k3, k4 = kpis.columns(4)
k1.metric(t("kpi.borrowers", lang), f"{len(ranking.table):,}", border=True)
k2.metric(t("kpi.balance", lang), format_amount(summary.balance, lang), border=True)
k3.metric(
    t("kpi.indicators", lang), f"{int((weights > 0).sum())} / {len(weights)}",
    help=t("kpi.indicators_help", lang), border=True,
)
k4.metric(t("kpi.npl_share", lang), format_percent(summary.npl_ratio), help=t("kpi.npl_help", lang), border=True)

all_missing = [str(k) for k, n in matrix.missing.items() if int(n) >= len(matrix.values)]
constant = [str(k) for k in ranking.entropy.constant_columns if str(k) not in set(all_missing)]
if all_missing:
    notes.warning(t("rank.all_missing", lang, names=join_list((indicator_label(k, lang) for k in all_missing), lang)))
if constant:
    notes.info(t("rank.constant", lang, names=join_list((indicator_label(k, lang) for k in constant), lang)))
imputed = matrix.missing[matrix.missing > 0]
if len(imputed):
    items = join_list((f"{indicator_label(str(k), lang)} {int(n)}" for k, n in imputed.items()), lang)
    notes.caption(t("rank.missing", lang, policy=code_label("policy", matrix.policy, lang), items=items))

weights_slot.plotly_chart(weight_bar(weights, matrix.criteria, lang, title=weights_title), **CHART_ARGS)
bands = ranking.table.set_index("borrower_id")["rating_band"]
grades_slot.plotly_chart(grade_histogram(ranking.grey.grades, lang, bands=bands), **CHART_ARGS)
right.caption(weights_used + " " + t("rank.methods", lang, method=ranking.entropy.method, rho=f"{rho:.2f}"))
right.caption(book_source_caption(book_key, lang))

# --- the ranked table: filters hide rows, ranks stay those of the whole population ------
title_slot = st.empty()
industry_choices = industry_options(ranking.table, lang)
if st.session_state.get("rank_industries"):  # codes of another population drop out
    st.session_state["rank_industries"] = [c for c in st.session_state["rank_industries"] if c in industry_choices]
c_ind, c_cls, c_top = st.columns([4, 3, 1.2], vertical_alignment="bottom")
industries = c_ind.multiselect(
    t("rank.filter_industries", lang), list(industry_choices), format_func=industry_choices.__getitem__,
    placeholder=t("rank.filter_industries_placeholder", lang), help=t("rank.filter_help", lang),
    key="rank_industries",
)
classes = c_cls.multiselect(
    t("rank.filter_classes", lang), CLASSES, format_func=lambda c: class_label(c, lang),
    placeholder=t("rank.filter_classes_placeholder", lang), help=t("rank.filter_help", lang), key="rank_classes",
)
top_n = c_top.selectbox(t("rank.top_n", lang), TOP_N_CHOICES, index=1, key="rank_top_n")
filtered = filter_ranking(ranking.table, industries=industries or None, classes=classes or None)
shown = filtered.head(top_n)
population = len(ranking.table)
title_slot.subheader(t("rank.table_title", lang, n=len(shown)))

if shown.empty:
    st.info(t("rank.filter_empty", lang, m=f"{population:,}"))
else:
    st.caption(t("rank.filter_count", lang, n=f"{len(filtered):,}", m=f"{population:,}", k=f"{len(shown):,}"))
    st.caption(t("rank.table_note", lang))
    # One borrower is drilled into: a row click picks it, so does the selectbox below; when
    # the rows change (filters, top N, population) the choice stays if it is still listed.
    shown_ids = [str(b) for b in shown["borrower_id"]]
    state = st.session_state
    rows = list(state["rank_table"]["selection"]["rows"]) if "rank_table" in state else []
    clicked = rows[0] if rows and rows[0] < len(shown_ids) else None
    drill = state.get("rank_drill")
    if clicked is not None and clicked != state.get("_rank_table_seen"):
        drill = shown_ids[clicked]
    if drill not in shown_ids:
        drill = shown_ids[0]
    state["rank_drill"] = drill
    row = shown_ids.index(drill)
    if clicked != row:
        state["rank_table"] = {"selection": {"rows": [row], "columns": [], "cells": []}}
    state["_rank_table_seen"] = row

    table = ranking_display(shown, lang, top_n=None)
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        height=min(38 + 35 * len(table), 640),
        key="rank_table",
        on_select="rerun",
        selection_mode="single-row-required",
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

    # --- one borrower: every indicator against the ideal borrower --------------------------
    st.subheader(t("drill.title", lang))
    choices = borrower_options(shown)
    pick = st.selectbox(t("drill.pick", lang), list(choices), format_func=choices.__getitem__,
                        help=t("drill.pick_help", lang), key="rank_drill")
    profile = borrower_profile(ranking.grey, matrix, pick)
    d1, d2, d3, d4 = st.columns([1, 1, 0.7, 1.5])
    d1.metric(t("drill.kpi.grade", lang), f"{profile.grade:.4f}", help=t("drill.kpi.grade_help", lang), border=True)
    d2.metric(t("drill.kpi.rank", lang),
              t("drill.kpi.rank_value", lang, rank=f"{profile.risk_rank:,}", n=f"{profile.n_borrowers:,}"),
              help=t("drill.kpi.rank_help", lang), border=True)
    d3.metric(t("drill.kpi.band", lang), str(bands[pick]), help=t("drill.kpi.band_help", lang), border=True)
    d4.metric(t("drill.kpi.class", lang), class_label(profile.attributes.get("worst_class"), lang) or "—", border=True)
    st.caption(drill_caption(profile, lang))
    st.plotly_chart(coefficient_profile(profile, lang), **CHART_ARGS)

    st.dataframe(
        profile_display(profile, lang),
        hide_index=True,
        width="stretch",
        height=38 + 35 * len(profile.table),
        column_config={
            t("drill.col.indicator", lang): st.column_config.TextColumn(width=250),
            t("drill.col.value", lang): st.column_config.TextColumn(width=96, help=t("drill.help.value", lang)),
            t("drill.col.ideal", lang): st.column_config.TextColumn(width=96, help=t("drill.help.ideal", lang)),
            t("drill.col.z", lang): _number("drill.col.z", "%.3f", 80),
            t("drill.col.xi", lang): _number("drill.col.xi", "%.3f", 80),
            t("drill.col.weight", lang): st.column_config.NumberColumn(format="percent", width=90),
            t("drill.col.contribution", lang): _number("drill.col.contribution", "%.4f", 90),
            t("drill.col.shortfall", lang): _number("drill.col.shortfall", "%.4f", 90),
            t("drill.col.imputed", lang): st.column_config.CheckboxColumn(width=70, help=t("drill.help.imputed", lang)),
        },
    )
    st.caption(t("drill.table_note", lang, grade=f"{profile.grade:.4f}"))

# --- key risk factors: against the default flag, and optionally the NPL ratio over time ---
st.subheader(t("rank.factors", lang))
st.caption(t("rank.factors_note", lang))
factors = _factors(book_key, as_of, branches, rho)
if factors is None:
    st.info(t("rank.factors_none", lang))
else:
    st.plotly_chart(factor_degree_bar(factors.result.degrees, matrix.criteria, lang), **CHART_ARGS)
    if factors.excluded:
        st.caption(t("rank.factors_excluded", lang,
                     names=join_list((indicator_label(k, lang) for k in factors.excluded), lang)))

if st.toggle(t("rank.npl.toggle", lang), key="rank_npl_series", help=t("rank.npl.toggle_help", lang, n=len(dates))):
    progress_slot = st.empty()

    def _progress(i: int, n: int, date: pd.Timestamp) -> None:
        progress_slot.progress(i / n, text=t("rank.npl.progress", lang, i=i + 1, n=n,
                                             date=pd.Timestamp(date).strftime("%Y-%m-%d")))

    try:
        (levels, npl), seconds = over_snapshots(
            book_key, branches, "npl_levels", lambda book, matrices: _npl_levels(book, matrices, branches), _progress)
        npl_factors = npl_series_factors(levels.levels, npl, rho=rho)
    except ValueError:
        npl_factors = None
    progress_slot.empty()
    if npl_factors is None:
        st.info(t("rank.npl.undefined", lang))
    else:
        f_bar, f_lines = st.columns([1, 1], gap="large")
        f_bar.plotly_chart(factor_degree_bar(npl_factors.result.degrees, matrix.criteria, lang,
                                             title=t("rank.chart.npl_factors.title", lang)), **CHART_ARGS)
        f_lines.plotly_chart(npl_factor_lines(npl_factors, lang, top=3), **CHART_ARGS)
        if npl_factors.excluded:
            st.caption(t("rank.factors_excluded", lang,
                         names=join_list((indicator_label(k, lang) for k in npl_factors.excluded), lang)))
        st.caption(t("rank.npl.note", lang, n=len(npl_factors.npl_ratio), rho=f"{rho:.2f}"))
        st.caption(t("rank.npl.timing" if is_sample(book_key) else "rank.npl.timing_session", lang,
                     n=len(npl_factors.npl_ratio), seconds=f"{seconds:.1f}"))
