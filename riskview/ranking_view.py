"""Tables, labels and figures of the ranking page's filters, borrower drill-down and
NPL-series factors, in Chinese or English. Pure (no Streamlit)."""

from __future__ import annotations

import math
from typing import Final

import pandas as pd
import plotly.graph_objects as go

from riskcore.ranking import BorrowerProfile, NplSeriesFactors
from riskview.figures import _criterion_key, _snapshot_x
from riskview.i18n import (
    criterion_label,
    format_amount,
    indicator_label,
    industry_label,
    t,
)
from riskview.theme import (
    CRITERION_COLORS,
    CRITERION_ORDER,
    MUTED_COLOR,
    OTHER_COLOR,
    TEXT_COLOR,
    house_template,
)

__all__ = [
    "PROFILE_COLUMNS",
    "borrower_options",
    "coefficient_profile",
    "drill_caption",
    "format_indicator_value",
    "industry_options",
    "npl_factor_lines",
    "profile_display",
]

#: Columns of ``BorrowerProfile.table`` shown in the drill-down, with their message ids.
PROFILE_COLUMNS: Final[tuple[tuple[str, str], ...]] = (
    ("indicator", "drill.col.indicator"),
    ("value", "drill.col.value"),
    ("ideal", "drill.col.ideal"),
    ("z", "drill.col.z"),
    ("xi", "drill.col.xi"),
    ("weight", "drill.col.weight"),
    ("contribution", "drill.col.contribution"),
    ("shortfall", "drill.col.shortfall"),
    ("imputed", "drill.col.imputed"),
)
_UNIT_SUFFIX: Final = {"years": "drill.unit.years", "days": "drill.unit.days"}
_LINE_COLORS: Final = ("#C8553D", "#2A9D8F", "#8E6BB8", "#D9A441", "#5B8E3E")
_NPL_COLOR: Final = "#1F2933"
_BAR_PX: Final = 26


def _trim(value: float, digits: int = 2) -> str:
    text = f"{value:,.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_indicator_value(value: float, unit: str | None, lang: str | None) -> str:
    """A raw indicator value in its unit: ratios as percentages, years and days with the
    unit, other units (times, counts, scores) as numbers; a missing value as "—"."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    if unit == "ratio":
        return f"{value:.2%}"
    text = _trim(float(value), 2)
    return t(_UNIT_SUFFIX[unit], lang, value=text) if unit in _UNIT_SUFFIX else text


def industry_options(table: pd.DataFrame, lang: str | None) -> dict[str, str]:
    """Industry filter options of a ranking table: code → "label (borrowers)", by code.

    A missing code is offered as ``""`` (labelled by the ledger's name, or "—")."""
    codes = table["industry_code"].astype("string").fillna("")
    names = table["industry_name"].astype("string").fillna("")
    counts = codes.value_counts()
    first_name = pd.Series(names.to_numpy(), index=codes.to_numpy()).groupby(level=0).first()
    options: dict[str, str] = {}
    for code in sorted(counts.index):
        label = industry_label(code, first_name.get(code, ""), lang) if code else str(first_name.get(code, ""))
        label = f"{code} {label}".strip() if code and not label.startswith(code) else label
        options[str(code)] = t("rank.filter_option", lang, label=label or "—", n=f"{int(counts[code]):,}")
    return options


def borrower_options(table: pd.DataFrame) -> dict[str, str]:
    """Drill-down choices of a (filtered) ranking table: borrower id → "rank · id · name",
    in the table's order (riskiest first)."""
    names = table["borrower_name"].astype("string").fillna("") if "borrower_name" in table else None
    return {
        str(bid): t("drill.option", None, rank=int(rank), id=str(bid),
                    name=(str(names.iloc[i]) if names is not None else "") or "—")
        for i, (bid, rank) in enumerate(zip(table["borrower_id"], table["risk_rank"], strict=True))
    }


def _text(value: object) -> str:
    return "—" if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)) else str(value)


