"""The portfolio overview as users read it: ratio texts with their reasons, regulatory
captions, tables and figures from :mod:`riskcore.ratios` results.

Pure functions, no Streamlit: the page lays them out, the tests read them directly. An
undefined ratio is always "—" with the reason in words, never NaN, inf or "nan"; the five
classes always keep the colours and order of :data:`riskview.theme.CLASS_COLORS`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Final

import pandas as pd
import plotly.graph_objects as go

from riskcore.classification import RULE_SETS
from riskcore.ratios import THRESHOLDS, PortfolioRatios, ProvisionComparison, ProvisionTable, Ratio
from riskview.i18n import class_label, format_amount, format_percent, normalise_lang, t
from riskview.theme import CLASS_COLORS, CLASS_ORDER, MUTED_COLOR, house_template

DASH: Final = "—"
#: Amount unit of the charts: 亿元 in Chinese, CNY million in English.
_CHART_UNIT: Final = {"zh": 1e8, "en": 1e6}


def rules_label(name: str, lang: str) -> str:
    """Label of a DPD rule set (``cls.rules.<name>``)."""
    return t(f"cls.rules.{name}", lang) if name in RULE_SETS else name


def table_label(table: ProvisionTable, lang: str) -> str:
    """Label of a provision table (``ratio.table.<name>``); a user's edit is ``custom``."""
    known = ("pboc2002", "pboc2002_general", "custom")
    return t(f"ratio.table.{table.name}", lang) if table.name in known else table.name


def reason_text(reason: str | None, lang: str) -> str:
    """Why a figure is undefined, in words (``ratio.reason.<code>``)."""
    if not reason:
        return ""
    key = f"ratio.reason.{reason}"
    text = t(key, lang)
    return reason if text == key else text


def ratio_value(ratio: Ratio, digits: int = 2) -> str:
    """``"2.05%"``, or ``"—"`` when undefined."""
    return format_percent(ratio.value, digits) if ratio.value is not None else DASH


def ratio_with_reason(ratio: Ratio, lang: str, digits: int = 2) -> str:
    """``"2.05%"``, or ``"—（无不良贷款…）"`` with the reason when undefined."""
    if ratio.value is not None:
        return format_percent(ratio.value, digits)
    return t("ratio.undefined", lang, reason=reason_text(ratio.reason, lang))


def pp_text(change: float, lang: str) -> str:
    """A change of a ratio in percentage points, signed: ``"+0.12 pp"``."""
    return t("ratio.pp", lang, value=f"{change * 100:+.2f}")


def delta_text(change: Ratio, lang: str, *, amount: bool = False) -> str | None:
    """The month-on-month change for ``st.metric(delta=…)``; None (no delta) when undefined."""
    if change.value is None:
        return None
    if amount:
        sign = "+" if change.value >= 0 else "-"
        return sign + format_amount(abs(change.value), lang)
    return pp_text(change.value, lang)


def change_note(change: Ratio, lang: str) -> str:
    """Why there is no month-on-month change (empty when there is one)."""
    return "" if change.value is not None else t("overview.no_change", lang, reason=reason_text(change.reason, lang))


def threshold_caption(key: str, ratios: PortfolioRatios, lang: str) -> str:
    """The regulatory requirement of ratio ``key`` and where the figure stands, marked ⚠
    when breached (``ratio.band.<key>`` + ``ratio.status.<status>``)."""
    status = ratios.status(key)
    band = t(f"ratio.band.{key}", lang)
    mark = "⚠ " if status == "breach" else ""
    return f"{mark}{t(f'ratio.status.{status}', lang)} · {band}"


def threshold_source(key: str) -> str:
    """The source text of a threshold (its regulation and date), as riskcore records it."""
    return THRESHOLDS[key].source


def _text(value: object) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return DASH
    text = str(value)
    return DASH if text in ("", "nan", "<NA>", "None") else text


