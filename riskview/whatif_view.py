"""Tables and figures of the what-if page, in Chinese or English. Pure (no Streamlit)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from riskcore.ranking import RATING_BANDS
from riskcore.whatif import RankComparison
from riskview.i18n import criterion_label, t
from riskview.theme import BAND_COLORS, CRITERION_ORDER, MUTED_COLOR, house_template

__all__ = [
    "band_figure",
    "criterion_figure",
    "top_table",
    "movers_table",
    "borrower_names",
    "scenarios_table",
    "format_correlation",
]

_SCENARIO_COLOR = "#c0392b"


def format_correlation(value: float | None) -> str:
    """A rank correlation to 3 decimals; "—" when undefined (constant grades)."""
    return "—" if value is None else f"{value:.3f}"


def band_figure(base: pd.Series, scenario: pd.Series, lang: str) -> go.Figure:
    """Borrowers per rating band, baseline against scenario (same fixed cut-offs)."""
    order = list(RATING_BANDS)
    base_counts = base.value_counts().reindex(order, fill_value=0)
    new_counts = scenario.value_counts().reindex(order, fill_value=0)
    labels = list(order)  # short ticks; the axis title says which end is risky
    fig = go.Figure()
    fig.add_bar(x=labels, y=base_counts.tolist(), name=t("whatif.baseline", lang), marker_color=MUTED_COLOR)
    fig.add_bar(x=labels, y=new_counts.tolist(), name=t("whatif.scenario", lang),
                marker_color=[BAND_COLORS.get(b, _SCENARIO_COLOR) for b in order])
    fig.update_layout(
        template=house_template(), barmode="group", height=360,
        title=t("whatif.chart.bands", lang), yaxis_title=t("whatif.axis.borrowers", lang),
        xaxis_title=t("whatif.axis.bands", lang),
        # Above the plot: below it the legend sat on the axis title.
        legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 1.0, "xanchor": "right"},
    )
    return fig


def criterion_figure(base: pd.Series, scenario: pd.Series, lang: str) -> go.Figure:
    """Criterion weights, baseline against scenario, as horizontal bars (percent)."""
    order = [c for c in CRITERION_ORDER if c in base.index] + [c for c in base.index if c not in CRITERION_ORDER]
    labels = [criterion_label(c, lang) for c in order]
    fig = go.Figure()
    fig.add_bar(orientation="h", y=labels, x=(base.reindex(order) * 100).round(1).tolist(),
                name=t("whatif.baseline", lang), marker_color=MUTED_COLOR)
    fig.add_bar(orientation="h", y=labels, x=(scenario.reindex(order).fillna(0.0) * 100).round(1).tolist(),
                name=t("whatif.scenario", lang), marker_color=_SCENARIO_COLOR)
    fig.update_layout(
        template=house_template(), barmode="group", height=360, title=t("whatif.chart.criteria", lang),
        xaxis_title=t("whatif.axis.weight_pct", lang), yaxis={"autorange": "reversed"},
        legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 1.0, "xanchor": "right"},
    )
    return fig


def borrower_names(borrowers: pd.DataFrame) -> pd.Series:
    """Borrower id → name, for the tables (the id itself when the name is missing)."""
    names = borrowers.get("borrower_name")
    if names is None:
        return pd.Series(borrowers.index.astype(str), index=borrowers.index)
    return names.astype("str").where(names.notna(), borrowers.index.astype(str))


def top_table(
    grades: pd.Series, comparison: RankComparison, bands: pd.Series, names: pd.Series, top_n: int, lang: str
) -> pd.DataFrame:
    """The scenario's ``top_n`` riskiest: rank, borrower, grade, band, rank before, change."""
    ranks = comparison.new_rank
    top = ranks[ranks <= top_n].sort_values(kind="stable")
    ids = top.index
    change = (comparison.base_rank.reindex(ids) - top).to_numpy()
    return pd.DataFrame({
        t("col.risk_rank", lang): top.to_numpy(),
        t("col.borrower_id", lang): ids.astype(str),
        t("col.borrower_name", lang): names.reindex(ids).fillna("").to_numpy(),
        t("col.grade", lang): grades.reindex(ids).to_numpy(),
        t("col.rating_band", lang): bands.reindex(ids).to_numpy(),
        t("whatif.col.base_rank", lang): comparison.base_rank.reindex(ids).to_numpy(),
        t("whatif.col.change", lang): change,
    })


def movers_table(comparison: RankComparison, names: pd.Series, lang: str) -> pd.DataFrame:
    """Borrowers whose risk rank moved most (positive change = riskier in the scenario)."""
    m = comparison.movers
    return pd.DataFrame({
        t("col.borrower_id", lang): m.index.astype(str),
        t("col.borrower_name", lang): names.reindex(m.index).fillna("").to_numpy(),
        t("whatif.col.base_rank", lang): m["base_rank"].to_numpy(),
        t("whatif.col.new_rank", lang): m["new_rank"].to_numpy(),
        t("whatif.col.change", lang): m["change"].to_numpy(),
    })


def scenarios_table(
    scenarios: Mapping[str, Mapping[str, Any]], criteria: Sequence[str], lang: str
) -> pd.DataFrame:
    """Saved scenarios side by side: one column per scenario; rows = criterion weights (%),
    α, ρ, Spearman and Kendall against the baseline and the top-N kept.

    Each scenario maps ``criterion_weights`` (criterion → share), ``alpha``, ``rho``,
    ``spearman``, ``kendall``, ``kept`` and ``top_n``.
    """
    rows: dict[str, list[str]] = {}
    for c in criteria:
        rows[criterion_label(c, lang)] = [f"{100 * float(s['criterion_weights'].get(c, 0.0)):.1f}%"
                                          for s in scenarios.values()]
    rows["α"] = [f"{float(s['alpha']):.2f}" for s in scenarios.values()]
    rows["ρ"] = [f"{float(s['rho']):.2f}" for s in scenarios.values()]
    rows[t("whatif.spearman", lang)] = [format_correlation(s["spearman"]) for s in scenarios.values()]
    rows[t("whatif.kendall", lang)] = [format_correlation(s["kendall"]) for s in scenarios.values()]
    rows[t("whatif.kept_row", lang)] = [f"{s['kept']} / {s['top_n']}" for s in scenarios.values()]
    table = pd.DataFrame(rows, index=list(scenarios)).T
    table.index.name = t("whatif.item", lang)
    return table.reset_index()
