"""Early warning (issue #5 item 6): the rule set (on/off, level and threshold edited in a
table; rules added as data; named versions in the store; JSON in and out), the watchlist
of the chosen snapshot filterable by level with CSV and XLSX downloads, and the warnings
by level over all snapshots on request.

A thin page: riskcore.warning holds, checks and evaluates the rules, riskcore.store keeps
the versions, riskview.warning_view words and draws. The rule set being edited lives in
``st.session_state["warn_rules"]`` (this browser session).
"""

from __future__ import annotations

import hashlib
import json

import pandas as pd
import streamlit as st

from app_pages.common import (
    CHART_ARGS,
    book_cache,
    book_choices,
    book_data,
    book_matrix,
    book_source_caption,
    current_book_key,
    is_sample,
    over_snapshots,
    widget_key,
)
from riskcore.indicators import IndicatorMatrix
from riskcore.store import LedgerStore
from riskcore.warning import (
    Rule,
    RuleError,
    RuleSet,
    Watchlist,
    counts_over_time,
    default_rules,
    evaluate_rules,
    to_csv_bytes,
    to_xlsx_bytes,
)
from riskcore.warning import from_json as rules_from_json
from riskcore.warning import to_json as rules_to_json
from riskview.i18n import format_amount, t
from riskview.warning_view import (
    EDITABLE,
    LEVEL_ORDER,
    counts_figure,
    field_reference,
    level_cell_styles,
    level_label,
    rules_from_table,
    rules_table,
    skipped_lines,
    versions_table,
    watchlist_display,
)

lang = st.session_state.get("lang", "zh")
ss = st.session_state
RULES = "warn_rules"  # st.session_state key of the RuleSet in use
ss.setdefault("warn_gen", 0)  # renews the editor's widget key after a load, reset, import or added rule
ss.setdefault("warn_flash", None)
store = LedgerStore()


def _rules() -> RuleSet:
    rules: RuleSet | None = ss.get(RULES)
    return rules if rules is not None else default_rules()


def _use(rules: RuleSet | None, flash: tuple[str, str] | None = None) -> None:
    """Make ``rules`` this session's rule set (None: the default) and renew the editor."""
    if rules is None:
        ss.pop(RULES, None)
    else:
        ss[RULES] = rules
    ss.pop("warn_version", None)
    ss["warn_gen"] += 1
    ss["warn_flash"] = flash


def _matrix(book_key: str, as_of: str | None, branches: tuple[str, ...]) -> IndicatorMatrix | None:
    if as_of is None:
        return None
    try:
        return book_matrix(book_key, as_of, branches)
    except ValueError:  # no live loan in these branches at that snapshot
        return None


@book_cache(max_entries=16)
def _watchlist(book_key: str, as_of: str, previous: str | None, branches: tuple[str, ...],
               rules_json: str) -> Watchlist:
    rules = rules_from_json(rules_json)
    needs = frozenset().union(*(r.needs for r in rules.enabled))
    return evaluate_rules(
        rules, book_data(book_key).loans, as_of, previous=previous, branches=list(branches),
        matrix=_matrix(book_key, as_of, branches) if "matrix" in needs else None,
        previous_matrix=_matrix(book_key, previous, branches) if "previous_matrix" in needs else None,
    )


st.title(t("warn.title", lang))
st.caption(t("warn.intro", lang))
if ss["warn_flash"] is not None:
    kind, text = ss["warn_flash"]
    getattr(st, kind)(text)
    ss["warn_flash"] = None
book_key = current_book_key()
st.caption(book_source_caption(book_key, lang))
dates, branch_names = book_choices(book_key)

pick_date, pick_branches = st.columns([1, 3])
as_of = pick_date.selectbox(t("warn.snapshot", lang), dates, key=widget_key("warn_snapshot", book_key))
branches = pick_branches.multiselect(
    t("warn.branches", lang), list(branch_names), default=list(branch_names),
    format_func=lambda b: f"{b} {branch_names.get(b, '')}".strip(), key=widget_key("warn_branches", book_key))
previous = next((d for d in dates if d < as_of), None)  # dates are latest first

# --- the rules --------------------------------------------------------------------------------
rules = _rules()
version = ss.get("warn_version")
state = (t("warn.state.saved", lang, version=version[1]) if version is not None and version[0] == rules.name
         else t("warn.state.default", lang) if rules == default_rules(rules.name) and rules.name == "default"
         else t("warn.state.modified", lang))
st.subheader(t("warn.rules", lang))
st.markdown(t("warn.current", lang, name=rules.name, state=state, enabled=len(rules.enabled), total=len(rules.rules)))
table = rules_table(rules, lang)
edited = st.data_editor(
    table, hide_index=True, width="stretch", key=f"warn_editor_{ss['warn_gen']}_{lang}",
    disabled=[c for c in table.columns if c not in {t(k, lang) for k in EDITABLE}],
    column_config={
        t("warn.col.enabled", lang): st.column_config.CheckboxColumn(width=48),
        t("warn.col.rule", lang): st.column_config.TextColumn(width=200),
        t("warn.col.level", lang): st.column_config.SelectboxColumn(
            options=[level_label(v, lang) for v in LEVEL_ORDER], required=True, width=100),
        t("warn.col.condition", lang): st.column_config.TextColumn(width=320),
        t("warn.col.threshold", lang): st.column_config.TextColumn(width=90, help=t("warn.threshold_help", lang)),
        t("warn.col.reads", lang): st.column_config.TextColumn(width=160),
    },
)
st.caption(t("warn.table_note", lang))
try:
    changed = rules_from_table(rules, edited, lang)