def exceptions_display(exceptions: pd.DataFrame, lang: str, branch_names: Mapping[str, str]) -> pd.DataFrame:
    """The classification exceptions table: translated headers and classes, balance in
    万元, blanks as "—" (``Classification.exceptions`` of one snapshot)."""
    rows = exceptions
    return pd.DataFrame({
        t("cls.col.loan_id", lang): [_text(v) for v in rows["loan_id"]],
        t("cls.col.borrower", lang): [
            f"{_text(n)}（{_text(i)}）" if normalise_lang(lang) == "zh" else f"{_text(n)} ({_text(i)})"
            for n, i in zip(rows["borrower_name"], rows["borrower_id"], strict=True)
        ],
        t("cls.col.branch", lang): [_text(branch_names.get(str(b), b)) for b in rows["branch_id"]],
        t("cls.col.reported", lang): [class_label(int(c), lang) for c in rows["reported_class"]],
        t("cls.col.dpd", lang): rows["dpd"].astype("int64").to_numpy(),
        t("cls.col.floor", lang): [class_label(int(c), lang) for c in rows["floor"]],
        t("cls.col.balance", lang): (rows["balance"].astype("float64") / 1e4).to_numpy(),
    })


def rates_frame(table: ProvisionTable, lang: str) -> pd.DataFrame:
    """The provision table as the page's editor shows it: one row per class, rate in %,
    plus the general reserve (on all loans) as the last row."""
    labels = [class_label(c, lang) for c in CLASS_ORDER] + [t("overview.prov.general", lang)]
    rates = [r * 100 for r in table.rates] + [table.general_rate * 100]
    return pd.DataFrame({t("overview.prov.col.class", lang): labels, t("overview.prov.col.rate", lang): rates})


def table_from_rates(edited: pd.DataFrame, base: ProvisionTable, lang: str) -> ProvisionTable:
    """The provision table an edit of :func:`rates_frame` describes: ``base`` itself when
    nothing changed, else ``custom``. A blank or out-of-range cell keeps ``base``'s rate
    (the editor bounds it to 0-100 %, this is the belt to those braces)."""
    column = t("overview.prov.col.rate", lang)
    values = pd.to_numeric(edited[column], errors="coerce").tolist()
    defaults = [*base.rates, base.general_rate]
    rates = []
    for value, default in zip(values, defaults, strict=True):
        ok = value is not None and not math.isnan(value) and 0.0 <= value <= 100.0
        rates.append(value / 100 if ok else default)
    if all(math.isclose(a, b, abs_tol=1e-12) for a, b in zip(rates, defaults, strict=True)):
        return base
    return ProvisionTable("custom", (rates[0], rates[1], rates[2], rates[3], rates[4]), general_rate=rates[5])


def provisions_display(comparison: ProvisionComparison, lang: str) -> pd.DataFrame:
    """Required against booked provisions per class (万元), and a total row. Without a
    provision column the booked columns read "—" (text columns, so no NaN)."""
    frame = comparison.by_class
    has_booked = "booked" in frame.columns

    def wan(values: pd.Series | float, sign: str = "") -> list[str] | str:
        """Amounts in 万元 as text (one format for every cell, blanks impossible)."""
        if isinstance(values, pd.Series):
            return [f"{v / 1e4:{sign},.2f}" for v in values.astype("float64")]
        return f"{values / 1e4:{sign},.2f}"

    out = pd.DataFrame({
        t("overview.prov.col.class", lang): [class_label(c, lang) for c in frame.index],
        t("overview.prov.col.balance", lang): wan(frame["balance"]),
        t("overview.prov.col.rate", lang): [f"{r:.1%}" for r in frame["rate"]],
        t("overview.prov.col.required", lang): wan(frame["required"]),
        t("overview.prov.col.booked", lang): wan(frame["booked"]) if has_booked else [DASH] * len(frame),
        t("overview.prov.col.gap", lang): wan(frame["gap"], "+") if has_booked else [DASH] * len(frame),
    })
    total = {
        t("overview.prov.col.class", lang): t("overview.prov.total", lang),
        t("overview.prov.col.balance", lang): wan(float(frame["balance"].sum())),
        t("overview.prov.col.rate", lang): (t("overview.prov.general_rate", lang,
                                               rate=f"{comparison.table.general_rate:.1%}")
                                            if comparison.table.general_rate else DASH),
        t("overview.prov.col.required", lang): wan(comparison.required),
        t("overview.prov.col.booked", lang): wan(comparison.booked) if comparison.booked is not None else DASH,
        t("overview.prov.col.gap", lang): wan(comparison.gap, "+") if comparison.gap is not None else DASH,
    }
    return pd.concat([out, pd.DataFrame([total])], ignore_index=True)


