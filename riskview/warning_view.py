"""Tables, texts and figures of the early-warning page, in Chinese or English. Pure (no
Streamlit). The rules and the watchlist come from :mod:`riskcore.warning`."""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

import pandas as pd
import plotly.graph_objects as go

from riskcore.warning import BORROWER_FIELDS, LEVELS, LOAN_FIELDS, Rule, RuleSet, SkippedRule, Watchlist
from riskview.i18n import class_label, indicator_label, industry_label, join_list, t
from riskview.theme import house_template

__all__ = [
    "EDITABLE",
    "LEVEL_COLORS",
    "LEVEL_ORDER",
    "condition_text",
    "counts_figure",
    "field_label",
    "field_reference",
    "level_cell_styles",
    "level_label",
    "rules_from_table",
    "rules_table",
    "skipped_lines",
    "versions_table",
    "watchlist_display",
]

#: Warning levels, worst first, and their fixed colours (the same in every chart and table).
LEVEL_ORDER: Final = tuple(LEVELS)
LEVEL_COLORS: Final = MappingProxyType({"red": "#C0392B", "orange": "#E67E22", "yellow": "#F1C40F"})
_LEVEL_TEXT: Final = MappingProxyType({"red": "white", "orange": "white", "yellow": "#1F2933"})


def level_cell_styles(lang: str) -> dict[str, str]:
    """Level label → CSS of a table cell in the level's fixed colour (for a pandas Styler)."""
    return {level_label(v, lang): f"background-color: {LEVEL_COLORS[v]}; color: {_LEVEL_TEXT[v]}"
            for v in LEVEL_ORDER}

#: Shown in the threshold cell of a rule without one (a flag test or a list).
NO_THRESHOLD: Final = "—"

#: Columns of :func:`rules_table` the user may edit (message ids of their headers).
EDITABLE: Final = ("warn.col.enabled", "warn.col.level", "warn.col.threshold")

_SYMBOL: Final = MappingProxyType({">": ">", ">=": "≥", "<": "<", "<=": "≤", "==": "=", "!=": "≠"})
_CLASS_FIELDS: Final = frozenset(n for n, s in LOAN_FIELDS.items() if s.kind == "class")


def level_label(level: str, lang: str) -> str:
    """"红色预警" / "Red" (the level's name)."""
    return t(f"warn.level.{level}", lang)


def field_label(name: str, lang: str) -> str:
    """A condition field as users know it: ledger fields and the grade from the catalogue,
    indicators by their indicator label."""
    if name in LOAN_FIELDS or name == "grade":
        return t(f"warn.field.{name}", lang)
    return indicator_label(name, lang)


def _number(value: Any) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    number = float(value)
    if number.is_integer() and abs(number) < 1e15:
        return f"{int(number):,}"
    return f"{number:,.4f}".rstrip("0").rstrip(".")


def _value(field: str, value: Any, lang: str) -> str:
    if field in _CLASS_FIELDS and value is not None and not (isinstance(value, float) and math.isnan(value)):
        return class_label(int(value), lang)
    return _number(value)


def _atom_text(cond: Mapping[str, Any], lang: str) -> str:
    op = str(cond["op"])
    if "field" in cond:
        name = str(cond["field"])
        label = field_label(name, lang)
        if op in ("is_true", "is_false"):
            return t(f"warn.cond.{op}", lang, field=label)
        if op == "in":
            return t("warn.cond.in", lang, field=label,
                     values=join_list((_value(name, v, lang) for v in cond["value"]), lang))
        return f"{label} {_SYMBOL[op]} {_value(name, cond['value'], lang)}"
    name = str(cond["change"])
    label = field_label(name, lang)
    if op == "downgrade":
        return t("warn.cond.downgrade", lang, field=label, n=int(cond.get("value", 1)))
    return t(f"warn.cond.{'rise' if op == 'rise' else 'fall'}", lang, field=label, value=_number(cond["value"]))


def condition_text(rule: Rule, lang: str) -> str:
    """The rule's condition in words: ``逾期天数 > 30``, ``五级分类较上期下调至少 1 级``,
    parts joined by "且" / "and"."""
    return t("warn.cond.and", lang).join(_atom_text(part, lang) for part in rule.parts)


