"""AHP subjective weights: pairwise judgments by one or more experts, consistency, global weights.

A thin page: widgets and layout here; the numbers come from riskcore.weights.ahp
(``ahp_matrix_from_pairs``, ``ahp_weights``, ``ahp_revision``, ``ahp_panel``,
``ahp_hierarchy``), the tables, figures, labels and file format from riskview.ahp_view.
Everything the user enters lives in ``st.session_state`` (this browser session only);
nothing is cached across sessions.

Session-state contract (read by the ranking and what-if pages)
---------------------------------------------------------------
Written on every run of this page, right after the judgments are evaluated:

``st.session_state["ahp_global_weights"]``
    ``pd.Series`` of float, index = keys of the indicators switched on in the session's
    indicator system (``app_pages.common.active_system``; by default all 23 of
    ``riskcore.indicators.DEFAULT_INDICATORS``, in system order), name ``"weight"``, summing to 1 (to rounding): criterion
    weight × local indicator weight (``riskcore.weights.ahp.ahp_hierarchy``). With more
    than one expert they come from the panel's aggregate matrices (weighted geometric mean
    of the judgments, ``ahp_panel``); with one expert, from that expert's matrices.
``st.session_state["ahp_criterion_weights"]``
    ``pd.Series`` of float, index = the criteria of the system that have an indicator switched
    on (in system order), name ``"weight"``, summing to 1: the criteria-level weights behind the
    global weights.
``st.session_state["ahp_weights_info"]``
    ``dict``: ``source`` (``"expert"`` or ``"panel"``), ``experts`` (names aggregated into
    the criteria matrix), ``experts_by_matrix`` (matrix key -> names aggregated into it; with one
    expert, that expert for every matrix), ``ri_table`` (name), ``total_cr`` (float, Saaty's
    hierarchy CR over the criteria and indicator matrices), ``criteria_cr`` and ``indicator_cr``
    (the criteria matrix's CR and the indicator level's total-ranking CR) and ``consistent``
    (bool: every matrix used and the total have CR ≤ 0.10).

All three keys are removed while the judgments cannot give global weights (a matrix whose
judgments do not link all its elements, for every expert with a positive weight), so a
reader never sees stale weights: test ``"ahp_global_weights" in st.session_state`` and fall
back to its own weights otherwise. The keys exist only once this page has run in the session.

Page-private keys start with ``ahp_`` as well: ``ahp_judgments`` (the
:class:`riskview.ahp_view.JudgmentSet`), ``ahp_current`` (index of the expert being edited),
``ahp_gen`` / ``ahp_edit_gen`` (generations that renew widget keys after a structural change
or an edit), ``ahp_editors`` (pairwise editors of the last run), ``ahp_matrix`` and
``ahp_add_from`` (choices kept across a language switch) and ``ahp_flash`` (messages for the
next run, kept as message ids so they show in the language of the run that shows them).

The expert widgets (selector, name, weight) get their values as arguments and are never
written through session state; whatever changes what they show (a rename, a refused name,
adding, removing, loading) renews their keys with ``ahp_gen``. A selectbox's value travels as
its option's label: a browser keeps sending the old label after a rename, so the selector must
be a new widget once its labels change.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd
import streamlit as st

from app_pages.common import CHART_ARGS, active_system
from riskcore.weights.ahp import ahp_revision
from riskview.ahp_view import (
    CRITERIA_MATRIX,
    RI_TABLE_NAMES,
    Expert,
    Judgment,
    JudgmentFileError,
    JudgmentSet,
    MatrixSpec,
    apply_edits,
    blank_judgments,
    default_judgment_set,
    fit_judgments,
    element_label,
    evaluate,
    experts_phrase,
    experts_status_notes,
    experts_table,
    file_error_text,
    from_json,
    global_table,
    hierarchy_failures_text,
    intensity_options,
    local_weight_bar,
    matrix_name,
    matrix_table,
    matrix_title,
    missing_matrices_text,
    new_expert_name,
    pair_columns,
    pairs_frame,
    panel_advice,
    panel_advice_text,
    panel_cr_table,
    panel_source_lines,
    panel_weight_chart,
    panel_weights_table,
    revision_text,
    set_judgment,
    set_matrix,
    side_options,
    system_specs,
    to_json,
)
from riskview.figures import weight_bar
from riskview.i18n import criterion_label, join_list, t

lang = st.session_state.get("lang", "zh")
SYSTEM_IN_USE = active_system()
SPECS = system_specs(SYSTEM_IN_USE)
SPEC_BY_KEY = {s.key: s for s in SPECS}
CRITERIA_OF = pd.Series({s.key: s.criterion for s in SYSTEM_IN_USE.enabled})
OUTPUT_KEYS = ("ahp_global_weights", "ahp_criterion_weights", "ahp_weights_info")

ss = st.session_state
for _key, _default in (("ahp_gen", 0), ("ahp_edit_gen", 0), ("ahp_current", 0), ("ahp_editors", {}),
                       ("ahp_flash", {})):
    ss.setdefault(_key, _default)
_structure = tuple((s.key, s.elements) for s in SPECS)
if "ahp_judgments" not in ss:
    ss["ahp_judgments"] = default_judgment_set(SPECS, lang)
elif ss.get("ahp_structure") != _structure:
    # The indicator system changed since the judgments were made: keep what still applies.
    ss["ahp_judgments"] = fit_judgments(ss["ahp_judgments"], SPECS)
    ss["ahp_gen"] += 1
    ss["ahp_edit_gen"] += 1
    ss["ahp_editors"] = {}
ss["ahp_structure"] = _structure


def _judgments() -> JudgmentSet:
    js: JudgmentSet = ss["ahp_judgments"]
    return js


def _store(js: JudgmentSet, *, structural: bool = False) -> None:
    """Keep a new judgment set; renew the pairwise editors (and, after a structural
    change, every expert widget) so no stale widget state is applied to it."""
    ss["ahp_judgments"] = js
    ss["ahp_edit_gen"] += 1
    if structural:
        ss["ahp_gen"] += 1
    ss["ahp_current"] = min(ss["ahp_current"], len(js.experts) - 1)


def _lang() -> str:
    """The language now: a callback made by an earlier run may run in a rerun after a switch."""
    return str(ss.get("lang", "zh"))


def _flash(where: str, kind: str, message: str, **params: Any) -> None:
    """Keep a message for the next run as its id, so it shows in that run's language."""
    ss["ahp_flash"][where] = (kind, message, params)


