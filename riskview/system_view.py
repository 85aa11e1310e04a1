"""Tables of the indicator-system page: the editable indicator table and its way back to an
:class:`~riskcore.system.IndicatorSystem`, and the saved versions. Labels in the UI
language; the numbers come from riskcore."""

from __future__ import annotations

import dataclasses

import pandas as pd

from riskcore.system import DIRECTIONS, MISSING_POLICIES, IndicatorSetting, IndicatorSystem
from riskview.i18n import criterion_label, indicator_label, t

__all__ = [
    "EDITABLE",
    "criterion_options",
    "direction_label",
    "system_from_table",
    "system_table",
    "versions_table",
]

#: Columns of :func:`system_table` the user may edit (message ids of their headers).
EDITABLE = ("system.col.enabled", "system.col.criterion", "system.col.direction", "system.col.missing")


def direction_label(direction: str, lang: str) -> str:
    """Short direction label ("Cost ↓"), as in the entropy table."""
    return t(f"entropy.dir.{direction}", lang)


def _policy_label(policy: str, lang: str) -> str:
    return t(f"system.policy.{policy}", lang)


def criterion_options(system: IndicatorSystem, lang: str) -> list[str]:
    """The criteria as the editor offers them (labels, in system order)."""
    return [criterion_label(c, lang) for c in system.criteria]


def system_table(system: IndicatorSystem, lang: str, affected: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per indicator, in system order: on/off, name, criterion, direction, unit,
    how it is computed, missing-value policy, and (given ``affected`` from
    :func:`riskcore.indicators.affected_borrowers`) how many borrowers of the current book
    miss it and what the policy does to them. Index = indicator key."""
    rows = []
    for s in system.indicators:
        missing, effect = "—", "—"
        if affected is not None and s.key in affected.index:
            n = int(affected.at[s.key, "missing"])
            missing = f"{n:,} / {int(affected.at[s.key, 'borrowers']):,}"
            effect = t(f"system.action.{s.missing}", lang, n=n) if n and s.enabled else (
                t("system.action.off", lang) if not s.enabled else t("system.action.none", lang))
        rows.append({
            t("system.col.enabled", lang): s.enabled,
            t("system.col.indicator", lang): indicator_label(s.key, lang),
            t("system.col.criterion", lang): criterion_label(s.criterion, lang),
            t("system.col.direction", lang): direction_label(s.direction, lang),
            t("system.col.unit", lang): t(f"system.unit.{s.unit}", lang) if s.unit in _UNITS else s.unit,
            t("system.col.source", lang): s.formula if s.formula is not None else s.source,
            t("system.col.missing", lang): _policy_label(s.missing, lang),
            t("system.col.missing_count", lang): missing,
            t("system.col.effect", lang): effect,
        })
    frame = pd.DataFrame(rows, index=pd.Index([s.key for s in system.indicators], name="key"))
    return frame


_UNITS = ("ratio", "times", "years", "days", "count", "score")


def system_from_table(system: IndicatorSystem, edited: pd.DataFrame, lang: str) -> IndicatorSystem:
    """``system`` with the editable columns of ``edited`` (a :func:`system_table` after the
    user's edits) applied.

    Raises
    ------
    ValueError
        A label that is not an option (a pasted cell), or a system that is no longer valid
        (e.g. every indicator switched off); the message names the indicator.
    """
    criteria = {criterion_label(c, lang): c for c in system.criteria}
    directions = {direction_label(d, lang): d for d in DIRECTIONS}
    policies = {_policy_label(p, lang): p for p in MISSING_POLICIES}
    settings: list[IndicatorSetting] = []
    for s in system.indicators:
        row = edited.loc[s.key]
        name = indicator_label(s.key, lang)

        def pick(column: str, options: dict[str, str], current: str) -> str:
            value = row[t(column, lang)]
            if value is None or (isinstance(value, float) and pd.isna(value)):
                return current
            if value not in options:
                raise ValueError(t("system.error.option", lang, indicator=name, value=str(value),
                                   column=t(column, lang)))
            return options[value]

        settings.append(dataclasses.replace(
            s,
            enabled=bool(row[t("system.col.enabled", lang)]),
            criterion=pick("system.col.criterion", criteria, s.criterion),
            direction=pick("system.col.direction", directions, s.direction),  # type: ignore[arg-type]
            missing=pick("system.col.missing", policies, s.missing),  # type: ignore[arg-type]
        ))
    if not any(s.enabled for s in settings):
        raise ValueError(t("system.error.none_enabled", lang))
    return dataclasses.replace(system, indicators=tuple(settings))


def versions_table(versions: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The store's saved versions (``LedgerStore.systems()``) with headers in ``lang`` and
    times in China Standard Time."""
    return pd.DataFrame({
        t("system.col.name", lang): versions["name"].astype("str"),
        t("system.col.version", lang): versions["version"].astype("int64"),
        t("system.col.author", lang): versions["author"].astype("str"),
        t("system.col.saved_at", lang): versions["created_at"].dt.tz_convert("Asia/Shanghai").dt.strftime(
            "%Y-%m-%d %H:%M"),
        t("system.col.comment", lang): versions["comment"].fillna("").astype("str"),
        t("system.col.enabled_count", lang): versions["indicators_enabled"].astype("int64"),
    })
