"""Figure builders: pure functions from riskcore results to ``plotly.graph_objects.Figure``.

No Streamlit here; the pages show the figures with
``st.plotly_chart(fig, theme=None, width="stretch")`` and the exporters reuse them.
Every text on a figure is in the caller's language.
"""

from __future__ import annotations

from typing import Final

import pandas as pd
import plotly.graph_objects as go

from riskcore.system import IndicatorSystem
from riskview.i18n import criterion_label, indicator_label, t
from riskview.theme import (
    BAND_COLORS,
    BAND_ORDER,
    CRITERION_COLORS,
    CRITERION_ORDER,
    MUTED_COLOR,
    OTHER_COLOR,
    TEXT_COLOR,
    house_template,
)

_BAR_PX: Final = 26  # height per indicator bar, so 23 indicators stay readable
_MIN_HEIGHT: Final = 340


def weight_bar(weights: pd.Series, criteria: pd.Series, lang: str, *, title: str | None = None) -> go.Figure:
    """Horizontal bars of indicator weights, largest at the top, coloured by criterion.

    Parameters
    ----------
    weights : Series
        Weight per indicator key (e.g. ``EntropyResult.weights``).
    criteria : Series
        Criterion key per indicator key (``IndicatorMatrix.criteria``); an indicator
        without one is drawn in a neutral grey.
    lang : {"zh", "en"}
        Language of the labels.
    title : str, optional
        Chart title; by default "entropy weights of the indicators".
    """
    ordered = weights.astype("float64").sort_values(ascending=False, kind="stable")
    crit = criteria.reindex(ordered.index)
    labels = pd.Series([indicator_label(str(k), lang) for k in ordered.index], index=ordered.index)

    present = [c for c in CRITERION_ORDER if (crit == c).any()]
    present += sorted({str(c) for c in crit.dropna().unique()} - set(CRITERION_ORDER))
    groups: list[tuple[str | None, pd.Index]] = [(c, ordered.index[(crit == c).to_numpy()]) for c in present]
    unassigned = ordered.index[crit.isna().to_numpy()]
    if len(unassigned):
        groups.append((None, unassigned))

    fig = go.Figure()
    for criterion, keys in groups:
        name = criterion_label(criterion, lang) if criterion is not None else "—"
        fig.add_bar(
            orientation="h",
            x=ordered[keys].tolist(),
            y=labels[keys].tolist(),
            name=name,
            legendgroup=name,
            marker_color=CRITERION_COLORS.get(criterion, OTHER_COLOR) if criterion else OTHER_COLOR,
            customdata=[[str(k), name] for k in keys],
            text=[f"{w:.1%}" for w in ordered[keys]],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{y}<br>%{customdata[1]}<br>"
            + t("chart.weights.x", lang)
            + ": %{x:.2%}<extra>%{customdata[0]}</extra>",
        )
    n = len(ordered)
    top = float(ordered.max()) if n else 0.0
    key_rows = _criterion_key(groups, lang)
    head = 52 + 22 * len(key_rows)  # title + colour key, in pixels from the top
    height = max(_MIN_HEIGHT, _BAR_PX * n + head + 70)
    fig.update_layout(
        template=house_template(),
        title={
            "text": title or t("chart.weights.title", lang),
            "subtitle": {"text": "<br>".join(key_rows), "font": {"size": 13, "color": TEXT_COLOR}},
            "yref": "container",
            "y": 1 - 14 / height,
            "yanchor": "top",
        },
        height=height,
        barmode="relative",
        bargap=0.25,
        # Plotly wraps a horizontal legend at the plot-area width, which the long
        # indicator labels make narrow (one criterion per row): the colour key goes in
        # the subtitle instead, which spans the figure.
        showlegend=False,
        margin={"t": head + 8},
        xaxis={
            "title": {"text": t("chart.weights.x", lang)},
            "tickformat": ".0%",
            "showgrid": True,
            "range": [0, top * 1.18 if top > 0 else 1],
        },
        yaxis={
            "title": {"text": ""},
            "categoryorder": "array",
            # Plotly draws the first category at the bottom: list ascending so the
            # heaviest indicator is on top.
            "categoryarray": labels.iloc[::-1].tolist(),
            "ticks": "",
        },
        uniformtext={"minsize": 11, "mode": "show"},
    )
    return fig