def _show_flash(where: str) -> None:
    item = ss["ahp_flash"].pop(where, None)
    if item is not None:
        kind, message, *params = item
        getattr(st, kind)(t(message, lang, **params[0]) if params else message)


def _apply_pending_edits() -> None:
    """Apply the cell edits of last run's pairwise editors to the judgments (one edit at a
    time reaches here: every applied edit renews the editors)."""
    js, changed = _judgments(), False
    for key, (expert, matrix, ed_lang) in ss["ahp_editors"].items():
        state = ss.get(key)
        rows = state.get("edited_rows") if isinstance(state, dict) else None
        if not rows or expert >= len(js.experts):
            continue
        current = js.experts[expert].judgments[matrix]
        js = set_matrix(js, expert, matrix, apply_edits(SPEC_BY_KEY[matrix], current, rows, ed_lang))
        changed = True
    ss["ahp_editors"] = {}
    if changed:
        _store(js)


# --- callbacks (run before the script, so the page below sees their result) -------------------


def _on_ri(key: str) -> None:
    _store(JudgmentSet(_judgments().experts, ss[key]))


def _select_expert(index: int) -> None:
    """Edit another expert: renew the expert widgets so the selector shows them."""
    ss["ahp_current"] = index
    ss["ahp_gen"] += 1


def _on_name(key: str, index: int) -> None:
    js = _judgments()
    if index >= len(js.experts):
        return
    name = str(ss.get(key) or "").strip()
    others = {ex.name for i, ex in enumerate(js.experts) if i != index}
    if name == js.experts[index].name:
        # Nothing renamed (at most blanks around the name): show the kept name again.
        _store(js, structural=True)
        return
    if not name or name in others:
        _flash("experts", "warning", "ahp.name_taken", name=name)
        _store(js, structural=True)  # new name widget: shows the kept name
        return
    experts = list(js.experts)
    experts[index] = Expert(name, experts[index].weight, experts[index].judgments)
    # Structural: the selector's labels are the names, so it must be a new widget.
    _store(JudgmentSet(tuple(experts), js.ri_table), structural=True)