def drill_caption(profile: BorrowerProfile, lang: str | None) -> str:
    """"id · name · branch · industry · balance" of the drilled borrower; "—" for what is missing."""
    about = profile.attributes
    balance = pd.to_numeric(pd.Series([about.get("balance")]), errors="coerce").iloc[0]
    return t(
        "drill.caption", lang, id=profile.borrower_id, name=_text(about.get("borrower_name")),
        branch=_text(about.get("branch_name")),
        industry=industry_label(about.get("industry_code"), about.get("industry_name"), lang) or "—",
        balance="—" if pd.isna(balance) else format_amount(float(balance), lang),
    )


def profile_display(profile: BorrowerProfile, lang: str | None) -> pd.DataFrame:
    """The drill-down table: one row per indicator, the largest shortfall w(1 − ξ) first.

    Indicator names are translated; the raw and ideal values are formatted in their unit
    (mixed units cannot share a number format), z, ξ, weight, w·ξ and w(1 − ξ) stay
    numbers; "imputed" is a bool.
    """
    rows = profile.table.sort_values("shortfall", ascending=False, kind="stable")
    out = pd.DataFrame(index=rows.index)
    for column, message in PROFILE_COLUMNS:
        header = t(message, lang)
        if column == "indicator":
            out[header] = [indicator_label(str(k), lang) for k in rows.index]
        elif column in ("value", "ideal"):
            out[header] = [format_indicator_value(float(v), u, lang)
                           for v, u in zip(rows[column], rows["unit"], strict=True)]
        elif column == "imputed":
            out[header] = rows[column].astype(bool).to_numpy()
        else:
            out[header] = rows[column].astype("float64").to_numpy()
    return out.reset_index(drop=True)


def coefficient_profile(profile: BorrowerProfile, lang: str) -> go.Figure:
    """The borrower's grey relational coefficient ξ per indicator, as horizontal bars
    grouped and coloured by criterion, with the grade (weight-averaged ξ) as a vertical
    line; imputed values are hatched. Every trace carries the indicator keys in ``meta``."""
    table = profile.table
    crit = table["criterion"]
    present = [c for c in CRITERION_ORDER if (crit == c).any()]
    present += sorted({str(c) for c in crit.dropna().unique()} - set(CRITERION_ORDER))
    groups: list[tuple[str | None, pd.Index]] = [(c, table.index[(crit == c).to_numpy()]) for c in present]
    unassigned = table.index[crit.isna().to_numpy()]
    if len(unassigned):
        groups.append((None, unassigned))

    order: list[str] = []
    fig = go.Figure()
    hover = (
        "%{y}<br>%{customdata[0]}<br>" + t("drill.col.xi", lang) + ": %{x:.4f}<br>"
        + t("drill.col.z", lang) + ": %{customdata[1]:.4f}<br>"
        + t("drill.col.weight", lang) + ": %{customdata[2]:.2%}<br>"
        + t("drill.col.contribution", lang) + ": %{customdata[3]:.4f}%{customdata[4]}<extra></extra>"
    )
    for criterion, keys in groups:
        name = criterion_label(criterion, lang) if criterion is not None else "—"
        rows = table.loc[keys]
        labels = [indicator_label(str(k), lang) for k in keys]
        order += labels
        fig.add_bar(
            orientation="h",
            x=rows["xi"].astype("float64").tolist(),
            y=labels,
            name=name,
            meta=[str(k) for k in keys],
            marker={
                "color": CRITERION_COLORS.get(criterion, OTHER_COLOR) if criterion else OTHER_COLOR,
                "pattern": {"shape": ["/" if imp else "" for imp in rows["imputed"]], "solidity": 0.45},
            },
            customdata=[
                [name, float(z), float(w), float(c), " (" + t("drill.chart.imputed", lang) + ")" if imp else ""]
                for z, w, c, imp in zip(rows["z"], rows["weight"], rows["contribution"], rows["imputed"], strict=True)
            ],
            text=[f"{x:.3f}" for x in rows["xi"]],
            textposition="outside",
            cliponaxis=False,
            hovertemplate=hover,
        )
    key_rows = _criterion_key(groups, lang)
    key_rows.append(f'<span style="color:{MUTED_COLOR}">{t("drill.chart.note", lang)}</span>')
    head = 52 + 22 * len(key_rows)
    height = max(340, _BAR_PX * len(table) + head + 70)
    grade = profile.grade
    fig.add_shape(type="line", x0=grade, x1=grade, xref="x", y0=0, y1=1, yref="paper",
                  line={"color": TEXT_COLOR, "width": 1.5, "dash": "dash"})
    fig.add_annotation(x=grade, xref="x", y=1, yref="paper", yanchor="bottom", showarrow=False,
                       text=t("drill.chart.grade", lang, grade=f"{grade:.4f}"),
                       font={"size": 12, "color": TEXT_COLOR})
    fig.update_layout(
        template=house_template(),
        title={
            "text": t("drill.chart.title", lang),
            "subtitle": {"text": "<br>".join(key_rows), "font": {"size": 13, "color": TEXT_COLOR}},
            "yref": "container",
            "y": 1 - 14 / height,
            "yanchor": "top",
        },
        height=height,
        showlegend=False,
        bargap=0.25,
        margin={"t": head + 8, "r": 48},
        xaxis={"title": {"text": t("drill.chart.x", lang)}, "range": [0, 1.05], "showgrid": True,
               "tickformat": ".1f"},
        yaxis={"title": {"text": ""}, "categoryorder": "array", "categoryarray": order[::-1], "ticks": ""},
        uniformtext={"minsize": 11, "mode": "show"},
    )
    return fig


