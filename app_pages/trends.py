"""NPL trends (issue #5 items 3 and 4): NPL ratio and balance by month for the book and by
a dimension, year-on-year growth, a drill-down branch → industry → borrowers, vintage
curves and roll rates, on the book this session analyses.

A thin page: widgets and layout here; the numbers come from riskcore.trends (per-snapshot
aggregates computed once per book in DuckDB, then small queries), the figures and labels
from riskview.trends_view.
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
from riskcore.trends import (
    SnapshotAggregates,
    aggregate_book,
    borrower_drill,
    npl_trend,
    roll_forward_rates,
    roll_rates,
    vintage_curves,
    yoy_growth,
)
from riskview.i18n import format_amount, format_percent, join_list, t
from riskview.trends_view import (
    BY_OPTIONS,
    borrower_table,
    group_label,
    npl_facets,
    npl_lines,
    npl_overview,
    roll_chart,
    vintage_chart,
    yoy_bars,
)

FACETS_MAX = 12
YOY_BARS_MAX = 15
BORROWERS_MAX = 100

lang = st.session_state.get("lang", "zh")


# The aggregates are computed once per book; the sample's are shared by every session, a
# session's own book's stay in that session (book_cache, see app_pages/common.py).
@book_cache(max_entries=4)
def _aggregates(book_key: str) -> SnapshotAggregates:
    return aggregate_book(book_data(book_key).loans)


@book_cache(max_entries=8)
def _vintage(book_key: str, branches: tuple[str, ...]) -> pd.DataFrame:
    return vintage_curves(book_data(book_key).loans, branches=branches)


@book_cache(max_entries=8)
def _rolls(book_key: str, branches: tuple[str, ...]) -> pd.DataFrame:
    return roll_rates(book_data(book_key).loans, branches=branches)


@book_cache(max_entries=16)
def _drill(book_key: str, as_of: str, branch: str, industry: str) -> pd.DataFrame:
    return borrower_drill(book_data(book_key).loans, as_of, branches=[branch], industry=industry)


st.title(t("trend.title", lang))
st.caption(t("trend.intro", lang))

book_key = current_book_key()
dates, branch_names = book_choices(book_key)
agg = _aggregates(book_key)
st.caption(book_source_caption(book_key, lang))

c_branch, c_by, c_metric = st.columns([3, 1.4, 1.4], vertical_alignment="bottom")
selected = c_branch.multiselect(
    t("trend.branches", lang), list(branch_names), default=list(branch_names), format_func=branch_names.__getitem__,
    key=widget_key("trend_branches", book_key),
)
by = c_by.selectbox(t("trend.by", lang), BY_OPTIONS, format_func=lambda k: t(f"trend.by.{k}", lang), key="trend_by")
metric = c_metric.segmented_control(
    t("trend.metric", lang), ("npl_ratio", "npl_balance"), default="npl_ratio", required=True,
    format_func=lambda k: t(f"trend.metric.{k}", lang), key="trend_metric",
)
if not selected:
    st.warning(t("trend.no_branch", lang))
    st.stop()
branches = tuple(sorted(selected))

# --- the book: KPIs and the overview ------------------------------------------------------
book = npl_trend(agg, None, branches=branches)
growth = yoy_growth(agg, None, branches=branches)
latest = book.iloc[-1]
k1, k2, k3, k4 = st.columns(4)
delta = None
if len(book) > 1 and pd.notna(latest["npl_ratio"]) and pd.notna(book["npl_ratio"].iloc[-2]):
    delta = t("trend.kpi.delta", lang, pp=f"{(latest['npl_ratio'] - book['npl_ratio'].iloc[-2]) * 100:+.2f}")
k1.metric(t("trend.kpi.npl_ratio", lang, date=latest["as_of"].strftime("%Y-%m-%d")),
          format_percent(None if pd.isna(latest["npl_ratio"]) else float(latest["npl_ratio"])),
          delta=delta, delta_color="inverse", border=True, help=t("trend.kpi.npl_ratio_help", lang))
k2.metric(t("trend.kpi.npl_balance", lang), format_amount(float(latest["npl_balance"]), lang), border=True)
last_growth = growth.iloc[-1] if len(growth) else None


def _growth(column: str) -> str:
    if last_growth is None or pd.isna(last_growth[column]):
        return "—"
    return f"{float(last_growth[column]):+.2%}"


growth_help = (t("trend.kpi.growth_help", lang, prior=last_growth["prior_as_of"].strftime("%Y-%m-%d"))
               if last_growth is not None else t("trend.kpi.growth_none", lang))
k3.metric(t("trend.kpi.loan_growth", lang), _growth("loan_growth"), border=True, help=growth_help)
k4.metric(t("trend.kpi.npl_growth", lang), _growth("npl_growth"), border=True, help=growth_help)

st.plotly_chart(npl_overview(book, lang), **CHART_ARGS)
if book["undefined_reason"].notna().any():
    st.caption(t("trend.undefined", lang))

# --- by dimension: small multiples -------------------------------------------------------
st.subheader(t("trend.facets", lang, by=t(f"trend.by.{by}", lang)))
by_trend = npl_trend(agg, by, branches=branches)
groups = agg.groups(by, branches=branches)
shown_groups = groups[:FACETS_MAX]
st.plotly_chart(npl_facets(by_trend, by, lang, metric=metric, groups=shown_groups, branch_names=branch_names),
                **CHART_ARGS)
if len(groups) > len(shown_groups):
    st.caption(t("trend.facets_top", lang, k=len(shown_groups), n=len(groups)))

# --- year on year ---------------------------------------------------------------------------
st.subheader(t("trend.yoy", lang))
if growth.empty:
    st.info(t("trend.yoy_none", lang))
else:
    yoy_dates = [d.strftime("%Y-%m-%d") for d in sorted(growth["as_of"].unique(), reverse=True)]
    yoy_date = st.selectbox(t("trend.yoy_date", lang), yoy_dates, key=widget_key("trend_yoy_date", book_key))
    when = pd.Timestamp(yoy_date)
    by_growth = yoy_growth(agg, by, branches=branches)
    at = pd.concat([growth.loc[growth["as_of"] == when], by_growth.loc[by_growth["as_of"] == when]],
                   ignore_index=True)
    order = ["all"] + [g for g in groups if g in set(by_growth["group"])][:YOY_BARS_MAX]
    st.plotly_chart(yoy_bars(at.drop_duplicates("group"), by, lang, groups=order, branch_names=branch_names),
                    **CHART_ARGS)
    undefined = at.loc[at["group"].isin(order) & (at["loan_growth"].isna() | at["npl_growth"].isna()), "group"]
    if len(undefined):
        names = [group_label(by, g, lang, branch_names) for g in undefined]
        st.caption(t("trend.yoy_undefined", lang, groups=join_list(names, lang)))

# --- drill-down: branch → industry → borrowers -----------------------------------------------
st.subheader(t("trend.drill", lang))
d_branch, d_industry = st.columns(2, vertical_alignment="bottom")
branch = d_branch.selectbox(t("trend.drill.branch", lang), list(branches), format_func=branch_names.__getitem__,
                            key=widget_key("trend_drill_branch", book_key))
industry_trend = npl_trend(agg, "industry", branches=[branch])
latest_date = industry_trend["as_of"].max()
industries = [g for g in agg.groups("industry", branches=[branch])
              if ((industry_trend["group"] == g) & (industry_trend["as_of"] == latest_date)).any()]
st.plotly_chart(npl_lines(industry_trend, "industry", lang, groups=agg.groups("industry", branches=[branch]),
                          title=t("trend.chart.drill.title", lang, branch=branch_names.get(branch, branch))),
                **CHART_ARGS)
if industries:
    industry = d_industry.selectbox(t("trend.drill.industry", lang), industries,
                                    format_func=lambda g: group_label("industry", g, lang),
                                    key=widget_key("trend_drill_industry", book_key))
    as_of = latest_date.strftime("%Y-%m-%d")
    drill = _drill(book_key, as_of, branch, industry)
    shown = drill.head(BORROWERS_MAX)
    st.caption(t("trend.drill.caption", lang, n=f"{len(drill):,}", k=f"{len(shown):,}", date=as_of,
                 branch=branch_names.get(branch, branch), industry=group_label("industry", industry, lang)))
    table = borrower_table(shown, lang)
    st.dataframe(
        table, hide_index=True, width="stretch", height=min(38 + 35 * len(table), 520), key="trend_drill_table",
        column_config={
            t("col.balance", lang): st.column_config.NumberColumn(format="accounting"),
            t("trend.col.npl_balance", lang): st.column_config.NumberColumn(format="accounting"),
            t("trend.col.dpd", lang): st.column_config.NumberColumn(format="%d"),
        },
    )

# --- vintage curves and roll rates -------------------------------------------------------------
st.subheader(t("trend.vintage", lang))
vintage = _vintage(book_key, branches)
if vintage.empty:
    st.info(t("trend.vintage_none", lang))
else:
    st.plotly_chart(vintage_chart(vintage, lang), **CHART_ARGS)
    st.caption(t("trend.vintage_note", lang))

st.subheader(t("trend.roll", lang))
rolls = _rolls(book_key, branches)
if rolls.empty:
    st.info(t("trend.roll_none", lang))
else:
    weight = st.segmented_control(t("trend.roll_weight", lang), ("balance", "count"), default="balance",
                                  required=True, format_func=lambda k: t(f"trend.roll_weight.{k}", lang),
                                  key="trend_roll_weight")
    st.plotly_chart(roll_chart(roll_forward_rates(rolls, weight=weight), lang), **CHART_ARGS)
    st.caption(t("trend.roll_note", lang))