def _on_weight(key: str, index: int) -> None:
    js = _judgments()
    value = ss.get(key)
    if index >= len(js.experts) or not isinstance(value, int | float):
        return
    experts = list(js.experts)
    experts[index] = Expert(experts[index].name, float(value), experts[index].judgments)
    _store(JudgmentSet(tuple(experts), js.ri_table))


def _add_expert() -> None:
    js = _judgments()
    copy = ss.get(f"ahp_add_from_{lang}", ss.get("ahp_add_from")) == "copy"
    source = js.experts[ss["ahp_current"]]
    judgments = {k: dict(v) for k, v in source.judgments.items()} if copy else blank_judgments(SPECS)
    expert = Expert(new_expert_name((e.name for e in js.experts), _lang()), 1.0, judgments)
    _store(JudgmentSet((*js.experts, expert), js.ri_table), structural=True)
    ss["ahp_current"] = len(js.experts)


def _remove_expert(index: int) -> None:
    js = _judgments()
    if len(js.experts) > 1:
        _store(JudgmentSet(js.experts[:index] + js.experts[index + 1:], js.ri_table), structural=True)
        ss["ahp_current"] = max(0, index - 1)


def _apply_revision(expert: int, matrix: str, pair: tuple[str, str], value: float) -> None:
    _store(set_judgment(_judgments(), expert, matrix, pair, Judgment.from_value(value)))


def _reset() -> None:
    _store(default_judgment_set(SPECS, _lang()), structural=True)
    ss["ahp_current"] = 0


def _init(key: str, value: Any) -> str:
    """Give a widget its starting value through session state (no ``value=`` argument,
    so a callback may reset it without Streamlit's double-default warning)."""
    if key not in ss:
        ss[key] = value
    return key


def _badge(passed: bool, passed_text: str | None = None, failed_text: str | None = None) -> None:
    if passed:
        st.badge(passed_text or t("ahp.badge.pass", lang), color="green", icon=":material/check_circle:")
    else:
        st.badge(failed_text or t("ahp.badge.fail", lang), color="red", icon=":material/error:")


# --- page ---------------------------------------------------------------------------------------

_apply_pending_edits()
js = _judgments()
gen, current = ss["ahp_gen"], ss["ahp_current"]

st.title(t("ahp.title", lang))
st.caption(t("ahp.intro", lang, n=len(SPECS[0].elements)))

# Settings and experts: before the evaluation, which depends on them.
st.subheader(t("ahp.experts", lang))
_show_flash("experts")
c_expert, c_name, c_weight, c_ri = st.columns([3, 3, 2, 3], vertical_alignment="bottom")
# The expert widgets take their values as arguments (so a browser that re-creates one shows
# the real name and weight, not "" or 0.00) and get new keys whenever what they show changes.
current = min(max(current, 0), len(js.experts) - 1)
picked = c_expert.selectbox(
    t("ahp.expert", lang), range(len(js.experts)), index=current, format_func=lambda i: js.experts[i].name,
    key=f"ahp_expert_{gen}",
)
if isinstance(picked, int) and 0 <= picked < len(js.experts):
    current = picked
