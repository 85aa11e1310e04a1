"""Validation & sensitivity: does the entropy-weighted grey relational grade at a snapshot
rank the borrowers who became non-performing within the next 12 months as riskier, and
how much does the ranking move when the weights are redrawn?

A thin page: widgets and layout here; the numbers come from riskcore
(``default_within``, ``validate_score``, ``auc``, ``psi``, ``weight_monte_carlo``,
``tornado``), the figures and formatted tables from riskview.validation_view.
"""

from __future__ import annotations


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
    widget_key,
)
from riskcore.ranking import BookRanking, rank_book
from riskcore.sensitivity import WeightSensitivity, tornado, weight_monte_carlo
from riskcore.validation import (
    PsiResult,
    ValidationReport,
    auc,
    default_within,
    psi,
    validate_score,
)
from riskcore.weights.combine import combine_weights
from riskview.i18n import t
from riskview.validation_view import (
    ALPHAS,
    Outcome,
    alpha_auc_display,
    band_rate_bar,
    best_alpha,
    cap_figure,
    default_snapshot,
    fmt,
    indicator_auc_display,
    indicator_aucs,
    monotonic_text,
    monte_carlo_display,
    roc_figure,
    tornado_display,
)

RHO = 0.5
MONTHS = 12
DRAWS = 1000

lang = st.session_state.get("lang", "zh")


@book_cache(max_entries=16)
def _ranking(book_key: str, as_of: str, branches: tuple[str, ...]) -> BookRanking:
    return rank_book(book_matrix(book_key, as_of, branches), rho=RHO)


@book_cache(max_entries=16)
def _outcome(book_key: str, as_of: str, branches: tuple[str, ...]) -> Outcome:
    loans = book_data(book_key).loans
    mine = loans[loans["branch_id"].astype(str).isin(branches)]
    try:
        y = default_within(mine, as_of, MONTHS)
    except ValueError:
        return Outcome(None, None, None, 0, error="no_later")
    grades = _ranking(book_key, as_of, branches).grey.grades
    y = y[y.index.isin(grades.index)]
    return Outcome(y, y.attrs.get("window_end"), y.attrs.get("observed_until"), int(y.attrs.get("excluded_npl", 0)))


@book_cache(max_entries=16)
def _report(book_key: str, as_of: str, branches: tuple[str, ...]) -> tuple[ValidationReport, pd.DataFrame]:
    y = _outcome(book_key, as_of, branches).default
    assert y is not None
    grades = _ranking(book_key, as_of, branches).grey.grades.reindex(y.index)
    report = validate_score(grades, y, higher_is_riskier=False)
    matrix = book_matrix(book_key, as_of, branches)
    return report, indicator_aucs(matrix.values.reindex(y.index), matrix.directions, y)


@book_cache(max_entries=16)
def _psi(book_key: str, as_of: str, latest: str, branches: tuple[str, ...]) -> PsiResult:
    base = _ranking(book_key, as_of, branches).grey.grades
    now = _ranking(book_key, latest, branches).grey.grades
    return psi(base, now)


st.title(t("val.title", lang))
st.caption(t("val.intro", lang))

book_key = current_book_key()
dates, branch_names = book_choices(book_key)
default_date, full_window = default_snapshot(dates, MONTHS)
c_date, c_branch = st.columns([1, 3], vertical_alignment="bottom")
as_of = c_date.selectbox(t("val.snapshot", lang), dates, index=dates.index(default_date),
                         help=t("val.snapshot_help", lang), key=widget_key("val_snapshot", book_key))
selected = c_branch.multiselect(
    t("val.branches", lang), list(branch_names), default=list(branch_names),
    format_func=branch_names.__getitem__, key=widget_key("val_branches", book_key),
)
if not full_window:
    st.warning(t("val.short_default", lang, months=MONTHS))
if not selected:
    st.warning(t("val.no_branch", lang))
    st.stop()