def npl_factor_lines(factors: NplSeriesFactors, lang: str, *, top: int = 3, height: int = 460) -> go.Figure:
    """The NPL ratio and the ``top`` most related factors over time, each divided by its
    own mean (the shapes the grey relational degrees compare); hover shows the unscaled
    NPL ratio and risk level. Traces carry ``meta`` = ``"npl_ratio"`` or the indicator key."""
    keys = [str(k) for k in factors.result.degrees.index[:top]]
    x = _snapshot_x(factors.npl_ratio.index)
    fig = go.Figure()
    npl_name = t("rank.chart.npl_lines.npl", lang)
    fig.add_scatter(
        x=x, y=factors.scaled_npl.astype("float64").tolist(), mode="lines+markers", name=npl_name,
        meta="npl_ratio", line={"color": _NPL_COLOR, "width": 3}, marker={"size": 5},
        customdata=factors.npl_ratio.astype("float64").tolist(),
        hovertemplate="%{fullData.name}<br>%{x|%Y-%m-%d}: %{customdata:.2%} (×%{y:.2f})<extra></extra>",
    )
    scaled = factors.scaled_levels
    level_label = t("rank.chart.npl_lines.level", lang)
    for i, key in enumerate(keys):
        fig.add_scatter(
            x=x, y=scaled[key].astype("float64").tolist(), mode="lines", name=indicator_label(key, lang),
            meta=key, line={"color": _LINE_COLORS[i % len(_LINE_COLORS)], "width": 2, "dash": "dash"},
            customdata=factors.levels[key].astype("float64").tolist(),
            hovertemplate="%{fullData.name}<br>%{x|%Y-%m-%d}: " + level_label
            + " %{customdata:.4f} (×%{y:.2f})<extra></extra>",
        )
    fig.add_hline(y=1.0, line={"color": MUTED_COLOR, "width": 1, "dash": "dot"})
    fig.update_layout(
        template=house_template(),
        title={"text": t("rank.chart.npl_lines.title", lang, k=len(keys)),
               "subtitle": {"text": t("rank.chart.npl_lines.note", lang)}},
        height=height,
        hovermode="closest",
        margin={"t": 96},
        legend={"orientation": "h", "x": 0, "xanchor": "left", "y": -0.2, "yanchor": "top"},
        xaxis={"title": {"text": t("rank.chart.npl_lines.x", lang)}, "type": "date", "tickformat": "%Y-%m",
               "showgrid": False},
        yaxis={"title": {"text": t("rank.chart.npl_lines.y", lang)}, "showgrid": True, "tickformat": ".1f"},
    )
    return fig