ss["ahp_current"] = current
name_key = f"ahp_name_{gen}_{current}"
c_name.text_input(
    t("ahp.expert_name", lang), value=js.experts[current].name, key=name_key,
    on_change=_on_name, args=(name_key, current),
)
weight_key = f"ahp_weight_{gen}_{current}"
expert_weight = float(js.experts[current].weight)
c_weight.number_input(
    t("ahp.expert_weight", lang), value=expert_weight, min_value=0.0, max_value=max(100.0, expert_weight),
    step=0.5, format="%.2f", help=t("ahp.expert_weight_help", lang), key=weight_key,
    on_change=_on_weight, args=(weight_key, current),
)
# Selectboxes whose labels depend on the language carry it in their key: a keyed selectbox
# otherwise keeps showing the previous language's label after a switch.
ri_key = _init(f"ahp_ri_{gen}_{lang}", js.ri_table)
c_ri.selectbox(
    t("ahp.ri_table", lang), RI_TABLE_NAMES, format_func=lambda n: t(f"ahp.ri.{n}", lang),
    help=t("ahp.ri_help", lang), key=ri_key, on_change=_on_ri, args=(ri_key,),
)
c_from, c_add, c_remove, _spacer = st.columns([3, 2, 2, 4], vertical_alignment="bottom")
from_key = _init(f"ahp_add_from_{lang}", ss.get("ahp_add_from", "blank"))
ss["ahp_add_from"] = c_from.selectbox(
    t("ahp.add_from", lang), ("blank", "copy"), format_func=lambda k: t(f"ahp.add_from.{k}", lang),
    key=from_key,
)
c_add.button(t("ahp.add_expert", lang), key="ahp_add", on_click=_add_expert, icon=":material/person_add:")
c_remove.button(
    t("ahp.remove_expert", lang), key="ahp_remove", on_click=_remove_expert, args=(current,),
    disabled=len(js.experts) < 2, icon=":material/person_remove:",
)

js = _judgments()
evaluation = evaluate(js, SPECS)
ri_name = t(f"ahp.ri.{js.ri_table}", lang)

# The contract for the other pages (see the module docstring).
hierarchy = evaluation.hierarchy
if hierarchy is not None:
    ss["ahp_global_weights"] = hierarchy.global_weights.astype("float64").rename("weight")
    ss["ahp_criterion_weights"] = hierarchy.criteria.weights.astype("float64").rename("weight")
    included = evaluation.panels[CRITERIA_MATRIX].included if evaluation.source == "panel" else (
        js.experts[0].name,)
    ss["ahp_weights_info"] = {
        "source": evaluation.source, "experts": list(included),
        "experts_by_matrix": {
            s.key: list(evaluation.panels[s.key].included if evaluation.source == "panel" else included)
            for s in SPECS
        },
        "ri_table": js.ri_table, "total_cr": float(hierarchy.total_cr),
        "criteria_cr": float(hierarchy.criteria.cr), "indicator_cr": float(hierarchy.indicator_cr),
        "consistent": bool(hierarchy.consistent),
    }
else:
    for key in OUTPUT_KEYS:
        ss.pop(key, None)

st.caption(t("ahp.experts_caption", lang, table=ri_name))
overview = experts_table(js, evaluation, lang)
st.dataframe(
    overview, hide_index=True, width="stretch",
    column_config={t("ahp.col.weight_share", lang): st.column_config.NumberColumn(format="percent")},
)
status_notes = experts_status_notes(js, evaluation, lang)
if status_notes:
    st.caption("  \n".join([t("ahp.status_note", lang), *status_notes]))

# --- one matrix ---------------------------------------------------------------------------------
st.subheader(t("ahp.judgments", lang))
if ss.get("ahp_matrix") not in SPEC_BY_KEY:
    ss["ahp_matrix"] = CRITERIA_MATRIX
# Its labels depend on the language and on the indicator system (counts): both renew the key.
matrix_key = ss["ahp_matrix"] = st.selectbox(
    t("ahp.matrix", lang), [s.key for s in SPECS], format_func=lambda k: matrix_title(SPEC_BY_KEY[k], lang),
    key=_init(f"ahp_matrix_{gen}_{lang}", ss["ahp_matrix"]),
)
spec: MatrixSpec = SPEC_BY_KEY[matrix_key]
expert = js.experts[current]
outcome = evaluation.experts[current][spec.key]
matrix_label = matrix_name(spec.key, lang)

if spec.n == 1:
    st.info(t("ahp.single", lang, name=criterion_label(spec.key, lang)))