def _criterion_key(groups: list[tuple[str | None, pd.Index]], lang: str) -> list[str]:
    """Rows of "■ criterion" entries (colour key of the weight chart)."""
    per_row = 3 if lang == "en" else 4
    entries = [
        f'<span style="color:{CRITERION_COLORS.get(c, OTHER_COLOR) if c else OTHER_COLOR}">■</span> '
        + (criterion_label(c, lang) if c is not None else "—")
        for c, _ in groups
    ]
    rows = [" &nbsp; ".join(entries[i : i + per_row]) for i in range(0, len(entries), per_row)]
    if rows:
        rows[0] = f'<span style="color:{MUTED_COLOR}">{t("chart.weights.legend", lang)}</span> &nbsp; ' + rows[0]
    return rows


def grade_histogram(
    grades: pd.Series,
    lang: str,
    *,
    bands: pd.Series | None = None,
    nbins: int = 30,
) -> go.Figure:
    """Histogram of grey relational grades, optionally stacked by rating band.

    The subtitle says how to read it: a higher grade is closer to the ideal borrower,
    i.e. lower risk. ``bands`` (borrower id → ``"A"``..``"E"``) colours the bars by band.
    """
    values = grades.astype("float64").dropna()
    lo = float(values.min()) if len(values) else 0.0
    hi = float(values.max()) if len(values) else 1.0
    size = (hi - lo) / nbins if hi > lo else 0.01
    xbins = {"start": lo, "end": hi + size * 1e-6, "size": size}

    fig = go.Figure()
    x_label = t("chart.grades.x", lang)
    y_label = t("chart.grades.y", lang)
    hover = x_label + ": %{x}<br>" + y_label + ": %{y}<extra>%{fullData.name}</extra>"
    if bands is None:
        fig.add_histogram(
            x=values.to_numpy(), xbins=xbins, autobinx=False, name=y_label,
            marker_color=MUTED_COLOR, hovertemplate=hover, showlegend=False,
        )
    else:
        aligned = bands.reindex(values.index).astype("string")
        # E (riskiest, lowest grades) first: the legend then reads left to right like the axis.
        order = list(BAND_ORDER[::-1]) + sorted(set(aligned.dropna()) - set(BAND_ORDER))
        for band in order:
            sel = values[(aligned == band).fillna(False).to_numpy()]
            if sel.empty:
                continue
            fig.add_histogram(
                x=sel.to_numpy(), xbins=xbins, autobinx=False,
                name=t(f"band.{band}", lang) if band in BAND_ORDER else band,
                marker_color=BAND_COLORS.get(band, OTHER_COLOR), hovertemplate=hover,
            )
    fig.update_layout(
        template=house_template(),
        title={"text": t("chart.grades.title", lang), "subtitle": {"text": t("chart.grades.note", lang)}},
        height=460,
        barmode="stack",
        bargap=0.04,
        legend={
            "title": {"text": t("chart.grades.legend", lang)},
            "orientation": "h",
            "x": 0,
            "xanchor": "left",
            "y": -0.25,
            "yanchor": "top",
            "traceorder": "normal",
        },
        margin={"t": 90, "b": 110},
        xaxis={"title": {"text": x_label}, "tickformat": ".2f"},
        yaxis={"title": {"text": y_label}, "showgrid": True, "rangemode": "tozero"},
        annotations=[
            {"text": t("chart.grades.riskier", lang), "x": 0, "xanchor": "left"},
            {"text": t("chart.grades.safer", lang), "x": 1, "xanchor": "right"},
        ],
    )
    # Reading aids on the x-axis title line, under the left and right ends of the axis.
    fig.update_annotations(
        xref="paper", yref="paper", y=0, yanchor="top", yshift=-26, showarrow=False,
        font={"size": 12, "color": MUTED_COLOR},
    )
    return fig


def loading_figure(lang: str, *, height: int = 400) -> go.Figure:
    """An empty chart frame ("computing…") that holds a chart's place while it is computed."""
    fig = go.Figure()
    fig.update_layout(
        template=house_template(),
        height=height,
        xaxis={"visible": False},
        yaxis={"visible": False},
        annotations=[
            {
                "text": t("chart.loading", lang),
                "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.5,
                "showarrow": False, "font": {"color": MUTED_COLOR},
            }
        ],
    )
    return fig


