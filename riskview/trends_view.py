"""Labels, tables and figures of the NPL trends page, in Chinese or English. Pure (no
Streamlit): the numbers come from :mod:`riskcore.trends`.

Undefined ratios (``<NA>`` in riskcore's nullable columns) are never drawn as a point and
never shown as NaN: a chart leaves the point out, a table shows "—".
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Final

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from riskcore.trends import BOOK_GROUP, DPD_BUCKETS
from riskview.i18n import class_label, industry_label, t
from riskview.theme import MUTED_COLOR, house_template

__all__ = [
    "BY_OPTIONS", "borrower_table", "bucket_label", "group_label", "npl_facets", "npl_lines", "npl_overview", "roll_chart",
    "vintage_chart", "yoy_bars",
]

BY_OPTIONS: Final[tuple[str, ...]] = (
    "branch_id", "industry", "product", "guarantee_type", "region_code", "account_manager",
)
"""Dimensions the page offers, in menu order (message ids ``trend.by.<key>``)."""

_LINE_COLORS: Final = (
    "#1F5A96", "#C8553D", "#2A9D8F", "#D9A441", "#8E6BB8", "#5B8E3E", "#D46A9F", "#3D8BD9", "#8C5A3C",
    "#2F3E4E", "#7A9E9F", "#B5651D",
)
_BALANCE_COLOR: Final = "#A9B8C9"
_NPL_COLOR: Final = "#C0392B"
_RATIO_COLOR: Final = "#1F2933"
_GUARANTEES: Final = ("credit", "guarantee", "mortgage", "pledge", "mixed")


def group_label(by: str | None, value: str, lang: str, branch_names: Mapping[str, str] | None = None) -> str:
    """A group as users read it: branch name, industry section name, guarantee type in
    words; ``"all"`` the whole book; ``""`` "not given"."""
    if by is None or (by == "branch_id" and value == BOOK_GROUP):
        return t("trend.group.all", lang)
    if value == "":
        return t("trend.value.none", lang)
    if by == "branch_id":
        return (branch_names or {}).get(value, value)
    if by == "industry":
        return industry_label(value, value, lang)
    if by == "guarantee_type" and value in _GUARANTEES:
        return t(f"trend.guarantee.{value}", lang)
    return value


def _x(dates: Sequence[Any]) -> list[str]:
    return [pd.Timestamp(d).strftime("%Y-%m-%d") for d in dates]


def _defined(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """Rows whose ``column`` is defined (an undefined ratio is left out, never NaN)."""
    return frame.loc[frame[column].notna()]


def _date_axis(lang: str) -> dict[str, Any]:
    return {"title": {"text": t("trend.chart.x", lang)}, "type": "date", "tickformat": "%Y-%m", "showgrid": False}


def npl_overview(trend: pd.DataFrame, lang: str, *, height: int = 440) -> go.Figure:
    """Balance and NPL balance (bars, 万元) and the NPL ratio (line, right axis) by month,
    from a whole-book :func:`riskcore.trends.npl_trend`."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    x = _x(trend["as_of"])
    fig.add_bar(x=x, y=(trend["balance"] / 1e4).tolist(), name=t("trend.chart.balance", lang), meta="balance",
                marker_color=_BALANCE_COLOR, hovertemplate="%{x|%Y-%m}: %{y:,.0f}<extra>%{fullData.name}</extra>")
    fig.add_bar(x=x, y=(trend["npl_balance"] / 1e4).tolist(), name=t("trend.chart.npl_balance", lang),
                meta="npl_balance", marker_color=_NPL_COLOR,
                hovertemplate="%{x|%Y-%m}: %{y:,.0f}<extra>%{fullData.name}</extra>")
    ratio = _defined(trend, "npl_ratio")
    fig.add_scatter(x=_x(ratio["as_of"]), y=ratio["npl_ratio"].astype("float64").tolist(), mode="lines+markers",
                    name=t("trend.chart.npl_ratio", lang), meta="npl_ratio", line={"color": _RATIO_COLOR, "width": 3},
                    hovertemplate="%{x|%Y-%m}: %{y:.2%}<extra>%{fullData.name}</extra>", secondary_y=True)
    fig.update_layout(
        template=house_template(), height=height, barmode="overlay", bargap=0.2,
        title={"text": t("trend.chart.overview.title", lang), "subtitle": {"text": t("trend.chart.overview.note", lang)}},
        margin={"t": 96}, hovermode="x unified",
        legend={"orientation": "h", "x": 0, "xanchor": "left", "y": -0.18, "yanchor": "top"},
        xaxis=_date_axis(lang),
    )
    fig.update_yaxes(title_text=t("trend.chart.amount_y", lang), tickformat=",.0f", showgrid=True,
                     rangemode="tozero", secondary_y=False)
    fig.update_yaxes(title_text=t("trend.chart.npl_ratio", lang), tickformat=".1%", rangemode="tozero",
                     showgrid=False, secondary_y=True)
    return fig