branches = tuple(sorted(selected))
if len(book_matrix(book_key, as_of, branches).values) < 2:
    st.warning(t("val.too_few", lang))
    st.stop()
ranking = _ranking(book_key, as_of, branches)

# --- 1. validation against the 12-month outcome -------------------------------------------
st.header(t("val.section.validation", lang))
outcome = _outcome(book_key, as_of, branches)
y = outcome.default
if y is None:
    st.info(t("val.no_later", lang, date=as_of))
elif len(y) == 0 or int(y.sum()) == 0 or int(y.sum()) == len(y):
    st.info(t("val.no_defaults" if len(y) == 0 or int(y.sum()) == 0 else "val.all_defaults", lang,
              n=f"{len(y):,}", date=as_of))
else:
    assert outcome.window_end is not None and outcome.observed_until is not None
    st.caption(t("val.outcome_note", lang, date=as_of, end=outcome.window_end.strftime("%Y-%m-%d"),
                 excluded=f"{outcome.excluded_npl:,}"))
    if outcome.observed_until < outcome.window_end:
        st.warning(t("val.short_window", lang, until=outcome.observed_until.strftime("%Y-%m-%d"),
                     end=outcome.window_end.strftime("%Y-%m-%d")))
    report, ind_table = _report(book_key, as_of, branches)
    k = st.columns([1, 1, 1, 1.6, 1, 1])  # the CI card holds "0.572 – 0.645"
    k[0].metric(t("val.kpi.borrowers", lang), f"{report.n:,}", border=True)
    k[1].metric(t("val.kpi.defaults", lang), f"{report.defaults:,}",
                help=t("val.kpi.defaults_help", lang, rate=fmt(report.defaults / report.n, 2, percent=True)),
                border=True)
    k[2].metric(t("val.kpi.auc", lang), fmt(report.auc), help=t("val.kpi.auc_help", lang), border=True)
    k[3].metric(t("val.kpi.auc_ci", lang), f"{fmt(report.auc_ci.low)} – {fmt(report.auc_ci.high)}",
                help=t("val.kpi.auc_ci_help", lang), border=True)
    k[4].metric(t("val.kpi.gini", lang), fmt(report.gini), help=t("val.kpi.gini_help", lang), border=True)
    k[5].metric(t("val.kpi.ks", lang), fmt(report.ks.statistic), help=t("val.kpi.ks_help", lang), border=True)
    if report.auc < 0.5:
        st.warning(t("val.auc_below_half", lang))

    c_roc, c_cap = st.columns(2, gap="large")
    c_roc.plotly_chart(roc_figure(report.roc, report.auc, lang), **CHART_ARGS)
    c_cap.plotly_chart(cap_figure(report.cap, report.defaults / report.n, lang), **CHART_ARGS)

    c_band, c_ind = st.columns([4, 5], gap="large")
    c_band.plotly_chart(band_rate_bar(report.bands, lang), **CHART_ARGS)
    (c_band.success if not report.violations else c_band.warning)(monotonic_text(report.violations, lang))
    c_ind.subheader(t("val.ind.title", lang))
    c_ind.caption(t("val.ind.note", lang))
    c_ind.dataframe(indicator_auc_display(ind_table, lang), hide_index=True, width="stretch", height=420)

    # AHP weights of this session: the AUC of the AHP grade and of combinations, as a suggestion.
    ahp = st.session_state.get("ahp_global_weights")
    if ahp is not None:
        st.subheader(t("val.ahp.title", lang))
        entropy_w = ranking.entropy.weights
        subjective = pd.Series(ahp, dtype="float64").reindex(entropy_w.index).fillna(0.0)
        if subjective.sum() <= 0:
            st.info(t("val.ahp.none", lang))
        else:
            subjective = subjective / subjective.sum()
            rows = []
            for alpha in ALPHAS:
                w = combine_weights(subjective, entropy_w, alpha=alpha)
                grades = ranking.grey.regrade(w).reindex(y.index)
                rows.append((alpha, auc(grades, y, higher_is_riskier=False)))
            st.dataframe(alpha_auc_display(rows, lang), hide_index=True, width=360)
            best = best_alpha(rows)
            if best is not None:
                st.caption(t("val.ahp.best", lang, alpha=f"{best:.2f}",
                             auc=fmt(dict(rows)[best])))

    # Stability of the grade: this snapshot against the latest one.
    st.subheader(t("val.psi.title", lang))
    latest = dates[0]
    if as_of == latest:
        st.info(t("val.psi.same", lang))
    else:
        result = _psi(book_key, as_of, latest, branches)
        st.metric(t("val.psi.kpi", lang, base=as_of, latest=latest), fmt(result.value, 4),
                  help=t("val.psi.help", lang), border=True)
        st.caption(t(f"val.psi.reading.{result.reading.replace(' ', '_')}", lang))