def rules_table(rules: RuleSet, lang: str) -> pd.DataFrame:
    """One row per rule (index = rule id): on, name, level, condition, threshold (None for
    a flag or a list), and what the rule reads (ledger / indicators / previous snapshot)."""
    rows = []
    for r in rules.rules:
        needs = r.needs
        reads = [t("warn.reads.ledger", lang)] if any(p.get("field", p.get("change")) in LOAN_FIELDS
                                                       for p in r.parts) else []
        if "matrix" in needs:
            reads.append(t("warn.reads.indicators", lang))
        if "previous" in needs:
            reads.append(t("warn.reads.previous", lang))
        rows.append({
            t("warn.col.enabled", lang): r.enabled,
            t("warn.col.rule", lang): r.name(lang),
            t("warn.col.level", lang): level_label(r.level, lang),
            t("warn.col.condition", lang): condition_text(r, lang),
            t("warn.col.threshold", lang): _threshold_text(r.threshold),
            t("warn.col.reads", lang): join_list(reads, lang),
        })
    return pd.DataFrame(rows, index=pd.Index([r.id for r in rules.rules], name="rule_id", dtype="str"))


def _threshold_text(value: float | None) -> str:
    """A threshold as an editable text cell: ``30``, ``0.85``, ``-0.3``; "—" for none."""
    if value is None:
        return NO_THRESHOLD
    return str(int(value)) if float(value).is_integer() else str(float(value))


def _parse_threshold(text: object, rule: Rule, lang: str) -> float | None:
    """The number typed in a threshold cell (None for "—" or empty)."""
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return None
    if isinstance(text, (int, float)):
        return float(text)
    cleaned = str(text).strip().replace("，", ".").replace(",", ".").replace("％", "%")
    if cleaned in ("", NO_THRESHOLD, "-"):
        return None
    scale = 1.0
    if cleaned.endswith("%"):
        cleaned, scale = cleaned[:-1].strip(), 0.01
    try:
        number = float(cleaned) * scale
    except ValueError:
        raise ValueError(t("warn.error.threshold", lang, rule=rule.name(lang), value=str(text))) from None
    if not math.isfinite(number):
        raise ValueError(t("warn.error.threshold", lang, rule=rule.name(lang), value=str(text)))
    return number


def rules_from_table(rules: RuleSet, edited: pd.DataFrame, lang: str) -> RuleSet:
    """``rules`` with the editable columns of ``edited`` (a :func:`rules_table` after the
    user's edits) applied: on/off, level and threshold.

    Raises
    ------
    riskcore.warning.RuleError
        A threshold the rule cannot take (e.g. a number on a flag rule); the message
        names the rule and the part of its condition.
    ValueError
        A level that is not one of the options (a pasted cell).
    """
    levels = {level_label(level, lang): level for level in LEVEL_ORDER}
    out = rules
    for r in rules.rules:
        if r.id not in edited.index:
            continue
        row = edited.loc[r.id]
        changed = r
        enabled = row[t("warn.col.enabled", lang)]
        if enabled is not None and not (isinstance(enabled, float) and math.isnan(enabled)):
            changed = changed.with_changes(enabled=bool(enabled))
        level = row[t("warn.col.level", lang)]
        if isinstance(level, str) and level:
            if level not in levels:
                raise ValueError(t("warn.error.option", lang, rule=r.name(lang), value=level))
            changed = changed.with_changes(level=levels[level])
        threshold = _parse_threshold(row[t("warn.col.threshold", lang)], r, lang)
        if threshold is not None and (changed.threshold is None or threshold != changed.threshold):
            changed = changed.with_threshold(threshold)
        if changed != r:
            out = out.replaced(changed)
    return out


def _trigger_text(rows: pd.DataFrame, lang: str) -> str:
    parts = []
    for row in rows.itertuples(index=False):
        label = field_label(str(row.field), lang)
        if row.kind == "change":
            parts.append(f"{label} {_value(str(row.field), row.previous, lang)}→{_value(str(row.field), row.value, lang)}")
        elif row.op in ("is_true", "is_false"):
            parts.append(label)
        else:
            parts.append(f"{label} {_value(str(row.field), row.value, lang)}")
    loan = str(rows["loan_id"].iloc[0])
    text = ", ".join(parts)
    return f"{text}（{loan}）" if loan and lang == "zh" else f"{text} ({loan})" if loan else text