else:
    result = outcome.result
    top_left, top_right = st.columns(2, gap="large")
    with top_left:
        if result is None:
            names = join_list((element_label(spec.key, e, lang) for e in outcome.unconnected), lang)
            st.warning(t("ahp.incomplete", lang, names=names))
        else:
            m1, m2 = st.columns(2)
            m1.metric(t("ahp.lambda_max", lang), f"{result.lambda_max:.4f}", border=True)
            m2.metric(t("ahp.ci", lang), f"{result.ci:.4f}", help=t("ahp.ci_help", lang), border=True)
            m3, m4 = st.columns(2)
            m3.metric(t("ahp.ri", lang), f"{result.ri:.2f}", help=t("ahp.ri_named", lang, table=ri_name),
                      border=True)
            m4.metric(t("ahp.cr", lang), f"{result.cr:.4f}", help=t("ahp.cr_help", lang), border=True)
            st.caption(t("ahp.ri_named", lang, table=ri_name))
            _badge(result.consistent)
            if not result.consistent:
                revision = ahp_revision(outcome.matrix, ri_table=js.ri_table)
                st.warning(revision_text(revision, spec.key, lang), icon=":material/edit_note:")
                st.button(
                    t("ahp.apply_revision", lang), key=f"ahp_apply_{gen}_{ss['ahp_edit_gen']}",
                    on_click=_apply_revision, icon=":material/auto_fix_high:",
                    args=(current, spec.key, (str(revision.row), str(revision.column)), revision.suggested_scale),
                )
    if result is not None:
        title = t("ahp.chart.local_title", lang, matrix=matrix_label, expert=expert.name)
        top_right.plotly_chart(local_weight_bar(spec, result.weights, lang, title=title), **CHART_ARGS)

    st.caption(t("ahp.editor_help", lang))
    cols = pair_columns(lang)
    editor_key = f"ahp_pairs_{gen}_{ss['ahp_edit_gen']}_{current}_{spec.key}_{lang}"
    st.data_editor(
        pairs_frame(spec, expert.judgments[spec.key], lang),
        key=editor_key, hide_index=True, num_rows="fixed", width="stretch",
        height=38 + 35 * len(spec.pairs) + 3,
        disabled=[cols["a"], cols["b"], cols["value"]],
        column_config={
            cols["a"]: st.column_config.TextColumn(width=235),
            cols["b"]: st.column_config.TextColumn(width=235),
            cols["more"]: st.column_config.SelectboxColumn(
                options=side_options(lang), required=True, width=195, help=t("ahp.col.more_help", lang)),
            cols["intensity"]: st.column_config.SelectboxColumn(
                options=intensity_options(lang), required=True, width=250, help=t("ahp.col.intensity_help", lang)),
            cols["value"]: st.column_config.TextColumn(width=100, help=t("ahp.col.value_help", lang)),
        },
    )
    ss["ahp_editors"][editor_key] = (current, spec.key, lang)

    st.caption(t("ahp.matrix_caption", lang))
    st.dataframe(
        matrix_table(outcome, lang), hide_index=True, width="stretch",
        column_config={t("ahp.col.weight", lang): st.column_config.NumberColumn(format="%.4f")},
    )
    if result is not None and result.filled:
        st.caption(t("ahp.filled_note", lang))

# --- the panel of this matrix ----------------------------------------------------------------------
if evaluation.source == "panel" and spec.n > 1:
    panel = evaluation.panels[spec.key]
    st.subheader(t("ahp.panel", lang, matrix=matrix_label))
    st.caption(t("ahp.panel_caption", lang, experts=experts_phrase(panel.included, lang), table=ri_name))
    if panel.excluded:
        st.warning(t("ahp.panel_excluded", lang, names=join_list(panel.excluded, lang)))
    if panel.panel is None:
        st.info(t("ahp.panel_none", lang))
    else:
        p_left, p_right = st.columns([6, 5], gap="large")
        with p_left:
            _badge(panel.panel.aggregate.consistent, t("ahp.badge.panel_pass", lang), t("ahp.badge.panel_fail", lang))
            advice = panel_advice(js, evaluation, spec.key)
            if advice is not None:
                st.warning(panel_advice_text(advice, spec.key, lang), icon=":material/person_search:")
                if advice.expert != current:
                    st.button(
                        t("ahp.panel_advice.go", lang, name=advice.name), key=f"ahp_go_{gen}_{ss['ahp_edit_gen']}",
                        on_click=_select_expert, args=(advice.expert,), icon=":material/arrow_upward:",
                    )
            st.dataframe(
                panel_cr_table(js, evaluation, spec.key, lang), hide_index=True, width="stretch",
                column_config={t("ahp.col.weight_share", lang): st.column_config.NumberColumn(format="percent")},
            )
            weights_frame = panel_weights_table(panel, lang)
            st.dataframe(
                weights_frame, hide_index=True, width="stretch",
                column_config={c: st.column_config.NumberColumn(format="%.4f") for c in weights_frame.columns[1:]},
            )
        with p_right:
            st.plotly_chart(
                panel_weight_chart(panel, lang, title=t("ahp.chart.panel_title", lang, matrix=matrix_label),
                                   subtitle=t("ahp.chart.panel_subtitle", lang)),
                **CHART_ARGS,
            )

