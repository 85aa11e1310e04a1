"""Five-level class migration (issue #5 item 10): the migration matrix between two chosen
snapshots (by loans or by balance), the average one-month transition matrix over the
months between them, and a run-off projection of the end snapshot with a stress factor,
on the book this session analyses.

A thin page: widgets and layout here; the numbers come from riskcore.migration (DuckDB),
the figures and labels from riskview.migration_view.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_pages.common import (
    CHART_ARGS,
    book_cache,
    book_choices,
    book_data,
    book_source_caption,
    current_book_key,
    widget_key,
)
from riskcore.migration import (
    CLASS_STATES,
    MigrationMatrix,
    TransitionMatrix,
    average_one_month_matrix,
    class_distribution,
    migration_matrix,
    npl_share,
    project,
)
from riskview.i18n import join_list, t
from riskview.migration_view import (
    matrix_table,
    migration_heatmap,
    projection_chart,
    projection_table,
    state_label,
    transition_heatmap,
)

TABLE_MONTHS = (0, 3, 6, 12, 18, 24, 36)

lang = st.session_state.get("lang", "zh")


@book_cache(max_entries=16)
def _matrix(book_key: str, start: str, end: str, branches: tuple[str, ...]) -> MigrationMatrix:
    return migration_matrix(book_data(book_key).loans, start, end, branches=branches)


@book_cache(max_entries=16)
def _average(book_key: str, start: str, end: str, branches: tuple[str, ...]) -> TransitionMatrix | None:
    """The average one-month matrix; None when no two snapshots are one month apart."""
    try:
        return average_one_month_matrix(book_data(book_key).loans, start, end, branches=branches)
    except ValueError:
        return None


@book_cache(max_entries=16)
def _distribution(book_key: str, as_of: str, branches: tuple[str, ...]) -> pd.DataFrame:
    return class_distribution(book_data(book_key).loans, as_of, branches=branches)


st.title(t("mig.title", lang))
st.caption(t("mig.intro", lang))

book_key = current_book_key()
dates, branch_names = book_choices(book_key)
st.caption(book_source_caption(book_key, lang))
if len(dates) < 2:
    st.info(t("mig.one_snapshot", lang))
    st.stop()

c_start, c_end, c_branch, c_by = st.columns([1, 1, 3, 1.4], vertical_alignment="bottom")
# Default: a year back from the latest month-end (or the earliest one) to the latest.
default_start = min(12, len(dates) - 1)
start = c_start.selectbox(t("mig.start", lang), dates, index=default_start, key=widget_key("mig_start", book_key))
end = c_end.selectbox(t("mig.end", lang), dates, index=0, key=widget_key("mig_end", book_key))
selected = c_branch.multiselect(
    t("mig.branches", lang), list(branch_names), default=list(branch_names), format_func=branch_names.__getitem__,
    key=widget_key("mig_branches", book_key),
)
by = c_by.segmented_control(t("mig.by", lang), ("count", "balance"), default="count", required=True,
                            format_func=lambda k: t(f"mig.by.{k}", lang), key="mig_by")
if not selected:
    st.warning(t("mig.no_branch", lang))
    st.stop()
if pd.Timestamp(start) >= pd.Timestamp(end):
    st.warning(t("mig.order", lang))
    st.stop()
branches = tuple(sorted(selected))

try:
    matrix = _matrix(book_key, start, end, branches)
except ValueError:  # no loans of these branches at a date, or missing / repeated loan ids
    st.warning(t("mig.error", lang))
    st.stop()

# --- the matrix between the two snapshots -------------------------------------------------------
population = matrix.population(by)
k1, k2, k3, k4 = st.columns(4)
fmt = (lambda v: f"{v:,.0f}") if by == "count" else (lambda v: t("unit.wan", lang, value=f"{v / 1e4:,.0f}"))
start_total = float(population.loc[list(CLASS_STATES)].sum())
left = float(matrix.table(by)["left"].sum())
downgraded = sum(float(matrix.table(by).loc[a, b]) for a in CLASS_STATES for b in CLASS_STATES if int(b) > int(a))
k1.metric(t("mig.kpi.start", lang, date=start), fmt(start_total), border=True)
k2.metric(t("mig.kpi.downgraded", lang), fmt(downgraded),
          delta=f"{downgraded / start_total:.2%}" if start_total > 0 else None, delta_color="off", border=True)
k3.metric(t("mig.kpi.left", lang), fmt(left),
          delta=f"{left / start_total:.2%}" if start_total > 0 else None, delta_color="off", border=True)
k4.metric(t("mig.kpi.new", lang, date=end), fmt(float(population.loc["new"])), border=True,
          help=t("mig.kpi.new_help", lang) if by == "balance" else None)

st.plotly_chart(migration_heatmap(matrix, by, lang), **CHART_ARGS)
st.caption(t("mig.matrix_note.count" if by == "count" else "mig.matrix_note.balance", lang))
table = matrix_table(matrix, by, lang)
number = st.column_config.NumberColumn(format="%d" if by == "count" else "accounting")
st.dataframe(table, hide_index=True, width="stretch", key="mig_table",
             column_config={c: number for c in table.columns[1:]})

# --- average one-month matrix and projection ----------------------------------------------------
st.subheader(t("mig.avg", lang))
average = _average(book_key, start, end, branches)
if average is None:
    st.info(t("mig.avg_none", lang))
    st.stop()
st.plotly_chart(transition_heatmap(average, lang), **CHART_ARGS)
st.caption(t("mig.avg_note", lang, n=len(average.pairs), first=average.pairs[0][0].strftime("%Y-%m"),
             last=average.pairs[-1][1].strftime("%Y-%m")))
if average.unobserved:
    st.caption(t("mig.avg_unobserved", lang,
                 classes=join_list((state_label(s, lang) for s in average.unobserved), lang)))

st.subheader(t("mig.projection", lang))
p_stress, p_months = st.columns(2)
stress = float(p_stress.slider(t("mig.stress", lang), 0.5, 3.0, 1.0, 0.1, key="mig_stress",
                               help=t("mig.stress_help", lang)))
months = int(p_months.slider(t("mig.months", lang), 1, 36, 12, 1, key="mig_months"))
column = "n_loans" if by == "count" else "balance"
start_mix = _distribution(book_key, end, branches)[column]
projection = project(start_mix, average, months, stress=stress)
share = npl_share(projection)
st.plotly_chart(projection_chart(projection, share, by, lang, stress=stress), **CHART_ARGS)
st.caption(t("mig.projection_note", lang, date=end, stress=f"{stress:.1f}"))
shown = projection_table(projection, share, by, lang, tuple(m for m in TABLE_MONTHS if m <= months))
amount = st.column_config.NumberColumn(format="%.0f" if by == "count" else "accounting")
st.dataframe(shown, hide_index=True, width="stretch", key="mig_projection_table",
             column_config={t("mig.col.month", lang): st.column_config.NumberColumn(format="%d")}
             | {c: amount for c in shown.columns[1:-1]})
