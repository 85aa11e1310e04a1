"""The indicator system (issue #4 item 1): criteria → indicators, each with its source
or formula, direction, unit, on/off and missing-value rule with the borrowers it affects;
formula indicators added and removed; named versions saved in the store; JSON in and out.

A thin page: riskcore.system holds and checks the system, riskcore.indicators counts the
borrowers affected, riskcore.store keeps the versions; riskview words the tables. The
system being edited lives in ``st.session_state["indicator_system"]`` (this browser
session); every analysis page builds its matrices with it.
"""

from __future__ import annotations

import dataclasses
import hashlib

import pandas as pd
import streamlit as st

from app_pages.common import (
    CHART_ARGS,
    SYSTEM,
    active_system,
    book_cache,
    book_choices,
    book_data,
    book_system,
    current_book_key,
)
from riskcore.formula import FORMULA_FIELDS, FormulaError, parse_formula
from riskcore.indicators import affected_borrowers
from riskcore.store import LedgerStore
from riskcore.system import DIRECTIONS, MISSING_POLICIES, IndicatorSetting, IndicatorSystem
from riskcore.system import from_json as system_from_json
from riskcore.system import to_json as system_to_json
from riskview.figures import system_tree
from riskview.i18n import criterion_label, t
from riskview.system_view import (
    EDITABLE,
    criterion_options,
    direction_label,
    system_from_table,
    system_table,
    versions_table,
)

lang = st.session_state.get("lang", "zh")
ss = st.session_state
ss.setdefault("system_gen", 0)  # renews the editor's widget key after a load, reset or import
ss.setdefault("system_flash", None)
store = LedgerStore()


@book_cache(max_entries=8)
def _affected(book_key: str, system_json: str) -> pd.DataFrame:
    """Borrowers missing each indicator (all switched on, to count the off ones too) at the
    book's latest snapshot, all branches."""
    system = system_from_json(system_json)
    every = dataclasses.replace(system, indicators=tuple(dataclasses.replace(s, enabled=True)
                                                         for s in system.indicators))
    book = book_data(book_key)
    latest = book_choices(book_key)[0][0]
    return affected_borrowers(book.loans, book.borrowers, pd.Timestamp(latest), every)


def _use(system: IndicatorSystem | None, flash: tuple[str, str] | None = None) -> None:
    """Make ``system`` this session's system (None: the default) and renew the editor."""
    if system is None:
        ss.pop(SYSTEM, None)
    else:
        ss[SYSTEM] = system
    ss.pop("system_version", None)
    ss["system_gen"] += 1
    ss["system_flash"] = flash


def _formula_reason(error: Exception) -> str:
    if isinstance(error, FormulaError):
        return t("system.formula_error", lang, column=error.column, reason=str(error))
    return str(error)


st.title(t("system.title", lang))
st.caption(t("system.intro", lang))
if ss["system_flash"] is not None:
    kind, text = ss["system_flash"]
    getattr(st, kind)(text)
    ss["system_flash"] = None

system = active_system()
book_key = current_book_key()
version = ss.get("system_version")
state = (t("system.state.saved", lang, version=version[1]) if version is not None and version[0] == system.name
         else t("system.state.default", lang) if book_system(book_key) is None
         else t("system.state.modified", lang))
st.markdown(t("system.current", lang, name=system.name, state=state, enabled=len(system.enabled),
              total=len(system.indicators), criteria=len({s.criterion for s in system.enabled})))

# --- the indicators ----------------------------------------------------------------------
affected = _affected(book_key, system_to_json(system))
with st.container():
    st.subheader(t("system.table", lang))
    table = system_table(system, lang, affected)
    edited = st.data_editor(
        table, hide_index=True, width="stretch", height=38 + 35 * len(table), key=f"system_editor_{ss['system_gen']}_{lang}",
        disabled=[c for c in table.columns if c not in {t(k, lang) for k in EDITABLE}],
        column_config={
            t("system.col.enabled", lang): st.column_config.CheckboxColumn(width=48),
            t("system.col.indicator", lang): st.column_config.TextColumn(width=180),
            t("system.col.criterion", lang): st.column_config.SelectboxColumn(
                options=criterion_options(system, lang), required=True, width=120),
            t("system.col.unit", lang): st.column_config.TextColumn(width=50),
            t("system.col.missing_count", lang): st.column_config.TextColumn(width=100),
            t("system.col.direction", lang): st.column_config.SelectboxColumn(
                options=[direction_label(d, lang) for d in DIRECTIONS], required=True, width=90),
            t("system.col.missing", lang): st.column_config.SelectboxColumn(
                options=[t(f"system.policy.{p}", lang) for p in MISSING_POLICIES], required=True, width=120),
            t("system.col.source", lang): st.column_config.TextColumn(width=220),
        },
    )
    st.caption(t("system.table_note", lang))
try:
    changed = system_from_table(system, edited, lang)
except ValueError as error:
    st.error(t("system.error.invalid", lang, reason=str(error)))
else:
    if changed != system:
        ss[SYSTEM] = changed
        ss.pop("system_version", None)
        st.rerun()
if any(s.missing == "exclude" for s in system.enabled):
    total = int(affected["borrowers"].iloc[0]) if len(affected) else 0
    enabled_excluded = affected.loc[[s.key for s in system.enabled if s.missing == "exclude"], "missing"]
    left_out = max(int(affected.attrs.get("excluded_total", 0)), int(enabled_excluded.max()))
    if total - left_out < 2:
        st.error(t("system.error.too_few", lang, n=total - left_out))
    else:
        st.caption(t("system.excluded_total", lang, n=left_out, total=total))

