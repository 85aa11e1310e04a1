"""Entropy weights (issue #4 item 3): per indicator at one month-end, and over time.

A thin page: widgets and layout here; the numbers come from riskcore
(``build_indicator_matrix`` → ``entropy_weights``; ``entropy_over_time`` for the
dynamic evaluation), the tables, texts and figures from riskview.
"""

from __future__ import annotations

import streamlit as st

from app_pages.common import (
    CHART_ARGS,
    book_choices,
    book_matrix,
    book_source_caption,
    book_weights_over_time,
    current_book_key,
    is_sample,
    widget_key,
)
from riskcore.weights.entropy import entropy_weights
from riskview.entropy_view import (
    constant_over_time_note,
    drift_table,
    entropy_table,
    highlighted,
    snapshot_label,
    top_indicator,
    zero_weight_notes,
)
from riskview.figures import criterion_totals_over_time, loading_figure, weight_bar, weights_over_time
from riskview.i18n import code_label, format_percent, indicator_label, t

TOP_K_MAX = 10
VIEWS = ("indicator", "criterion")

lang = st.session_state.get("lang", "zh")

st.title(t("entropy.title", lang))
st.caption(t("entropy.intro", lang))
controls = st.container()
# The chart beside the key figures and the zero-weight explanation; the table below at
# full width, where all nine columns fit without scrolling sideways.
left, right = st.columns([3, 2], gap="large")
weights_slot = left.empty()
# An empty chart frame first, so the browser loads Plotly's JavaScript while the matrix
# is built (as on the ranking page).
weights_slot.plotly_chart(loading_figure(lang, height=700), **CHART_ARGS)

book_key = current_book_key()
dates, branch_names = book_choices(book_key)

c_date, c_branch = controls.columns([1, 4], vertical_alignment="bottom")
as_of = c_date.selectbox(t("entropy.snapshot", lang), dates, index=0, key=widget_key("entropy_snapshot", book_key))
selected = c_branch.multiselect(
    t("entropy.branches", lang), list(branch_names), default=list(branch_names),
    format_func=branch_names.__getitem__, key=widget_key("entropy_branches", book_key),
)


def _halt(message: str) -> None:
    weights_slot.empty()
    st.warning(message)
    st.stop()


if not selected:
    _halt(t("entropy.no_branch", lang))
branches = tuple(sorted(selected))
matrix = book_matrix(book_key, as_of, branches)
if len(matrix.values) < 2:
    _halt(t("entropy.too_few", lang, n=len(matrix.values)))
try:
    result = entropy_weights(matrix.values, matrix.directions)
except ValueError:
    _halt(t("entropy.undefined", lang))

# --- one month-end ---------------------------------------------------------------------
weights = result.weights
top_key, top_weight = top_indicator(result)
top_name = indicator_label(top_key, lang)
k1, k2 = right.columns(2)
k3, k4 = right.columns(2)
k1.metric(t("kpi.borrowers", lang), f"{result.n_rows:,}", border=True)
k2.metric(
    t("kpi.indicators", lang), f"{int((weights > 0).sum())} / {len(weights)}",
    help=t("kpi.indicators_help", lang), border=True,
)
k3.metric(
    t("entropy.kpi.top", lang), format_percent(top_weight, 1), delta=top_name, delta_color="off",
    delta_arrow="off", help=t("entropy.kpi.top_help", lang), border=True,
)
k4.metric(
    t("entropy.kpi.entropy_range", lang), f"{result.entropy.min():.4f}",
    delta=t("entropy.kpi.entropy_to", lang, high=f"{result.entropy.max():.4f}"), delta_color="off",
    delta_arrow="off", help=t("entropy.kpi.entropy_range_help", lang), border=True,
)
weights_slot.plotly_chart(weight_bar(weights, matrix.criteria, lang), **CHART_ARGS)

right.subheader(t("entropy.zero.title", lang))
notes = zero_weight_notes(result, matrix.values, matrix.missing, lang)
if notes:
    right.warning("\n".join(f"- {note}" for note in notes))
else:
    right.success(t("entropy.zero.none", lang, m=len(weights)))
right.caption(t("entropy.zero.why", lang))
right.caption(t("entropy.methods", lang, method=result.method) + " " + book_source_caption(book_key, lang))

table = entropy_table(result, matrix.criteria, matrix.directions, matrix.missing,
                      matrix.policies if len(matrix.policies) else matrix.policy, lang)