def npl_facets(
    trend: pd.DataFrame, by: str, lang: str, *, metric: str = "npl_ratio", groups: Sequence[str] | None = None,
    branch_names: Mapping[str, str] | None = None, columns: int = 4,
) -> go.Figure:
    """Small multiples: one panel per group (``groups``, in that order) with its NPL ratio
    (``metric="npl_ratio"``) or NPL balance in 万元 (``"npl_balance"``) by month, on a
    shared y-axis. Traces carry ``meta`` = the group value."""
    order = list(groups) if groups is not None else list(pd.unique(trend["group"]))
    rows = max(1, math.ceil(len(order) / columns))
    titles = [group_label(by, g, lang, branch_names) for g in order]
    fig = make_subplots(rows=rows, cols=columns, shared_xaxes=True, shared_yaxes=True, subplot_titles=titles,
                        vertical_spacing=0.5 / rows if rows > 1 else 0.1, horizontal_spacing=0.03)
    ratio = metric == "npl_ratio"
    for i, group in enumerate(order):
        part = trend.loc[trend["group"] == group]
        part = _defined(part, "npl_ratio") if ratio else part
        y = part["npl_ratio"].astype("float64").tolist() if ratio else (part["npl_balance"] / 1e4).tolist()
        fig.add_scatter(
            x=_x(part["as_of"]), y=y, mode="lines", name=titles[i], meta=group, showlegend=False,
            line={"color": _LINE_COLORS[i % len(_LINE_COLORS)], "width": 2},
            hovertemplate="%{x|%Y-%m}: " + ("%{y:.2%}" if ratio else "%{y:,.0f}") + "<extra>%{fullData.name}</extra>",
            row=i // columns + 1, col=i % columns + 1,
        )
    title = t("trend.chart.facets.ratio" if ratio else "trend.chart.facets.balance", lang,
              by=t(f"trend.by.{by}", lang))
    fig.update_layout(template=house_template(), height=90 + 190 * rows, title={"text": title},
                      margin={"t": 80}, hovermode="closest")
    fig.update_xaxes(type="date", tickformat="%y-%m", showgrid=False, nticks=4)
    fig.update_yaxes(tickformat=".1%" if ratio else ",.0f", showgrid=True, rangemode="tozero")
    fig.update_annotations(font={"size": 13})
    return fig