# --- formula indicators -------------------------------------------------------------------
add, tree = st.columns([3, 2], gap="large")
with tree:
    st.subheader(t("system.tree", lang))
    st.plotly_chart(system_tree(system, lang), **CHART_ARGS)
with add:
    st.subheader(t("system.add", lang))
    st.caption(t("system.add_help", lang))
    with st.form("system_add", clear_on_submit=False, border=True):
        c1, c2 = st.columns(2)
        key = c1.text_input(t("system.add.key", lang), key="system_add_key").strip()
        criterion = c2.selectbox(t("system.add.criterion", lang), list(system.criteria), accept_new_options=True,
                                 format_func=lambda c: criterion_label(c, lang), key=f"system_add_criterion_{lang}")
        formula = st.text_input(t("system.add.formula", lang), key="system_add_formula")
        c3, c4, c5 = st.columns(3)
        direction = c3.selectbox(t("system.col.direction", lang), DIRECTIONS,
                                 format_func=lambda d: t(f"dir.{d}", lang), key=f"system_add_direction_{lang}")
        policy = c4.selectbox(t("system.col.missing", lang), MISSING_POLICIES,
                              format_func=lambda p: t(f"system.policy.{p}", lang), key=f"system_add_policy_{lang}")
        unit = c5.text_input(t("system.add.unit", lang), value="ratio", key="system_add_unit")
        if st.form_submit_button(t("system.add.submit", lang), type="primary"):
            try:
                parse_formula(formula.strip())  # its own error carries the column
                criteria = system.criteria if criterion in system.criteria else (*system.criteria, str(criterion))
                setting = IndicatorSetting(key=key, criterion=str(criterion), direction=direction, missing=policy,
                                           unit=unit.strip(), source=formula.strip(), formula=formula.strip())
                new = dataclasses.replace(system, criteria=criteria).with_indicator(setting)
            except ValueError as error:
                st.error(t("system.add.error", lang, reason=_formula_reason(error)))
            else:
                _use(new, ("success", t("system.added", lang, name=key)))
                st.rerun()
    with st.expander(t("system.fields", lang)):
        st.dataframe(pd.DataFrame({t("system.col.field", lang): list(FORMULA_FIELDS),
                                   t("system.col.meaning", lang): list(FORMULA_FIELDS.values())}),
                     hide_index=True, width="stretch")
    custom = [s.key for s in system.indicators if not s.is_builtin]
    if custom:
        st.subheader(t("system.remove", lang))
        gone = st.selectbox(t("system.col.indicator", lang), custom, key="system_remove_key")
        if st.button(t("system.remove.submit", lang), key="system_remove"):
            try:
                _use(system.without_indicator(gone), ("success", t("system.removed", lang, name=gone)))
            except ValueError as error:
                st.error(t("system.error.invalid", lang, reason=str(error)))
            else:
                st.rerun()

# --- versions --------------------------------------------------------------------------------
st.subheader(t("system.versions", lang))
versions = store.systems()
save, load = st.columns(2, gap="large")
with save:
    with st.form("system_save", border=True):
        st.markdown(f"**{t('system.save', lang)}**")
        name = st.text_input(t("system.save.name", lang), value=system.name, key="system_save_name").strip()
        author = st.text_input(t("system.save.author", lang), key="system_save_author").strip()
        comment = st.text_area(t("system.save.comment", lang), key="system_save_comment", height=80)
        if st.form_submit_button(t("system.save.submit", lang), type="primary"):
            if not author:
                st.error(t("system.author_required", lang))
            else:
                try:
                    record = store.save_system(system.renamed(name or system.name), author=author, comment=comment)
                except ValueError as error:
                    st.error(t("system.save.error", lang, reason=str(error)))
                else:
                    ss[SYSTEM] = system.renamed(record.name)
                    ss["system_version"] = (record.name, record.version)
                    message = "system.unchanged" if record.unchanged else "system.saved"
                    ss["system_flash"] = ("success", t(message, lang, name=record.name, version=record.version))
                    st.rerun()
with load:
    if versions.empty:
        st.caption(t("system.versions_none", lang))
    else:
        choices = list(zip(versions["name"], versions["version"], strict=True))
        chosen = st.selectbox(t("system.load_choice", lang), range(len(choices)), key=f"system_load_choice_{lang}",
                              format_func=lambda i: f"{choices[i][0]} · v{choices[i][1]}")
        if st.button(t("system.load", lang), key="system_load"):
            name_, version_ = choices[chosen]
            _use(store.load_system(str(name_), int(version_)),
                 ("success", t("system.loaded", lang, name=name_, version=int(version_))))
            ss["system_version"] = (str(name_), int(version_))
            st.rerun()
    if st.button(t("system.reset", lang), key="system_reset", disabled=book_system(book_key) is None):
        _use(None)
        st.rerun()
if not versions.empty:
    st.dataframe(versions_table(versions, lang), hide_index=True, width="stretch")

export, import_ = st.columns(2, gap="large")
export.download_button(t("system.export", lang), data=system_to_json(system).encode("utf-8"),
                       file_name=f"{system.name}.json", mime="application/json", on_click="ignore",
                       icon=":material/download:", key="system_export")
uploaded = import_.file_uploader(t("system.import", lang), type=["json"], key="system_import")
if uploaded is not None:
    data = uploaded.getvalue()
    digest = hashlib.sha256(data).hexdigest()
    if ss.get("system_imported") != digest:  # apply a file once, not on every rerun
        ss["system_imported"] = digest
        try:
            imported = system_from_json(data.decode("utf-8-sig"))
        except (ValueError, UnicodeDecodeError) as error:
            ss["system_flash"] = ("error", t("system.import_error", lang, file=uploaded.name, reason=str(error)))
        else:
            _use(imported, ("success", t("system.imported", lang, name=imported.name)))
        st.rerun()