except (RuleError, ValueError) as error:
    st.error(t("warn.error.invalid", lang, reason=str(error)))
else:
    if changed != rules:
        ss[RULES] = changed
        ss.pop("warn_version", None)
        st.rerun()

add, remove = st.columns([3, 2], gap="large")
with add, st.expander(t("warn.add", lang)):
    st.caption(t("warn.add_help", lang, example='`{"field": "dpd", "op": ">", "value": 60}`',
                 change='`{"change": "five_class", "op": "downgrade"}`'))
    with st.form("warn_add", border=False):
        c1, c2, c3 = st.columns([2, 3, 3])
        rule_id = c1.text_input(t("warn.add.id", lang), key="warn_add_id").strip()
        name_zh = c2.text_input(t("warn.add.name_zh", lang), key="warn_add_name_zh").strip()
        name_en = c3.text_input(t("warn.add.name_en", lang), key="warn_add_name_en").strip()
        level = st.selectbox(t("warn.col.level", lang), LEVEL_ORDER, format_func=lambda v: level_label(v, lang),
                             key=f"warn_add_level_{lang}")
        condition = st.text_area(t("warn.add.condition", lang), key="warn_add_condition", height=90,
                                 value='{"field": "dpd", "op": ">", "value": 60}')
        if st.form_submit_button(t("warn.add.submit", lang), type="primary"):
            try:
                parsed = json.loads(condition)
                rule = Rule(rule_id, name_zh or name_en, name_en or name_zh, level, parsed)
                new = rules.with_rule(rule)
            except json.JSONDecodeError as error:
                st.error(t("warn.add.json_error", lang, line=error.lineno, column=error.colno, reason=error.msg))
            except (RuleError, ValueError) as error:
                st.error(t("warn.add.error", lang, reason=str(error)))
            else:
                _use(new, ("success", t("warn.added", lang, name=rule.name(lang))))
                st.rerun()
    st.dataframe(field_reference(lang), hide_index=True, width="stretch", height=240)
with remove:
    gone = st.selectbox(t("warn.remove", lang), [r.id for r in rules.rules], key=f"warn_remove_id_{lang}",
                        format_func=lambda i: rules.rule(i).name(lang))
    if st.button(t("warn.remove.submit", lang), key="warn_remove", disabled=len(rules.rules) < 2):
        _use(rules.without_rule(gone), ("success", t("warn.removed", lang, name=rules.rule(gone).name(lang))))
        st.rerun()

# --- versions ------------------------------------------------------------------------------
with st.expander(t("warn.versions", lang)):
    versions = store.rule_sets()
    save, load = st.columns(2, gap="large")
    with save, st.form("warn_save", border=True):
        st.markdown(f"**{t('warn.save', lang)}**")
        set_name = st.text_input(t("warn.save.name", lang), value=rules.name, key="warn_save_name").strip()
        author = st.text_input(t("warn.save.author", lang), key="warn_save_author").strip()
        comment = st.text_area(t("warn.save.comment", lang), key="warn_save_comment", height=80)
        if st.form_submit_button(t("warn.save.submit", lang), type="primary"):
            if not author:
                st.error(t("warn.author_required", lang))
            else:
                try:
                    record = store.save_rules(rules.renamed(set_name or rules.name), author=author, comment=comment)
                except (RuleError, ValueError) as error:
                    st.error(t("warn.save.error", lang, reason=str(error)))
                else:
                    ss[RULES] = rules.renamed(record.name)
                    ss["warn_version"] = (record.name, record.version)
                    message = "warn.unchanged" if record.unchanged else "warn.saved"
                    ss["warn_flash"] = ("success", t(message, lang, name=record.name, version=record.version))
                    st.rerun()
    with load:
        if versions.empty:
            st.caption(t("warn.versions_none", lang))
        else:
            choices = list(zip(versions["name"], versions["version"], strict=True))
            chosen = st.selectbox(t("warn.load_choice", lang), range(len(choices)), key=f"warn_load_choice_{lang}",
                                  format_func=lambda i: f"{choices[i][0]} · v{choices[i][1]}")
            if st.button(t("warn.load", lang), key="warn_load"):
                name_, version_ = choices[chosen]
                _use(store.load_rules(str(name_), int(version_)),
                     ("success", t("warn.loaded", lang, name=name_, version=int(version_))))
                ss["warn_version"] = (str(name_), int(version_))
                st.rerun()
        if st.button(t("warn.reset", lang), key="warn_reset", disabled=RULES not in ss):
            _use(None)
            st.rerun()
    if not versions.empty:
        st.dataframe(versions_table(versions, lang), hide_index=True, width="stretch")
    export, import_ = st.columns(2, gap="large")
    export.download_button(t("warn.export", lang), data=rules_to_json(rules).encode("utf-8"),
                           file_name=f"{rules.name}.json", mime="application/json", on_click="ignore",
                           icon=":material/download:", key="warn_export")
    uploaded = import_.file_uploader(t("warn.import", lang), type=["json"], key="warn_import")
    if uploaded is not None:
        data = uploaded.getvalue()
        digest = hashlib.sha256(data).hexdigest()
        if ss.get("warn_imported") != digest:  # apply a file once, not on every rerun
            ss["warn_imported"] = digest
            try:
                imported = rules_from_json(data.decode("utf-8-sig"))
            except (ValueError, UnicodeDecodeError) as error:
                ss["warn_flash"] = ("error", t("warn.import_error", lang, file=uploaded.name, reason=str(error)))
            else:
                _use(imported, ("success", t("warn.imported", lang, name=imported.name)))
            st.rerun()

