"""Tables and figures of the concentration page, in Chinese or English. Pure (no Streamlit).

The numbers come from :func:`riskcore.concentration.concentration_report`; an undefined
figure (None) is shown as "—", never NaN.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

import pandas as pd
import plotly.graph_objects as go

from riskcore.concentration import (
    GUARANTEE_ORDER,
    UNKNOWN,
    LimitCheck,
    ShareBreakdown,
    TopBorrowers,
    industry_section,
)
from riskview.i18n import class_label, format_amount, format_percent, industry_label, t
from riskview.theme import OTHER_COLOR, house_template

__all__ = [
    "GUARANTEE_COLORS",
    "group_label",
    "group_table",
    "guarantee_figure",
    "hhi_text",
    "limit_text",
    "net_capital_yuan",
    "share_bar",
    "top_table",
]

#: Guarantee types, fixed colours from the weakest (unsecured credit) to the strongest.
GUARANTEE_COLORS: Final = MappingProxyType({
    "credit": "#C8553D", "guarantee": "#D9A441", "mortgage": "#1F5A96", "pledge": "#2A9D8F", "mixed": "#8E6BB8",
    UNKNOWN: OTHER_COLOR,
})

#: Net-capital input units: message id of the label → CNY per unit.
NET_CAPITAL_UNITS: Final = MappingProxyType({"yi": 1e8, "wan": 1e4})

_MAX_BARS: Final = 15
_BAR_PX: Final = 28


def net_capital_yuan(amount: float | None, unit: str) -> float | None:
    """The net capital typed in 亿元 (``unit="yi"``) or 万元 (``"wan"``) in CNY; None when
    nothing (or 0) was entered."""
    if amount is None or amount <= 0:
        return None
    return float(amount) * NET_CAPITAL_UNITS[unit]


def group_label(dimension: str, code: str, lang: str) -> str:
    """A group of a breakdown as users read it: the industry section's name, the region
    code, the guarantee type's name; "unknown" for :data:`UNKNOWN`."""
    if code == UNKNOWN:
        return t("conc.unknown", lang)
    if dimension == "industry":
        return f"{code} {industry_label(code, code, lang)}"
    if dimension == "guarantee":
        return t(f"conc.guarantee.{code}", lang)
    return code


def hhi_text(breakdown: ShareBreakdown, lang: str) -> tuple[str, str]:
    """(HHI, equivalent number of groups) as shown on the cards; "—" when undefined."""
    if breakdown.hhi is None or breakdown.equivalent_groups is None:
        return "—", "—"
    return f"{breakdown.hhi:.4f}", f"{breakdown.equivalent_groups:.1f}"


def share_bar(breakdown: ShareBreakdown, lang: str, *, title: str) -> go.Figure:
    """Horizontal bars of the balance share of each group, largest on top (at most 15
    bars: the rest are added up as "other"); the subtitle gives HHI and 1/HHI."""
    table = breakdown.table
    known = table.loc[table.index != UNKNOWN]
    rest = table.loc[table.index == UNKNOWN]
    rows = [(group_label(breakdown.dimension, str(code), lang), float(row.share), float(row.balance))
            for code, row in known.head(_MAX_BARS).iterrows()]
    if len(known) > _MAX_BARS:
        tail = known.iloc[_MAX_BARS:]
        rows.append((t("conc.other", lang, n=len(tail)), float(tail["share"].sum()), float(tail["balance"].sum())))
    rows += [(t("conc.unknown", lang), float(r.share), float(r.balance)) for _, r in rest.iterrows()]
    labels = [r[0] for r in rows]
    shares = [r[1] for r in rows]
    fig = go.Figure()
    fig.add_bar(
        orientation="h", x=shares, y=labels, marker_color="#1F5A96",
        text=[f"{s:.1%}" for s in shares], textposition="outside", cliponaxis=False,
        customdata=[[format_amount(r[2], lang)] for r in rows],
        hovertemplate="%{y}<br>" + t("conc.col.share", lang) + ": %{x:.2%}<br>"
        + t("conc.col.balance", lang) + ": %{customdata[0]}<extra></extra>",
        name=t("conc.col.share", lang),
    )
    hhi, equivalent = hhi_text(breakdown, lang)
    subtitle = (t("conc.chart.hhi_note", lang, hhi=hhi, n=equivalent) if breakdown.hhi is not None
                else t(f"conc.undefined.{breakdown.undefined_reason}", lang))
    height = max(300, _BAR_PX * len(rows) + 130)
    top = max(shares) if shares else 0.0
    fig.update_layout(
        template=house_template(),
        title={"text": title, "subtitle": {"text": subtitle}},
        height=height,
        showlegend=False,
        margin={"t": 90},
        xaxis={"title": {"text": t("conc.col.share", lang)}, "tickformat": ".0%", "showgrid": True,
               "range": [0, top * 1.2 if top > 0 else 1]},
        yaxis={"title": {"text": ""}, "categoryorder": "array", "categoryarray": labels[::-1], "ticks": ""},
    )
    return fig