st.subheader(t("entropy.table.title", lang))
st.caption(t("entropy.table.note", lang))
st.dataframe(
    table,
    hide_index=True,
    width="stretch",
    height=38 + 35 * len(table),
    column_config={
        t("entropy.col.rank", lang): st.column_config.NumberColumn(
            format="%d", width=56, help=t("entropy.help.rank", lang)),
        t("entropy.col.indicator", lang): st.column_config.TextColumn(width=260),
        t("entropy.col.criterion", lang): st.column_config.TextColumn(width=150),
        t("entropy.col.direction", lang): st.column_config.TextColumn(
            width=96, help=t("entropy.help.direction", lang)),
        t("entropy.col.weight", lang): st.column_config.NumberColumn(
            format="%.2f", width=84, help=t("entropy.help.weight", lang)),
        t("entropy.col.entropy", lang): st.column_config.NumberColumn(
            format="%.4f", width=88, help=t("entropy.help.entropy", lang)),
        t("entropy.col.divergence", lang): st.column_config.NumberColumn(
            format="%.4f", width=100, help=t("entropy.help.divergence", lang)),
        t("entropy.col.imputed", lang): st.column_config.NumberColumn(
            format="%d", width=80, help=t("entropy.help.imputed", lang)),
        t("entropy.col.policy", lang): st.column_config.TextColumn(width=120),
    },
)
st.caption(t("entropy.policy.note", lang, policy=code_label("policy", matrix.policy, lang)))

# --- over time ------------------------------------------------------------------------
st.subheader(t("entropy.time.title", lang))
st.caption(t("entropy.time.intro", lang, n=len(dates)))
progress_slot = st.empty()


def _progress(i: int, n: int, date: object) -> None:
    progress_slot.progress(i / n, text=t("entropy.time.progress", lang, i=i + 1, n=n, date=snapshot_label(date)))


try:
    path, seconds = book_weights_over_time(book_key, branches, _progress)
except ValueError:
    progress_slot.empty()
    st.warning(t("entropy.time.undefined", lang))
    st.stop()
progress_slot.empty()

t_view, t_k, t_extra = st.columns([1.7, 1.6, 2.7], vertical_alignment="bottom")
view = t_view.segmented_control(
    t("entropy.time.view", lang), VIEWS, format_func=lambda v: t(f"entropy.time.view.{v}", lang),
    default="indicator", required=True, key="entropy_view",
)
top_k = t_k.slider(
    t("entropy.time.top_k", lang), min_value=1, max_value=TOP_K_MAX, value=5,
    help=t("entropy.time.top_k_help", lang), key="entropy_top_k", disabled=view != "indicator",
)
extra = t_extra.multiselect(
    t("entropy.time.extra", lang), list(path.weights.columns), default=[],
    format_func=lambda k: indicator_label(str(k), lang), help=t("entropy.time.extra_help", lang),
    placeholder=t("entropy.time.extra_placeholder", lang), key="entropy_extra", disabled=view != "indicator",
)
if view == "criterion":
    figure = criterion_totals_over_time(path.totals(matrix.criteria), lang, selected=as_of)
else:
    figure = weights_over_time(path.weights, lang, highlight=highlighted(path, top_k, extra), selected=as_of)
st.plotly_chart(figure, **CHART_ARGS)
note = constant_over_time_note(path, lang)
if note:
    st.caption(note)
st.caption(t("entropy.time.timing" if is_sample(book_key) else "entropy.time.timing_session", lang,
             n=len(path.weights), seconds=f"{seconds:.1f}"))

first, last = snapshot_label(path.weights.index[0]), snapshot_label(path.weights.index[-1])
st.subheader(t("entropy.drift.title", lang))
st.caption(t("entropy.drift.note", lang, start=first, end=last))
drift = drift_table(path, matrix.criteria, lang, top=8)
st.dataframe(
    drift,
    hide_index=True,
    width="stretch",
    column_config={
        t("entropy.col.indicator", lang): st.column_config.TextColumn(width=250),
        t("entropy.col.criterion", lang): st.column_config.TextColumn(width=140),
        t("entropy.col.weight_at", lang, date=first): st.column_config.NumberColumn(format="%.2f", width=150),
        t("entropy.col.weight_at", lang, date=last): st.column_config.NumberColumn(format="%.2f", width=150),
        t("entropy.col.change", lang): st.column_config.NumberColumn(
            format="%+.2f", width=100, help=t("entropy.help.change", lang)),
        t("entropy.col.rank_at", lang, date=first): st.column_config.NumberColumn(format="%d", width=106),
        t("entropy.col.rank_at", lang, date=last): st.column_config.NumberColumn(format="%d", width=106),
    },
)
