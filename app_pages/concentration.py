"""Concentration (issue #5 item 5): industry and region HHI with the equivalent number of
equal groups, the ten largest borrowers' share, the largest borrower against the net
capital the user enters (single-customer limit 10 %), and the guarantee-type mix, at one
snapshot of the book this session analyses.

A thin page: riskcore.concentration computes, riskview.concentration_view words and draws.
"""

from __future__ import annotations

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
from riskcore.concentration import SINGLE_CUSTOMER_LIMIT, TOP_N, ConcentrationReport, concentration_report
from riskview.concentration_view import (
    NET_CAPITAL_UNITS,
    group_table,
    guarantee_figure,
    hhi_text,
    limit_text,
    net_capital_yuan,
    share_bar,
    top_table,
)
from riskview.i18n import format_amount, format_percent, t

lang = st.session_state.get("lang", "zh")


@book_cache(max_entries=32)
def _report(book_key: str, as_of: str, branches: tuple[str, ...], net_capital: float | None) -> ConcentrationReport:
    return concentration_report(book_data(book_key).loans, as_of, branches=list(branches), net_capital=net_capital,
                                top_n=TOP_N)


st.title(t("conc.title", lang))
st.caption(t("conc.intro", lang))
book_key = current_book_key()
st.caption(book_source_caption(book_key, lang))
dates, branch_names = book_choices(book_key)

pick_date, pick_branches = st.columns([1, 3])
as_of = pick_date.selectbox(t("conc.snapshot", lang), dates, key=widget_key("conc_snapshot", book_key))
branches = pick_branches.multiselect(
    t("conc.branches", lang), list(branch_names), default=list(branch_names),
    format_func=lambda b: f"{b} {branch_names.get(b, '')}".strip(), key=widget_key("conc_branches", book_key))
if not branches:
    st.warning(t("conc.no_branch", lang))
    st.stop()

unit_col, amount_col, _ = st.columns([1, 2, 2])
unit = unit_col.segmented_control(
    t("conc.net_capital.unit", lang), options=tuple(NET_CAPITAL_UNITS), default="yi", required=True,
    format_func=lambda u: t(f"conc.unit.{u}", lang), key="conc_unit")
amount = amount_col.number_input(
    t(f"conc.net_capital.{unit}", lang), min_value=0.0, value=None, step=1.0 if unit == "yi" else 1000.0,
    format="%.2f", placeholder=t("conc.net_capital.placeholder", lang), help=t("conc.net_capital.help", lang),
    key=f"conc_net_capital_{unit}")
net_capital = net_capital_yuan(amount, str(unit))

report = _report(book_key, as_of, tuple(branches), net_capital)
if report.undefined_reason is not None:
    st.info(t(f"conc.undefined.{report.undefined_reason}", lang))

# --- the cards -----------------------------------------------------------------------------
industry_hhi, industry_n = hhi_text(report.industry, lang)
region_hhi, region_n = hhi_text(report.region, lang)
ratio, limit_sentence = limit_text(report.single_customer, lang)
cards = st.columns(6)
cards[0].metric(t("conc.kpi.industry_hhi", lang), industry_hhi, help=t("conc.kpi.hhi_help", lang), border=True)
cards[1].metric(t("conc.kpi.industry_n", lang), industry_n, help=t("conc.kpi.n_help", lang), border=True)
cards[2].metric(t("conc.kpi.region_hhi", lang), region_hhi, help=t("conc.kpi.hhi_help", lang), border=True)
cards[3].metric(t("conc.kpi.region_n", lang), region_n, help=t("conc.kpi.n_help", lang), border=True)
cards[4].metric(t("conc.kpi.top_share", lang, n=TOP_N), format_percent(report.top.share),
                help=t("conc.kpi.top_help", lang, n=TOP_N), border=True)
cards[5].metric(t("conc.kpi.single", lang), ratio,
                help=t("conc.kpi.single_help", lang, limit=f"{SINGLE_CUSTOMER_LIMIT.limit:.0%}"), border=True)
check = report.single_customer
if check.compliant is None:
    st.info(limit_sentence)
elif check.compliant:
    st.success(limit_sentence)
else:
    st.error(limit_sentence)
st.caption(t("conc.book_line", lang, balance=format_amount(report.balance, lang), loans=f"{report.loans:,}",
             borrowers=f"{report.borrowers:,}", date=as_of))
for breakdown in (report.industry, report.region):
    if breakdown.unknown_share > 0:
        st.caption(t(f"conc.unknown_note.{breakdown.dimension}", lang, share=format_percent(breakdown.unknown_share)))

# --- where the balance sits ------------------------------------------------------------------
share_cfg = {t("conc.col.share", lang): st.column_config.NumberColumn(format="percent"),
             t("conc.col.balance_wan", lang): st.column_config.NumberColumn(format="accounting")}
left, right = st.columns(2, gap="large")
with left:
    st.plotly_chart(share_bar(report.industry, lang, title=t("conc.chart.industry", lang)), **CHART_ARGS)
    with st.expander(t("conc.table.industry", lang)):
        st.dataframe(group_table(report.industry, lang), hide_index=True, width="stretch", column_config=share_cfg)
with right:
    st.plotly_chart(share_bar(report.region, lang, title=t("conc.chart.region", lang)), **CHART_ARGS)
    with st.expander(t("conc.table.region", lang)):
        st.dataframe(group_table(report.region, lang), hide_index=True, width="stretch", column_config=share_cfg)

# --- the largest borrowers -------------------------------------------------------------------
st.subheader(t("conc.top.title", lang, n=report.top.n))
st.caption(t("conc.top.note", lang, limit=f"{SINGLE_CUSTOMER_LIMIT.limit:.0%}"))
st.dataframe(
    top_table(report.top, lang), hide_index=True, width="stretch",
    column_config={
        **share_cfg,
        t("conc.col.cumulative", lang): st.column_config.NumberColumn(format="percent"),
        t("conc.col.to_net_capital", lang): st.column_config.NumberColumn(format="percent"),
    },
)

# --- guarantee types -------------------------------------------------------------------------
mix, mix_table = st.columns([2, 3], gap="large")
with mix:
    st.plotly_chart(guarantee_figure(report.guarantee, lang), **CHART_ARGS)
with mix_table:
    st.markdown(f"**{t('conc.table.guarantee', lang)}**")
    st.dataframe(group_table(report.guarantee, lang), hide_index=True, width="stretch", column_config=share_cfg)

st.caption(t("conc.source", lang, source=SINGLE_CUSTOMER_LIMIT.source))