def npl_lines(
    trend: pd.DataFrame, by: str, lang: str, *, title: str, groups: Sequence[str] | None = None,
    branch_names: Mapping[str, str] | None = None, height: int = 440,
) -> go.Figure:
    """NPL ratio by month, one line per group (e.g. the industries within one branch);
    traces carry ``meta`` = the group value."""
    order = list(groups) if groups is not None else list(pd.unique(trend["group"]))
    fig = go.Figure()
    for i, group in enumerate(order):
        part = _defined(trend.loc[trend["group"] == group], "npl_ratio")
        fig.add_scatter(x=_x(part["as_of"]), y=part["npl_ratio"].astype("float64").tolist(), mode="lines",
                        name=group_label(by, group, lang, branch_names), meta=group,
                        line={"color": _LINE_COLORS[i % len(_LINE_COLORS)], "width": 2},
                        hovertemplate="%{x|%Y-%m}: %{y:.2%}<extra>%{fullData.name}</extra>")
    fig.update_layout(
        template=house_template(), height=height, title={"text": title}, margin={"t": 70}, hovermode="closest",
        legend={"orientation": "v", "x": 1.02, "xanchor": "left", "y": 1, "yanchor": "top"},
        xaxis=_date_axis(lang),
        yaxis={"title": {"text": t("trend.chart.npl_ratio", lang)}, "tickformat": ".1%", "showgrid": True,
               "rangemode": "tozero"},
    )
    return fig


def _signed(value: float) -> str:
    return f"{value:+.2%}"


def yoy_bars(
    yoy: pd.DataFrame, by: str | None, lang: str, *, groups: Sequence[str] | None = None,
    branch_names: Mapping[str, str] | None = None, height: int = 420,
) -> go.Figure:
    """Loan growth against NPL growth year on year, per group, at one snapshot (``yoy``:
    the rows of :func:`riskcore.trends.yoy_growth` for that date). An undefined growth
    (nothing a year ago) has no bar; the group's label says "—". Traces carry ``meta``
    ``"loan_growth"`` / ``"npl_growth"`` and ``customdata`` the group values."""
    order = list(groups) if groups is not None else list(yoy["group"])
    rows = yoy.set_index("group").reindex(order)
    fig = go.Figure()
    for column, color, key in (("loan_growth", "#1F5A96", "trend.chart.loan_growth"),
                               ("npl_growth", _NPL_COLOR, "trend.chart.npl_growth")):
        part = rows.loc[rows[column].notna()]
        values = part[column].astype("float64")
        fig.add_bar(x=[group_label(by, g, lang, branch_names) for g in part.index], y=values.tolist(),
                    name=t(key, lang), meta=column, customdata=list(part.index), marker_color=color,
                    text=[_signed(v) for v in values], textposition="outside", cliponaxis=False,
                    hovertemplate="%{x}: %{y:+.2%}<extra>%{fullData.name}</extra>")
    when = pd.Timestamp(yoy["as_of"].iloc[0]) if len(yoy) else None
    prior = pd.Timestamp(yoy["prior_as_of"].iloc[0]) if len(yoy) else None
    fig.update_layout(
        template=house_template(), height=height, barmode="group", bargap=0.25, margin={"t": 96},
        title={"text": t("trend.chart.yoy.title", lang),
               "subtitle": {"text": t("trend.chart.yoy.note", lang,
                                      date=when.strftime("%Y-%m-%d") if when is not None else "—",
                                      prior=prior.strftime("%Y-%m-%d") if prior is not None else "—")}},
        legend={"orientation": "h", "x": 0, "xanchor": "left", "y": -0.2, "yanchor": "top"},
        xaxis={"title": {"text": ""}, "categoryorder": "array",
               "categoryarray": [group_label(by, g, lang, branch_names) for g in order]},
        yaxis={"title": {"text": t("trend.chart.growth_y", lang)}, "tickformat": ".0%", "showgrid": True,
               "zeroline": True},
        uniformtext={"minsize": 10, "mode": "show"},
    )
    return fig