st.caption(t("val.method_note", lang, rho=f"{RHO:.2f}") + " " + book_source_caption(book_key, lang))

# --- 2. sensitivity of the ranking to the weights -----------------------------------------
st.header(t("val.section.sensitivity", lang))
st.caption(t("val.sens.intro", lang, date=as_of))
c_conc, c_top, c_run = st.columns([3, 1.2, 1.6], vertical_alignment="bottom")
concentration = c_conc.slider(t("val.sens.concentration", lang), 50, 1000, 200, step=50,
                              help=t("val.sens.concentration_help", lang), key="val_concentration")
top_n = int(c_top.number_input(t("val.sens.top_n", lang), min_value=5, max_value=500, value=50, step=5,
                               key="val_top_n"))
params = (book_key, as_of, branches, int(concentration), top_n)
if c_run.button(t("val.sens.run", lang), key="val_run_mc", type="primary"):
    with st.spinner(t("val.sens.running", lang)):
        st.session_state["_val_mc"] = (params, weight_monte_carlo(
            ranking.grey, ranking.grey.weights, draws=DRAWS, concentration=float(concentration), top_n=top_n,
            seed=0))
kept = st.session_state.get("_val_mc")
if kept is not None and kept[0] == params:
    mc: WeightSensitivity = kept[1]
    m1, m2, m3 = st.columns(3)
    m1.metric(t("val.sens.spearman", lang), fmt(mc.mean_spearman), help=t("val.sens.spearman_help", lang),
              border=True)
    m2.metric(t("val.sens.retention", lang, n=mc.top_n), fmt(mc.top_retention, 1, percent=True),
              help=t("val.sens.retention_help", lang), border=True)
    m3.metric(t("val.sens.draws", lang), f"{mc.draws:,}", border=True)
    st.dataframe(monte_carlo_display(mc.table, ranking.table.set_index("borrower_id")["borrower_name"],
                                     mc.rank_depth, lang),
                 hide_index=True, width="stretch", height=min(38 + 35 * len(mc.table), 560))
    st.caption(t("val.sens.table_note", lang, n=mc.top_n, depth=f"{mc.rank_depth:,}"))
else:
    st.info(t("val.sens.not_run", lang))

st.subheader(t("val.tor.title", lang))
tor_params = (book_key, as_of, branches, top_n)
if st.button(t("val.tor.run", lang), key="val_run_tornado"):
    st.session_state["_val_tornado"] = (tor_params, tornado(ranking.grey, ranking.grey.weights, change=0.10,
                                                            top_n=top_n))
kept_tor = st.session_state.get("_val_tornado")
if kept_tor is not None and kept_tor[0] == tor_params:
    st.dataframe(tornado_display(kept_tor[1], lang), hide_index=True, width="stretch",
                 height=min(38 + 35 * len(kept_tor[1]), 560))
    st.caption(t("val.tor.note", lang, n=top_n))
