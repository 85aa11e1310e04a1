"""Figures and display tables of the validation & sensitivity page.

Pure functions from riskcore results (``riskcore.validation``, ``riskcore.sensitivity``)
to Plotly figures and string-formatted tables; no Streamlit here. Every number is
formatted, and an undefined one (NaN/inf) is shown as "—", never as NaN.
"""

from __future__ import annotations

from dataclasses import dataclass

import math
from collections.abc import Sequence
from typing import Any, Final

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from riskcore.validation import BANDS, auc
from riskview.i18n import indicator_label, t
from riskview.theme import (
    BAND_COLORS,
    COLORWAY,
    MUTED_COLOR,
    OTHER_COLOR,
    house_template,
)

DASH: Final = "—"
ALPHAS: Final[tuple[float, ...]] = (0.0, 0.25, 0.5, 0.75, 1.0)


def fmt(value: Any, digits: int = 3, *, percent: bool = False) -> str:
    """A number with ``digits`` decimals (or as a percentage); undefined → "—"."""
    if value is None:
        return DASH
    try:
        x = float(value)
    except (TypeError, ValueError):
        return DASH
    if not math.isfinite(x):
        return DASH
    return f"{x:.{digits}%}" if percent else f"{x:,.{digits}f}"


def default_snapshot(dates: Sequence[str], months: int = 12) -> tuple[str, bool]:
    """The latest snapshot with at least ``months`` of later snapshots, and whether the
    window is fully observed. None such: the earliest snapshot and False."""
    stamps = sorted(pd.Timestamp(d) for d in dates)
    last = stamps[-1]
    full = [d for d in stamps if d + pd.DateOffset(months=months) <= last]
    if full:
        return full[-1].strftime("%Y-%m-%d"), True
    return stamps[0].strftime("%Y-%m-%d"), False


# ============================================================================ figures


def _curve_layout(fig: go.Figure, *, title: str, x: str, y: str) -> go.Figure:
    fig.update_layout(
        template=house_template(), title=title, height=420,
        legend={"orientation": "h", "x": 0, "y": -0.2, "yanchor": "top"},
        xaxis={"title": {"text": x}, "range": [0, 1], "tickformat": ".0%", "constrain": "domain"},
        yaxis={"title": {"text": y}, "range": [0, 1.02], "tickformat": ".0%", "showgrid": True},
        margin={"b": 100},
    )
    return fig


def roc_figure(roc: pd.DataFrame, auc_value: float, lang: str) -> go.Figure:
    """ROC curve (one vertex per distinct score) with the diagonal of a random score."""
    fig = go.Figure()
    fig.add_scatter(x=[0.0, 1.0], y=[0.0, 1.0], mode="lines", name=t("val.roc.random", lang),
                    line={"color": MUTED_COLOR, "dash": "dash", "width": 1}, hoverinfo="skip")
    fig.add_scatter(
        x=roc["fpr"].astype(float).tolist(), y=roc["tpr"].astype(float).tolist(), mode="lines",
        name=t("val.roc.curve", lang, auc=fmt(auc_value)), line={"color": COLORWAY[0], "width": 2},
        hovertemplate=t("val.roc.x", lang) + ": %{x:.1%}<br>" + t("val.roc.y", lang) + ": %{y:.1%}<extra></extra>",
    )
    return _curve_layout(fig, title=t("val.roc.title", lang), x=t("val.roc.x", lang), y=t("val.roc.y", lang))


def cap_figure(cap: pd.DataFrame, default_share: float, lang: str) -> go.Figure:
    """CAP curve with the random model (diagonal) and the perfect model."""
    fig = go.Figure()
    fig.add_scatter(x=[0.0, 1.0], y=[0.0, 1.0], mode="lines", name=t("val.roc.random", lang),
                    line={"color": MUTED_COLOR, "dash": "dash", "width": 1}, hoverinfo="skip")
    share = min(max(float(default_share), 0.0), 1.0)
    fig.add_scatter(x=[0.0, share, 1.0], y=[0.0, 1.0, 1.0], mode="lines", name=t("val.cap.perfect", lang),
                    line={"color": OTHER_COLOR, "dash": "dot", "width": 1}, hoverinfo="skip")
    fig.add_scatter(
        x=cap["share_obligors"].astype(float).tolist(), y=cap["share_defaults"].astype(float).tolist(),
        mode="lines", name=t("val.cap.curve", lang), line={"color": COLORWAY[1], "width": 2},
        hovertemplate=t("val.cap.x", lang) + ": %{x:.1%}<br>" + t("val.cap.y", lang) + ": %{y:.1%}<extra></extra>",
    )
    return _curve_layout(fig, title=t("val.cap.title", lang), x=t("val.cap.x", lang), y=t("val.cap.y", lang))


def band_rate_bar(bands: pd.DataFrame, lang: str) -> go.Figure:
    """Default rate per rating band (A safest … E riskiest); empty bands are left out."""
    shown = bands[bands["n"] > 0]
    labels = [str(b) for b in shown.index]
    rates = shown["default_rate"].astype(float).fillna(0.0).tolist()
    fig = go.Figure()
    fig.add_bar(
        x=labels, y=rates, marker_color=[BAND_COLORS.get(b, OTHER_COLOR) for b in labels],
        text=[fmt(r, 1, percent=True) for r in rates], textposition="outside", cliponaxis=False,
        customdata=[[int(n), int(d)] for n, d in zip(shown["n"], shown["defaults"])],
        hovertemplate=(t("val.band.x", lang) + " %{x}<br>" + t("val.band.y", lang) + ": %{y:.2%}<br>"
                       + t("val.band.count", lang) + ": %{customdata[1]:,} / %{customdata[0]:,}<extra></extra>"),
    )
    top = max(rates) if rates else 0.0
    fig.update_layout(
        template=house_template(), title=t("val.band.title", lang), height=380, showlegend=False,
        xaxis={"title": {"text": t("val.band.x", lang)}, "categoryorder": "array", "categoryarray": list(BANDS)},
        yaxis={"title": {"text": t("val.band.y", lang)}, "tickformat": ".0%", "showgrid": True,
               "range": [0, max(top * 1.25, 0.01)]},
    )
    return fig