def vintage_chart(vintage: pd.DataFrame, lang: str, *, height: int = 440) -> go.Figure:
    """Cumulative default rate by months on book, one line per origination quarter
    (traces carry ``meta`` = the cohort)."""
    fig = go.Figure()
    for i, (cohort, part) in enumerate(vintage.groupby("cohort", sort=True)):
        fig.add_scatter(x=part["mob"].tolist(), y=part["default_rate"].astype("float64").tolist(),
                        mode="lines+markers", name=str(cohort), meta=str(cohort), marker={"size": 4},
                        customdata=part[["defaults", "n_loans"]].to_numpy().tolist(),
                        line={"color": _LINE_COLORS[i % len(_LINE_COLORS)], "width": 2},
                        hovertemplate="MOB %{x}: %{y:.2%} (%{customdata[0]:,} / %{customdata[1]:,})"
                        "<extra>%{fullData.name}</extra>")
    fig.update_layout(
        template=house_template(), height=height, margin={"t": 96}, hovermode="closest",
        title={"text": t("trend.chart.vintage.title", lang), "subtitle": {"text": t("trend.chart.vintage.note", lang)}},
        legend={"title": {"text": t("trend.chart.vintage.legend", lang)}, "orientation": "v", "x": 1.02,
                "xanchor": "left", "y": 1, "yanchor": "top"},
        xaxis={"title": {"text": t("trend.chart.vintage.x", lang)}, "showgrid": False, "dtick": 3},
        yaxis={"title": {"text": t("trend.chart.vintage.y", lang)}, "tickformat": ".1%", "showgrid": True,
               "rangemode": "tozero"},
    )
    return fig


def roll_chart(forward: pd.DataFrame, lang: str, *, height: int = 420) -> go.Figure:
    """Roll-forward rates by month, one line per DPD bucket (``meta`` = the bucket)."""
    fig = go.Figure()
    for i, bucket in enumerate(DPD_BUCKETS[:-1]):
        part = _defined(forward.loc[forward["from_bucket"] == bucket], "rate")
        fig.add_scatter(x=_x(part["end"]), y=part["rate"].astype("float64").tolist(), mode="lines+markers",
                        name=t("trend.roll.from", lang, bucket=bucket_label(bucket, lang)), meta=bucket,
                        marker={"size": 4}, line={"color": _LINE_COLORS[i], "width": 2},
                        hovertemplate="%{x|%Y-%m}: %{y:.1%}<extra>%{fullData.name}</extra>")
    fig.update_layout(
        template=house_template(), height=height, margin={"t": 96}, hovermode="closest",
        title={"text": t("trend.chart.roll.title", lang), "subtitle": {"text": t("trend.chart.roll.note", lang)}},
        legend={"orientation": "h", "x": 0, "xanchor": "left", "y": -0.2, "yanchor": "top"},
        xaxis=_date_axis(lang),
        yaxis={"title": {"text": t("trend.chart.roll.y", lang)}, "tickformat": ".0%", "showgrid": True,
               "rangemode": "tozero"},
    )
    fig.add_annotation(text=t("trend.chart.roll.zero_axis", lang), xref="paper", yref="paper", x=1, y=1.02,
                       xanchor="right", yanchor="bottom", showarrow=False, font={"size": 12, "color": MUTED_COLOR})
    return fig


def bucket_label(bucket: str, lang: str) -> str:
    """A DPD bucket as read: "DPD 0", "DPD 1-30" … ("逾期 1-30 天")."""
    if bucket == DPD_BUCKETS[0]:
        return t("trend.bucket.current", lang)
    return t("trend.bucket", lang, days=bucket)


def borrower_table(drill: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The drill-down borrowers as shown: balance and NPL balance in 万元, class in words."""
    return pd.DataFrame({
        t("col.borrower_id", lang): drill["borrower_id"].astype("str").to_numpy(),
        t("col.borrower_name", lang): drill["borrower_name"].astype("str").to_numpy(),
        t("trend.col.loans", lang): drill["n_loans"].astype("int64").to_numpy(),
        t("col.balance", lang): (drill["balance"] / 1e4).to_numpy(),
        t("trend.col.npl_balance", lang): (drill["npl_balance"] / 1e4).to_numpy(),
        t("trend.col.class", lang): [class_label(c, lang) for c in drill["final_class"]],
        t("trend.col.dpd", lang): drill["dpd"].astype("int64").to_numpy(),
    })