# --- the watchlist ---------------------------------------------------------------------------
st.subheader(t("warn.watchlist", lang, date=as_of))
if not branches:
    st.warning(t("warn.no_branch", lang))
    st.stop()
rules_json = rules_to_json(rules)
watch = _watchlist(book_key, as_of, previous, tuple(branches), rules_json)
counts = watch.counts()
cards = st.columns(5)
cards[0].metric(t("warn.kpi.borrowers", lang), f"{watch.borrowers:,}", border=True)
cards[1].metric(t("warn.kpi.flagged", lang), f"{len(watch.table):,}", border=True)
for card, level in zip(cards[2:], LEVEL_ORDER, strict=True):
    card.metric(level_label(level, lang), f"{counts[level]:,}", border=True)
st.caption(t("warn.compared", lang, previous=previous) if previous is not None else t("warn.first_snapshot", lang))
for line in skipped_lines(watch.skipped, rules, lang):
    st.caption(line)

levels = st.multiselect(t("warn.filter", lang), LEVEL_ORDER, default=list(LEVEL_ORDER),
                        format_func=lambda v: level_label(v, lang), key=f"warn_levels_{lang}")
shown = watchlist_display(watch, rules, lang, levels=tuple(levels))
if shown.empty:
    st.info(t("warn.none", lang))
else:
    flagged_balance = float(watch.filter(levels)["balance"].sum())
    st.caption(t("warn.shown", lang, n=f"{len(shown):,}", balance=format_amount(flagged_balance, lang)))
    styles = level_cell_styles(lang)
    level_column = t("warn.col.level", lang)
    st.dataframe(shown.style.map(lambda label: styles.get(label, ""), subset=[level_column]),
                 hide_index=True, width="stretch", column_config={
        t("warn.col.balance_wan", lang): st.column_config.NumberColumn(format="accounting"),
        t("warn.col.triggers", lang): st.column_config.TextColumn(width="large"),
    })
stem = f"watchlist_{as_of}"
csv_col, xlsx_col, _ = st.columns([1, 1, 3])
csv_col.download_button(t("warn.download.csv", lang), data=lambda: to_csv_bytes(shown), file_name=f"{stem}.csv",
                        mime="text/csv", icon=":material/download:", key="warn_csv", disabled=shown.empty)
xlsx_col.download_button(t("warn.download.xlsx", lang), data=lambda: to_xlsx_bytes(shown, sheet_name=as_of),
                         file_name=f"{stem}.xlsx", icon=":material/download:", key="warn_xlsx",
                         mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                         disabled=shown.empty)

# --- warnings over time ----------------------------------------------------------------------
st.subheader(t("warn.trend", lang))
uses_matrices = any("matrix" in r.needs for r in rules.enabled)
if st.toggle(t("warn.trend.toggle", lang), key="warn_trend",
             help=t("warn.trend.help_matrices" if uses_matrices else "warn.trend.help", lang, n=len(dates))):
    progress_slot = st.empty()

    def _progress(i: int, n: int, date: pd.Timestamp) -> None:
        progress_slot.progress(i / n, text=t("warn.trend.progress", lang, i=i + 1, n=n,
                                             date=pd.Timestamp(date).strftime("%Y-%m-%d")))

    what = "warning|" + hashlib.sha256(rules_json.encode("utf-8")).hexdigest()[:16]
    chosen = tuple(branches)
    trend, seconds = over_snapshots(
        book_key, chosen, what,
        (lambda book, matrices: counts_over_time(rules, book, branches=list(chosen), matrices=matrices))
        if uses_matrices else
        (lambda book, _matrices: counts_over_time(rules, book, branches=list(chosen), on_progress=_progress)),
        _progress)
    progress_slot.empty()
    st.plotly_chart(counts_figure(trend, lang), **CHART_ARGS)
    st.caption(t("warn.trend.timing" if is_sample(book_key) else "warn.trend.timing_session", lang,
                 n=len(trend), seconds=f"{seconds:.1f}"))