# ------------------------------------------------------------------ entropy weights over time

#: Colours of highlighted lines (up to 10), distinct from the grey of the other indicators.
_LINE_COLORS: Final = (
    "#1F5A96", "#C8553D", "#2A9D8F", "#D9A441", "#8E6BB8",
    "#5B8E3E", "#D46A9F", "#3D8BD9", "#8C5A3C", "#2F3E4E",
)
_GREY_LINE: Final = "#C5CCD4"


def _snapshot_x(index: pd.Index) -> list[str]:
    return [pd.Timestamp(d).strftime("%Y-%m-%d") for d in index]


def _time_layout(fig: go.Figure, lang: str, *, title: str, subtitle: str, height: int,
                 legend_title: str, selected: object) -> None:
    fig.update_layout(
        template=house_template(),
        title={"text": title, "subtitle": {"text": subtitle}},
        height=height,
        hovermode="closest",
        margin={"t": 96, "r": 10},
        # The legend sits right of the plot, one entry per line: long indicator labels stay
        # readable, where a horizontal legend would wrap them into a block under the axis.
        legend={
            "title": {"text": legend_title},
            "orientation": "v",
            "x": 1.02,
            "xanchor": "left",
            "y": 1,
            "yanchor": "top",
            "traceorder": "normal",
        },
        xaxis={"title": {"text": t("entropy.chart.x", lang)}, "type": "date", "tickformat": "%Y-%m",
               "dtick": "M3", "showgrid": False},
        yaxis={"title": {"text": t("entropy.chart.y", lang)}, "tickformat": ".0%", "showgrid": True,
               "rangemode": "tozero"},
    )
    if selected is not None:
        x = pd.Timestamp(selected).strftime("%Y-%m-%d")
        fig.add_shape(type="line", x0=x, x1=x, xref="x", y0=0, y1=1, yref="paper",
                      line={"color": MUTED_COLOR, "width": 1, "dash": "dot"})
        fig.add_annotation(x=x, xref="x", y=1, yref="paper", yanchor="bottom", showarrow=False,
                           text=t("entropy.chart.selected", lang), font={"size": 12, "color": MUTED_COLOR})


def weights_over_time(
    weights: pd.DataFrame,
    lang: str,
    *,
    highlight: list[str] | tuple[str, ...] = (),
    selected: object = None,
    height: int = 560,
) -> go.Figure:
    """Entropy weight of every indicator at each snapshot: one line per indicator.

    Parameters
    ----------
    weights : DataFrame
        Snapshot (dates, ascending) × indicator key, e.g. ``EntropyOverTime.weights``.
    highlight : sequence of indicator keys
        Drawn in colour, with markers and a legend entry, in this order (at most 10
        colours, then they repeat); every other indicator is a thin grey line without a
        legend entry (its name shows on hover), so 23 lines stay readable.
    selected : date, optional
        Marks that snapshot with a dotted vertical line.

    Every trace carries its indicator key in ``meta``.
    """
    x = _snapshot_x(weights.index)
    chosen = [k for k in highlight if k in set(map(str, weights.columns))]
    hover = "%{fullData.name}<br>%{x|%Y-%m-%d}: %{y:.2%}<extra></extra>"
    fig = go.Figure()
    for key in weights.columns:  # grey first, so the coloured lines are drawn on top
        if str(key) in chosen:
            continue
        fig.add_scatter(
            x=x, y=weights[key].astype("float64").tolist(), mode="lines",
            name=indicator_label(str(key), lang), meta=str(key), showlegend=False,
            line={"color": _GREY_LINE, "width": 1.2}, hovertemplate=hover,
        )
    for i, key in enumerate(chosen):
        fig.add_scatter(
            x=x, y=weights[key].astype("float64").tolist(), mode="lines+markers",
            name=indicator_label(key, lang), meta=key,
            line={"color": _LINE_COLORS[i % len(_LINE_COLORS)], "width": 2.6}, marker={"size": 5},
            hovertemplate=hover,
        )
    rest = len(weights.columns) - len(chosen)
    _time_layout(
        fig, lang,
        title=t("entropy.chart.time.title", lang),
        subtitle=t("entropy.chart.time.subtitle", lang, k=len(chosen), rest=rest),
        height=height,
        legend_title=t("entropy.chart.time.legend", lang),
        selected=selected,
    )
    return fig