def guarantee_figure(breakdown: ShareBreakdown, lang: str) -> go.Figure:
    """Donut of the balance by guarantee type, types in a fixed order and colours."""
    table = breakdown.table
    codes = [c for c in (*GUARANTEE_ORDER, UNKNOWN) if c in table.index]
    fig = go.Figure()
    fig.add_pie(
        labels=[group_label("guarantee", c, lang) for c in codes],
        values=[float(table.at[c, "balance"]) for c in codes],
        marker={"colors": [GUARANTEE_COLORS[c] for c in codes]},
        hole=0.5, sort=False, direction="clockwise", textinfo="percent", textposition="inside",
        customdata=[[format_amount(float(table.at[c, "balance"]), lang)] for c in codes],
        hovertemplate="%{label}<br>%{percent}<br>%{customdata[0]}<extra></extra>",
    )
    subtitle = t("conc.chart.guarantee_note", lang) if codes else t("conc.undefined.empty_book", lang)
    fig.update_layout(
        template=house_template(),
        title={"text": t("conc.chart.guarantee", lang), "subtitle": {"text": subtitle}},
        height=400, margin={"t": 90}, legend={"orientation": "v", "x": 1.02, "y": 0.5},
    )
    return fig


def group_table(breakdown: ShareBreakdown, lang: str) -> pd.DataFrame:
    """Every group of a breakdown: balance (万元), share, loans, borrowers and NPL ratio
    (text, "—" when undefined)."""
    table = breakdown.table
    return pd.DataFrame({
        t("conc.col.group", lang): [group_label(breakdown.dimension, str(c), lang) for c in table.index],
        t("conc.col.balance_wan", lang): table["balance"].astype("float64").to_numpy() / 1e4,
        t("conc.col.share", lang): table["share"].astype("float64").to_numpy(),
        t("conc.col.loans", lang): table["loans"].astype("int64").to_numpy(),
        t("conc.col.borrowers", lang): table["borrowers"].astype("int64").to_numpy(),
        t("conc.col.npl_ratio", lang): [format_percent(r) for r in table["npl_ratio"]],
    })


def top_table(top: TopBorrowers, lang: str) -> pd.DataFrame:
    """The largest borrowers as shown: rank, id, name, industry, balance (万元), share,
    cumulative share, worst class and, when net capital was given, balance / net capital
    and whether it is within the limit."""
    table = top.table
    out = pd.DataFrame({
        t("conc.col.rank", lang): table["rank"].astype("int64").to_numpy(),
        t("conc.col.borrower_id", lang): table["borrower_id"].astype("str").to_numpy(),
        t("conc.col.borrower_name", lang): table["borrower_name"].astype("str").to_numpy(),
        t("conc.col.industry", lang): [group_label("industry", c, lang)
                                       for c in industry_section(table["industry_code"])],
        t("conc.col.balance_wan", lang): table["balance"].astype("float64").to_numpy() / 1e4,
        t("conc.col.share", lang): table["share"].astype("float64").to_numpy(),
        t("conc.col.cumulative", lang): table["cumulative_share"].astype("float64").to_numpy(),
        t("conc.col.worst_class", lang): [class_label(c, lang) for c in table["worst_class"]],
    })
    if len(table) and table["net_capital_ratio"].notna().all():
        out[t("conc.col.to_net_capital", lang)] = table["net_capital_ratio"].astype("float64").to_numpy()
        out[t("conc.col.within", lang)] = [t("conc.within.yes" if ok else "conc.within.no", lang)
                                           for ok in table["within_limit"]]
    return out


def limit_text(check: LimitCheck, lang: str) -> tuple[str, str]:
    """(the ratio as a percentage or "—", one sentence on the limit check)."""
    limit = f"{check.limit.limit:.0%}"
    if check.ratio is None or check.compliant is None or check.headroom is None or check.breaches is None:
        return "—", t(f"conc.undefined.{check.undefined_reason}", lang)
    ratio = format_percent(check.ratio)
    if check.compliant:
        return ratio, t("conc.limit.ok", lang, ratio=ratio, limit=limit,
                        headroom=format_amount(check.headroom, lang))
    return ratio, t("conc.limit.breach", lang, ratio=ratio, limit=limit, n=check.breaches,
                    excess=format_amount(-check.headroom, lang))