def _unit(lang: str) -> float:
    return _CHART_UNIT[normalise_lang(lang)]


def class_balance_figure(balances: pd.DataFrame, lang: str, *, rules: str, selected: object = None,
                         height: int = 440) -> go.Figure:
    """Balance by final class at each snapshot, stacked, in the fixed class colours.

    ``balances`` is ``RatiosOverTime.class_balances()`` (snapshot × class 1-5, yuan);
    every trace carries its class code in ``meta``; the subtitle names the rule set.
    """
    unit = _unit(lang)
    x = [pd.Timestamp(d).strftime("%Y-%m-%d") for d in balances.index]
    fig = go.Figure()
    for c in CLASS_ORDER:
        values = balances[c].astype("float64") if c in balances.columns else pd.Series(0.0, index=balances.index)
        fig.add_bar(
            x=x, y=(values / unit).round(4).tolist(), name=class_label(c, lang), meta=c,
            marker={"color": CLASS_COLORS[c]},
            hovertemplate="%{fullData.name}<br>%{x|%Y-%m}: %{y:,.2f}<extra></extra>",
        )
    fig.update_layout(
        template=house_template(), barmode="stack", height=height,
        title={"text": t("overview.chart.classes.title", lang),
               "subtitle": {"text": t("overview.chart.classes.subtitle", lang, rules=rules_label(rules, lang))}},
        legend={"title": {"text": t("overview.chart.classes.legend", lang)}, "traceorder": "normal"},
        xaxis={"title": {"text": t("overview.chart.x", lang)}, "type": "date", "tickformat": "%Y-%m"},
        yaxis={"title": {"text": t("overview.chart.y_amount", lang)}, "rangemode": "tozero"},
        margin={"t": 96},
    )
    if selected is not None:
        when = pd.Timestamp(selected).strftime("%Y-%m-%d")
        fig.add_shape(type="line", x0=when, x1=when, xref="x", y0=0, y1=1, yref="paper",
                      line={"color": MUTED_COLOR, "width": 1, "dash": "dot"})
    return fig


def provision_figure(comparison: ProvisionComparison, lang: str, *, height: int = 400) -> go.Figure:
    """Required (from the named table) against booked provisions per class: grouped bars,
    required in the class colour, booked in grey. The title names the provision table."""
    unit = _unit(lang)
    frame = comparison.by_class
    labels = [class_label(c, lang) for c in frame.index]
    fig = go.Figure()
    fig.add_bar(
        x=labels, y=(frame["required"] / unit).round(4).tolist(), name=t("overview.prov.required", lang),
        meta="required", marker={"color": [CLASS_COLORS[int(c)] for c in frame.index]},
        hovertemplate="%{x}: %{y:,.2f}<extra>%{fullData.name}</extra>",
    )
    if "booked" in frame.columns:
        fig.add_bar(
            x=labels, y=(frame["booked"] / unit).round(4).tolist(), name=t("overview.prov.booked", lang),
            meta="booked", marker={"color": "#9AA5B1"},
            hovertemplate="%{x}: %{y:,.2f}<extra>%{fullData.name}</extra>",
        )
    fig.update_layout(
        template=house_template(), barmode="group", height=height,
        title={"text": t("overview.chart.prov.title", lang),
               "subtitle": {"text": t("overview.chart.prov.subtitle", lang,
                                      table=table_label(comparison.table, lang))}},
        xaxis={"title": {"text": t("overview.prov.col.class", lang)}},
        yaxis={"title": {"text": t("overview.chart.y_amount", lang)}, "rangemode": "tozero"},
        margin={"t": 96},
    )
    return fig