def monotonic_text(violations: Sequence[tuple[Any, Any, float, float]], lang: str) -> str:
    """The monotonicity verdict: rates rise from A to E, or the pairs that do not."""
    if not violations:
        return t("val.band.monotonic", lang)
    pairs = "; ".join(f"{a} {fmt(r1, 1, percent=True)} > {b} {fmt(r2, 1, percent=True)}"
                      for a, b, r1, r2 in violations)
    return t("val.band.violations", lang, pairs=pairs)


# ============================================================================ tables


def indicator_aucs(values: pd.DataFrame, directions: pd.Series, default: pd.Series) -> pd.DataFrame:
    """AUC of each indicator used alone as the score (cost → higher is riskier), sorted
    by AUC descending; ``values`` and ``default`` share the borrower index."""
    y = default.reindex(values.index)
    rows = []
    for key in values.columns:
        riskier = str(directions.get(key, "benefit")) == "cost"
        col = values[key].astype("float64")
        rows.append({"indicator": str(key), "direction": "cost" if riskier else "benefit",
                     "auc": auc(col, y, higher_is_riskier=riskier)})
    out = pd.DataFrame(rows, columns=["indicator", "direction", "auc"])
    return out.sort_values(["auc", "indicator"], ascending=[False, True], kind="stable").reset_index(drop=True)


def indicator_auc_display(table: pd.DataFrame, lang: str) -> pd.DataFrame:
    return pd.DataFrame({
        t("val.ind.col.indicator", lang): [indicator_label(k, lang) for k in table["indicator"]],
        t("val.ind.col.direction", lang): [t(f"dir.{d}", lang) for d in table["direction"]],
        t("val.ind.col.auc", lang): [fmt(a) for a in table["auc"]],
        t("val.ind.col.gini", lang): [fmt(2.0 * a - 1.0) for a in table["auc"]],
    })


def alpha_auc_display(rows: Sequence[tuple[float, float]], lang: str) -> pd.DataFrame:
    """(α, AUC) rows: α = share of the AHP weights (0 = entropy only, 1 = AHP only)."""
    return pd.DataFrame({
        t("val.ahp.col.alpha", lang): [f"{a:.2f}" for a, _ in rows],
        t("val.ahp.col.auc", lang): [fmt(v) for _, v in rows],
    })


def best_alpha(rows: Sequence[tuple[float, float]]) -> float | None:
    """The α with the highest AUC (the smallest α on a tie); None if none is defined."""
    usable = [(a, v) for a, v in rows if math.isfinite(v)]
    if not usable:
        return None
    top = max(v for _, v in usable)
    return min(a for a, v in usable if v == top)


def monte_carlo_display(table: pd.DataFrame, names: pd.Series, rank_depth: int, lang: str) -> pd.DataFrame:
    """The borrowers that matter in the Monte Carlo, formatted (a rank quantile beyond the
    exact depth is shown as "> depth")."""
    def rank(v: Any) -> str:
        return f"{float(v):,.0f}" if v is not None and np.isfinite(v) else f"> {rank_depth:,}"

    ids = [str(b) for b in table.index]
    return pd.DataFrame({
        t("val.mc.col.borrower", lang): ids,
        t("val.mc.col.name", lang): [str(names.get(b, "")) or DASH for b in ids],
        t("val.mc.col.base_rank", lang): [f"{int(r):,}" for r in table["base_rank"]],
        t("val.mc.col.grade", lang): [fmt(g, 4) for g in table["grade"]],
        t("val.mc.col.probability", lang): [fmt(p, 1, percent=True) for p in table["top_probability"]],
        t("val.mc.col.interval", lang): [f"{rank(lo)} – {rank(hi)}" for lo, hi in zip(table["rank_q05"],
                                                                                 table["rank_q95"])],
    })


def tornado_display(table: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The tornado table: weight, Spearman with the base ranking and top-N turnover at
    −/+ the change, most influential first (an undefined Spearman is "—")."""
    return pd.DataFrame({
        t("val.tor.col.indicator", lang): [indicator_label(str(k), lang) for k in table.index],
        t("val.tor.col.weight", lang): [fmt(w, 4) for w in table["weight"]],
        t("val.tor.col.spearman_down", lang): [fmt(v, 4) for v in table["spearman_down"]],
        t("val.tor.col.spearman_up", lang): [fmt(v, 4) for v in table["spearman_up"]],
        t("val.tor.col.turnover", lang): [f"{int(a):,} / {int(b):,}" for a, b in zip(table["entered_down"],
                                                                                   table["entered_up"])],
        t("val.tor.col.max_move", lang): [f"{int(max(a, b)):,}" for a, b in zip(table["max_move_down"],
                                                                               table["max_move_up"])],
    })


# Defined here, not in the page: st.cache_data pickles it, and a class of a page script
# (run as __main__) cannot be pickled.
@dataclass(frozen=True)
class Outcome:
    """The validation population and its 12-month outcome, or why there is none."""

    default: pd.Series | None  # borrower_id → 0/1, restricted to the ranked borrowers
    window_end: pd.Timestamp | None
    observed_until: pd.Timestamp | None
    excluded_npl: int
    error: str | None = None