# --- global weights ----------------------------------------------------------------------------------
st.subheader(t("ahp.global", lang))
if evaluation.source == "panel":
    st.caption("  \n".join([t("ahp.global.source_panel", lang), *panel_source_lines(evaluation, lang)]))
else:
    st.caption(t("ahp.global.source_expert", lang, name=js.experts[0].name))
if hierarchy is None:
    st.warning(t("ahp.global_unavailable", lang, matrices=missing_matrices_text(evaluation.blocking, lang)))
else:
    g1, g2, g3 = st.columns(3)
    g1.metric(t("ahp.criteria_cr", lang), f"{hierarchy.criteria.cr:.4f}", help=t("ahp.criteria_cr_help", lang),
              border=True)
    g2.metric(t("ahp.indicator_cr", lang), f"{hierarchy.indicator_cr:.4f}",
              help=t("ahp.indicator_cr_help", lang, table=ri_name), border=True)
    g3.metric(t("ahp.total_cr", lang), f"{hierarchy.total_cr:.4f}", help=t("ahp.total_cr_help", lang, table=ri_name),
              border=True)
    _badge(hierarchy.consistent, t("ahp.badge.hierarchy_pass", lang),
           t("ahp.badge.hierarchy_fail", lang, matrices=hierarchy_failures_text(hierarchy, lang)))
    st.caption(t("ahp.global_note", lang))
    table = global_table(hierarchy, lang)
    st.dataframe(
        table, hide_index=True, width="stretch", height=38 + 35 * len(table) + 3,
        column_config={
            t("ahp.col.criterion", lang): st.column_config.TextColumn(width=200),
            t("ahp.col.indicator", lang): st.column_config.TextColumn(width=320),
            **{
                t(k, lang): st.column_config.NumberColumn(format="%.4f", width=140)
                for k in ("ahp.col.criterion_weight", "ahp.col.local_weight", "ahp.col.global_weight")
            },
        },
    )
    figure = weight_bar(hierarchy.global_weights, CRITERIA_OF, lang)
    figure.update_layout(title={"text": t("ahp.chart.global_title", lang)})
    st.plotly_chart(figure, **CHART_ARGS)

# --- save and load -----------------------------------------------------------------------------------
st.subheader(t("ahp.io", lang))
_show_flash("io")
io_down, io_up, io_reset = st.columns([3, 4, 2], vertical_alignment="top")
stamp = datetime.now().astimezone()
io_down.download_button(
    t("ahp.download", lang), data=to_json(js, SPECS, saved_at=stamp.isoformat(timespec="seconds")).encode("utf-8"),
    file_name=f"ahp_judgments_{stamp:%Y%m%d-%H%M}.json", mime="application/json", on_click="ignore",
    icon=":material/download:", key="ahp_download",
)
io_reset.button(t("ahp.reset", lang), key="ahp_reset", on_click=_reset, icon=":material/restart_alt:")
uploaded = io_up.file_uploader(
    t("ahp.upload", lang), type=["json"], help=t("ahp.upload_help", lang), key=f"ahp_upload_{gen}",
)
if uploaded is not None:
    try:
        loaded = from_json(uploaded.getvalue(), SPECS)
    except JudgmentFileError as exc:
        io_up.error(file_error_text(exc, uploaded.name, lang))
    else:
        _store(loaded, structural=True)
        ss["ahp_current"] = 0
        _flash("io", "success", "ahp.loaded", file=uploaded.name, n=len(loaded.experts))
        st.rerun()