def watchlist_display(watchlist: Watchlist, rules: RuleSet, lang: str, *,
                      levels: tuple[str, ...] | None = None) -> pd.DataFrame:
    """The watchlist as users read it, worst first: level, borrower, branch, industry,
    balance (万元), worst class, the rules that fired and the values that fired them.

    The same frame is shown on screen and written to the CSV/XLSX downloads.
    """
    table = watchlist.table if levels is None else watchlist.filter(levels)
    names = {r.id: r.name(lang) for r in rules.rules}
    hits = watchlist.hits
    texts: dict[str, list[str]] = {}
    if len(hits):
        for (bid, rid), rows in hits.groupby(["borrower_id", "rule_id"], sort=False):
            texts.setdefault(str(bid), []).append(f"{names.get(str(rid), str(rid))}: {_trigger_text(rows, lang)}")
    sep = "；" if lang == "zh" else "; "
    return pd.DataFrame({
        t("warn.col.level", lang): [level_label(v, lang) for v in table["level"]],
        t("warn.col.borrower_id", lang): table["borrower_id"].astype("str").to_numpy(),
        t("warn.col.borrower_name", lang): table["borrower_name"].astype("str").to_numpy(),
        t("warn.col.branch", lang): table["branch_name"].astype("str").to_numpy(),
        t("warn.col.industry", lang): [industry_label(str(c)[:1].upper(), c, lang) for c in table["industry_code"]],
        t("warn.col.balance_wan", lang): table["balance"].astype("float64").to_numpy() / 1e4,
        t("warn.col.worst_class", lang): [class_label(c, lang) for c in table["worst_class"]],
        t("warn.col.n_rules", lang): table["n_rules"].astype("int64").to_numpy(),
        t("warn.col.rules", lang): [join_list((names.get(i, i) for i in ids), lang) for ids in table["rule_ids"]],
        t("warn.col.triggers", lang): [sep.join(texts.get(str(b), [])) for b in table["borrower_id"]],
    })


def skipped_lines(skipped: tuple[SkippedRule, ...], rules: RuleSet, lang: str) -> list[str]:
    """One sentence per rule that could not be evaluated, naming the rule and why."""
    names = {r.id: r.name(lang) for r in rules.rules}
    return [t(f"warn.skipped.{s.reason}", lang, rule=names.get(s.rule_id, s.rule_id), detail=s.detail)
            for s in skipped]


def counts_figure(counts: pd.DataFrame, lang: str) -> go.Figure:
    """Stacked bars of flagged borrowers by worst level at each snapshot (red at the bottom)."""
    fig = go.Figure()
    x = [pd.Timestamp(d).strftime("%Y-%m-%d") for d in counts.index]
    for level in LEVEL_ORDER:
        values = counts[level].astype("int64").tolist() if level in counts.columns else [0] * len(x)
        fig.add_bar(x=x, y=values, name=level_label(level, lang), marker_color=LEVEL_COLORS[level],
                    hovertemplate="%{x}<br>%{fullData.name}: %{y:,}<extra></extra>")
    fig.update_layout(
        template=house_template(),
        title={"text": t("warn.chart.counts", lang), "subtitle": {"text": t("warn.chart.counts_note", lang)}},
        barmode="stack", height=440, margin={"t": 96},
        legend={"orientation": "h", "x": 0, "y": -0.18, "traceorder": "normal"},
        xaxis={"title": {"text": t("warn.chart.snapshot", lang)}, "type": "category"},
        yaxis={"title": {"text": t("warn.chart.borrowers", lang)}, "showgrid": True, "rangemode": "tozero"},
    )
    return fig


def versions_table(versions: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The store's saved rule-set versions (``LedgerStore.rule_sets()``) with headers in
    ``lang`` and times in China Standard Time."""
    return pd.DataFrame({
        t("warn.col.set_name", lang): versions["name"].astype("str"),
        t("warn.col.version", lang): versions["version"].astype("int64"),
        t("warn.col.author", lang): versions["author"].astype("str"),
        t("warn.col.saved_at", lang): versions["created_at"].dt.tz_convert("Asia/Shanghai").dt.strftime(
            "%Y-%m-%d %H:%M"),
        t("warn.col.comment", lang): versions["comment"].fillna("").astype("str"),
        t("warn.col.rules_enabled", lang): versions["rules_enabled"].astype("int64"),
    })


def field_reference(lang: str) -> pd.DataFrame:
    """Every field a condition may read: name (to type in a condition), what it is, kind
    and the ops it takes."""
    rows = []
    for name, spec in {**LOAN_FIELDS, **BORROWER_FIELDS}.items():
        ops = "is_true, is_false" if spec.kind == "flag" else ">, >=, <, <=, ==, !=, in"
        change = ("downgrade" if spec.kind == "class" else "" if spec.kind == "flag" else "rise, fall")
        rows.append({
            t("warn.col.field", lang): name,
            t("warn.col.meaning", lang): field_label(name, lang),
            t("warn.col.scope", lang): t(f"warn.scope.{spec.scope}", lang),
            t("warn.col.ops", lang): ops,
            t("warn.col.change_ops", lang): change or "—",
        })
    return pd.DataFrame(rows)