def criterion_totals_over_time(
    totals: pd.DataFrame, lang: str, *, selected: object = None, height: int = 560
) -> go.Figure:
    """Sum of the entropy weights per criterion at each snapshot: one line per criterion,
    in the fixed criterion colours and order (``EntropyOverTime.totals(criteria)``)."""
    x = _snapshot_x(totals.index)
    present = [c for c in CRITERION_ORDER if c in totals.columns]
    present += [str(c) for c in totals.columns if c not in set(CRITERION_ORDER)]
    hover = "%{fullData.name}<br>%{x|%Y-%m-%d}: %{y:.2%}<extra></extra>"
    fig = go.Figure()
    for criterion in present:
        fig.add_scatter(
            x=x, y=totals[criterion].astype("float64").tolist(), mode="lines+markers",
            name=criterion_label(criterion, lang), meta=criterion,
            line={"color": CRITERION_COLORS.get(criterion, OTHER_COLOR), "width": 2.4}, marker={"size": 5},
            hovertemplate=hover,
        )
    _time_layout(
        fig, lang,
        title=t("entropy.chart.criteria.title", lang),
        subtitle=t("entropy.chart.criteria.subtitle", lang),
        height=height,
        legend_title=t("chart.weights.legend", lang),
        selected=selected,
    )
    return fig


def factor_degree_bar(degrees: pd.Series, criteria: pd.Series, lang: str, *, title: str | None = None) -> go.Figure:
    """Key risk factors: grey relational degree of each indicator to the default flag,
    highest at the top, coloured by criterion (``KeyRiskFactors.result.degrees``).

    ``title`` replaces the default title (e.g. for degrees to the NPL ratio series)."""
    ordered = degrees.astype("float64").sort_values(ascending=False, kind="stable")
    labels = [indicator_label(str(k), lang) for k in ordered.index]
    crit = criteria.reindex(ordered.index)
    fig = go.Figure()
    fig.add_bar(
        orientation="h", x=ordered.tolist(), y=labels,
        marker_color=[CRITERION_COLORS.get(c, OTHER_COLOR) if isinstance(c, str) else OTHER_COLOR for c in crit],
        text=[f"{v:.3f}" for v in ordered], textposition="outside", cliponaxis=False,
        customdata=[criterion_label(c, lang) if isinstance(c, str) else "—" for c in crit],
        hovertemplate="%{y}<br>%{customdata}<br>" + t("chart.factors.x", lang) + ": %{x:.4f}<extra></extra>",
    )
    low = float(ordered.min()) if len(ordered) else 0.0
    fig.update_layout(
        template=house_template(), title=t("chart.factors.title", lang) if title is None else title,
        height=max(_MIN_HEIGHT, _BAR_PX * len(ordered) + 120), showlegend=False, margin={"r": 48},
        xaxis={"title": {"text": t("chart.factors.x", lang)}, "range": [max(0.0, low - 0.05), 1.02]},
        yaxis={"categoryorder": "array", "categoryarray": labels[::-1], "title": {"text": ""}},
    )
    return fig


def system_tree(system: IndicatorSystem, lang: str) -> go.Figure:
    """The criteria → indicators tree of an indicator system (indicators switched on) as
    a sunburst: criteria inside, coloured as in the weight charts, indicators outside."""
    ids, labels, parents, colors = [], [], [], []
    for criterion in system.criteria:
        members = [s for s in system.enabled if s.criterion == criterion]
        if not members:
            continue
        colour = CRITERION_COLORS.get(criterion, OTHER_COLOR)
        ids.append(f"c:{criterion}")
        labels.append(criterion_label(criterion, lang))
        parents.append("")
        colors.append(colour)
        for s in members:
            ids.append(f"i:{s.key}")
            labels.append(indicator_label(s.key, lang))
            parents.append(f"c:{criterion}")
            colors.append(colour)
    fig = go.Figure(go.Sunburst(
        ids=ids, labels=labels, parents=parents, marker={"colors": colors, "line": {"color": "white", "width": 1}},
        insidetextorientation="radial", hovertemplate="%{label}<extra>%{parent}</extra>", maxdepth=2,
    ))
    fig.update_layout(template=house_template(), height=520, margin={"t": 10, "l": 0, "r": 0, "b": 0},
                      uniformtext={"minsize": 10, "mode": "hide"})
    return fig
