"""Labels, tables and figures of the migration page, in Chinese or English. Pure (no
Streamlit): the numbers come from :mod:`riskcore.migration`.

Class colours and order are the house ones (:data:`riskview.theme.CLASS_COLORS`).
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from riskcore.migration import CLASS_STATES, MigrationMatrix, TransitionMatrix
from riskview.i18n import class_label, t
from riskview.theme import CLASS_COLORS, MUTED_COLOR, OTHER_COLOR, house_template

__all__ = ["matrix_table", "migration_heatmap", "projection_chart", "projection_table", "state_label",
           "transition_heatmap"]

_SCALE: Final = [[0.0, "#F4F6F8"], [0.02, "#DCE6F0"], [0.25, "#8FB0D3"], [1.0, "#1F5A96"]]
_LEFT_COLOR: Final = OTHER_COLOR


def state_label(state: str, lang: str) -> str:
    """A matrix state in words: a class name, "new" or "left"."""
    if state in CLASS_STATES:
        return class_label(int(state), lang)
    return t(f"mig.state.{state}", lang)


def _cell(value: float, by: str) -> str:
    return f"{value:,.0f}" if by == "count" else f"{value / 1e4:,.0f}"


def matrix_table(matrix: MigrationMatrix, by: str, lang: str) -> pd.DataFrame:
    """The matrix as shown: rows from-states, columns to-states and the row total (loans,
    or balance in 万元), labelled in words."""
    table = matrix.table(by).astype("float64")
    if by == "balance":
        table = table / 1e4
    out = pd.DataFrame({state_label(c, lang): table[c].to_numpy() for c in table.columns})
    out[t("mig.col.total", lang)] = table.sum(axis=1).to_numpy()
    out.insert(0, t("mig.col.from", lang), [state_label(s, lang) for s in table.index])
    if by == "count":
        out = out.astype({c: "int64" for c in out.columns[1:]})
    return out


def migration_heatmap(matrix: MigrationMatrix, by: str, lang: str, *, height: int = 460) -> go.Figure:
    """Heatmap of a migration matrix: colour = the row share, text = the cell (loans, or
    balance in 万元) and its share; "—" for a row nobody was in."""
    table = matrix.table(by).astype("float64")
    rates = matrix.rates(by)
    shares = rates.astype("float64").fillna(0.0).to_numpy()
    text = [[("—" if pd.isna(rates.iloc[i, j]) else f"{_cell(table.iloc[i, j], by)}<br>{rates.iloc[i, j]:.1%}")
             for j in range(table.shape[1])] for i in range(table.shape[0])]
    x = [state_label(s, lang) for s in table.columns]
    y = [state_label(s, lang) for s in table.index]
    fig = go.Figure(go.Heatmap(
        z=shares.tolist(), x=x, y=y, text=text, texttemplate="%{text}", colorscale=_SCALE, zmin=0, zmax=1,
        customdata=table.to_numpy().tolist(), meta=by, xgap=2, ygap=2,
        colorbar={"title": {"text": t("mig.chart.share", lang)}, "tickformat": ".0%"},
        hovertemplate="%{y} → %{x}: %{text}<extra></extra>",
    ))
    unit = t("mig.unit.count" if by == "count" else "mig.unit.balance", lang)
    fig.update_layout(
        template=house_template(), height=height, margin={"t": 150},  # room for the axis on top
        title={"text": t("mig.chart.matrix.title", lang, start=matrix.start.strftime("%Y-%m-%d"),
                         end=matrix.end.strftime("%Y-%m-%d")),
               "subtitle": {"text": t("mig.chart.matrix.note", lang, unit=unit)}},
        xaxis={"title": {"text": t("mig.chart.to", lang, date=matrix.end.strftime("%Y-%m-%d"))}, "side": "top",
               "showgrid": False},
        yaxis={"title": {"text": t("mig.chart.from", lang, date=matrix.start.strftime("%Y-%m-%d"))},
               "autorange": "reversed", "showgrid": False},
    )
    return fig


def transition_heatmap(matrix: TransitionMatrix, lang: str, *, height: int = 420) -> go.Figure:
    """Heatmap of the average one-month transition probabilities (classes 1-5 → 1-5 and left)."""
    probs = matrix.probabilities.loc[list(CLASS_STATES)]
    values = probs.to_numpy(dtype=np.float64)
    text = [[f"{v:.2%}" for v in row] for row in values]
    fig = go.Figure(go.Heatmap(
        z=values.tolist(), x=[state_label(s, lang) for s in probs.columns],
        y=[state_label(s, lang) for s in probs.index], text=text, texttemplate="%{text}", colorscale=_SCALE,
        zmin=0, zmax=1, xgap=2, ygap=2, colorbar={"title": {"text": t("mig.chart.share", lang)}, "tickformat": ".0%"},
        hovertemplate="%{y} → %{x}: %{text}<extra></extra>",
    ))
    fig.update_layout(
        template=house_template(), height=height, margin={"t": 150},  # room for the axis on top
        title={"text": t("mig.chart.avg.title", lang),
               "subtitle": {"text": t("mig.chart.avg.note", lang, n=len(matrix.pairs))}},
        xaxis={"title": {"text": t("mig.chart.avg.to", lang)}, "side": "top", "showgrid": False},
        yaxis={"title": {"text": t("mig.chart.avg.from", lang)}, "autorange": "reversed", "showgrid": False},
    )
    return fig


def projection_chart(projection: pd.DataFrame, share: pd.Series, by: str, lang: str, *, stress: float,
                     height: int = 460) -> go.Figure:
    """Stacked areas of the projected loans (or balance in 万元) per class and left, and the
    NPL share of what is still on the book (line, right axis). Traces carry ``meta`` = the
    state, or ``"npl_share"``."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    months = projection.index.tolist()
    scale = 1.0 if by == "count" else 1e-4
    for state in projection.columns:
        color = CLASS_COLORS[int(state)] if state in CLASS_STATES else _LEFT_COLOR
        fig.add_scatter(x=months, y=(projection[state] * scale).tolist(), mode="lines", stackgroup="book",
                        name=state_label(state, lang), meta=state, line={"color": color, "width": 0.5},
                        fillcolor=color, hovertemplate="%{x}: %{y:,.0f}<extra>%{fullData.name}</extra>")
    defined = share.dropna()
    fig.add_scatter(x=defined.index.tolist(), y=defined.astype("float64").tolist(), mode="lines+markers",
                    name=t("mig.chart.npl_share", lang), meta="npl_share", line={"color": "#1F2933", "width": 3},
                    marker={"size": 4}, hovertemplate="%{x}: %{y:.2%}<extra>%{fullData.name}</extra>",
                    secondary_y=True)
    unit = t("mig.unit.count" if by == "count" else "mig.unit.balance", lang)
    fig.update_layout(
        template=house_template(), height=height, margin={"t": 96}, hovermode="x unified",
        title={"text": t("mig.chart.projection.title", lang, stress=f"{stress:.1f}"),
               "subtitle": {"text": t("mig.chart.projection.note", lang, unit=unit)}},
        legend={"orientation": "h", "x": 0, "xanchor": "left", "y": -0.2, "yanchor": "top"},
        xaxis={"title": {"text": t("mig.chart.projection.x", lang)}, "showgrid": False},
    )
    fig.update_yaxes(title_text=unit, tickformat=",.0f", showgrid=True, rangemode="tozero", secondary_y=False)
    fig.update_yaxes(title_text=t("mig.chart.npl_share", lang), tickformat=".1%", rangemode="tozero",
                     showgrid=False, secondary_y=True, color=MUTED_COLOR)
    return fig


def projection_table(projection: pd.DataFrame, share: pd.Series, by: str, lang: str,
                     months: tuple[int, ...]) -> pd.DataFrame:
    """Some months of a projection as shown: one row per month, states in words (loans, or
    balance in 万元), and the NPL share as text ("—" once nothing is left)."""
    rows = [m for m in months if m in projection.index]
    part = projection.loc[rows] * (1.0 if by == "count" else 1e-4)
    out = pd.DataFrame({t("mig.col.month", lang): rows})
    for state in projection.columns:
        out[state_label(state, lang)] = part[state].to_numpy()
    out[t("mig.chart.npl_share", lang)] = ["—" if pd.isna(share.loc[m]) else f"{float(share.loc[m]):.2%}"
                                           for m in rows]
    return out
