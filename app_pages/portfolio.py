"""Portfolio overview: the book's balance, NPL, special-mention, overdue and provision
ratios at one snapshot with their month-on-month change and regulatory thresholds; balance
by final class over the snapshots; the classification exceptions; required against booked
provisions under an editable provision table; the inclusive-SME NPL tolerance.

A thin page on the session's book (``current_book_key`` / ``book_data``): widgets and
layout here; every figure comes from riskcore (``ratios_over_time``, ``classify``,
``provision_comparison``), the words, tables and charts from riskview.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_pages.common import (
    CHART_ARGS,
    book_cache,
    book_choices,
    book_data,
    book_source_caption,
    current_book_key,
    widget_key,
)
from riskcore.classification import RULE_SETS, classify
from riskcore.ratios import PBOC_2002, PortfolioRatios, Ratio, RatiosOverTime, provision_comparison, ratios_over_time
from riskview.i18n import format_amount, t
from riskview.portfolio_view import (
    change_note,
    class_balance_figure,
    delta_text,
    exceptions_display,
    pp_text,
    provision_figure,
    provisions_display,
    rates_frame,
    ratio_value,
    ratio_with_reason,
    reason_text,
    rules_label,
    table_from_rates,
    table_label,
    threshold_caption,
)

lang = st.session_state.get("lang", "zh")


# Sample-book results are shared by every session; a session's own book stays in that
# session (book_cache, see app_pages/common.py). Classification runs on every branch and
# the branches are filtered after, because the debtor rule looks at all of a debtor's loans.
@book_cache(max_entries=16)
def _over_time(book_key: str, branches: tuple[str, ...], rules: str, debtor_rule: bool) -> RatiosOverTime:
    return ratios_over_time(book_data(book_key).loans, rules=rules, branches=list(branches), debtor_rule=debtor_rule)


@book_cache(max_entries=16)
def _exceptions(book_key: str, as_of: str, branches: tuple[str, ...], rules: str, debtor_rule: bool) -> pd.DataFrame:
    loans = book_data(book_key).loans
    snapshot = loans.loc[pd.to_datetime(loans["snapshot_date"]) == pd.Timestamp(as_of)]
    found = classify(snapshot, rules, debtor_rule=debtor_rule).exceptions
    return found.loc[found["branch_id"].astype("str").isin(branches)]


st.title(t("overview.title", lang))
st.caption(t("overview.intro", lang))

book_key = current_book_key()
dates, branch_names = book_choices(book_key)
c_date, c_branch, c_rules, c_debtor = st.columns([1, 2.4, 1.8, 1.3], vertical_alignment="bottom")
as_of = c_date.selectbox(t("overview.snapshot", lang), dates, index=0,
                         key=widget_key("overview_snapshot", book_key))
selected = c_branch.multiselect(
    t("overview.branches", lang), list(branch_names), default=list(branch_names),
    format_func=branch_names.__getitem__, key=widget_key("overview_branches", book_key),
)
rules = c_rules.selectbox(t("cls.rules.label", lang), tuple(RULE_SETS), index=0,
                          format_func=lambda name: rules_label(name, lang), help=t("cls.rules.help", lang),
                          key="overview_rules")
debtor_rule = c_debtor.toggle(t("cls.debtor_rule", lang), value=False, help=t("cls.debtor_rule_help", lang),
                              key="overview_debtor_rule")
st.caption(book_source_caption(book_key, lang))
if not RULE_SETS[rules].regulation:
    st.caption(t("cls.not_regulation", lang))

if not selected:
    st.warning(t("overview.no_branch", lang))
    st.stop()

branches = tuple(sorted(selected))
over_time = _over_time(book_key, branches, rules, debtor_rule)
now: PortfolioRatios = over_time.at(as_of)
previous = over_time.previous(as_of)


def _help(key: str, ratio: Ratio | None = None, threshold: str | None = None) -> str:
    """Definition, threshold and source, and why the figure is undefined when it is."""
    parts = [t(f"overview.kpi.{key}_help", lang)]
    if threshold is not None:
        parts.append(t("overview.threshold_help", lang, band=t(f"ratio.band.{threshold}", lang)))
    if ratio is not None and ratio.value is None:
        parts.append(t("ratio.undefined", lang, reason=reason_text(ratio.reason, lang)))
    return "\n\n".join(parts)


def _kpi(column: st.delta_generator.DeltaGenerator, key: str, name: str, *, inverse: bool,
         threshold: str | None = None) -> None:
    ratio: Ratio = getattr(now, name)
    change = over_time.change(name, as_of)
    column.metric(
        t(f"overview.kpi.{key}", lang), ratio_value(ratio), delta=delta_text(change, lang),
        delta_color="inverse" if inverse else "normal", help=_help(key, ratio, threshold), border=True,
    )
    if threshold is not None and ratio.value is not None:
        column.caption(threshold_caption(threshold, now, lang))
    elif ratio.value is None:
        column.caption(ratio_with_reason(ratio, lang))
    note = change_note(change, lang) if ratio.value is not None else ""
    if note:
        column.caption(note)


# --- KPI cards: value, change since the previous snapshot, regulatory threshold -----------
# Two rows of three: six cards in one row cut "90.16 亿元" and "148.47%" to "90.16 …".
k_bal, k_npl, k_sm = st.columns(3)
k_od, k_cov, k_lpr = st.columns(3)
balance_change = over_time.change("balance", as_of)
k_bal.metric(t("overview.kpi.balance", lang), format_amount(now.balance, lang),
             delta=delta_text(balance_change, lang, amount=True), delta_color="off",
             help=_help("balance"), border=True)
k_bal.caption(t("overview.kpi.loans", lang, n=f"{now.loans:,}"))
if balance_change.value is None:
    k_bal.caption(change_note(balance_change, lang))
_kpi(k_npl, "npl_ratio", "npl_ratio", inverse=True, threshold="npl_ratio")
_kpi(k_sm, "special_mention", "special_mention_ratio", inverse=True)
_kpi(k_od, "overdue_90", "overdue_90_ratio", inverse=True)
_kpi(k_cov, "coverage", "provision_coverage", inverse=False, threshold="provision_coverage")
_kpi(k_lpr, "loan_provision", "loan_provision_ratio", inverse=False, threshold="loan_provision_ratio")
st.caption(t("overview.kpi.note", lang, previous=previous.as_of.strftime("%Y-%m-%d")
             if previous is not None and previous.as_of is not None else "—",
             rules=rules_label(rules, lang)))
st.caption(t("overview.deviation", lang, final=ratio_with_reason(now.npl_deviation, lang),
             reported=ratio_with_reason(now.reported_npl_deviation, lang),
             overdue30=ratio_with_reason(now.overdue_30_ratio, lang)))

# --- balance by final class over the snapshots -----------------------------------------
st.plotly_chart(class_balance_figure(over_time.class_balances(), lang, rules=rules, selected=as_of), **CHART_ARGS)

# --- classification exceptions -----------------------------------------------------------
st.subheader(t("cls.exceptions.title", lang))
st.caption(t("cls.exceptions.note", lang, rules=rules_label(rules, lang)))
exceptions = _exceptions(book_key, as_of, branches, rules, debtor_rule)
if exceptions.empty:
    st.info(t("cls.exceptions.none", lang))
else:
    st.caption(t("cls.exceptions.count", lang, n=f"{len(exceptions):,}",
                 amount=format_amount(float(exceptions["balance"].sum()), lang)))
    table = exceptions_display(exceptions, lang, branch_names)
    st.dataframe(table, hide_index=True, width="stretch", height=min(38 + 35 * len(table), 420),
                 column_config={t("cls.col.balance", lang): st.column_config.NumberColumn(format="accounting"),
                                t("cls.col.dpd", lang): st.column_config.NumberColumn(format="%d")})
if now.unreported:
    st.caption(t("cls.unreported", lang, n=f"{now.unreported:,}"))
if debtor_rule:
    st.caption(t("cls.debtor_raised", lang, n=f"{now.debtor_raised:,}"))

# --- required against booked provisions, under an editable provision table ---------------
st.subheader(t("overview.prov.title", lang))
st.caption(t("overview.prov.note", lang))
c_edit, c_chart = st.columns([2, 3], gap="large")
rate_column = t("overview.prov.col.rate", lang)
edited = c_edit.data_editor(
    rates_frame(PBOC_2002, lang),  # a stable input: edits live in the widget state (streamlit#7749)
    key=f"overview_rates_{lang}", hide_index=True, num_rows="fixed", width="stretch",
    disabled=[t("overview.prov.col.class", lang)],
    column_config={rate_column: st.column_config.NumberColumn(min_value=0.0, max_value=100.0, step=0.5,
                                                              format="%.1f%%", required=True)},
)
provision_table = table_from_rates(edited, PBOC_2002, lang)
booked = (now.required_provisions.by_class["booked"].tolist()
          if "booked" in now.required_provisions.by_class.columns else None)
comparison = provision_comparison(now.balance_by_class, provision_table, booked)
c_edit.caption(t("overview.prov.table_in_use", lang, table=table_label(provision_table, lang)))
c_chart.plotly_chart(provision_figure(comparison, lang), **CHART_ARGS)
st.dataframe(provisions_display(comparison, lang), hide_index=True, width="stretch")
if comparison.gap is None:
    st.info(t("overview.prov.no_booked", lang, reason=reason_text(comparison.reason, lang)))
else:
    key = "overview.prov.short" if comparison.gap < 0 else "overview.prov.enough"
    st.caption(t(key, lang, gap=format_amount(abs(comparison.gap), lang), table=table_label(provision_table, lang)))
if now.provisions_blank:
    st.caption(t("overview.prov.blank", lang, n=f"{now.provisions_blank:,}"))

# --- inclusive-SME NPL tolerance ----------------------------------------------------------
st.subheader(t("overview.incl.title", lang))
incl = now.inclusive
i1, i2, i3 = st.columns(3)
i1.metric(t("overview.incl.npl", lang), ratio_value(incl.npl_ratio), border=True,
          help=t("overview.incl.npl_help", lang, amount=format_amount(incl.balance, lang)))
i2.metric(t("overview.incl.overall", lang), ratio_value(incl.overall_npl_ratio), border=True)
i3.metric(t("overview.incl.gap", lang), pp_text(incl.gap.value, lang) if incl.gap.value is not None else "—",
          border=True, help=t("overview.threshold_help", lang, band=t("ratio.band.inclusive_gap", lang)))
if incl.gap.value is None:
    st.info(t("overview.incl.undefined", lang, reason=reason_text(incl.gap.reason, lang)))
elif incl.status == "breach":
    st.error(t("overview.incl.breach", lang, gap=pp_text(incl.gap.value, lang)))
else:
    st.success(t("overview.incl.ok", lang, gap=pp_text(incl.gap.value, lang)))
